import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { QUEUE_NAMES } from '../../src/env';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import { consumeEventsDeadLetters } from '../../src/pipeline/events-dead-letter';
import { cacheEntryKvKey } from '../../src/kv-keys';
import { afterCacheCommit } from '../../src/cache/copies';
import { findLiveCacheEntries } from '../../src/cache/store';
import type { QueueMessage } from '../../src/queue/messages';
import { inShard, shardDb } from '../../src/shards';
import { countingDb } from '../faults';
import { ADMIN_TOKEN, call, createShopWithApp, createWebhook, jsonInit, postWebhook } from '../helpers';
import { hmacBase64, insertSubscription, nestedData, receivedBy, receiverAddress } from '../delivery-helpers';
import { envelope, eventMessage, recordingBatch } from '../queue';
import { dbOfShop, rowsOnAllShards, shardOfShop } from '../shards';
import { childrenOf, createTask } from '../task-helpers';

/**
 * Issue 20, point 1: in every events-queue consumer, one shop's item that cannot be processed
 * fails alone — its own row says why, no other item of the batch is retried or done twice.
 */

const GOOD = 99;
const nested = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);

interface RunRow {
  event_id: string;
  status: string;
  error: string | null;
  action_error: string | null;
}

async function runsOfShop(shopId: string): Promise<RunRow[]> {
  const db = await dbOfShop(shopId);
  const { results } = await db
    .prepare(
      `SELECT r.event_id, r.status, r.error, a.error AS action_error
       FROM task_runs r LEFT JOIN action_runs a ON a.task_run_id = r.id WHERE r.shop_id = ?1`,
    )
    .bind(shopId)
    .all<RunRow>();
  return results;
}

async function counter(token: string, key: string): Promise<unknown> {
  const res = await call(`/api/v1/cache/${key}`, jsonInit('GET', token));
  return res.status === 200 ? (await res.json<{ value: unknown }>()).value : null;
}

/** Shop B: a task that counts its runs; shop A: a task whose own output is the poison. */
async function twoShops(poisonScript: string) {
  const b = await createShopWithApp();
  await createTask(b.token, { script: '{% action "cache", "incr", "runs" %}' });
  const a = await createShopWithApp();
  await createTask(a.token, { script: poisonScript });
  return { a, b };
}

describe('events consumer: one poison event among 99 good ones', () => {
  it.each([
    [
      'output nested 5,000 deep (V8 parses it, cannot serialize it back)',
      `{"action":{"type":"echo","options":${nested(5000)}}}`,
      /Output nests deeper than 256 levels/,
    ],
    [
      'a render that throws (its step limit)',
      '{% for i in (1..300000) %}{% endfor %}',
      /Render failed: render step limit/,
    ],
    [
      'a cache value nested 100 deep',
      `{"action":{"type":"cache","options":["set","deep",${nested(100)}]}}`,
      /cache value nests deeper than 64 levels/,
    ],
    [
      'event data nested 100 deep',
      `{"action":{"type":"event","options":{"topic":"user/deep/data","data":${nested(100)}}}}`,
      /event data nests deeper than 64 levels/,
    ],
  ])('%s: B done once, A failed with a readable error, no retry', async (_, script, reason) => {
    const { a, b } = await twoShops(script);
    const bodies: QueueMessage[] = Array.from({ length: GOOD }, () => eventMessage(envelope(b.shopId)));
    bodies.splice(37, 0, eventMessage(envelope(a.shopId)));
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, bodies);
    await consumeEventsBatch(batch, env);

    expect(settled.filter((s) => s.retried)).toEqual([]);
    expect(settled.every((s) => s.acked)).toBe(true);
    expect(await counter(b.token, 'runs')).toBe(GOOD);
    const bRuns = await runsOfShop(b.shopId);
    expect(bRuns).toHaveLength(GOOD);
    expect(bRuns.every((r) => r.status === 'succeeded')).toBe(true);
    const [aRun, ...more] = await runsOfShop(a.shopId);
    expect(more).toEqual([]);
    expect(aRun!.status).toBe('failed');
    expect(`${aRun!.error} ${aRun!.action_error}`).toMatch(reason);
  });
});

describe('task-run messages: one poison run among 99 good ones', () => {
  it('each run settles alone', async () => {
    const { a, b } = await twoShops(`{"action":{"type":"echo","options":${nested(5000)}}}`);
    // Delayed subscriptions make runs that wait for a task-run message.
    await call(
      `/api/v1/tasks`,
      jsonInit('POST', b.token, {
        name: 'later',
        subscriptions: 'user/later/submit+1.hour',
        script: '{% action "cache", "incr", "later" %}',
      }),
    );
    await call(
      `/api/v1/tasks`,
      jsonInit('POST', a.token, {
        name: 'later',
        subscriptions: 'user/later/submit+1.hour',
        script: `{"action":{"type":"echo","options":${nested(5000)}}}`,
      }),
    );
    const events = [
      ...Array.from({ length: GOOD }, () => envelope(b.shopId, { topic: 'user/later/submit' })),
      envelope(a.shopId, { topic: 'user/later/submit' }),
    ];
    await consumeEventsBatch(recordingBatch(QUEUE_NAMES.events, events.map(eventMessage)).batch, env);
    // A and B are on different shards: their runs are read from every shard.
    const results = await rowsOnAllShards<{ id: string; shop_id: string }>(
      `SELECT id, shop_id FROM task_runs WHERE event_id IN (SELECT value FROM json_each(?1)) AND status = 'scheduled'`,
      JSON.stringify(events.map((e) => e.id)),
    );
    expect(results).toHaveLength(GOOD + 1);
    const { batch, settled } = recordingBatch(
      QUEUE_NAMES.events,
      results.map((r): QueueMessage => ({ kind: 'task-run', runId: r.id, shopId: r.shop_id })),
    );
    await consumeEventsBatch(batch, env);
    expect(settled.filter((s) => s.retried)).toEqual([]);
    expect(settled.every((s) => s.acked)).toBe(true);
    expect(await counter(b.token, 'later')).toBe(GOOD);
    const aLater = await runsOfShop(a.shopId);
    expect(aLater.some((r) => r.status === 'failed' && /Output nests deeper/.test(r.error ?? ''))).toBe(true);
  }, 30_000);
});

describe('events dead-letter consumer: one unreadable message among 99 events', () => {
  it('records each message alone', async () => {
    const b = await createShopWithApp();
    const events = Array.from({ length: GOOD }, () => envelope(b.shopId));
    const bodies: unknown[] = events.map(eventMessage);
    bodies.splice(50, 0, { kind: 'event', event: { id: 42 } });
    const { batch, settled } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, bodies);
    await consumeEventsDeadLetters(batch, env);
    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    const db = await dbOfShop(b.shopId);
    const { results } = await db
      .prepare(`SELECT status FROM events WHERE id IN (SELECT value FROM json_each(?1))`)
      .bind(JSON.stringify(events.map((e) => e.id)))
      .all<{ status: string }>();
    expect(results).toHaveLength(GOOD);
    expect(results.every((r) => r.status === 'dead')).toBe(true);
  });
});

describe('cache copies: one key KV refuses among 99', () => {
  it('retries only that key', async () => {
    const b = await createShopWithApp();
    const keys = Array.from({ length: GOOD + 1 }, (_, i) => `k${i}`);
    for (const key of keys) {
      await call(`/api/v1/cache/${key}`, jsonInit('PUT', b.token, { value: key }));
    }
    const poison = cacheEntryKvKey(b.shopId, 'k7');
    const kv = new Proxy(env.KV, {
      get(target, prop) {
        if (prop === 'put') {
          return (key: string, ...rest: unknown[]) =>
            key === poison
              ? Promise.reject(new Error('KV PUT failed: 413 Value too large'))
              : (target.put as (...a: unknown[]) => Promise<void>)(key, ...rest);
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const { batch, settled } = recordingBatch(
      QUEUE_NAMES.events,
      keys.map((key): QueueMessage => ({ kind: 'cache-copy', shopId: b.shopId, key })),
    );
    await consumeEventsBatch(batch, { ...env, KV: kv });
    expect(settled.filter((s) => s.retried)).toHaveLength(1);
    expect(settled[7]!.retried).toBe(true);
    expect(settled.filter((s) => s.acked)).toHaveLength(GOOD);
  }, 30_000);
});

describe('child events exactly once (issue 20, point 9)', () => {
  it('a run retried after its commit failed re-sends the same child ids; one child event is stored', async () => {
    // On shard 0 (queue group 0): the failing D1 and the recording EVENTS below are that shard's.
    const { shopId, token } = await createShopWithApp({ shard: 0 });
    await createTask(token, {
      subscriptions: 'user/once/parent',
      script: '{% action "event", topic: "user/once/child", data: 1 %}{% action "cache", "set", "child-once", 1 %}',
    });
    const event = envelope(shopId, { topic: 'user/once/parent' });
    const sent: string[] = [];
    const events = {
      sendBatch: (messages: MessageSendRequest<QueueMessage>[], o?: QueueSendBatchOptions) => {
        for (const m of messages) if (m.body.kind === 'event') sent.push(m.body.event.id);
        return env.EVENTS.sendBatch(messages, o);
      },
      send: (body: QueueMessage, o?: QueueSendOptions) => env.EVENTS.send(body, o),
    } as unknown as Queue;
    let failedOnce = false;
    // The run's transaction (the only statement bound with this key) fails once, as D1 may.
    const db = countingDb(
      { roundTrips: 0, trips: [] },
      (arg) => !failedOnce && arg === 'child-once' && (failedOnce = true),
    );
    const testEnv = { ...env, DB: db, EVENTS: events };

    const first = recordingBatch(QUEUE_NAMES.events, [eventMessage(event)]);
    await consumeEventsBatch(first.batch, testEnv);
    expect(first.settled[0]).toMatchObject({ retried: true });
    const again = recordingBatch(QUEUE_NAMES.events, [eventMessage(event)], 2);
    await consumeEventsBatch(again.batch, testEnv);
    expect(again.settled[0]).toMatchObject({ acked: true, retried: false });

    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
    // The real consumer receives both copies; its claim on the id keeps one.
    await vi.waitFor(async () => expect(await childrenOf(event.id)).toHaveLength(1), { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    expect((await childrenOf(event.id)).map((c) => c.id)).toEqual([sent[0]]);
  });
});

describe("the KV copy is D1's latest value (issue 20, point 10)", () => {
  it("two writes whose copies finish out of order leave D1's latest value in KV", async () => {
    const b = await createShopWithApp();
    const put = (value: string) => call('/api/v1/cache/order', jsonInit('PUT', b.token, { value }));
    expect((await put('v1')).status).toBe(200);
    const shard = await shardOfShop(b.shopId);
    const [older] = await findLiveCacheEntries(shardDb(env, shard), [[b.shopId, 'order']], new Date().toISOString());
    expect(older!.valueJson).toBe('"v1"');
    expect((await put('v2')).status).toBe(200);
    const kvKey = cacheEntryKvKey(b.shopId, 'order');
    expect(await env.KV.get(kvKey)).toBe('"v2"');

    // The first writer's copy lands last, with the value it read at its own commit.
    const sent: QueueMessage[] = [];
    const events = {
      sendBatch: async (messages: MessageSendRequest<QueueMessage>[]) => void sent.push(...messages.map((m) => m.body)),
      send: async (body: QueueMessage) => void sent.push(body),
    } as unknown as Queue;
    // The commit's follow-up runs on the shop's shard, as the cache write path runs it; every
    // queue group's events queue records.
    const groups = Object.keys(env).filter((name) => /^EVENTS(_\d+)?$/.test(name));
    const recording = { ...env, ...Object.fromEntries(groups.map((name) => [name, events])) } as Env;
    await afterCacheCommit(inShard(recording, shard), [{ shopId: b.shopId, key: 'order' }], [older!]);
    // Its read-back found D1 ahead of what it copied, so a re-copy from D1 is on its way.
    expect(sent).toEqual([{ kind: 'cache-copy', shopId: b.shopId, key: 'order' }]);
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, sent);
    await consumeEventsBatch(batch, env);
    expect(settled[0]).toMatchObject({ acked: true });
    expect(await env.KV.get(kvKey)).toBe('"v2"');
  });
});

describe("a hostile shop beside an ordinary one, through the real queues (the issue's scenario)", () => {
  it("B's 60 deliveries all arrive once while A floods 100-deep data toward XML subscriptions", async () => {
    const b = await createShopWithApp();
    const bHook = await createWebhook(b.token, { topic: 'user/b/order' });
    const bReceiver = await receiverAddress();
    await insertSubscription({ shopId: b.shopId, appId: b.appId, address: bReceiver.address, topic: 'user/b/order' });

    const a = await createShopWithApp();
    const secret = 'shpss_hostile_neighbour';
    await call(`/api/v1/shops/${a.shopId}`, jsonInit('PATCH', ADMIN_TOKEN, { shopify_client_secret: secret }));
    const aHook = await createWebhook(a.token, { topic: 'user/a/go' });
    await createTask(a.token, {
      subscriptions: 'user/a/go',
      script: `{"action":{"type":"event","options":{"topic":"user/a/deep","data":${JSON.stringify(nestedData(100))}}}}`,
    });
    const aReceiver = await receiverAddress();
    for (const topic of ['user/a/deep', 'orders/create']) {
      await insertSubscription({ shopId: a.shopId, appId: a.appId, address: aReceiver.address, topic, format: 'xml' });
    }
    const deepBody = JSON.stringify(nestedData(100));
    const signature = await hmacBase64(secret, deepBody);

    const started = Date.now();
    await Promise.all([
      ...Array.from({ length: 20 }, () =>
        postWebhook(aHook, { headers: { 'content-type': 'application/json' }, body: '{}' }),
      ),
      // A's own Shopify store sends it 100-deep bodies, which reach its XML subscription as they are.
      ...Array.from({ length: 20 }, (_, i) =>
        call('/shopify/webhooks', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-shopify-shop-domain': a.domain,
            'x-shopify-topic': 'orders/create',
            'x-shopify-event-id': `deep-${i}`,
            'x-shopify-hmac-sha256': signature,
          },
          body: deepBody,
        }),
      ),
      ...Array.from({ length: 60 }, (_, n) =>
        postWebhook(bHook, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n }) }),
      ),
    ]);
    await vi.waitFor(async () => expect(await receivedBy(bReceiver.key)).toHaveLength(60), {
      timeout: 30_000,
      interval: 200,
    });
    expect(Date.now() - started).toBeLessThan(30_000);
    const got = (await receivedBy(bReceiver.key)).map((r) => (JSON.parse(r.body) as { n: number }).n);
    expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, n) => n));
    // A's deep deliveries failed on their own, readably; A's deep child events were refused at the action.
    await vi.waitFor(
      async () => {
        const db = await dbOfShop(a.shopId);
        const { results } = await db
          .prepare(`SELECT status, last_error FROM deliveries WHERE shop_id = ?1`)
          .bind(a.shopId)
          .all<{ status: string; last_error: string | null }>();
        expect(results).toHaveLength(20);
        for (const r of results) {
          expect(r.status).toBe('failed');
          expect(r.last_error).toMatch(/XML payload cannot be built/);
        }
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(await receivedBy(aReceiver.key)).toEqual([]);
  }, 60_000);
});
