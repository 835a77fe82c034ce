import { runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import '@shopify/shopify-api/adapters/cf-worker';
import {
  ApiVersion,
  HttpMaxRetriesError,
  HttpThrottlingError,
  LogSeverity,
  Session,
  shopifyApi,
} from '@shopify/shopify-api';
import { setAbstractFetchFunc } from '@shopify/shopify-api/runtime';
import { beforeEach, describe, expect, it } from 'vitest';
import type { CallLimits } from '../../src/limits/call-limits';
import { callLimitsName, spendGraphqlCost, refundGraphqlCost } from '../../src/limits/limits';
import { call, callWithEnv, createShopWithApp } from '../helpers';

// docs/contracts.md, "Call limits": per app and shop, exact shared state (a Durable Object),
// REST 40 calls leaking 2 a second, 429 with Retry-After: 2.0 and Shopify's body; GraphQL spends
// cost from 2000 points restoring 100 a second. Time is the test's: the object's clock is replaced
// (runInDurableObject), so waiting out Retry-After advances it instead of sleeping.

const V = '2026-04';
const THROTTLED = {
  errors: 'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.',
};

interface TestApp {
  shopId: string;
  appId: string;
  token: string;
  domain: string;
}

/**
 * A clock only the test moves. `wait(ms)` is a sleep that began now: callers sleeping at the same
 * time end at the same moment, so concurrent waits do not add up.
 */
async function controlClock(app: TestApp) {
  let now = Date.now();
  const stub = env.CALL_LIMITS.get(env.CALL_LIMITS.idFromName(callLimitsName(app.appId, app.shopId)));
  await runInDurableObject(stub, (instance: CallLimits) => {
    instance.clock = () => now;
  });
  return {
    wait: (ms: number) => {
      const startedAt = now;
      now = Math.max(now, startedAt + ms);
    },
  };
}

const count = (token: string, version = V) =>
  call(`/admin/api/${version}/webhooks/count.json`, { headers: { 'x-shopify-access-token': token } });

let app: TestApp;
let clock: Awaited<ReturnType<typeof controlClock>>;
beforeEach(async () => {
  app = await createShopWithApp();
  clock = await controlClock(app);
});

describe('REST call limits', () => {
  it('counts each call in X-Shopify-Shop-Api-Call-Limit, on success and error answers', async () => {
    expect((await count(app.token)).headers.get('x-shopify-shop-api-call-limit')).toBe('1/40');
    expect((await count(app.token)).headers.get('x-shopify-shop-api-call-limit')).toBe('2/40');
    const missing = await call(`/admin/api/${V}/webhooks/999.json`, {
      headers: { 'x-shopify-access-token': app.token },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-shopify-shop-api-call-limit')).toBe('3/40');
    const list = await call(`/admin/api/${V}/webhooks.json`, { headers: { 'x-shopify-access-token': app.token } });
    expect(list.headers.get('x-shopify-shop-api-call-limit')).toBe('4/40');
  });

  it('leaks 2 calls a second', async () => {
    for (let i = 0; i < 10; i++) await count(app.token);
    clock.wait(2_000);
    expect((await count(app.token)).headers.get('x-shopify-shop-api-call-limit')).toBe('7/40');
  });

  it("answers a burst past the bucket with 429, Retry-After: 2.0 and Shopify's body; exactly 40 pass", async () => {
    const answers = await Promise.all(Array.from({ length: 55 }, () => count(app.token)));
    const ok = answers.filter((r) => r.status === 200);
    const throttled = answers.filter((r) => r.status === 429);
    expect(ok).toHaveLength(40);
    expect(throttled).toHaveLength(15);
    for (const res of throttled) {
      expect(res.headers.get('retry-after')).toBe('2.0');
      expect(res.headers.get('x-shopify-shop-api-call-limit')).toBe('40/40');
      expect(res.headers.get('x-shopify-api-version')).toBe(V);
      expect(await res.json()).toEqual(THROTTLED);
    }
    const used = ok.map((r) => r.headers.get('x-shopify-shop-api-call-limit')).sort();
    expect(new Set(used).size).toBe(40);
    clock.wait(2_000);
    const after = await Promise.all(Array.from({ length: 6 }, () => count(app.token)));
    expect(after.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('keeps one bucket per app and shop: another app of the same shop is not throttled', async () => {
    await Promise.all(Array.from({ length: 41 }, () => count(app.token)));
    expect((await count(app.token)).status).toBe(429);
    const other = await createShopWithApp();
    const res = await count(other.token);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-shopify-shop-api-call-limit')).toBe('1/40');
  });

  it('serves calls unmetered (no header, no 5xx) when the limiter cannot be reached', async () => {
    const unreachable = {
      ...env.CALL_LIMITS,
      idFromName: (name: string) => env.CALL_LIMITS.idFromName(name),
      get: () => {
        throw new Error('simulated: Durable Object unavailable');
      },
    } as unknown as Env['CALL_LIMITS'];
    const res = await callWithEnv({ ...env, CALL_LIMITS: unreachable }, `/admin/api/${V}/webhooks/count.json`, {
      headers: { 'x-shopify-access-token': app.token },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-shopify-shop-api-call-limit')).toBeNull();
  });

  it('does not meter or mark answers to unauthenticated calls', async () => {
    const res = await count('wrong-token');
    expect(res.status).toBe(401);
    expect(res.headers.get('x-shopify-shop-api-call-limit')).toBeNull();
    expect((await count(app.token)).headers.get('x-shopify-shop-api-call-limit')).toBe('1/40');
  });
});

describe('@shopify/shopify-api REST client against the limits', () => {
  // The library builds https://{shop}/admin/api/… URLs; its runtime fetch (setAbstractFetchFunc,
  // the hook its adapters use) hands them to this Worker instead of the network.
  setAbstractFetchFunc((input, init) => exports.default.fetch(new Request(input as RequestInfo, init)));

  it('finishes a 100-request burst with tries, waiting out Retry-After on throttle errors, with no other error', async () => {
    const shopify = shopifyApi({
      apiKey: 'test-key',
      apiSecretKey: 'test-secret',
      apiVersion: ApiVersion.April26,
      isCustomStoreApp: true,
      adminApiAccessToken: app.token,
      isEmbeddedApp: false,
      hostName: 'app.example.com',
      logger: { level: LogSeverity.Error, log: async () => {} },
    });
    const session = new Session({
      id: 'offline',
      shop: app.domain,
      state: '',
      isOnline: false,
      accessToken: app.token,
    });
    const client = new shopify.clients.Rest({ session });

    const otherErrors: unknown[] = [];
    let throttleErrors = 0;
    const headersSeen: string[] = [];
    /** One call as an app makes it: the library's own retries, then Retry-After waited out. */
    const countWebhooks = async (i: number): Promise<number> => {
      for (;;) {
        try {
          // Alternate tries 1 (the 429 reaches the app as HttpThrottlingError with Retry-After)
          // and tries 3 (the library retries after parseInt('2.0') = 2 ms, then gives up).
          const res = await client.get<{ count: number }>({ path: 'webhooks/count', tries: i % 2 === 0 ? 1 : 3 });
          headersSeen.push(String(res.headers['X-Shopify-Shop-Api-Call-Limit']));
          return res.body.count;
        } catch (err) {
          if (err instanceof HttpThrottlingError) {
            throttleErrors++;
            // Shopify's header is in seconds; the library passes it on as read.
            expect(err.response.retryAfter).toBe(2);
            clock.wait(err.response.retryAfter! * 1_000);
          } else if (err instanceof HttpMaxRetriesError) {
            // The library's retries ran out on 429s (it slept 2 ms, reading seconds as ms) and
            // drops the header; Shopify documents Retry-After as 2.0 seconds, so wait that.
            throttleErrors++;
            clock.wait(2_000);
          } else {
            otherErrors.push(err);
            throw err;
          }
        }
      }
    };

    // The burst: 100 calls, 10 in flight at a time, as an app's worker pool would send them.
    const counts: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next < 100) {
          const i = next++;
          counts[i] = await countWebhooks(i);
        }
      }),
    );
    expect(otherErrors).toEqual([]);
    expect(counts).toEqual(Array(100).fill(0));
    expect(throttleErrors).toBeGreaterThan(0);
    expect(headersSeen).toHaveLength(100);
    expect(headersSeen.every((h) => /^\d+\/40$/.test(h))).toBe(true);
  }, 60_000);
});

describe('GraphQL cost API (for the GraphQL endpoint)', () => {
  it('spends cost while it fits, then refuses with the throttle status, and restores 100 a second', async () => {
    const first = await spendGraphqlCost(env, app.appId, app.shopId, 1_500);
    expect(first).toEqual({
      allowed: true,
      throttleStatus: { maximumAvailable: 2_000, currentlyAvailable: 500, restoreRate: 100 },
    });
    const refused = await spendGraphqlCost(env, app.appId, app.shopId, 501);
    expect(refused).toEqual({
      allowed: false,
      throttleStatus: { maximumAvailable: 2_000, currentlyAvailable: 500, restoreRate: 100 },
    });
    clock.wait(1_000);
    expect((await spendGraphqlCost(env, app.appId, app.shopId, 501)).throttleStatus.currentlyAvailable).toBe(99);
    expect((await refundGraphqlCost(env, app.appId, app.shopId, 400)).currentlyAvailable).toBe(499);
  });

  it('keeps the REST and GraphQL buckets apart', async () => {
    await spendGraphqlCost(env, app.appId, app.shopId, 2_000);
    expect((await count(app.token)).headers.get('x-shopify-shop-api-call-limit')).toBe('1/40');
  });
});

describe('GraphQL endpoint call limits', () => {
  const graphql = (query: string) =>
    call(`/admin/api/${V}/graphql.json`, {
      method: 'POST',
      headers: { 'x-shopify-access-token': app.token, 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    });
  const LIST = '{ webhookSubscriptions(first: 100) { nodes { id } } }';
  type Answer = {
    data?: unknown;
    errors?: { message: string; extensions: { code: string } }[];
    extensions: {
      cost: {
        requestedQueryCost: number;
        actualQueryCost: number | null;
        throttleStatus: { currentlyAvailable: number };
      };
    };
  };

  it('reports the shared bucket: spends the requested cost and refunds what the query did not use', async () => {
    await spendGraphqlCost(env, app.appId, app.shopId, 1_000);
    const answer = await (await graphql(LIST)).json<Answer>();
    const cost = answer.extensions.cost;
    expect(answer.errors).toBeUndefined();
    expect(cost.requestedQueryCost).toBeGreaterThan(cost.actualQueryCost!);
    expect(cost.throttleStatus.currentlyAvailable).toBe(1_000 - cost.actualQueryCost!);
  });

  it('answers THROTTLED with the throttle status when the query does not fit, and runs once the bucket restores', async () => {
    await spendGraphqlCost(env, app.appId, app.shopId, 1_995);
    const res = await graphql(LIST);
    expect(res.status).toBe(200);
    const throttled = await res.json<Answer>();
    expect(throttled.data).toBeUndefined();
    expect(throttled.errors).toEqual([
      expect.objectContaining({ message: 'Throttled', extensions: expect.objectContaining({ code: 'THROTTLED' }) }),
    ]);
    expect(throttled.extensions.cost.actualQueryCost).toBeNull();
    expect(throttled.extensions.cost.throttleStatus.currentlyAvailable).toBe(5);
    clock.wait(2_000);
    const answer = await (await graphql(LIST)).json<Answer>();
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ webhookSubscriptions: { nodes: [] } });
  });
});
