import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/crypto';
import { corsKvKey, webhookKvKey } from '../../src/kv-keys';
import { shardOfShop } from '../shards';
import { ADMIN_TOKEN, call, createShopWithApp, createWebhook, jsonInit, postWebhook, waitForEvent } from '../helpers';

const errorOf = async (res: Response) =>
  (await res.json<{ error: { code: string; fields?: Record<string, string[]> } }>()).error;

describe('operator routes: shops and apps', () => {
  it('creates a shop (201) and publishes its CORS policy to KV', async () => {
    const res = await call(
      '/api/v1/shops',
      jsonInit('POST', ADMIN_TOKEN, { myshopify_domain: 'Alpha.myshopify.com', primary_domain: 'alpha.example.com' }),
    );
    expect(res.status).toBe(201);
    const { shop } = await res.json<{ shop: Record<string, unknown> }>();
    expect(shop).toMatchObject({
      myshopify_domain: 'alpha.myshopify.com',
      primary_domain: 'alpha.example.com',
      cors_allow_all: false,
    });
    expect(await env.KV.get(corsKvKey(shop['id'] as string), 'json')).toEqual({
      allowAll: false,
      origins: ['https://alpha.myshopify.com', 'https://alpha.example.com'],
    });
  });

  it('answers 409 for a myshopify domain that exists', async () => {
    const body = { myshopify_domain: 'twice.myshopify.com' };
    expect((await call('/api/v1/shops', jsonInit('POST', ADMIN_TOKEN, body))).status).toBe(201);
    const again = await call('/api/v1/shops', jsonInit('POST', ADMIN_TOKEN, body));
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe('conflict');
  });

  it('answers 422 naming each bad field, unknown fields included', async () => {
    const res = await call(
      '/api/v1/shops',
      jsonInit('POST', ADMIN_TOKEN, {
        myshopify_domain: 'example.com',
        primary_domain: 'not a host',
        cors_allow_all: 'yes',
        extra: 1,
      }),
    );
    expect(res.status).toBe(422);
    const error = await errorOf(res);
    expect(error.code).toBe('validation_failed');
    expect(Object.keys(error.fields!).sort()).toEqual([
      'cors_allow_all',
      'extra',
      'myshopify_domain',
      'primary_domain',
    ]);
    expect(error.fields!['extra']).toEqual(['is not a known field']);
  });

  it('answers 422 "is required" for a missing field', async () => {
    const res = await call('/api/v1/shops', jsonInit('POST', ADMIN_TOKEN, {}));
    expect(res.status).toBe(422);
    expect((await errorOf(res)).fields).toEqual({ myshopify_domain: ['is required'] });
  });

  it.each([
    ['malformed JSON', '{"myshopify_domain":'],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['a JSON string', '"shop"'],
  ])('answers 400 for %s', async (_label, body) => {
    const res = await call('/api/v1/shops', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('invalid_json');
  });

  it.each([
    ['no token', null],
    ['a wrong token', 'nope'],
    ['a malformed header', 'Basic abc'],
  ])('answers 401 with %s', async (_label, token) => {
    const headers: Record<string, string> = {};
    if (token === 'Basic abc') headers['authorization'] = token;
    else if (token !== null) headers['authorization'] = `Bearer ${token}`;
    const res = await call('/api/v1/shops', { headers });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await errorOf(res)).code).toBe('unauthorized');
  });

  it('answers 403 when an app token calls an operator route, and vice versa', async () => {
    const { token } = await createShopWithApp();
    expect((await call('/api/v1/shops', jsonInit('GET', token))).status).toBe(403);
    expect((await call('/api/v1/webhooks', jsonInit('GET', ADMIN_TOKEN))).status).toBe(403);
  });

  it('lists shops in pages with a cursor', async () => {
    for (let i = 0; i < 3; i++) await createShopWithApp();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const res = await call(`/api/v1/shops?limit=2${query}`, jsonInit('GET', ADMIN_TOKEN));
      expect(res.status).toBe(200);
      const page = await res.json<{ shops: { id: string }[]; next_cursor: string | null }>();
      expect(page.shops.length).toBeLessThanOrEqual(2);
      seen.push(...page.shops.map((s) => s.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBeGreaterThanOrEqual(3);
  });

  it.each(['0', '251', 'abc', '-1'])('answers 422 for limit=%s', async (limit) => {
    const res = await call(`/api/v1/shops?limit=${limit}`, jsonInit('GET', ADMIN_TOKEN));
    expect(res.status).toBe(422);
    expect((await errorOf(res)).fields).toHaveProperty('limit');
  });

  it('answers 422 for a cursor it did not issue', async () => {
    const res = await call('/api/v1/shops?cursor=!!', jsonInit('GET', ADMIN_TOKEN));
    expect(res.status).toBe(422);
    expect((await errorOf(res)).fields).toHaveProperty('cursor');
  });

  it('shows and changes a shop; an unknown shop is 404', async () => {
    const { shopId } = await createShopWithApp();
    const shown = await call(`/api/v1/shops/${shopId}`, jsonInit('GET', ADMIN_TOKEN));
    expect(shown.status).toBe(200);
    const patched = await call(
      `/api/v1/shops/${shopId}`,
      jsonInit('PATCH', ADMIN_TOKEN, { primary_domain: 'new.example.com' }),
    );
    expect(patched.status).toBe(200);
    expect((await patched.json<{ shop: { primary_domain: string } }>()).shop.primary_domain).toBe('new.example.com');
    const policy = await env.KV.get<{ origins: string[] }>(corsKvKey(shopId), 'json');
    expect(policy!.origins).toContain('https://new.example.com');

    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { primary_domain: null }],
    ] as const) {
      const res = await call(`/api/v1/shops/${crypto.randomUUID()}`, jsonInit(method, ADMIN_TOKEN, body));
      expect(res.status).toBe(404);
    }
  });

  it('creates an app whose token is shown once and stored only as its SHA-256 hash', async () => {
    const { shopId } = await createShopWithApp();
    const res = await call(
      `/api/v1/shops/${shopId}/apps`,
      jsonInit('POST', ADMIN_TOKEN, { name: 'Storefront', api_version: '2026-07' }),
    );
    expect(res.status).toBe(201);
    const { app, access_token } = await res.json<{ app: Record<string, unknown>; access_token: string }>();
    expect(access_token).toMatch(/^eh_[0-9a-f]{48}$/);
    expect(app).toMatchObject({ shop_id: shopId, name: 'Storefront', api_version: '2026-07' });
    expect(JSON.stringify(app)).not.toContain(access_token);

    const stored = await env.DB.prepare('SELECT token_hash FROM apps WHERE id = ?1')
      .bind(app['id'])
      .first<{ token_hash: string }>();
    expect(stored!.token_hash).toBe(await sha256Hex(access_token));
    const { results } = await env.DB.prepare('SELECT * FROM apps WHERE id = ?1').bind(app['id']).all();
    expect(JSON.stringify(results)).not.toContain(access_token);

    const list = await call(`/api/v1/shops/${shopId}/apps`, jsonInit('GET', ADMIN_TOKEN));
    expect(JSON.stringify(await list.json())).not.toContain(access_token);
  });

  it('defaults an app to the newest API version and refuses unknown ones with 422', async () => {
    const { shopId } = await createShopWithApp();
    const ok = await call(`/api/v1/shops/${shopId}/apps`, jsonInit('POST', ADMIN_TOKEN, { name: 'a' }));
    expect((await ok.json<{ app: { api_version: string } }>()).app.api_version).toBe('2026-10');
    const bad = await call(
      `/api/v1/shops/${shopId}/apps`,
      jsonInit('POST', ADMIN_TOKEN, { name: '', api_version: '2019-13' }),
    );
    expect(bad.status).toBe(422);
    expect(Object.keys((await errorOf(bad)).fields!).sort()).toEqual(['api_version', 'name']);
    const missing = await call(
      `/api/v1/shops/${crypto.randomUUID()}/apps`,
      jsonInit('POST', ADMIN_TOKEN, { name: 'x' }),
    );
    expect(missing.status).toBe(404);
  });

  it('lets an app read its own shop', async () => {
    const { shopId, token, appId } = await createShopWithApp();
    const res = await call('/api/v1/shop', jsonInit('GET', token));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ shop: { id: shopId }, app: { id: appId } });
  });
});

describe('app routes: webhooks', () => {
  it('creates a webhook (201) with its URL and writes the KV copy', async () => {
    const { shopId, token } = await createShopWithApp();
    const res = await call(
      '/api/v1/webhooks',
      jsonInit('POST', token, { name: 'Quote form', topic: 'user/quote.v2/request-sent_1' }),
    );
    expect(res.status).toBe(201);
    const { webhook } = await res.json<{ webhook: Record<string, unknown> }>();
    expect(webhook).toMatchObject({
      name: 'Quote form',
      topic: 'user/quote.v2/request-sent_1',
      data_mode: 'auto',
      enabled: true,
      url: `https://edgehook.test/webhooks/${webhook['id']}`,
    });
    expect(webhook['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await env.KV.get(webhookKvKey(webhook['id'] as string), 'json')).toEqual({
      shopId,
      topic: 'user/quote.v2/request-sent_1',
      mode: 'auto',
      enabled: true,
      shard: await shardOfShop(shopId),
    });
  });

  it.each([
    ['shop/quote/request', 'a domain other than user/'],
    ['user/quote', 'two parts'],
    ['user/quote/request/extra', 'four parts'],
    ['user/quo te/request', 'a space'],
    ['user//request', 'an empty part'],
    ['user/quote/réquest', 'a non-ASCII letter'],
  ])('refuses the topic %s (%s) with 422 on create', async (topic) => {
    const { token } = await createShopWithApp();
    const res = await call('/api/v1/webhooks', jsonInit('POST', token, { name: 'x', topic }));
    expect(res.status).toBe(422);
    expect((await errorOf(res)).fields).toHaveProperty('topic');
  });

  it('reports several bad fields together', async () => {
    const { token } = await createShopWithApp();
    const res = await call(
      '/api/v1/webhooks',
      jsonInit('POST', token, { name: ' ', topic: 'bad', data_mode: 'raw', enabled: 'no' }),
    );
    expect(res.status).toBe(422);
    expect(Object.keys((await errorOf(res)).fields!).sort()).toEqual(['data_mode', 'enabled', 'name', 'topic']);
  });

  it('lists, shows, updates, disables and deletes, keeping KV in step', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token, { name: 'one' });
    await createWebhook(token, { name: 'two' });

    const list = await call('/api/v1/webhooks', jsonInit('GET', token));
    expect((await list.json<{ webhooks: { name: string }[] }>()).webhooks.map((w) => w.name)).toEqual(['one', 'two']);

    const shown = await call(`/api/v1/webhooks/${id}`, jsonInit('GET', token));
    expect((await shown.json<{ webhook: { name: string } }>()).webhook.name).toBe('one');

    const updated = await call(
      `/api/v1/webhooks/${id}`,
      jsonInit('PATCH', token, { topic: 'user/new/topic', data_mode: 'full' }),
    );
    expect(updated.status).toBe(200);
    expect(await env.KV.get(webhookKvKey(id), 'json')).toMatchObject({ topic: 'user/new/topic', mode: 'full' });

    const post = await postWebhook(id, { body: 'x' });
    expect((await waitForEvent(post.headers.get('x-request-id')!)).topic).toBe('user/new/topic');

    await call(`/api/v1/webhooks/${id}`, jsonInit('PATCH', token, { enabled: false }));
    expect(await env.KV.get(webhookKvKey(id), 'json')).toMatchObject({ enabled: false });

    const deleted = await call(`/api/v1/webhooks/${id}`, jsonInit('DELETE', token));
    expect(deleted.status).toBe(204);
    expect(await env.KV.get(webhookKvKey(id))).toBeNull();
    expect((await call(`/api/v1/webhooks/${id}`, jsonInit('GET', token))).status).toBe(404);
    expect((await call(`/api/v1/webhooks/${id}`, jsonInit('DELETE', token))).status).toBe(404);
  });

  it("answers 404 for another shop's webhook on every route, and changes nothing", async () => {
    const owner = await createShopWithApp();
    const other = await createShopWithApp();
    const id = await createWebhook(owner.token, { name: 'mine' });
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { name: 'stolen' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await call(`/api/v1/webhooks/${id}`, jsonInit(method, other.token, body));
      expect(res.status).toBe(404);
    }
    const list = await call('/api/v1/webhooks', jsonInit('GET', other.token));
    expect((await list.json<{ webhooks: unknown[] }>()).webhooks).toEqual([]);
    const mine = await call(`/api/v1/webhooks/${id}`, jsonInit('GET', owner.token));
    expect((await mine.json<{ webhook: { name: string } }>()).webhook.name).toBe('mine');
  });
});

describe('app routes: CORS settings', () => {
  it('shows settings and the effective policy; replaces origins (normalized) and writes KV', async () => {
    const { shopId, token, domain } = await createShopWithApp({ primary_domain: 'p.example.com' });
    const res = await call(
      '/api/v1/cors',
      jsonInit('PUT', token, { origins: ['https://A.example.com/', 'http://localhost:3000'] }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      cors: {
        allow_all: false,
        origins: ['http://localhost:3000', 'https://a.example.com'],
        effective: {
          allow_all: false,
          origins: [`https://${domain}`, 'https://p.example.com', 'http://localhost:3000', 'https://a.example.com'],
        },
      },
    });
    expect(await env.KV.get(corsKvKey(shopId), 'json')).toMatchObject({ allowAll: false });
    const shown = await call('/api/v1/cors', jsonInit('GET', token));
    expect((await shown.json<{ cors: { origins: string[] } }>()).cors.origins).toHaveLength(2);
  });

  it('refuses origins that are not scheme://host[:port], and "*" beside others, with 422', async () => {
    const { token } = await createShopWithApp();
    for (const origins of [['example.com'], ['https://x.com/path'], ['*', 'https://x.com'], 'https://x.com']) {
      const res = await call('/api/v1/cors', jsonInit('PUT', token, { origins }));
      expect(res.status).toBe(422);
      expect((await errorOf(res)).fields).toHaveProperty('origins');
    }
  });
});

describe('app routes: events', () => {
  async function postEvents(token: string) {
    const a = await createWebhook(token, { topic: 'user/a/x' });
    const b = await createWebhook(token, { topic: 'user/b/x' });
    const ids: string[] = [];
    for (const [webhook, n] of [
      [a, 1],
      [b, 2],
      [a, 3],
    ] as const) {
      const res = await postWebhook(webhook, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ n }),
      });
      ids.push((await waitForEvent(res.headers.get('x-request-id')!)).id);
    }
    return ids;
  }

  it('lists newest first, filters by topic, status and request id, pages with a cursor', async () => {
    const { token } = await createShopWithApp();
    const [first, second, third] = await postEvents(token);

    const all = await call('/api/v1/events', jsonInit('GET', token));
    const listed = await all.json<{ events: { id: string; data?: unknown }[] }>();
    expect(listed.events.map((e) => e.id)).toEqual([third, second, first]);
    expect(listed.events[0]).not.toHaveProperty('data');

    const withData = await call('/api/v1/events?include=data&limit=1', jsonInit('GET', token));
    const page1 = await withData.json<{ events: { id: string; data: unknown }[]; next_cursor: string }>();
    expect(page1.events).toEqual([expect.objectContaining({ id: third, data: { n: 3 } })]);
    const page2 = await call(`/api/v1/events?limit=1&cursor=${page1.next_cursor}`, jsonInit('GET', token));
    expect((await page2.json<{ events: { id: string }[] }>()).events.map((e) => e.id)).toEqual([second]);

    const byTopic = await call('/api/v1/events?topic=user/a/x', jsonInit('GET', token));
    expect((await byTopic.json<{ events: { id: string }[] }>()).events.map((e) => e.id)).toEqual([third, first]);

    const byStatus = await call('/api/v1/events?status=pending', jsonInit('GET', token));
    expect((await byStatus.json<{ events: unknown[] }>()).events).toEqual([]);

    const event = await (
      await call(`/api/v1/events/${second}`, jsonInit('GET', token))
    ).json<{ event: { webhook_request_id: string } }>();
    const byRequest = await call(
      `/api/v1/events?webhook_request_id=${event.event.webhook_request_id}`,
      jsonInit('GET', token),
    );
    expect((await byRequest.json<{ events: { id: string }[] }>()).events.map((e) => e.id)).toEqual([second]);
  });

  it('filters by creation time', async () => {
    const { token } = await createShopWithApp();
    const [first] = await postEvents(token);
    const event = await (
      await call(`/api/v1/events/${first}`, jsonInit('GET', token))
    ).json<{ event: { created_at: string } }>();
    const after = new Date(Date.parse(event.event.created_at) + 1).toISOString();
    const res = await call(`/api/v1/events?created_at_max=${event.event.created_at}`, jsonInit('GET', token));
    expect((await res.json<{ events: { id: string }[] }>()).events.map((e) => e.id)).toEqual([first]);
    const later = await call(`/api/v1/events?created_at_min=${after}`, jsonInit('GET', token));
    expect((await later.json<{ events: { id: string }[] }>()).events.map((e) => e.id)).not.toContain(first);
  });

  it('answers 422 for bad filters', async () => {
    const { token } = await createShopWithApp();
    const res = await call('/api/v1/events?status=lost&created_at_min=yesterday', jsonInit('GET', token));
    expect(res.status).toBe(422);
    expect(Object.keys((await errorOf(res)).fields!).sort()).toEqual(['created_at_min', 'status']);
  });

  it("never shows another shop's events", async () => {
    const owner = await createShopWithApp();
    const other = await createShopWithApp();
    const [id] = await postEvents(owner.token);
    expect((await call(`/api/v1/events/${id}`, jsonInit('GET', other.token))).status).toBe(404);
    const list = await call('/api/v1/events', jsonInit('GET', other.token));
    expect((await list.json<{ events: unknown[] }>()).events).toEqual([]);
  });
});

describe('routing', () => {
  it('answers other methods on management paths with 405 and Allow', async () => {
    const cases: [string, string, string][] = [
      ['DELETE', '/api/v1/shops', 'GET, POST'],
      ['PUT', '/api/v1/webhooks/x', 'GET, PATCH, DELETE'],
      ['POST', '/api/v1/events', 'GET'],
      ['DELETE', '/api/v1/cors', 'GET, PUT'],
    ];
    for (const [method, path, allow] of cases) {
      const res = await call(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe(allow);
    }
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await call('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope.' } });
  });
});
