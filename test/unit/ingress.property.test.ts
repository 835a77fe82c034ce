import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeOrigin } from '../../src/http/cors';
import { buildEventData, type IngressRequestParts } from '../../src/ingress/data';
import { parseNestedQuery } from '../../src/ingress/params';

// Property-based tests for the ingress parsers: whatever the input, they answer (a value or
// "unparsable"), never throw, and what they produce can be stored as JSON.

const RUNS = 300;

/** Parameter names built from the characters that matter to Rack-style nesting. */
const paramName = fc
  .array(fc.constantFrom('a', 'b', '[', ']', '[]', '][', '%', '%5B', '%5D', '+', ' ', '=', 'é', '\u0000', '0'), {
    maxLength: 12,
  })
  .map((parts) => parts.join(''));
const queryText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc
    .array(fc.tuple(paramName, fc.string({ maxLength: 8 })), { maxLength: 30 })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
);

function parts(body: Uint8Array, contentType: string | null, queryString: string | null): IngressRequestParts {
  return {
    body,
    contentType,
    queryString,
    headers: new Headers({ 'x-test': '1' }),
    clientIp: '203.0.113.9',
    requestId: 'r',
    webhookId: 'w',
  };
}

const contentType = fc.oneof(
  fc.constantFrom(
    null,
    'application/json',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
    'multipart/form-data',
    'multipart/form-data; boundary=',
    'multipart/form-data; boundary=x',
    'text/plain',
    'APPLICATION/JSON',
  ),
  fc.string({ maxLength: 60 }),
);

/** Bodies near each parser's edges: JSON-ish, form-ish, multipart-ish, and raw bytes. */
const body = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.json({ maxDepth: 6 }).map((t) => new TextEncoder().encode(t)),
  queryText.map((t) => new TextEncoder().encode(t)),
  fc
    .tuple(
      fc.constantFrom('x', 'boundary', ''),
      fc.array(fc.tuple(paramName, fc.string({ maxLength: 10 }), fc.boolean()), { maxLength: 5 }),
      fc.boolean(),
    )
    .map(([boundary, fields, closed]) =>
      new TextEncoder().encode(
        fields
          .map(
            ([name, value, file]) =>
              `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="f.bin"\r\nContent-Type: application/octet-stream' : ''}\r\n\r\n${value}\r\n`,
          )
          .join('') + (closed ? `--${boundary}--\r\n` : ''),
      ),
    ),
);

describe('ingress parsers (property-based)', () => {
  it('parseNestedQuery returns params or null for any input, never throws', () => {
    fc.assert(
      fc.property(queryText, (text) => {
        const result = parseNestedQuery(text);
        expect(result === null || typeof result === 'object').toBe(true);
        if (result !== null) expect(() => JSON.stringify(result)).not.toThrow();
      }),
      { numRuns: RUNS },
    );
  });

  it('flat names round-trip through encoding, last value winning', () => {
    const flatName = fc.stringMatching(/^[A-Za-z0-9_.\-é]{1,10}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(flatName, fc.string({ maxLength: 10 })), { maxLength: 20 }), (pairs) => {
        const text = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        // fromEntries defines own properties, so a name like `__proto__` is a key here as in the
        // parser's output (assigning it to a plain object would set the prototype instead).
        const expected: Record<string, string> = Object.fromEntries(pairs);
        const parsed = parseNestedQuery(text);
        expect(parsed === null ? null : { ...parsed }).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it('buildEventData (both modes) turns any body and content type into storable data', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        contentType,
        fc.option(queryText, { nil: null }),
        fc.constantFrom('auto' as const, 'full' as const),
        async (bytes, type, query, mode) => {
          const data = await buildEventData(mode, parts(bytes, type, query));
          const json = JSON.stringify(data);
          expect(json === undefined ? 'null' : JSON.parse(json)).toBeDefined();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a body that is not UTF-8 and yields no parameters is kept byte for byte as body_base64', async () => {
    const notUtf8 = fc.uint8Array({ minLength: 1, maxLength: 100 }).filter((b) => {
      try {
        new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(b);
        return false;
      } catch {
        return true;
      }
    });
    await fc.assert(
      fc.asyncProperty(notUtf8, async (bytes) => {
        const data = (await buildEventData('auto', parts(bytes, 'application/octet-stream', null))) as {
          body_base64: string;
        };
        expect(Uint8Array.from(atob(data.body_base64), (c) => c.charCodeAt(0))).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it('normalizeOrigin answers an origin or null for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.webUrl()), (text) => {
        const origin = normalizeOrigin(text);
        if (origin !== null) expect(origin).toMatch(/^(\*|https?:\/\/[^/]+)$/);
      }),
      { numRuns: RUNS },
    );
  });
});
