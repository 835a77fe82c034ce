import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateSearch } from '../../src/subscriptions/search/evaluate';
import {
  formatSearch,
  parseSearch,
  SearchSyntaxError,
  type Comparison,
  type SearchNode,
} from '../../src/subscriptions/search/parse';

// Shopify's search syntax as webhook filters use it: the parser on examples and malformed input,
// and the evaluator's laws over generated trees and payloads.

const RUNS = 300;

const FIELDS = ['a', 'b', 'c'];
const VALUES = ['x', 'y', 'X', '10', '10.0', '2', 'true', 'a b', '2026-01-01T00:00:00Z', ''];
const payloadValue = fc.oneof(
  fc.constantFrom(...VALUES),
  fc.integer({ min: -5, max: 20 }),
  fc.boolean(),
  fc.constant(null),
);
/** A payload: top-level a, b, c, and `n`, an array of objects with the same fields. */
const record = fc.record({ a: payloadValue, b: payloadValue, c: payloadValue }, { requiredKeys: [] });
const payload = fc.record(
  { a: payloadValue, b: payloadValue, c: payloadValue, n: fc.array(record, { maxLength: 3 }) },
  {
    requiredKeys: [],
  },
);

const term: fc.Arbitrary<SearchNode> = fc
  .record({
    kind: fc.constant('term' as const),
    path: fc.oneof(
      fc.constantFrom(...FIELDS).map((f) => [f]),
      fc.constantFrom(...FIELDS).map((f) => ['n', f]),
    ),
    op: fc.constantFrom<Comparison>('eq', 'gt', 'gte', 'lt', 'lte', 'prefix', 'exists'),
    value: fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 6 })),
  })
  .map((t) => (t.op === 'exists' ? { ...t, value: '' } : t));

const tree: fc.Arbitrary<SearchNode> = fc.letrec<{ node: SearchNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    term,
    fc.record({ kind: fc.constant('not' as const), item: tie('node') }),
    fc.record({ kind: fc.constant('and' as const), items: fc.array(tie('node'), { minLength: 2, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('or' as const), items: fc.array(tie('node'), { minLength: 2, maxLength: 3 }) }),
  ),
})).node;

describe('parseSearch', () => {
  it('reads terms, comparisons, quotes, wildcards, operators, negation and grouping', () => {
    expect(parseSearch('status:active')).toEqual({ kind: 'term', path: ['status'], op: 'eq', value: 'active' });
    expect(parseSearch('variants.price:>=10.00')).toEqual({
      kind: 'term',
      path: ['variants', 'price'],
      op: 'gte',
      value: '10.00',
    });
    expect(parseSearch('title:"Red shirt (L)"')).toMatchObject({ op: 'eq', value: 'Red shirt (L)' });
    expect(parseSearch('sku:ABC*')).toMatchObject({ op: 'prefix', value: 'ABC' });
    expect(parseSearch('id:*')).toMatchObject({ op: 'exists' });
    expect(parseSearch('a:1 b:2 OR -c:3')).toEqual({
      kind: 'or',
      items: [
        {
          kind: 'and',
          items: [
            { kind: 'term', path: ['a'], op: 'eq', value: '1' },
            { kind: 'term', path: ['b'], op: 'eq', value: '2' },
          ],
        },
        { kind: 'not', item: { kind: 'term', path: ['c'], op: 'eq', value: '3' } },
      ],
    });
    expect(parseSearch('NOT (a:1 OR b:<2) AND c:>3')).toMatchObject({
      kind: 'and',
      items: [{ kind: 'not', item: { kind: 'or' } }, { op: 'gt' }],
    });
  });

  it('refuses malformed expressions with a message, never anything else', () => {
    for (const bad of [
      '',
      '   ',
      'active',
      'a:',
      '(a:1',
      'a:1)',
      'a:1 AND',
      'OR a:1',
      'a:"open',
      '1a:x',
      'a..b:1',
      'NOT',
    ]) {
      expect(() => parseSearch(bad), bad).toThrow(SearchSyntaxError);
    }
    expect(() => parseSearch('a:1 '.repeat(60))).toThrow(/more than 50 terms/);
    expect(() => parseSearch('('.repeat(30) + 'a:1' + ')'.repeat(30))).toThrow(/deeper/);
    expect(() => parseSearch('a:' + 'x'.repeat(1_001))).toThrow(/longer than/);
  });

  it('throws only SearchSyntaxError on any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseSearch(text);
        } catch (err) {
          expect(err).toBeInstanceOf(SearchSyntaxError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('parses what formatSearch writes back to the same tree', () => {
    fc.assert(
      fc.property(tree, (node) => {
        expect(parseSearch(formatSearch(node))).toEqual(normalize(node));
      }),
      { numRuns: RUNS },
    );
  });
});

/** The tree the parser builds for formatSearch's text: nested ANDs and ORs in parentheses stay. */
function normalize(node: SearchNode): SearchNode {
  switch (node.kind) {
    case 'term':
      return node;
    case 'not':
      return { kind: 'not', item: normalize(node.item) };
    default:
      return { kind: node.kind, items: node.items.map(normalize) };
  }
}

describe('evaluateSearch', () => {
  it('follows boolean logic: NOT inverts, AND is every, OR is some', () => {
    fc.assert(
      fc.property(tree, tree, payload, (x, y, data) => {
        const a = evaluateSearch(x, data);
        const b = evaluateSearch(y, data);
        expect(evaluateSearch({ kind: 'not', item: x }, data)).toBe(!a);
        expect(evaluateSearch({ kind: 'and', items: [x, y] }, data)).toBe(a && b);
        expect(evaluateSearch({ kind: 'or', items: [x, y] }, data)).toBe(a || b);
        expect(evaluateSearch(parseSearch(`-(${formatSearch(x)})`), data)).toBe(!a);
      }),
      { numRuns: RUNS },
    );
  });

  it('matches a:v exactly when the value equals v (numbers as numbers, text without case)', () => {
    fc.assert(
      fc.property(payloadValue, fc.constantFrom(...VALUES.filter((v) => v !== '')), (value, query) => {
        const matched = evaluateSearch({ kind: 'term', path: ['a'], op: 'eq', value: query }, { a: value });
        const numeric = typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value));
        const expected =
          value === null
            ? false
            : numeric && /^\d+(\.\d+)?$/.test(query)
              ? Number(value) === Number(query)
              : String(value).toLowerCase() === query.toLowerCase();
        expect(matched).toBe(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('matches a term on an array path when any element matches', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 4 }), fc.constantFrom(...VALUES), (items, query) => {
        const node: SearchNode = { kind: 'term', path: ['n', 'a'], op: 'eq', value: query };
        const any = items.some((item) => evaluateSearch({ ...node, path: ['a'] }, item));
        expect(evaluateSearch(node, { n: items })).toBe(any);
      }),
      { numRuns: RUNS },
    );
  });

  it("evaluates Shopify's examples", () => {
    const product = {
      id: 9554194432293,
      status: 'active',
      product_type: 'Music',
      variants: [
        { price: '29.99', sku: 'TSHIRT-001', taxable: true },
        { price: '9.50', sku: 'MUG-7', taxable: false },
      ],
      updated_at: '2025-04-22T14:30:00-05:00',
    };
    const matches = (text: string) => evaluateSearch(parseSearch(text), product);
    expect(matches('variants.price:>=10.00')).toBe(true);
    expect(matches('variants.price:>30')).toBe(false);
    expect(matches('id:* AND status:active AND (product_type:Music OR product_type:Books)')).toBe(true);
    expect(matches('status:ACTIVE')).toBe(true);
    expect(matches('variants.sku:mug*')).toBe(true);
    expect(matches('variants.sku:MUG')).toBe(false);
    expect(matches('-variants.taxable:false')).toBe(false);
    expect(matches('variants.taxable:true')).toBe(true);
    expect(matches('updated_at:>2025-04-22T19:00:00Z')).toBe(true);
    expect(matches('updated_at:<2025-04-22')).toBe(false);
    expect(matches('vendor:*')).toBe(false);
    expect(matches('NOT vendor:x')).toBe(true);
  });
});
