import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_QUERY_NESTING, nestingDepth } from '../../src/subscriptions/graphql/execute';
import { callWithEnv, createShopWithApp } from '../helpers';

// Hostile and random input to POST /admin/api/{v}/graphql.json: never a 5xx, always Shopify's
// shape — a 400 for a body that is no GraphQL request, else a 200 with `errors` and
// `extensions.cost` (spec: "Bad input → clear error with the right status, never a 5xx").

let token: string;
beforeAll(async () => {
  ({ token } = await createShopWithApp());
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL answers are walked freely
async function send(body: string, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const res = await callWithEnv(env, '/admin/api/2026-10/graphql.json', {
    method: 'POST',
    headers: { 'x-shopify-access-token': token, 'content-type': contentType },
    body,
  });
  return { status: res.status, json: await res.json() };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL answers are walked freely
function expectGraphqlError(answer: { status: number; json: any }): void {
  expect(answer.status).toBe(200);
  expect(answer.json.errors.length).toBeGreaterThan(0);
  expect(answer.json.extensions.cost.throttleStatus.maximumAvailable).toBe(2000);
}

describe('hostile documents', () => {
  it('refuses nesting deeper than the bound before parsing (5,000 levels would exhaust the stack)', async () => {
    const deep = '{ a'.repeat(5_000) + '}'.repeat(5_000);
    const answer = await send(JSON.stringify({ query: deep }));
    expectGraphqlError(answer);
    expect(answer.json.errors[0]).toEqual({
      message: `Query is nested more than ${MAX_QUERY_NESTING} levels deep.`,
      extensions: { code: 'parseError' },
    });
  });

  it('counts nesting outside strings and comments only', () => {
    expect(nestingDepth('{ a { b } }')).toBe(2);
    expect(nestingDepth('{ a(x: "{{{{") # {{{{\n { b } }')).toBe(2);
    expect(nestingDepth('{ a(x: """ {{{ \n {{ """) }')).toBe(2);
    expect(nestingDepth('{ a(x: "\\"{{") }')).toBe(2);
  });

  it('refuses a flood of tokens', async () => {
    const wide = `{ ${'a '.repeat(12_000)}}`;
    const answer = await send(JSON.stringify({ query: wide }));
    expectGraphqlError(answer);
    expect(answer.json.errors[0].message).toContain('Document contains more that 10000 tokens');
  });

  it('answers an introspection query (deep ofType chains) normally', async () => {
    const typeRef =
      'kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } }';
    const answer = await send(
      JSON.stringify({ query: `{ __schema { types { name fields { name type { ${typeRef} } } } } }` }),
    );
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    expect(answer.json.data.__schema.types.map((t: { name: string }) => t.name)).toContain('WebhookSubscription');
  });

  it('answers a fragment cycle, unknown operation names and wrong variable types with errors', async () => {
    expectGraphqlError(
      await send(
        JSON.stringify({ query: 'query { ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }' }),
      ),
    );
    expectGraphqlError(await send(JSON.stringify({ query: 'query A { __typename } query B { __typename }' })));
    expectGraphqlError(await send(JSON.stringify({ query: 'query A { __typename }', operationName: 'C' })));
    expectGraphqlError(
      await send(
        JSON.stringify({
          query: 'query ($n: Int) { webhookSubscriptions(first: $n) { nodes { id } } }',
          variables: { n: 'ten' },
        }),
      ),
    );
    const subscription = await send(JSON.stringify({ query: 'subscription { x }' }));
    expectGraphqlError(subscription);
    expect(subscription.json.errors[0]).toMatchObject({
      message: 'Schema is not configured to execute subscription operation.',
      locations: [{ line: 1, column: 1 }],
      extensions: { code: 'validationError' },
    });
  });
});

describe('random input', () => {
  const fragment = fc.oneof(
    fc.constantFrom(
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      ':',
      '$',
      '...',
      '@',
      '"',
      '"""',
      '#',
      '\n',
      ' ',
      '!',
      '=',
      'query',
      'mutation',
      'fragment',
      'on',
      'webhookSubscriptions',
      'webhookSubscription',
      'webhookSubscriptionCreate',
      'webhookSubscriptionsCount',
      'first: 3',
      'last: -1',
      'after: "x"',
      'id: "gid://shopify/WebhookSubscription/1"',
      'topic: ORDERS_CREATE',
      'topic: USER_X_Y',
      'webhookSubscription: {uri: "https://a.example.com"}',
      'nodes',
      'edges',
      'node',
      'id',
      'topic',
      'userErrors',
      'field',
      'message',
      '__typename',
      '__schema',
      'filter: "x"',
      'format: XML',
    ),
    fc.string({ maxLength: 12 }),
  );
  const document = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(' '));

  it("never answers a random document with anything but 200 and Shopify's shape", async () => {
    await fc.assert(
      fc.asyncProperty(
        document,
        fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }))),
        async (query, variables) => {
          const answer = await send(
            JSON.stringify({ query: query.trim() === '' ? '{' : query, variables: variables ?? undefined }),
          );
          expect(answer.status).toBe(200);
          expect(answer.json.extensions.cost.requestedQueryCost).toBeGreaterThanOrEqual(0);
          expect('data' in answer.json || 'errors' in answer.json).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);

  it('never answers a random body with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ maxLength: 50 }), fc.json({ maxDepth: 3 })),
        fc.constantFrom('application/json', 'application/graphql', 'text/plain'),
        async (body, type) => {
          const answer = await send(body, type);
          expect([200, 400]).toContain(answer.status);
        },
      ),
      { numRuns: 100 },
    );
  }, 60_000);
});
