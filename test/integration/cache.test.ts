import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { clearCacheEndpointMemo } from '../../src/cache/endpoints';
import { MAX_CACHE_TTL_SECONDS } from '../../src/env';
import { cacheEndpointKvKey, cacheEntryKvKey } from '../../src/kv-keys';
import { runMaintenance } from '../../src/pipeline/maintenance';
import { call, createShopWithApp, jsonInit } from '../helpers';
import { dbOfShop, shardOfShop } from '../shards';
import { createCacheEndpoint } from '../task-helpers';

let shop: { shopId: string; token: string; domain: string };
let other: { shopId: string; token: string };

beforeAll(async () => {
  shop = await createShopWithApp({ primary_domain: 'store.example.com' });
  other = await createShopWithApp();
});

const putKey = (key: string, body: unknown, token = shop.token) =>
  call(`/api/v1/cache/${key}`, jsonInit('PUT', token, body));

describe('cache endpoints management', () => {
  it('creates an endpoint and returns its URL; lists, shows and deletes it', async () => {
    const res = await call('/api/v1/cache_endpoints', jsonInit('POST', shop.token, { key: 'results/latest' }));
    expect(res.status).toBe(201);
    const { cache_endpoint: ep } = await res.json<{ cache_endpoint: { token: string; url: string; key: string } }>();
    expect(ep.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ep.url).toBe(`https://edgehook.test/cache/${ep.token}`);
    expect(ep.key).toBe('results/latest');

    const list = await call('/api/v1/cache_endpoints', jsonInit('GET', shop.token));
    expect((await list.json<{ cache_endpoints: { token: string }[] }>()).cache_endpoints.map((e) => e.token)).toContain(
      ep.token,
    );
    expect((await call(`/api/v1/cache_endpoints/${ep.token}`, jsonInit('GET', other.token))).status).toBe(404);
    expect((await call(`/api/v1/cache_endpoints/${ep.token}`, jsonInit('GET', shop.token))).status).toBe(200);
    expect((await call(`/api/v1/cache_endpoints/${ep.token}`, jsonInit('DELETE', shop.token))).status).toBe(204);
    expect((await call(`/cache/${ep.token}`)).status).toBe(404);
  });

  it('rejects a key outside the cache key rules', async () => {
    const res = await call('/api/v1/cache_endpoints', jsonInit('POST', shop.token, { key: 'has space' }));
    expect(res.status).toBe(422);
    expect((await res.json<{ error: { fields: Record<string, string[]> } }>()).error.fields['key']).toBeDefined();
  });
});

describe('cache keys through the management API', () => {
  it('sets, reads and deletes a key; another shop does not see it', async () => {
    const put = await putKey('greeting', { value: { text: 'hello' }, ttl: 120 });
    expect(put.status).toBe(200);
    const body = await put.json<{ value: unknown; expires_at: string }>();
    expect(body.value).toEqual({ text: 'hello' });
    expect(Date.parse(body.expires_at) - Date.now()).toBeGreaterThan(100_000);
    expect(Date.parse(body.expires_at) - Date.now()).toBeLessThanOrEqual(120_000);

    const get = await call('/api/v1/cache/greeting', jsonInit('GET', shop.token));
    expect(await get.json()).toMatchObject({ key: 'greeting', value: { text: 'hello' } });
    expect((await call('/api/v1/cache/greeting', jsonInit('GET', other.token))).status).toBe(404);
    expect((await call('/api/v1/cache/greeting', jsonInit('DELETE', shop.token))).status).toBe(204);
    expect((await call('/api/v1/cache/greeting', jsonInit('GET', shop.token))).status).toBe(404);
    expect((await call('/api/v1/cache/greeting', jsonInit('DELETE', shop.token))).status).toBe(404);
  });

  it('defaults the TTL to 60 days and refuses more', async () => {
    const put = await putKey('long', { value: 1 });
    const { expires_at } = await put.json<{ expires_at: string }>();
    expect(Math.round((Date.parse(expires_at) - Date.now()) / 1000)).toBeGreaterThan(MAX_CACHE_TTL_SECONDS - 5);
    expect((await putKey('long', { value: 1, ttl: MAX_CACHE_TTL_SECONDS + 1 })).status).toBe(422);
  });

  it('accepts keys with slashes, colons and dots', async () => {
    expect((await putKey('a/b:c.d-e_f', { value: 'x' })).status).toBe(200);
    const get = await call('/api/v1/cache/a/b:c.d-e_f', jsonInit('GET', shop.token));
    expect((await get.json<{ value: unknown }>()).value).toBe('x');
  });

  it('rejects a value over 256 KB', async () => {
    const res = await call('/api/v1/cache/big', { ...jsonInit('PUT', shop.token, { value: 'x'.repeat(262_145) }) });
    expect([413, 422]).toContain(res.status);
  });
});

describe('GET /cache/{token}', () => {
  it('serves the value as JSON with an ETag, no-cache, and 304 for a matching If-None-Match', async () => {
    const ep = await createCacheEndpoint(shop.token, 'served');
    await putKey('served', { value: { n: 1, list: ['a'] } });
    const res = await call(`/cache/${ep.token}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.json()).toEqual({ n: 1, list: ['a'] });
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);

    const again = await call(`/cache/${ep.token}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await again.text()).toBe('');
    const weak = await call(`/cache/${ep.token}`, { headers: { 'if-none-match': `"x", W/${etag}` } });
    expect(weak.status).toBe(304);

    await putKey('served', { value: { n: 2 } });
    const changed = await call(`/cache/${ep.token}`, { headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('HEAD answers like GET without a body', async () => {
    const ep = await createCacheEndpoint(shop.token, 'head-key');
    await putKey('head-key', { value: 'v' });
    const res = await call(`/cache/${ep.token}`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toMatch(/^"/);
    expect(await res.text()).toBe('');
    const missing = await call(`/cache/${crypto.randomUUID()}`, { method: 'HEAD' });
    expect(missing.status).toBe(404);
  });

  it('answers 404 with body null for an unknown token, a malformed one and a missing key alike', async () => {
    const ep = await createCacheEndpoint(shop.token, 'never-set');
    for (const token of [crypto.randomUUID(), 'not-a-uuid', ep.token]) {
      const res = await call(`/cache/${token}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.text()).toBe('null');
    }
  });

  it('never serves an expired entry, even when KV still holds its copy', async () => {
    const ep = await createCacheEndpoint(shop.token, 'expired');
    const past = new Date(Date.now() - 1_000).toISOString();
    const db = await dbOfShop(shop.shopId);
    await db
      .prepare(
        `INSERT INTO cache_entries (shop_id, key, value, expires_at, updated_at) VALUES (?1, 'expired', '"old"', ?2, ?2)`,
      )
      .bind(shop.shopId, past)
      .run();
    await env.KV.put(cacheEntryKvKey(shop.shopId, 'expired'), '"old"', {
      expirationTtl: 60,
      metadata: { expiresAt: Date.now() - 1_000 },
    });
    const res = await call(`/cache/${ep.token}`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('null');
    const api = await call('/api/v1/cache/expired', jsonInit('GET', shop.token));
    expect(api.status).toBe(404);
  });

  it('the cron job deletes expired entries from D1 and keeps live ones', async () => {
    const past = new Date(Date.now() - 1_000).toISOString();
    const db = await dbOfShop(shop.shopId);
    await db
      .prepare(
        `INSERT INTO cache_entries (shop_id, key, value, expires_at, updated_at) VALUES (?1, 'swept', '1', ?2, ?2)`,
      )
      .bind(shop.shopId, past)
      .run();
    await putKey('kept-by-sweep', { value: 1, ttl: 60 });
    await runMaintenance(env, Date.now());
    const rows = await db
      .prepare(`SELECT key FROM cache_entries WHERE shop_id = ?1 AND key IN ('swept', 'kept-by-sweep')`)
      .bind(shop.shopId)
      .all<{ key: string }>();
    expect(rows.results.map((r) => r.key)).toEqual(['kept-by-sweep']);
  });

  it('reads D1 when KV has no copy (value and endpoint), and repairs KV', async () => {
    const ep = await createCacheEndpoint(shop.token, 'kv-miss');
    const shard = await shardOfShop(shop.shopId);
    await putKey('kv-miss', { value: 'from d1' });
    await env.KV.delete(cacheEntryKvKey(shop.shopId, 'kv-miss'));
    await env.KV.delete(cacheEndpointKvKey(ep.token));
    clearCacheEndpointMemo();
    const res = await call(`/cache/${ep.token}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toBe('from d1');
    await expect.poll(() => env.KV.get(cacheEntryKvKey(shop.shopId, 'kv-miss'))).toBe('"from d1"');
    await expect
      .poll(() => env.KV.get(cacheEndpointKvKey(ep.token), 'json'))
      .toEqual({ shopId: shop.shopId, key: 'kv-miss', kind: 'key', shard });
  });

  it('serves the KV copy when it is live', async () => {
    const ep = await createCacheEndpoint(shop.token, 'kv-only');
    await env.KV.put(cacheEntryKvKey(shop.shopId, 'kv-only'), '"edge"', {
      expirationTtl: 60,
      metadata: { expiresAt: Date.now() + 60_000 },
    });
    expect(await (await call(`/cache/${ep.token}`)).json()).toBe('edge');
  });

  it('applies the shop’s CORS policy to reads and preflights', async () => {
    const ep = await createCacheEndpoint(shop.token, 'cors');
    await putKey('cors', { value: 1 });
    const allowed = await call(`/cache/${ep.token}`, { headers: { origin: 'https://store.example.com' } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://store.example.com');
    expect(allowed.headers.get('access-control-expose-headers')).toBe('etag');

    const denied = await call(`/cache/${ep.token}`, { headers: { origin: 'https://evil.example' } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await call(`/cache/${ep.token}`, {
      method: 'OPTIONS',
      headers: { origin: `https://${shop.domain}`, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');
    const badPreflight = await call(`/cache/${ep.token}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(badPreflight.status).toBe(403);
  });

  it('answers other methods with 405 and Allow', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await call(`/cache/${crypto.randomUUID()}`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    }
  });
});
