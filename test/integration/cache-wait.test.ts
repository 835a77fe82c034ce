import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { deleteCacheValue, setCacheValue } from '../../src/cache/cache';
import { call, callWithEnv, createShopWithApp, createWebhook, jsonInit, postWebhook } from '../helpers';
import { createTask } from '../task-helpers';

/** docs/contracts.md, "Waiting reads", `?wait=N` (issue 12, point 2). */

let shop: { shopId: string; token: string; domain: string };
let token: string;

beforeAll(async () => {
  // On shard 0: the tests below write and count the shop's values through `env.DB`.
  shop = await createShopWithApp({ shard: 0 });
  token = await prefixEndpoint('w/');
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function prefixEndpoint(prefix: string): Promise<string> {
  const res = await call('/api/v1/cache_endpoints', jsonInit('POST', shop.token, { key_prefix: prefix }));
  expect(res.status).toBe(201);
  return (await res.json<{ cache_endpoint: { token: string } }>()).cache_endpoint.token;
}

/** A write through the cache write path, as a task's cache action makes it. */
const write = (key: string, value: unknown, ttl = 300) => setCacheValue(writerEnv(), shop.shopId, key, value, ttl);

/**
 * The writer's D1, calling `prepare` as it was before any spy: the reads
 * counted below are the waiting readers', not the writer's check of its KV copy against D1.
 */
const unspied = { prepare: (Object.getPrototypeOf(env.DB) as D1Database).prepare };
function writerEnv(): Env {
  const db = new Proxy(env.DB, {
    get: (target, prop) =>
      prop === 'prepare'
        ? (sql: string) => unspied.prepare.call(target, sql)
        : (Reflect.get(target, prop) as (...a: unknown[]) => unknown).bind(target),
  });
  return { ...env, DB: db };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts KV and D1 reads made anywhere in this isolate (the Worker and the CacheWaiters object). */
function countReads(): { total: () => number } {
  const kvProto = Object.getPrototypeOf(env.KV) as KVNamespace;
  const dbProto = Object.getPrototypeOf(env.DB) as D1Database;
  const kvGet = vi.spyOn(kvProto, 'get');
  const kvMeta = vi.spyOn(kvProto, 'getWithMetadata');
  const prepare = vi.spyOn(dbProto, 'prepare');
  return {
    total: () =>
      kvGet.mock.calls.length +
      kvMeta.mock.calls.length +
      prepare.mock.calls.filter(([sql]) => /^\s*SELECT/i.test(sql)).length,
  };
}

describe('GET /cache/{token}/{suffix}?wait=N', () => {
  it.each(['0', '-1', '25.5', '26', 'abc', '', '1e1', 'Infinity', 'NaN', ' 1'])(
    'answers wait=%j with 400 and a JSON error',
    async (wait) => {
      const res = await call(`/cache/${token}/x?wait=${encodeURIComponent(wait)}`);
      expect(res.status).toBe(400);
      expect((await res.json<{ error: { code: string } }>()).error.code).toBe('invalid_wait');
    },
  );

  it('answers two wait parameters with 400', async () => {
    expect((await call(`/cache/${token}/x?wait=1&wait=2`)).status).toBe(400);
  });

  it('holds a missing key until it is written, and the write reaches the waiter within 50 ms', async () => {
    const pending = call(`/cache/${token}/held?wait=10`).then((res) => ({ res, at: Date.now() }));
    await sleep(300);
    await write('w/held', { quote: 42 });
    const writtenAt = Date.now();
    const { res, at } = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ quote: 42 });
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(at - writtenAt).toBeLessThan(50);
  });

  it('answers 404 with null once N seconds pass without a write', async () => {
    const started = Date.now();
    const res = await call(`/cache/${token}/never?wait=0.4`);
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('null');
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('answers at once when the value exists and If-None-Match does not match', async () => {
    await write('w/ready', 'ready');
    const started = Date.now();
    const res = await call(`/cache/${token}/ready?wait=10`);
    expect(await res.json()).toBe('ready');
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('with a matching If-None-Match, holds until the value changes', async () => {
    await write('w/changing', { v: 1 });
    const etag = (await call(`/cache/${token}/changing`)).headers.get('etag')!;
    const pending = call(`/cache/${token}/changing?wait=10`, { headers: { 'if-none-match': etag } });
    await sleep(200);
    await write('w/changing', { v: 1 }); // the same value again: still unchanged, keeps waiting
    await sleep(200);
    await write('w/changing', { v: 2 });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ v: 2 });
    expect(res.headers.get('etag')).not.toBe(etag);
  });

  it('with a matching If-None-Match and no change, answers 304 after N seconds', async () => {
    await write('w/still', 'same');
    const etag = (await call(`/cache/${token}/still`)).headers.get('etag')!;
    const started = Date.now();
    const res = await call(`/cache/${token}/still?wait=0.5`, { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(etag);
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
  });

  it('holds a matching If-None-Match also when this location has no KV copy (D1 decides), then 304', async () => {
    await write('w/no-copy', 'same');
    const etag = (await call(`/cache/${token}/no-copy`)).headers.get('etag')!;
    await env.KV.delete(`c:${shop.shopId}:w/no-copy`);
    const started = Date.now();
    const res = await call(`/cache/${token}/no-copy?wait=0.5`, { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
    expect(Date.now() - started).toBeGreaterThanOrEqual(490);
    await env.KV.delete(`c:${shop.shopId}:w/no-copy`);
    const pending = call(`/cache/${token}/no-copy?wait=10`, { headers: { 'if-none-match': etag } });
    await sleep(200);
    await write('w/no-copy', 'changed');
    expect(await (await pending).json()).toBe('changed');
  });

  it('a del answers a waiter holding a matching If-None-Match 404 with null', async () => {
    await write('w/deleted', 'soon gone');
    const etag = (await call(`/cache/${token}/deleted`)).headers.get('etag')!;
    const pending = call(`/cache/${token}/deleted?wait=10`, { headers: { 'if-none-match': etag } });
    await sleep(200);
    await deleteCacheValue(env, shop.shopId, 'w/deleted');
    const res = await pending;
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('null');
  });

  it('an expiry answers such a waiter 404 with null', async () => {
    await write('w/expiring', 'brief', 1);
    const etag = (await call(`/cache/${token}/expiring`)).headers.get('etag')!;
    const started = Date.now();
    const res = await call(`/cache/${token}/expiring?wait=10`, { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(404);
    expect(await res.text()).toBe('null');
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('makes at most 3 KV/D1 reads in a 5 s wait, with or without a write', async () => {
    await call(`/cache/${token}/warm`); // the endpoint config is memoised in the isolate, as in production
    let reads = countReads();
    const quiet = await call(`/cache/${token}/quiet?wait=5`);
    expect(quiet.status).toBe(404);
    expect(reads.total()).toBeLessThanOrEqual(3);

    vi.restoreAllMocks();
    reads = countReads();
    const pending = call(`/cache/${token}/written?wait=5`);
    await sleep(4_000);
    const beforeWrite = reads.total();
    await write('w/written', 'late');
    expect((await pending).status).toBe(200);
    expect(beforeWrite).toBeLessThanOrEqual(2);
    expect(reads.total()).toBeLessThanOrEqual(3);
  }, 15_000);

  it('waits on a single-key endpoint too', async () => {
    const res = await call('/api/v1/cache_endpoints', jsonInit('POST', shop.token, { key: 'single/one' }));
    const single = (await res.json<{ cache_endpoint: { token: string } }>()).cache_endpoint.token;
    const pending = call(`/cache/${single}?wait=10`);
    await sleep(200);
    await write('single/one', 1);
    expect(await (await pending).json()).toBe(1);
  });

  it('holds an unknown token and a bad suffix as long as a missing key, then 404', async () => {
    for (const path of [`/cache/${crypto.randomUUID()}/x?wait=0.3`, `/cache/${token}/a%20b?wait=0.3`]) {
      const started = Date.now();
      const res = await call(path);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('null');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    }
  });

  it('HEAD waits too and answers without a body', async () => {
    const pending = call(`/cache/${token}/head?wait=10`, { method: 'HEAD' });
    await sleep(200);
    await write('w/head', 'h');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});

describe('when the CacheWaiters object cannot be reached', () => {
  const unreachable = {
    idFromName: (name: string) => env.CACHE_WAITERS.idFromName(name),
    get: () => ({
      wait: () => Promise.reject(new Error('simulated: object unreachable')),
      notify: () => Promise.reject(new Error('simulated: object unreachable')),
    }),
  } as unknown as Env['CACHE_WAITERS'];

  it('a waiting read answers at once as without wait (never a 5xx)', async () => {
    const broken = { ...env, CACHE_WAITERS: unreachable };
    await setCacheValue(broken, shop.shopId, 'w/unreachable-set', 'stored anyway', 300); // a failed notification does not fail the write
    await env.KV.delete(`c:${shop.shopId}:w/unreachable-set`);
    const found = await callWithEnv(broken, `/cache/${token}/unreachable-set?wait=5`);
    expect(found.status).toBe(200);
    expect(await found.json()).toBe('stored anyway');
    const started = Date.now();
    const missing = await callWithEnv(broken, `/cache/${token}/unreachable-missing?wait=5`);
    expect(missing.status).toBe(404);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('?wait slots are shared fairly (issue 20, point 7)', () => {
  it('one client holds at most 20 waits of a shop; the 21st is a 429 with Retry-After, others still wait', async () => {
    const from = (ip: string) => ({ headers: { 'cf-connecting-ip': ip } });
    const held = Array.from({ length: 20 }, (_, i) => call(`/cache/${token}/slot-${i}?wait=5`, from('203.0.113.7')));
    await sleep(300);
    const refused = await call(`/cache/${token}/slot-extra?wait=5`, from('203.0.113.7'));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: { code: 'too_many_waits', message: expect.any(String) } });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    // Another client is unaffected: its wait is held and answered by the write.
    const other = call(`/cache/${token}/other-client?wait=5`, from('198.51.100.1'));
    await sleep(200);
    await write('w/other-client', 'mine');
    expect(await (await other).json()).toBe('mine');
    for (let i = 0; i < 20; i++) await write(`w/slot-${i}`, i);
    const answers = await Promise.all(held);
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    // Its slots freed, the first client may wait again.
    const again = call(`/cache/${token}/slot-again?wait=5`, from('203.0.113.7'));
    await sleep(200);
    await write('w/slot-again', 'ok');
    expect((await again).status).toBe(200);
  }, 20_000);
});

describe('the storefront loop: every caller reads its own result', () => {
  it('20 concurrent callers each receive the value written for their own x-request-id', async () => {
    const loop = await createShopWithApp({ cors_allow_all: true });
    const webhookId = await createWebhook(loop.token, { topic: 'user/quote/request' });
    await createTask(loop.token, {
      subscriptions: 'user/quote/request',
      script: `{% assign key = "quote/" | append: event.webhook_request_id %}{% action "cache", "setex", key, 300, event.data.n %}`,
    });
    const res = await call('/api/v1/cache_endpoints', jsonInit('POST', loop.token, { key_prefix: 'quote/' }));
    const ep = (await res.json<{ cache_endpoint: { token: string } }>()).cache_endpoint.token;
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const post = await postWebhook(webhookId, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ n }),
        });
        const requestId = post.headers.get('x-request-id')!;
        const read = await call(`/cache/${ep}/${requestId}?wait=10`);
        return { n, status: read.status, value: await read.json() };
      }),
    );
    for (const r of results) expect(r).toEqual({ n: r.n, status: 200, value: r.n });
  }, 30_000);
});
