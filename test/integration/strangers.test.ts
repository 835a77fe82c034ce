import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { clearCacheEndpointMemo } from '../../src/cache/endpoints';
import { countingDb, type D1Trips } from '../faults';
import { call, callWithEnv, createShopWithApp, createWebhook, jsonInit, postWebhook } from '../helpers';
import { createTask } from '../task-helpers';

/**
 * Issue 20, point 6: strangers cannot make D1 work. Random webhook ids, endpoint tokens and cache
 * keys are answered from the memo and KV; only a handful a minute per client reach D1.
 */

const REQUESTS = 1_000;
/** LOOKUP_MISS_RATE_LIMITER's limit in wrangler.toml: misses per kind, client and minute. */
const MISS_BUDGET = 10;
/**
 * The most D1 reads a burst of a few seconds can make: the limiter counts in fixed 60 s windows,
 * so a burst that straddles a window's end is allowed the budget of both.
 */
const BURST_BOUND = 2 * MISS_BUDGET;

function counted(): { testEnv: Env; trips: D1Trips } {
  const trips: D1Trips = { roundTrips: 0, trips: [] };
  return { testEnv: { ...env, DB: countingDb(trips) }, trips };
}

/** A fresh client address per test, so the budgets of other tests do not count. */
const stranger = () => `203.0.113.${Math.floor(Math.random() * 250) + 1}`;

describe('a stranger trying random ids', () => {
  it(`${REQUESTS} POSTs to random webhook ids cost at most ${BURST_BOUND} D1 reads`, async () => {
    const { testEnv, trips } = counted();
    const ip = stranger();
    for (let i = 0; i < REQUESTS; i++) {
      const res = await callWithEnv(testEnv, `/webhooks/${crypto.randomUUID()}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
        body: '{}',
      });
      expect(res.status).toBe(204);
    }
    expect(trips.roundTrips).toBeGreaterThan(0);
    expect(trips.roundTrips).toBeLessThanOrEqual(BURST_BOUND);
  }, 120_000);

  it(`${REQUESTS} reads of random cache tokens, and of random keys at a real endpoint, cost at most ${BURST_BOUND} D1 reads each`, async () => {
    // On shard 0, the primary: the counting D1 sees the key misses' reads of the shop's values too.
    const { token } = await createShopWithApp({ shard: 0 });
    const made = await call('/api/v1/cache_endpoints', jsonInit('POST', token, { key_prefix: 'r/' }));
    const endpoint = (await made.json<{ cache_endpoint: { token: string } }>()).cache_endpoint.token;
    const ip = stranger();
    const headers = { 'cf-connecting-ip': ip };

    const tokens = counted();
    for (let i = 0; i < REQUESTS; i++) {
      const res = await callWithEnv(tokens.testEnv, `/cache/${crypto.randomUUID()}/x`, { headers });
      expect(res.status).toBe(404);
    }
    expect(tokens.trips.roundTrips).toBeLessThanOrEqual(BURST_BOUND);

    const keys = counted();
    const statuses = new Map<number, number>();
    for (let i = 0; i < REQUESTS; i++) {
      const res = await callWithEnv(keys.testEnv, `/cache/${endpoint}/${crypto.randomUUID()}`, { headers });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    // One token and one client: past CACHE_RATE_LIMITER's 600 a minute, 429s.
    expect(Object.fromEntries(statuses)).toEqual({ 404: 600, 429: REQUESTS - 600 });
    expect(keys.trips.roundTrips).toBeLessThanOrEqual(BURST_BOUND);
  }, 120_000);

  it('remembers an unknown token as absent in KV, so other isolates do not ask D1 again', async () => {
    const { testEnv, trips } = counted();
    const id = crypto.randomUUID();
    const headers = { 'cf-connecting-ip': stranger() };
    expect((await callWithEnv(testEnv, `/cache/${id}`, { headers })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 100));
    expect(await env.KV.get(`ep:${id}`, 'json')).toEqual({ absent: true });
    expect(trips.roundTrips).toBe(1);
    clearCacheEndpointMemo(); // as another isolate would start
    expect((await callWithEnv(testEnv, `/cache/${id}`, { headers })).status).toBe(404);
    expect(trips.roundTrips).toBe(1);
  });

  it('a shopper still reads a value written after a miss: the write in the isolate clears it', async () => {
    const shop = await createShopWithApp();
    const webhookId = await createWebhook(shop.token, { topic: 'user/strangers/submit' });
    await createTask(shop.token, {
      subscriptions: 'user/strangers/submit',
      script: '{% action "cache", "set", "late/answer", 42 %}',
    });
    const made = await call('/api/v1/cache_endpoints', jsonInit('POST', shop.token, { key: 'late/answer' }));
    const endpoint = (await made.json<{ cache_endpoint: { token: string } }>()).cache_endpoint.token;
    expect((await call(`/cache/${endpoint}`)).status).toBe(404);
    await postWebhook(webhookId, { headers: { 'content-type': 'application/json' }, body: '{}' });
    await expect
      .poll(async () => (await call(`/cache/${endpoint}`)).status, { timeout: 5_000, interval: 50 })
      .toBe(200);
  });
});

describe('/cache/* is rate-limited per client and token', () => {
  it('answers 429 with Retry-After past the limit, like ingress', async () => {
    const tight = { ...env, CACHE_RATE_LIMITER: env.TEST_TIGHT_RATE_LIMITER };
    const token = crypto.randomUUID();
    const headers = { 'cf-connecting-ip': stranger() };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await callWithEnv(tight, `/cache/${token}`, { headers }));
    expect(answers.map((r) => r.status)).toEqual([404, 404, 429]);
    expect(answers[2]!.headers.get('retry-after')).toBe('60');
    expect(await answers[2]!.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });
});
