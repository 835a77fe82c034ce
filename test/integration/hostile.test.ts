import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, createShopWithApp, createWebhook } from '../helpers';

// The hostile-input corpus: malformed and abusive requests through the Worker. Every one must get
// a clear answer — never a 5xx, never an unhandled exception — with the status the specs give.

interface Case {
  name: string;
  path: string;
  init: RequestInit;
  /** Allowed statuses; every case also asserts status < 500. */
  expect: number[];
}

const cases: Case[] = [];
const add = (name: string, path: string, init: RequestInit, expected: number[]) =>
  cases.push({ name, path, init, expect: expected });

let shopA: Awaited<ReturnType<typeof createShopWithApp>>;
let shopB: Awaited<ReturnType<typeof createShopWithApp>>;
let webhookA: string;

/** Every route, the methods it answers, and the token kind it needs. */
const ROUTES: { path: () => string; methods: string[]; auth: 'operator' | 'app' | 'shopify' | 'none' }[] = [
  { path: () => `/webhooks/${webhookA}`, methods: ['POST', 'OPTIONS'], auth: 'none' },
  { path: () => `/webhook/${webhookA}`, methods: ['POST', 'OPTIONS'], auth: 'none' },
  { path: () => '/shopify/webhooks', methods: ['POST'], auth: 'none' },
  { path: () => `/cache/${crypto.randomUUID()}`, methods: ['GET', 'HEAD', 'OPTIONS'], auth: 'none' },
  { path: () => `/cache/${crypto.randomUUID()}/some/suffix`, methods: ['GET', 'HEAD', 'OPTIONS'], auth: 'none' },
  { path: () => '/api/v1/openapi.json', methods: ['GET'], auth: 'none' },
  { path: () => '/api/v1/shops', methods: ['GET', 'POST'], auth: 'operator' },
  { path: () => `/api/v1/shops/${shopA.shopId}`, methods: ['GET', 'PATCH'], auth: 'operator' },
  { path: () => `/api/v1/shops/${shopA.shopId}/apps`, methods: ['GET', 'POST'], auth: 'operator' },
  { path: () => '/api/v1/shop', methods: ['GET'], auth: 'app' },
  { path: () => '/api/v1/webhooks', methods: ['GET', 'POST'], auth: 'app' },
  { path: () => `/api/v1/webhooks/${webhookA}`, methods: ['GET', 'PATCH', 'DELETE'], auth: 'app' },
  { path: () => '/api/v1/cors', methods: ['GET', 'PUT'], auth: 'app' },
  { path: () => '/api/v1/events', methods: ['GET'], auth: 'app' },
  { path: () => `/api/v1/events/${crypto.randomUUID()}`, methods: ['GET'], auth: 'app' },
  { path: () => `/api/v1/events/${crypto.randomUUID()}/task_runs`, methods: ['GET'], auth: 'app' },
  { path: () => '/api/v1/app/signing-secrets', methods: ['GET', 'POST'], auth: 'app' },
  { path: () => `/api/v1/app/signing-secrets/${crypto.randomUUID()}`, methods: ['DELETE'], auth: 'app' },
  { path: () => '/api/v1/deliveries', methods: ['GET'], auth: 'app' },
  { path: () => `/api/v1/deliveries/${crypto.randomUUID()}`, methods: ['GET'], auth: 'app' },
  { path: () => `/api/v1/deliveries/${crypto.randomUUID()}/retry`, methods: ['POST'], auth: 'app' },
  { path: () => '/api/v1/subscriptions/1/replay', methods: ['POST'], auth: 'app' },
  { path: () => '/api/v1/tasks', methods: ['GET', 'POST'], auth: 'app' },
  { path: () => `/api/v1/tasks/${crypto.randomUUID()}`, methods: ['GET', 'PATCH', 'DELETE'], auth: 'app' },
  { path: () => `/api/v1/tasks/${crypto.randomUUID()}/enable`, methods: ['POST'], auth: 'app' },
  { path: () => `/api/v1/tasks/${crypto.randomUUID()}/disable`, methods: ['POST'], auth: 'app' },
  { path: () => `/api/v1/tasks/${crypto.randomUUID()}/preview`, methods: ['POST'], auth: 'app' },
  { path: () => '/api/v1/cache_endpoints', methods: ['GET', 'POST'], auth: 'app' },
  { path: () => `/api/v1/cache_endpoints/${crypto.randomUUID()}`, methods: ['GET', 'DELETE'], auth: 'app' },
  { path: () => '/api/v1/cache/some/key', methods: ['GET', 'PUT', 'DELETE'], auth: 'app' },
  { path: () => '/admin/api/2026-10/webhooks.json', methods: ['GET', 'POST'], auth: 'shopify' },
  { path: () => '/admin/api/2026-10/webhooks/count.json', methods: ['GET'], auth: 'shopify' },
  { path: () => '/admin/api/2026-10/webhooks/1.json', methods: ['GET', 'PUT', 'DELETE'], auth: 'shopify' },
  { path: () => '/admin/api/2026-10/graphql.json', methods: ['POST'], auth: 'shopify' },
];
const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

const BAD_TOKENS = [
  '',
  'Bearer',
  'Bearer ',
  "Bearer ' OR '1'='1",
  'Bearer eh_' + '0'.repeat(48),
  'Basic dXNlcjpwYXNz',
  'Bearer ' + 'x'.repeat(16_384),
  'Bearer eh_\u202e\u200b', // (a NUL cannot even be put in a header by a client)
  'bearer test-admin-token-not',
];

function authHeaders(kind: 'operator' | 'app' | 'shopify' | 'none', token: string | null): Record<string, string> {
  if (kind === 'shopify') return token === null ? {} : { 'x-shopify-access-token': token };
  return token === null ? {} : { authorization: token };
}

function buildCorpus(): void {
  // 1. Wrong methods on every route.
  for (const route of ROUTES) {
    for (const method of ALL_METHODS.filter((m) => !route.methods.includes(m))) {
      if (method === 'HEAD' && route.methods.includes('GET')) continue; // HEAD follows GET
      const token =
        route.auth === 'operator'
          ? `Bearer ${ADMIN_TOKEN}`
          : route.auth === 'none'
            ? null
            : route.auth === 'shopify'
              ? shopA.token
              : `Bearer ${shopA.token}`;
      add(`${method} ${route.path()}`, route.path(), { method, headers: authHeaders(route.auth, token) }, [405]);
    }
  }
  // 2. Bad tokens on every route that needs one.
  for (const route of ROUTES.filter((r) => r.auth !== 'none')) {
    for (const bad of BAD_TOKENS) {
      const token = route.auth === 'shopify' ? bad.replace(/^Bearer ?/i, '') : bad;
      add(
        `bad token ${JSON.stringify(bad.slice(0, 20))} on ${route.methods[0]} ${route.path()}`,
        route.path(),
        {
          method: route.methods[0],
          headers: authHeaders(route.auth, token),
        },
        [401],
      );
    }
  }
  // 3. Huge, deep and wide bodies.
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  const deepObject = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
  const wideForm = Array.from({ length: 10_000 }, (_, i) => `p${i}=${i}`).join('&');
  const nestedForm = `${'a['.repeat(5_000)}x${']'.repeat(5_000)}=1`;
  const overLimit = 'x'.repeat(1_048_577);
  const json = { 'content-type': 'application/json' };
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  for (const [name, body, headers] of [
    ['deeply nested JSON array', deep, json],
    ['deeply nested JSON object', deepObject, json],
    ['10,000 form parameters', wideForm, form],
    ['form parameters nested 5,000 deep', nestedForm, form],
    [
      'broken multipart (no boundary)',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
      { 'content-type': 'multipart/form-data' },
    ],
    [
      'broken multipart (wrong boundary)',
      '--y\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--y--',
      { 'content-type': 'multipart/form-data; boundary=x' },
    ],
    [
      'broken multipart (never closed)',
      '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1',
      { 'content-type': 'multipart/form-data; boundary=x' },
    ],
    [
      'multipart with a part without a name',
      '--x\r\nContent-Disposition: form-data\r\n\r\n1\r\n--x--\r\n',
      { 'content-type': 'multipart/form-data; boundary=x' },
    ],
    ['non-UTF-8 JSON', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), json],
    ['JSON with a NUL and an RTL override in keys', '{"a\\u0000b":1,"\\u202ekey":2,"\\u200b":3}', json],
    ['SQL in a form value', "name=' OR 1=1; DROP TABLE events; --", form],
    ['content type with junk parameters', '{"a":1}', { 'content-type': 'application/json; charset=ébc; boundary="' }],
  ] as const) {
    add(`webhook: ${name}`, `/webhooks/${webhookA}`, { method: 'POST', headers, body }, [204]);
  }
  add('webhook: body over MAX_BODY_BYTES', `/webhooks/${webhookA}`, { method: 'POST', body: overLimit }, [413]);
  add(
    'webhook: lying content-length (declares more than it sends)',
    `/webhooks/${webhookA}`,
    { method: 'POST', headers: { 'content-length': '999999999' }, body: 'a=1' },
    [204, 400, 413],
  );
  add(
    'webhook: oversized header',
    `/webhooks/${webhookA}`,
    { method: 'POST', headers: { 'x-junk': 'j'.repeat(64_000) }, body: 'a=1' },
    [204],
  );
  for (const [name, body] of [
    ['deeply nested JSON', deepObject],
    ['a JSON array', '[1,2,3]'],
    ['JSON null', 'null'],
    ['not JSON', "{'a': 1}"],
    ['unicode tricks in keys', '{"na\\u202eme":"x","topic":"user/a/b"}'],
    ['SQL in values', `{"name":"' OR 1=1 --","topic":"user/a/b'; DROP TABLE webhooks; --"}`],
  ] as const) {
    add(
      `management API: ${name}`,
      '/api/v1/webhooks',
      { method: 'POST', headers: { authorization: `Bearer ${shopA.token}`, ...json }, body },
      [400, 422],
    );
    add(
      `Shopify resource: ${name}`,
      '/admin/api/2026-10/webhooks.json',
      { method: 'POST', headers: { 'x-shopify-access-token': shopA.token, ...json }, body },
      [400, 422],
    );
  }
  add(
    'management API: body over its limit',
    '/api/v1/tasks',
    {
      method: 'POST',
      headers: { authorization: `Bearer ${shopA.token}`, ...json },
      body: `{"script":"${'x'.repeat(300_000)}"}`,
    },
    [413],
  );
  // 4. SQL-looking and path-traversal strings in ids and query parameters.
  const app = { authorization: `Bearer ${shopA.token}` };
  for (const evil of [
    "' OR '1'='1",
    '1; DROP TABLE events',
    '..%2F..%2Fapi%2Fv1%2Fshops',
    '%00',
    '%E2%80%AE',
    '..',
    'x'.repeat(5_000),
  ]) {
    add(`event id ${evil.slice(0, 20)}`, `/api/v1/events/${evil}`, { headers: app }, [404]);
    add(`webhook id ${evil.slice(0, 20)}`, `/api/v1/webhooks/${evil}`, { headers: app }, [404]);
    add(`task id ${evil.slice(0, 20)}`, `/api/v1/tasks/${evil}`, { headers: app }, [404]);
    add(`delivery id ${evil.slice(0, 20)}`, `/api/v1/deliveries/${evil}`, { headers: app }, [404]);
    add(`cache token ${evil.slice(0, 20)}`, `/cache/${evil}`, {}, [404]);
    add(`ingress id ${evil.slice(0, 20)}`, `/webhooks/${evil}`, { method: 'POST', body: 'a=1' }, [204, 404]);
    add(
      `Shopify id ${evil.slice(0, 20)}`,
      `/admin/api/2026-10/webhooks/${evil}.json`,
      { headers: { 'x-shopify-access-token': shopA.token } },
      [404],
    );
    add(
      `events filter ${evil.slice(0, 20)}`,
      `/api/v1/events?topic=${evil}&webhook_request_id=${evil}`,
      { headers: app },
      [200],
    );
    add(`events time filter ${evil.slice(0, 20)}`, `/api/v1/events?created_at_min=${evil}`, { headers: app }, [422]);
    add(
      `Shopify list filter ${evil.slice(0, 20)}`,
      `/admin/api/2026-10/webhooks.json?since_id=${evil}&limit=${evil}`,
      { headers: { 'x-shopify-access-token': shopA.token } },
      [400],
    );
    add(`cursor ${evil.slice(0, 20)}`, `/api/v1/webhooks?cursor=${evil}`, { headers: app }, [422]);
    add(`cache key ${evil.slice(0, 20)}`, `/api/v1/cache/${evil}`, { headers: app }, [404, 422]);
  }
  for (const path of [
    '/../api/v1/shops',
    '/webhooks/../api/v1/shops',
    '/%2e%2e/api/v1/shops',
    '/admin/api/../../api/v1/shops',
    '/admin/api/2026-10/../../../etc/passwd',
  ]) {
    add(`traversal ${path}`, path, { headers: app }, [401, 403, 404]);
  }
  // URLs are normalized before routing, as browsers do: this is simply GET /api/v1/shop.
  add('dot segments resolve before routing', '/api/v1/shops/../shop', { headers: app }, [200]);
  add(
    'unknown path under /admin/api',
    '/admin/api/2026-10/products.json',
    { headers: { 'x-shopify-access-token': shopA.token } },
    [404],
  );
  add(
    'malformed API version',
    '/admin/api/20x6-10/webhooks.json',
    { headers: { 'x-shopify-access-token': shopA.token } },
    [404],
  );
  add('unknown path', '/wp-admin/install.php', {}, [404]);
  // 5. Another shop's resources with a valid token: never found.
  add(
    "another shop's webhook",
    `/api/v1/webhooks/${webhookA}`,
    { headers: { authorization: `Bearer ${shopB.token}` } },
    [404],
  );
  add(
    "another shop's webhook, PATCH",
    `/api/v1/webhooks/${webhookA}`,
    { method: 'PATCH', headers: { authorization: `Bearer ${shopB.token}`, ...json }, body: '{"enabled":false}' },
    [404],
  );
  add(
    "another shop's webhook, DELETE",
    `/api/v1/webhooks/${webhookA}`,
    { method: 'DELETE', headers: { authorization: `Bearer ${shopB.token}` } },
    [404],
  );
  add(
    'an app token on an operator route',
    '/api/v1/shops',
    { headers: { authorization: `Bearer ${shopA.token}` } },
    [403],
  );
  add(
    'the operator token on an app route',
    '/api/v1/webhooks',
    { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } },
    [403],
  );
  add(
    'the operator token on the Shopify resource',
    '/admin/api/2026-10/webhooks.json',
    { headers: { 'x-shopify-access-token': ADMIN_TOKEN } },
    [401],
  );
  // 6. Inbound Shopify webhooks with forged signatures.
  for (const [name, headers] of [
    ['no headers', {}],
    ['unknown shop', { 'x-shopify-shop-domain': "evil.myshopify.com' OR 1=1", 'x-shopify-hmac-sha256': 'AAAA' }],
    ['empty signature', { 'x-shopify-shop-domain': shopA.domain, 'x-shopify-hmac-sha256': '' }],
    ['signature not base64', { 'x-shopify-shop-domain': shopA.domain, 'x-shopify-hmac-sha256': '!!!' }],
  ] as const) {
    add(`inbound: ${name}`, '/shopify/webhooks', { method: 'POST', headers, body: '{}' }, [401]);
  }
}

beforeAll(async () => {
  shopA = await createShopWithApp();
  shopB = await createShopWithApp();
  webhookA = await createWebhook(shopA.token);
  buildCorpus();
});

describe('hostile-input corpus', () => {
  it('has at least 200 requests', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it('answers every request with the documented status and a JSON error, never a 5xx', async () => {
    const failures: string[] = [];
    for (const c of cases) {
      let res: Response;
      try {
        res = await call(c.path, c.init);
      } catch (err) {
        failures.push(`${c.name}: threw ${String(err)}`);
        continue;
      }
      const text = await res.text();
      if (res.status >= 500 || !c.expect.includes(res.status)) {
        failures.push(`${c.name}: ${res.status} ${text.slice(0, 160)}`);
        continue;
      }
      const hasBody = c.init.method !== 'HEAD' && ![204, 304].includes(res.status);
      if (res.status >= 400 && hasBody) {
        const isJson = (res.headers.get('content-type') ?? '').startsWith('application/json');
        if (!isJson) failures.push(`${c.name}: ${res.status} without a JSON body`);
        else JSON.parse(text);
      }
    }
    expect(failures).toEqual([]);
    // Several hundred requests, one at a time: minutes on a loaded two-core machine.
  }, 600_000);

  it('stored nothing for the other shop, and nothing it should not have', async () => {
    const { results } = await env.DB.prepare('SELECT count(*) AS n FROM events WHERE shop_id = ?1')
      .bind(shopB.shopId)
      .all<{ n: number }>();
    expect(results[0]!.n).toBe(0);
    const webhook = await call(`/api/v1/webhooks/${webhookA}`, { headers: { authorization: `Bearer ${shopA.token}` } });
    expect(webhook.status).toBe(200);
    expect((await webhook.json<{ webhook: { enabled: boolean } }>()).webhook.enabled).toBe(true);
  });
});
