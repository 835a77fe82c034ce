import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsDepth } from '../../src/json/depth';
import { ExactNumber, parseExactJson } from '../../src/json/exact';

// docs/contracts.md, "Exact numbers": JSON numbers keep their exact digits (Shopify's sample ids are above 2^53).

const SAMPLE =
  '{"id":820982911946154508,"line_items":[{"id":866550311766439020,"product_id":632910392,"price":"199.00"}],"total_weight":0,"rate":1.10,"tiny":1e-7,"neg":-0}';

describe('parseExactJson', () => {
  it('keeps ids above 2^53 and other inexact numbers as written, through JSON.stringify', () => {
    expect(JSON.stringify(JSON.parse(SAMPLE))).not.toBe(SAMPLE);
    expect(JSON.stringify(parseExactJson(SAMPLE))).toBe(SAMPLE);
  });

  it('leaves numbers a double holds exactly as plain numbers', () => {
    const data = parseExactJson(SAMPLE) as {
      line_items: Array<{ product_id: unknown }>;
      total_weight: unknown;
      id: unknown;
    };
    expect(data.line_items[0]!.product_id).toBe(632910392);
    expect(data.total_weight).toBe(0);
    expect(data.id).toBeInstanceOf(ExactNumber);
    expect(parseExactJson('{"a":9007199254740991}')).toEqual({ a: 9007199254740991 });
  });

  it('prints the digits and compares as a number', () => {
    const id = parseExactJson('820982911946154508') as ExactNumber;
    expect(String(id)).toBe('820982911946154508');
    expect(`${id}`).toBe('820982911946154508');
    expect(id.isInteger).toBe(true);
    expect(+id > 8e17).toBe(true);
    expect((parseExactJson('1.10') as ExactNumber).isInteger).toBe(false);
  });

  it('counts an exact number as a leaf, not a level, in the ingress depth limit', () => {
    const nested = (depth: number, leaf: string) => '['.repeat(depth) + leaf + ']'.repeat(depth);
    expect(exceedsDepth(parseExactJson(nested(64, '820982911946154508')), 64)).toBe(false);
    expect(exceedsDepth(parseExactJson(nested(64, '1')), 64)).toBe(false);
    expect(exceedsDepth(parseExactJson(nested(65, '820982911946154508')), 64)).toBe(true);
  });

  it('throws SyntaxError on invalid JSON, as JSON.parse does', () => {
    expect(() => parseExactJson('{"a":820982911946154508')).toThrow(SyntaxError);
    expect(() => parseExactJson('')).toThrow(SyntaxError);
  });

  it('round-trips any JSON text byte for byte once it is in JSON.stringify form', () => {
    // Integers of any size written into JSON text, and floats with their shortest form.
    const bigInt = fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => n.toString());
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        bigInt.map((t) => ({ raw: t })),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => ({ raw: JSON.stringify(d) })),
        fc.string().map((s) => ({ raw: JSON.stringify(s) })),
        fc
          .array(tie('node') as fc.Arbitrary<{ raw: string }>, { maxLength: 4 })
          .map((items) => ({ raw: `[${items.map((i) => i.raw).join(',')}]` })),
        fc
          .dictionary(fc.string({ maxLength: 5 }), tie('node') as fc.Arbitrary<{ raw: string }>, { maxKeys: 4 })
          .map((o) => ({
            raw: `{${Object.entries(o)
              .map(([k, v]) => `${JSON.stringify(k)}:${v.raw}`)
              .join(',')}}`,
          })),
      ),
    })).node as fc.Arbitrary<{ raw: string }>;
    fc.assert(
      fc.property(value, ({ raw }) => {
        expect(JSON.stringify(parseExactJson(raw))).toBe(raw);
      }),
    );
  });
});
