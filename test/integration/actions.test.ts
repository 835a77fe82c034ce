import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { parseCacheCommand } from '../../src/tasks/actions/cache';
import { performHttp } from '../../src/tasks/actions/http';
import { performAction } from '../../src/tasks/actions/perform';
import type { ActionContext } from '../../src/tasks/actions/types';
import { readCacheEntry } from '../../src/cache/cache';
import { HTTP_ACTION_MAX_BODY_BYTES, MAX_CACHE_TTL_SECONDS, MAX_EVENT_DEPTH } from '../../src/env';
import { cacheEntryKvKey } from '../../src/kv-keys';
import type { QueueMessage } from '../../src/queue/messages';

const SHOP = `shop-actions-${crypto.randomUUID()}`;
const receiver = `http://127.0.0.1:${inject('receiverPort')}`;

function ctx(overrides: Partial<ActionContext> = {}): ActionContext {
  return { env, shopId: SHOP, eventId: crypto.randomUUID(), depth: 0, ...overrides };
}

const cache = (options: unknown) => performAction(ctx(), 'cache', options);

async function stored(key: string) {
  const entry = await readCacheEntry(env, SHOP, key);
  return (
    entry && {
      value: JSON.parse(entry.valueJson) as unknown,
      ttl: Math.round((Date.parse(entry.expiresAt) - Date.now()) / 1000),
    }
  );
}

/** KV whose writes fail as an outage would. */
function brokenKv(): KVNamespace {
  return new Proxy(env.KV, {
    get(target, prop) {
      if (prop === 'put' || prop === 'delete') return () => Promise.reject(new Error('simulated: KV unavailable'));
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('cache action: the seven commands, positional and verbose', () => {
  it('set / setex store the value (D1, then the KV copy) and return it', async () => {
    expect(await cache(['set', 'k1', { a: 1 }])).toEqual({ ok: true, result: { a: 1 } });
    expect(await stored('k1')).toEqual({ value: { a: 1 }, ttl: MAX_CACHE_TTL_SECONDS });
    const kv = await env.KV.getWithMetadata<{ expiresAt: number }>(cacheEntryKvKey(SHOP, 'k1'), 'text');
    expect(kv.value).toBe('{"a":1}');
    expect(kv.metadata!.expiresAt).toBeGreaterThan(Date.now());

    expect(await cache(['setex', 'k2', 90, 'v'])).toEqual({ ok: true, result: 'v' });
    expect(await stored('k2')).toEqual({ value: 'v', ttl: 90 });
    expect(await cache({ set: { key: 'k3', value: [1], ttl: 30 } })).toEqual({ ok: true, result: [1] });
    expect(await stored('k3')).toEqual({ value: [1], ttl: 30 });
    expect(await cache({ setex: { key: 'k4', ttl: 45, value: null } })).toEqual({ ok: true, result: null });
    expect(await stored('k4')).toEqual({ value: null, ttl: 45 });
  });

  it('incr / incrby / decr / decrby count from 0 and return the new number', async () => {
    expect(await cache(['incr', 'n'])).toEqual({ ok: true, result: 1 });
    expect(await cache(['incrby', 'n', 10])).toEqual({ ok: true, result: 11 });
    expect(await cache(['decr', 'n'])).toEqual({ ok: true, result: 10 });
    expect(await cache(['decrby', 'n', 4])).toEqual({ ok: true, result: 6 });
    expect(await cache({ incrby: { key: 'n', increment: 2 } })).toEqual({ ok: true, result: 8 });
    expect(await cache({ decrby: { key: 'n', decrement: 3, ttl: 100 } })).toEqual({ ok: true, result: 5 });
    expect(await cache({ incr: { key: 'n' } })).toEqual({ ok: true, result: 6 });
    expect(await cache({ decr: { key: 'fresh' } })).toEqual({ ok: true, result: -1 });
    expect(await env.KV.get(cacheEntryKvKey(SHOP, 'n'))).toBe('6');
  });

  it('every command resets the TTL (to the default when none is given)', async () => {
    await cache(['setex', 'ttl', 50, 1]);
    await cache(['incr', 'ttl']);
    expect(await stored('ttl')).toEqual({ value: 2, ttl: MAX_CACHE_TTL_SECONDS });
    await cache({ incr: { key: 'ttl', ttl: 70 } });
    expect(await stored('ttl')).toEqual({ value: 3, ttl: 70 });
  });

  it('a counter on an expired entry starts again from 0', async () => {
    const past = new Date(Date.now() - 1000).toISOString();
    await env.DB.prepare(
      `INSERT INTO cache_entries (shop_id, key, value, expires_at, updated_at) VALUES (?1, 'old', '41', ?2, ?2)`,
    )
      .bind(SHOP, past)
      .run();
    expect(await cache(['incr', 'old'])).toEqual({ ok: true, result: 1 });
  });

  it('counters are atomic under concurrency', async () => {
    await Promise.all(Array.from({ length: 25 }, () => cache(['incr', 'concurrent'])));
    expect((await stored('concurrent'))!.value).toBe(25);
  });

  it('del removes the key from D1 and KV and returns null', async () => {
    await cache(['set', 'gone', 1]);
    expect(await cache(['del', 'gone'])).toEqual({ ok: true, result: null });
    expect(await stored('gone')).toBeNull();
    expect(await env.KV.get(cacheEntryKvKey(SHOP, 'gone'))).toBeNull();
    expect(await cache({ del: { key: 'never-was' } })).toEqual({ ok: true, result: null });
  });

  it('bad options fail the action with a clear message and store nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [['push', 'k', 1], /unknown cache command "push"/],
      [['set', 'k'], /cache set takes 2 argument/],
      [['set', 'bad key!', 1], /may only hold letters/],
      [['set', 'x'.repeat(257), 1], /longer than 256/],
      [['set', 'big', 'x'.repeat(262_144)], /exceeds 262144 bytes/],
      [['setex', 'k', 0, 1], /ttl must be a whole number of seconds from 1 to 5184000/],
      [['setex', 'k', MAX_CACHE_TTL_SECONDS + 1, 1], /ttl must be/],
      [['incrby', 'k', 1.5], /whole number/],
      [{ setex: { key: 'k', value: 1 } }, /setex needs a ttl/],
      [{ set: { key: 'k', value: 1, extra: 2 } }, /does not take extra/],
      [{ set: 1, del: 2 }, /must be \[command, key/],
      ['set', /must be \[command, key/],
    ];
    for (const [options, message] of cases) {
      const outcome = await cache(options);
      expect(outcome, JSON.stringify(options).slice(0, 60)).toEqual({
        ok: false,
        transient: false,
        error: expect.stringMatching(message),
      });
    }
    expect(await stored('big')).toBeNull();
  });

  it('a KV copy that cannot be written is re-copied later by a cache-copy message naming only shop and key', async () => {
    const sent: unknown[] = [];
    const queue = {
      sendBatch: async (messages: MessageSendRequest[]) => void sent.push(...messages.map((m) => m.body)),
    };
    const outcome = await performAction(
      ctx({ env: { ...env, KV: brokenKv(), EVENTS: queue as unknown as Queue } }),
      'cache',
      ['set', 'kv-down', 1],
    );
    expect(outcome).toEqual({ ok: true, result: 1 });
    expect(sent).toEqual([{ kind: 'cache-copy', shopId: SHOP, key: 'kv-down' }]);
    expect((await stored('kv-down'))!.value).toBe(1);
  });

  it('a KV copy that neither KV nor the re-copy queue takes makes set a transient failure (redoing it is safe)', async () => {
    const queue = { sendBatch: () => Promise.reject(new Error('simulated: queue unavailable')) };
    const outcome = await performAction(
      ctx({ env: { ...env, KV: brokenKv(), EVENTS: queue as unknown as Queue } }),
      'cache',
      ['set', 'kv-down-2', 1],
    );
    expect(outcome).toEqual({ ok: false, transient: true, error: expect.stringMatching(/copy could not be written/) });
    expect((await stored('kv-down-2'))!.value).toBe(1);
  });

  it('incr on a value that is not an integer fails and leaves it alone', async () => {
    await cache(['set', 'text', 'abc']);
    expect(await cache(['incr', 'text'])).toEqual({
      ok: false,
      transient: false,
      error: expect.stringMatching(/not an integer/),
    });
    expect((await stored('text'))!.value).toBe('abc');
  });

  it('parseCacheCommand maps both forms to the same command', () => {
    expect(parseCacheCommand(['setex', 'k', 5, 'v'])).toEqual(
      parseCacheCommand({ setex: { key: 'k', ttl: 5, value: 'v' } }),
    );
    expect(parseCacheCommand(['incrby', 'k', 3])).toEqual(parseCacheCommand({ incrby: { key: 'k', increment: 3 } }));
  });
});

describe('event action', () => {
  /** An env whose events queue records what it is sent. */
  function recordingEnv() {
    const sent: { body: QueueMessage; delaySeconds: number | undefined }[] = [];
    const queue = {
      send: async (body: QueueMessage, options?: QueueSendOptions) =>
        void sent.push({ body, delaySeconds: options?.delaySeconds }),
      sendBatch: async () => {},
    } as unknown as Queue;
    return { testEnv: { ...env, EVENTS: queue } as Env, sent };
  }

  it('enqueues a child event whose parent is the current event and returns its id', async () => {
    const { testEnv, sent } = recordingEnv();
    const parent = crypto.randomUUID();
    const outcome = await performAction(ctx({ env: testEnv, eventId: parent }), 'event', {
      topic: 'user/child/made',
      data: { x: 1 },
    });
    expect(outcome.ok).toBe(true);
    const [message] = sent;
    expect(message!.body).toMatchObject({
      kind: 'event',
      event: {
        id: outcome.ok && outcome.result,
        topic: 'user/child/made',
        parentId: parent,
        source: 'task',
        shopId: SHOP,
        dataJson: '{"x":1}',
      },
    });
  });

  it('delays the child with run_at', async () => {
    const { testEnv, sent } = recordingEnv();
    const runAt = new Date(Date.now() + 600_000).toISOString();
    await performAction(ctx({ env: testEnv }), 'event', { topic: 'user/a/b', data: null, run_at: runAt });
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(599);
    expect(sent[0]!.delaySeconds).toBeLessThanOrEqual(600);
  });

  it('refuses run_at more than 12 hours ahead', async () => {
    const runAt = new Date(Date.now() + 13 * 3_600_000).toISOString();
    expect(await performAction(ctx(), 'event', { topic: 'user/a/b', data: 1, run_at: runAt })).toEqual({
      ok: false,
      transient: false,
      error: expect.stringMatching(/at most 43200 seconds ahead/),
    });
  });

  it('refuses topics outside user/*/* and bad options', async () => {
    for (const options of [
      { topic: 'shopify/orders/create', data: 1 },
      { topic: 'user/a', data: 1 },
      'x',
      { topic: 'user/a/b', extra: 1 },
    ]) {
      expect(await performAction(ctx(), 'event', options)).toMatchObject({ ok: false, transient: false });
    }
  });

  it(`fails once the chain would be deeper than ${MAX_EVENT_DEPTH} generations`, async () => {
    const { testEnv, sent } = recordingEnv();
    expect(
      await performAction(ctx({ env: testEnv, depth: MAX_EVENT_DEPTH - 1 }), 'event', { topic: 'user/a/b', data: 1 }),
    ).toMatchObject({ ok: true });
    expect(
      await performAction(ctx({ env: testEnv, depth: MAX_EVENT_DEPTH }), 'event', { topic: 'user/a/b', data: 1 }),
    ).toEqual({
      ok: false,
      transient: false,
      error: expect.stringMatching(/event chain too deep/),
    });
    expect(sent).toHaveLength(1);
  });
});

describe('http action (against a real local server)', () => {
  it('sends method, headers and a JSON body, and records status, headers and body', async () => {
    const outcome = await performAction(ctx(), 'http', {
      method: 'post',
      url: `${receiver}/hook`,
      headers: { 'x-custom': 'yes' },
      body: { hello: 'world' },
    });
    expect(outcome.ok).toBe(true);
    const result = (outcome as { result: { status: number; headers: Record<string, string>; body: string } }).result;
    expect(result.status).toBe(200);
    expect(result.headers['x-receiver']).toBe('yes');
    const seen = JSON.parse(result.body) as {
      method: string;
      path: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(seen).toMatchObject({ method: 'POST', path: '/hook', body: '{"hello":"world"}' });
    expect(seen.headers['x-custom']).toBe('yes');
    expect(seen.headers['content-type']).toBe('application/json');
  });

  it('sends a string body as is', async () => {
    const outcome = await performAction(ctx(), 'http', {
      method: 'PUT',
      url: `${receiver}/t`,
      body: 'a=1',
      headers: { 'content-type': 'text/plain' },
    });
    const seen = JSON.parse((outcome as { result: { body: string } }).result.body) as {
      body: string;
      headers: Record<string, string>;
    };
    expect(seen.body).toBe('a=1');
    expect(seen.headers['content-type']).toBe('text/plain');
  });

  it.each([
    ['a 100 MiB chunked answer', '/huge', 'a'],
    ['a gzip bomb (256 MiB of zeros)', '/gzip-bomb', '\0'],
  ])('reads at most 256 KiB of %s and records that it truncated', async (_, path, char) => {
    const outcome = await performAction(ctx(), 'http', { method: 'GET', url: `${receiver}${path}` });
    expect(outcome.ok).toBe(true);
    const result = (outcome as { result: { status: number; body: string; truncated?: boolean } }).result;
    expect(result.status).toBe(200);
    expect(result.truncated).toBe(true);
    expect(result.body).toBe(char.repeat(HTTP_ACTION_MAX_BODY_BYTES));
  });

  it('a 4xx answer succeeds with its status recorded; a 5xx is a transient failure', async () => {
    expect(await performAction(ctx(), 'http', { method: 'GET', url: `${receiver}/status/404` })).toMatchObject({
      ok: true,
      result: { status: 404 },
    });
    expect(await performAction(ctx(), 'http', { method: 'GET', url: `${receiver}/status/503` })).toEqual({
      ok: false,
      transient: true,
      error: expect.stringMatching(/^http 503/),
    });
  });

  it('a network error and a timeout are transient failures', async () => {
    expect(await performAction(ctx(), 'http', { method: 'GET', url: 'http://127.0.0.1:1/' })).toMatchObject({
      ok: false,
      transient: true,
    });
    expect(
      await performHttp({ method: 'GET', url: `${receiver}/slow` }, { allowInsecure: true, timeoutMs: 200 }),
    ).toEqual({
      ok: false,
      transient: true,
      error: 'http request timed out after 200 ms',
    });
  });

  it('refuses internal hosts, as subscription addresses do (loopback only with ALLOW_INSECURE_ADDRESSES)', async () => {
    for (const url of [
      'https://10.0.0.1/',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00::1]/',
      'https://metadata.google.internal/',
    ]) {
      expect(await performHttp({ method: 'GET', url }, { allowInsecure: true }), url).toEqual({
        ok: false,
        transient: false,
        error: 'http url must not point to a loopback, private, link-local or internal host',
      });
    }
    expect(await performHttp({ method: 'GET', url: `${receiver}/` }, { allowInsecure: false })).toMatchObject({
      ok: false,
      transient: false,
    });
    expect(await performHttp({ method: 'GET', url: `${receiver}/` }, { allowInsecure: true })).toMatchObject({
      ok: true,
    });
  });

  it('bad options fail permanently with a clear message', async () => {
    const cases: [unknown, RegExp][] = [
      [{ method: 'FETCH', url: receiver }, /method must be one of/],
      [{ method: 'GET', url: 'ftp://x' }, /absolute http\(s\) URL/],
      [{ method: 'GET', url: receiver, headers: { a: 1 } }, /headers must be an object of strings/],
      [{ method: 'GET', url: receiver, body: 'x' }, /GET cannot have a body/],
      [{ method: 'GET', url: receiver, timeout: 1 }, /do not take timeout/],
      [[1], /must be an object/],
    ];
    for (const [options, message] of cases) {
      expect(await performAction(ctx(), 'http', options)).toEqual({
        ok: false,
        transient: false,
        error: expect.stringMatching(message),
      });
    }
  });
});

describe('echo action', () => {
  it('returns its options; {"__error": msg} fails with msg', async () => {
    expect(await performAction(ctx(), 'echo', { a: [1] })).toEqual({ ok: true, result: { a: [1] } });
    expect(await performAction(ctx(), 'echo', 'x')).toEqual({ ok: true, result: 'x' });
    expect(await performAction(ctx(), 'echo', { __error: 'nope' })).toEqual({
      ok: false,
      transient: false,
      error: 'nope',
    });
  });
});
