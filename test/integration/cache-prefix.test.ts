import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { clearCacheEndpointMemo } from '../../src/cache/endpoints';
import { cacheEndpointKvKey, cacheEntryKvKey } from '../../src/kv-keys';
import { call, createShopWithApp, jsonInit } from '../helpers';
import { shardOfShop } from '../shards';

/** docs/contracts.md, "Cache endpoints": prefix endpoints (issue 12, point 1). */

interface ApiEndpoint {
  token: string;
  kind: string;
  key?: string;
  key_prefix?: string;
  url?: string;
  url_template?: string;
}

let shop: { shopId: string; token: string; domain: string };
let prefix: ApiEndpoint;

beforeAll(async () => {
  shop = await createShopWithApp({ primary_domain: 'store.example.com' });
  prefix = await create({ key_prefix: 'quote/' });
});

async function create(body: Record<string, unknown>): Promise<ApiEndpoint> {
  const res = await call('/api/v1/cache_endpoints', jsonInit('POST', shop.token, body));
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json<{ cache_endpoint: ApiEndpoint }>()).cache_endpoint;
}

const putKey = (key: string, value: unknown) => call(`/api/v1/cache/${key}`, jsonInit('PUT', shop.token, { value }));

describe('POST /api/v1/cache_endpoints with key_prefix', () => {
  it('creates a prefix endpoint and shows its kind and URL template', async () => {
    expect(prefix.kind).toBe('prefix');
    expect(prefix.key_prefix).toBe('quote/');
    expect(prefix.url_template).toBe(`https://edgehook.test/cache/${prefix.token}/{suffix}`);
    expect(prefix).not.toHaveProperty('url');
    expect(prefix).not.toHaveProperty('key');
    const single = await create({ key: 'latest' });
    expect(single).toMatchObject({ kind: 'key', key: 'latest', url: `https://edgehook.test/cache/${single.token}` });

    const list = await call('/api/v1/cache_endpoints', jsonInit('GET', shop.token));
    const listed = (await list.json<{ cache_endpoints: ApiEndpoint[] }>()).cache_endpoints;
    expect(listed.find((e) => e.token === prefix.token)).toMatchObject({ kind: 'prefix', key_prefix: 'quote/' });
    const shown = await call(`/api/v1/cache_endpoints/${prefix.token}`, jsonInit('GET', shop.token));
    expect((await shown.json<{ cache_endpoint: ApiEndpoint }>()).cache_endpoint.url_template).toBe(prefix.url_template);
  });

  it.each([
    ['both key and key_prefix', { key: 'a', key_prefix: 'b/' }],
    ['neither', {}],
    ['an empty prefix', { key_prefix: '' }],
    ['a prefix outside the key rules', { key_prefix: 'has space/' }],
  ])('refuses %s with 422', async (_, body) => {
    const res = await call('/api/v1/cache_endpoints', jsonInit('POST', shop.token, body));
    expect(res.status).toBe(422);
  });
});

describe('GET|HEAD /cache/{token}/{suffix}', () => {
  it('serves key_prefix + suffix with ETag, no-cache and 304', async () => {
    await putKey('quote/req-1', { total: 12 });
    await putKey('quote/req-2', { total: 99 });
    const res = await call(`/cache/${prefix.token}/req-1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.json()).toEqual({ total: 12 });
    expect(await (await call(`/cache/${prefix.token}/req-2`)).json()).toEqual({ total: 99 });
    const etag = res.headers.get('etag')!;
    const again = await call(`/cache/${prefix.token}/req-1`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const head = await call(`/cache/${prefix.token}/req-1`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(etag);
    expect(await head.text()).toBe('');
  });

  it('accepts every suffix character of the spec, up to 128 characters', async () => {
    const suffix = 'Az09_.:-'.repeat(16);
    expect(suffix).toHaveLength(128);
    await putKey(`quote/${suffix}`, 'long');
    expect(await (await call(`/cache/${prefix.token}/${suffix}`)).json()).toBe('long');
  });

  it.each([
    ['129 characters', 'a'.repeat(129)],
    ['a single dot', '.'],
    ['an encoded slash', 'a%2Fb'],
    ['two segments', 'a/b'],
    ['a space', 'a%20b'],
    ['unicode', '%C3%A9'],
    ['a NUL', '%00'],
    ['SQL', "'%20OR%201=1"],
    ['nothing after the slash', ''],
  ])('answers a bad suffix (%s) like a missing key: 404 with null', async (_, suffix) => {
    const res = await call(`/cache/${prefix.token}/${suffix}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe('null');
  });

  it('answers /cache/{token} of a prefix endpoint and /cache/{token}/{suffix} of a single-key one like a missing key', async () => {
    await putKey('quote/', 'the bare prefix');
    await putKey('fixed', 'fixed value');
    const single = await create({ key: 'fixed' });
    for (const path of [`/cache/${prefix.token}`, `/cache/${single.token}/x`]) {
      const res = await call(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toBe('null');
    }
    expect(await (await call(`/cache/${single.token}`)).json()).toBe('fixed value');
  });

  it('reads D1 when KV has no copy of the value or of the endpoint', async () => {
    const shard = await shardOfShop(shop.shopId);
    await putKey('quote/kv-miss', 'from d1');
    await env.KV.delete(cacheEntryKvKey(shop.shopId, 'quote/kv-miss'));
    await env.KV.delete(cacheEndpointKvKey(prefix.token));
    clearCacheEndpointMemo();
    const res = await call(`/cache/${prefix.token}/kv-miss`);
    expect(await res.json()).toBe('from d1');
    await expect
      .poll(() => env.KV.get(cacheEndpointKvKey(prefix.token), 'json'))
      .toEqual({
        shopId: shop.shopId,
        key: 'quote/',
        kind: 'prefix',
        shard,
      });
  });

  it('reads an endpoint copy written before prefix endpoints (no kind) as a single-key endpoint', async () => {
    const old = await create({ key: 'legacy' });
    await putKey('legacy', 'old copy');
    await env.KV.put(cacheEndpointKvKey(old.token), JSON.stringify({ shopId: shop.shopId, key: 'legacy' }));
    clearCacheEndpointMemo();
    expect(await (await call(`/cache/${old.token}`)).json()).toBe('old copy');
  });

  it('applies CORS with credentials, preflights and 405 as single-key endpoints do', async () => {
    await putKey('quote/cors', 1);
    const origin = 'https://store.example.com';
    const res = await call(`/cache/${prefix.token}/cors`, { headers: { origin } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-expose-headers')).toBe('etag');

    const refused = await call(`/cache/${prefix.token}/cors`, { headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = await call(`/cache/${prefix.token}/cors`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET, HEAD, OPTIONS');

    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const wrong = await call(`/cache/${prefix.token}/cors`, { method });
      expect(wrong.status, method).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    }
  });

  it('another shop cannot see or delete the endpoint', async () => {
    const other = await createShopWithApp();
    expect((await call(`/api/v1/cache_endpoints/${prefix.token}`, jsonInit('GET', other.token))).status).toBe(404);
    expect((await call(`/api/v1/cache_endpoints/${prefix.token}`, jsonInit('DELETE', other.token))).status).toBe(404);
  });
});
