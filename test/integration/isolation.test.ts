import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, call, createShopWithApp, createWebhook, jsonInit, postWebhook, waitForEvent } from '../helpers';
import { createCacheEndpoint, createTask } from '../task-helpers';

// One shop's tokens and one app's tokens cannot read or change another's data, on every route;
// secrets are stored hashed or encrypted and never come back after creation, nor reach the logs;
// CORS never reflects a disallowed origin and never allows credentials.

type Shop = Awaited<ReturnType<typeof createShopWithApp>>;
let a: Shop; // the owner
let b: Shop; // another shop
let a2: { token: string; appId: string; signingSecret: string }; // another app of the owner's shop
const ids: Record<string, string> = {};

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const shopify = (token: string) => ({ 'x-shopify-access-token': token, 'content-type': 'application/json' });

beforeAll(async () => {
  a = await createShopWithApp();
  b = await createShopWithApp();
  const res = await call(`/api/v1/shops/${a.shopId}/apps`, jsonInit('POST', ADMIN_TOKEN, { name: 'second app' }));
  const second = await res.json<{ app: { id: string }; access_token: string; signing_secret: string }>();
  a2 = { token: second.access_token, appId: second.app.id, signingSecret: second.signing_secret };

  ids.webhook = await createWebhook(a.token, { topic: 'user/iso/submit' });
  ids.task = await createTask(a.token, {
    subscriptions: 'user/iso/submit',
    script: '{% action "cache", "set", "iso", 1 %}',
  });
  ids.endpoint = (await createCacheEndpoint(a.token, 'iso')).token;
  await call('/api/v1/cache/iso', jsonInit('PUT', a.token, { value: 'secret-value' }));
  const post = await postWebhook(ids.webhook, { headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
  ids.event = (await waitForEvent(post.headers.get('x-request-id')!)).id;
  const sub = await call('/admin/api/2026-10/webhooks.json', {
    method: 'POST',
    headers: shopify(a.token),
    body: JSON.stringify({ webhook: { topic: 'orders/create', address: 'https://example.com/iso' } }),
  });
  ids.subscription = String((await sub.json<{ webhook: { id: number } }>()).webhook.id);
  const secrets = await (
    await call('/api/v1/app/signing-secrets', { headers: bearer(a.token) })
  ).json<{ signing_secrets: { id: string }[] }>();
  ids.secret = secrets.signing_secrets[0]!.id;
  // A delivery of the owner's app, so the deliveries routes have something to hide.
  const now = new Date().toISOString();
  ids.delivery = crypto.randomUUID();
  await env.DB.prepare(
    `INSERT INTO deliveries (id, subscription_id, event_id, shop_id, app_id, address, topic, format, fields, api_version, status, attempts, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, 'https://example.com/iso', 'orders/create', 'json', '[]', '2026-10', 'failed', 1, ?6, ?6)`,
  )
    .bind(ids.delivery, Number(ids.subscription), ids.event, a.shopId, a.appId, now)
    .run();
});

/** Requests that read or change one of the owner's things, by scope. */
function shopScoped(): [string, string, RequestInit?][] {
  return [
    ['GET', `/api/v1/webhooks/${ids.webhook}`],
    ['PATCH', `/api/v1/webhooks/${ids.webhook}`, { body: '{"enabled":false}' }],
    ['DELETE', `/api/v1/webhooks/${ids.webhook}`],
    ['GET', `/api/v1/events/${ids.event}`],
    ['GET', `/api/v1/events/${ids.event}/task_runs`],
    ['GET', `/api/v1/tasks/${ids.task}`],
    ['PATCH', `/api/v1/tasks/${ids.task}`, { body: '{"name":"stolen"}' }],
    ['DELETE', `/api/v1/tasks/${ids.task}`],
    ['POST', `/api/v1/tasks/${ids.task}/disable`],
    ['POST', `/api/v1/tasks/${ids.task}/preview`, { body: '{"event":{"topic":"user/iso/submit","data":{}}}' }],
    ['GET', `/api/v1/cache_endpoints/${ids.endpoint}`],
    ['DELETE', `/api/v1/cache_endpoints/${ids.endpoint}`],
  ];
}
function appScoped(): [string, string, RequestInit?][] {
  return [
    ['GET', `/api/v1/deliveries/${ids.delivery}`],
    ['POST', `/api/v1/deliveries/${ids.delivery}/retry`],
    ['POST', `/api/v1/subscriptions/${ids.subscription}/replay`, { body: '{"since":"2020-01-01T00:00:00Z"}' }],
    ['DELETE', `/api/v1/app/signing-secrets/${ids.secret}`],
  ];
}
function shopifyScoped(): [string, string, RequestInit?][] {
  return [
    ['GET', `/admin/api/2026-10/webhooks/${ids.subscription}.json`],
    [
      'PUT',
      `/admin/api/2026-10/webhooks/${ids.subscription}.json`,
      { body: '{"webhook":{"address":"https://example.com/stolen"}}' },
    ],
    ['DELETE', `/admin/api/2026-10/webhooks/${ids.subscription}.json`],
  ];
}

async function expectNotFound(headers: Record<string, string>, requests: [string, string, RequestInit?][]) {
  for (const [method, path, init] of requests) {
    const res = await call(path, { method, ...init, headers: { 'content-type': 'application/json', ...headers } });
    expect(res.status, `${method} ${path}`).toBe(404);
  }
}

describe('isolation', () => {
  it("another shop's app token finds none of the owner's things, on every route (404)", async () => {
    await expectNotFound(bearer(b.token), [...shopScoped(), ...appScoped()]);
    await expectNotFound(shopify(b.token), shopifyScoped());
  });

  it("another app of the same shop shares the shop's webhooks, tasks and cache but not the app's subscriptions, deliveries or secrets", async () => {
    await expectNotFound(bearer(a2.token), appScoped());
    await expectNotFound(shopify(a2.token), shopifyScoped());
    expect((await call(`/api/v1/tasks/${ids.task}`, { headers: bearer(a2.token) })).status).toBe(200);
  });

  it("lists never include another shop's or app's items", async () => {
    for (const [path, key] of [
      ['/api/v1/webhooks', 'webhooks'],
      ['/api/v1/events', 'events'],
      ['/api/v1/tasks', 'tasks'],
      ['/api/v1/cache_endpoints', 'cache_endpoints'],
      ['/api/v1/deliveries', 'deliveries'],
    ] as const) {
      const res = await call(path, { headers: bearer(b.token) });
      expect(res.status, path).toBe(200);
      expect((await res.json<Record<string, unknown[]>>())[key], path).toEqual([]);
    }
    const count = await call('/admin/api/2026-10/webhooks/count.json', { headers: shopify(b.token) });
    expect(await count.json()).toEqual({ count: 0 });
    const list = await call('/admin/api/2026-10/webhooks.json', { headers: shopify(a2.token) });
    expect(await list.json()).toEqual({ webhooks: [] });
    expect((await call('/api/v1/cache/iso', { headers: bearer(b.token) })).status).toBe(404);
    const own = await (await call('/api/v1/shop', { headers: bearer(b.token) })).json<{ shop: { id: string } }>();
    expect(own.shop.id).toBe(b.shopId);
  });

  it("an app token cannot reach operator routes, and cannot change another shop's settings", async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/shops', undefined],
      ['GET', `/api/v1/shops/${a.shopId}`, undefined],
      ['PATCH', `/api/v1/shops/${a.shopId}`, { cors_allow_all: true }],
      ['POST', `/api/v1/shops/${a.shopId}/apps`, { name: 'x' }],
    ] as const) {
      expect((await call(path, jsonInit(method, b.token, body))).status, `${method} ${path}`).toBe(403);
    }
    await call('/api/v1/cors', jsonInit('PUT', b.token, { allow_all: true }));
    const cors = await (
      await call('/api/v1/cors', { headers: bearer(a.token) })
    ).json<{ cors: { allow_all: boolean } }>();
    expect(cors.cors.allow_all).toBe(false);
  });

  it("left every one of the owner's things unchanged", async () => {
    const webhook = await (
      await call(`/api/v1/webhooks/${ids.webhook}`, { headers: bearer(a.token) })
    ).json<{ webhook: { enabled: boolean } }>();
    expect(webhook.webhook.enabled).toBe(true);
    const task = await (
      await call(`/api/v1/tasks/${ids.task}`, { headers: bearer(a.token) })
    ).json<{ task: { name: string; enabled: boolean } }>();
    expect(task.task).toMatchObject({ name: 'task', enabled: true });
    expect((await call(`/cache/${ids.endpoint}`)).status).toBe(200);
    const sub = await call(`/admin/api/2026-10/webhooks/${ids.subscription}.json`, { headers: shopify(a.token) });
    expect((await sub.json<{ webhook: { address: string } }>()).webhook.address).toBe('https://example.com/iso');
  });
});

describe('secrets', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stores tokens only as hashes and secrets only encrypted', async () => {
    const apps = await env.DB.prepare('SELECT token_hash FROM apps WHERE id IN (?1, ?2)')
      .bind(a.appId, a2.appId)
      .all<{ token_hash: string }>();
    for (const row of apps.results) expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const dump = JSON.stringify(
      (await env.DB.prepare('SELECT * FROM apps').all()).results.concat(
        (await env.DB.prepare('SELECT * FROM app_signing_secrets').all()).results,
        (await env.DB.prepare('SELECT * FROM shops').all()).results,
      ),
    );
    for (const secret of [a.token, a2.token, a.signingSecret, a2.signingSecret]) {
      expect(dump).not.toContain(secret);
      expect(dump).not.toContain(secret.replace(/^whsec_/, ''));
    }
  });

  it('never shows a token or secret again after creation, and never logs one', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    const shopifySecret = 'shpss_isolation_test_secret';
    const bodies: string[] = [];
    const read = async (path: string, init: RequestInit = {}) => bodies.push(await (await call(path, init)).text());
    await read(`/api/v1/shops/${a.shopId}`, jsonInit('PATCH', ADMIN_TOKEN, { shopify_client_secret: shopifySecret }));
    await read(`/api/v1/shops/${a.shopId}`, { headers: bearer(ADMIN_TOKEN) });
    await read(`/api/v1/shops/${a.shopId}/apps`, { headers: bearer(ADMIN_TOKEN) });
    await read('/api/v1/shops', { headers: bearer(ADMIN_TOKEN) });
    await read('/api/v1/shop', { headers: bearer(a.token) });
    await read('/api/v1/app/signing-secrets', { headers: bearer(a.token) });
    // Failures that log: a wrong inbound signature, a wrong token, a bad body.
    await read('/shopify/webhooks', {
      method: 'POST',
      headers: {
        'x-shopify-shop-domain': a.domain,
        'x-shopify-hmac-sha256': 'AAAA',
        'x-shopify-topic': 'orders/create',
      },
      body: '{}',
    });
    await read('/api/v1/webhooks', { headers: bearer(`${a.token}x`) });
    await read('/api/v1/tasks', {
      method: 'POST',
      headers: { ...bearer(a.token), 'content-type': 'application/json' },
      body: '{',
    });
    const everything = bodies.join('\n') + '\n' + lines.join('\n');
    for (const secret of [a.token, a2.token, a.signingSecret, a2.signingSecret, shopifySecret, ADMIN_TOKEN]) {
      expect(everything).not.toContain(secret);
    }
    expect(bodies[0]).toContain('"shopify_client_secret_set":true');
  });
});

describe('CORS', () => {
  const EVIL = 'https://evil.example';

  it('never reflects a disallowed origin and never allows credentials, on any public route', async () => {
    const requests: [string, RequestInit][] = [
      [`/webhooks/${ids.webhook}`, { method: 'POST', body: 'a=1' }],
      [`/webhooks/${ids.webhook}`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST' } }],
      // (An unknown webhook id answers as an allow-all webhook would, by spec, so ids stay secret.)
      [`/cache/${ids.endpoint}`, { method: 'GET' }],
      [`/cache/${ids.endpoint}`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } }],
      ['/api/v1/webhooks', { method: 'GET', headers: bearer(a.token) }],
      ['/admin/api/2026-10/webhooks.json', { method: 'GET', headers: shopify(a.token) }],
      ['/shopify/webhooks', { method: 'POST', body: '{}' }],
    ];
    for (const [path, init] of requests) {
      const res = await call(path, { ...init, headers: { ...(init.headers as Record<string, string>), origin: EVIL } });
      const allowed = res.headers.get('access-control-allow-origin');
      expect(allowed, `${init.method} ${path}`).not.toBe(EVIL);
      expect(allowed, `${init.method} ${path}`).not.toBe('*');
      expect(res.headers.get('access-control-allow-credentials'), `${init.method} ${path}`).toBeNull();
    }
    // The owner's webhook refuses the origin outright, and stores nothing for it.
    const refused = await call(`/webhooks/${ids.webhook}`, { method: 'POST', headers: { origin: EVIL }, body: 'a=1' });
    expect(refused.status).toBe(403);
  });

  it('allows credentials only to an allowed origin, echoed exactly (docs/contracts.md, "CORS")', async () => {
    const origin = `https://${a.domain}`;
    for (const [path, init] of [
      [`/webhooks/${ids.webhook}`, { method: 'POST', body: 'a=1' }],
      [`/webhooks/${ids.webhook}`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'POST' } }],
      [`/cache/${ids.endpoint}`, { method: 'GET' }],
    ] as [string, RequestInit][]) {
      const res = await call(path, { ...init, headers: { ...(init.headers as Record<string, string>), origin } });
      expect(res.headers.get('access-control-allow-origin'), path).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials'), path).toBe('true');
    }
  });
});
