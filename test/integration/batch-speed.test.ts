import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, vi, it } from 'vitest';
import { D1_BATCH_MAX_STATEMENTS, QUEUE_NAMES } from '../../src/env';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import { consumeDeliveriesBatch } from '../../src/pipeline/deliveries-consumer';
import { cacheEntryKvKey } from '../../src/kv-keys';
import type { QueueMessage } from '../../src/queue/messages';
import { countingDb, recordingKv, type D1Trips } from '../faults';
import { call, createShopWithApp, jsonInit } from '../helpers';
import {
  deliveriesOfSubscription,
  fanOutOnShards,
  insertSubscription,
  receivedBy,
  receiverAddress,
  recordingDeliveriesEnv,
  storeProcessedEvent,
} from '../delivery-helpers';
import { envelope, eventMessage, recordingBatch } from '../queue';
import { createCacheEndpoint, createTask } from '../task-helpers';

/**
 * Issue 13, "Processing at batch speed": a consumer batch costs a number of D1 round trips that
 * does not grow with its size, and KV copies converge to D1 even when KV refuses writes.
 */

const BATCH = 100;
const receiver = `http://127.0.0.1:${inject('receiverPort')}`;
/** The bound for a batch of 100 events each running one task with one `cache` action. */
const MAX_ROUND_TRIPS = 8;
/**
 * A deliveries batch on shard 0: the shops and the work together; admission by destination and the
 * signing secrets (at once, two round trips); the records.
 */
const DELIVERY_BATCH_ROUND_TRIPS = 4;

let shop: { shopId: string; token: string };
beforeAll(async () => {
  // Round trips are counted on shard 0's database (the primary), so these shops live there.
  shop = await createShopWithApp({ shard: 0 });
});

interface Run {
  event_id: string;
  status: string;
  error: string | null;
  action_status: string | null;
  result: string | null;
  position: number | null;
}

/** The runs and action runs of events, straight from D1. */
async function runsOf(eventIds: string[]): Promise<Run[]> {
  const { results } = await env.DB.prepare(
    `SELECT r.event_id, r.status, r.error, a.status AS action_status, a.result, a.position
     FROM task_runs r LEFT JOIN action_runs a ON a.task_run_id = r.id
     WHERE r.event_id IN (SELECT value FROM json_each(?1)) ORDER BY r.event_id, a.position`,
  )
    .bind(JSON.stringify(eventIds))
    .all<Run>();
  return results;
}

/** Records sends to the events queue and passes them on to the real one. */
function recordingQueue(): { queue: Queue; sent: QueueMessage[] } {
  const sent: QueueMessage[] = [];
  const queue = {
    send: (body: QueueMessage, o?: QueueSendOptions) => (sent.push(body), env.EVENTS.send(body, o)),
    sendBatch: (messages: MessageSendRequest<QueueMessage>[], o?: QueueSendBatchOptions) => {
      for (const m of messages) sent.push(m.body);
      return env.EVENTS.sendBatch(messages, o);
    },
  } as unknown as Queue;
  return { queue, sent };
}

async function consume(testEnv: Env, bodies: QueueMessage[]) {
  const { batch, settled } = recordingBatch(QUEUE_NAMES.events, bodies);
  await consumeEventsBatch(batch, testEnv);
  return settled;
}

async function d1Value(key: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT value FROM cache_entries WHERE shop_id = ?1 AND key = ?2')
    .bind(shop.shopId, key)
    .first<{ value: string }>();
  return row?.value ?? null;
}

describe('events consumer: set-based processing', () => {
  it(`processes ${BATCH} events that each run one task with one cache incr in at most ${MAX_ROUND_TRIPS} D1 round trips`, async () => {
    const topic = 'user/speed/incr';
    await createTask(shop.token, { subscriptions: topic, script: '{% action "cache", "incr", "speed:hits" %}' });
    const events = Array.from({ length: BATCH }, () => envelope(shop.shopId, { topic }));
    const trips: D1Trips = { roundTrips: 0, trips: [] };
    const { kv, puts } = recordingKv({ refuse: false });

    const settled = await consume({ ...env, DB: countingDb(trips), KV: kv }, events.map(eventMessage));

    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    expect(trips.roundTrips, JSON.stringify(trips.trips.map((t) => t[0]!.slice(0, 60)))).toBeLessThanOrEqual(
      MAX_ROUND_TRIPS,
    );
    const runs = await runsOf(events.map((e) => e.id));
    expect(runs).toHaveLength(BATCH);
    expect(runs.every((r) => r.status === 'succeeded' && r.action_status === 'succeeded')).toBe(true);
    // Each incr's result is the counter after it: every number from 1 to 100 exactly once.
    expect(runs.map((r) => Number(r.result)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: BATCH }, (_, i) => i + 1),
    );
    expect(await d1Value('speed:hits')).toBe(String(BATCH));
    // One KV write for the one key, of the final value.
    expect(puts).toEqual([{ key: cacheEntryKvKey(shop.shopId, 'speed:hits'), value: String(BATCH) }]);
  });

  it(`spread over 3 shards, ${BATCH} events cost each shard no more D1 round trips than they cost one shard alone`, async () => {
    const topic = 'user/speed/shards';
    const script = '{% action "cache", "incr", "speed:shards" %}';
    // Three shops, one per shard (the Worker binds two; the third database is test-only).
    const shops = [shop, await createShopWithApp({ shard: 1 }), await createShopWithApp({ shard: 2 })];
    for (const s of shops) await createTask(s.token, { subscriptions: topic, script });
    const counted = () => {
      const trips = [0, 1, 2].map((): D1Trips => ({ roundTrips: 0, trips: [] }));
      const testEnv = {
        ...env,
        DB: countingDb(trips[0]!),
        SHARD_1: countingDb(trips[1]!, undefined, env.SHARD_1),
        SHARD_2: countingDb(trips[2]!, undefined, env.TEST_SHARD_2),
        KV: recordingKv({ refuse: false }).kv,
      } as Env;
      return { trips, testEnv };
    };

    // The same 100 events of one shop on shard 0: today's single-shard cost.
    const alone = counted();
    const one = Array.from({ length: BATCH }, () => envelope(shop.shopId, { topic }));
    expect((await consume(alone.testEnv, one.map(eventMessage))).every((s) => s.acked && !s.retried)).toBe(true);
    const single = alone.trips[0]!.roundTrips;
    expect(single).toBeLessThanOrEqual(MAX_ROUND_TRIPS);

    // 100 events spread over the three shops, in one batch.
    const spread = counted();
    const mixed = Array.from({ length: BATCH }, (_, i) => envelope(shops[i % 3]!.shopId, { topic }));
    const settled = await consume(spread.testEnv, mixed.map(eventMessage));
    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    const perShard = spread.trips.map((t) => t.roundTrips);
    for (const [shard, n] of perShard.entries()) {
      expect(
        n,
        `shard ${shard}: ${JSON.stringify(spread.trips[shard]!.trips.map((t) => t[0]!.slice(0, 50)))}`,
      ).toBeLessThanOrEqual(single);
    }
    // Every event ran once, on its own shop's shard: each shop's counter counts its own events.
    const counters = await Promise.all(
      [env.DB, env.SHARD_1, env.TEST_SHARD_2].map((db, i) =>
        db
          .prepare('SELECT value FROM cache_entries WHERE shop_id = ?1 AND key = ?2')
          .bind(shops[i]!.shopId, 'speed:shards')
          .first<{ value: string }>(),
      ),
    );
    expect(counters.map((c) => c?.value)).toEqual([String(BATCH + 34), '33', '33']);
    // No shop's rows landed on another shop's shard.
    for (const [i, db] of [env.DB, env.SHARD_1, env.TEST_SHARD_2].entries()) {
      const { results } = await db
        .prepare('SELECT DISTINCT shop_id FROM events WHERE id IN (SELECT value FROM json_each(?1))')
        .bind(JSON.stringify(mixed.map((e) => e.id)))
        .all<{ shop_id: string }>();
      expect(results.map((r) => r.shop_id)).toEqual([shops[i]!.shopId]);
    }
  });

  it('costs the same number of round trips for 10 events as for 100 (it does not grow with the batch)', async () => {
    const topic = 'user/speed/set';
    await createTask(shop.token, {
      subscriptions: topic,
      script: '{% action "cache", "set", event.data.k, event.data.v %}',
    });
    const tripsFor = async (n: number) => {
      const events = Array.from({ length: n }, (_, i) =>
        envelope(shop.shopId, { topic, dataJson: JSON.stringify({ k: `speed:set:${n}:${i}`, v: i }) }),
      );
      const trips: D1Trips = { roundTrips: 0, trips: [] };
      const { kv, puts } = recordingKv({ refuse: false });
      await consume({ ...env, DB: countingDb(trips), KV: kv }, events.map(eventMessage));
      expect(puts).toHaveLength(n); // distinct keys: one write each
      return trips.roundTrips;
    };
    const ten = await tripsFor(10);
    const hundred = await tripsFor(BATCH);
    expect(hundred).toBe(ten);
    expect(await d1Value(`speed:set:${BATCH}:99`)).toBe('99');
  });

  it(`splits a batch whose runs need more than ${D1_BATCH_MAX_STATEMENTS} statements into several transactions, all committed`, async () => {
    const topic = 'user/speed/many-sets';
    const sets = Array.from(
      { length: 6 },
      (_, i) => `{% assign k = event.data.k | append: "-${i}" %}{% action "cache", "set", k, ${i} %}`,
    );
    await createTask(shop.token, { subscriptions: topic, script: sets.join('') });
    const events = Array.from({ length: BATCH }, (_, n) =>
      envelope(shop.shopId, { topic, dataJson: JSON.stringify({ k: `speed:many:${n}` }) }),
    );
    const trips: D1Trips = { roundTrips: 0, trips: [] };
    const { kv } = recordingKv({ refuse: false });

    const settled = await consume({ ...env, DB: countingDb(trips), KV: kv }, events.map(eventMessage));

    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    const batches = trips.trips.map((t) => t.length);
    expect(Math.max(...batches)).toBeLessThanOrEqual(D1_BATCH_MAX_STATEMENTS);
    // 100 runs of 6 distinct sets are about 1,900 statements: more than one transaction.
    expect(batches.filter((n) => n > 100).length).toBeGreaterThan(1);
    const runs = await runsOf(events.map((e) => e.id));
    expect(runs).toHaveLength(6 * BATCH);
    expect(runs.every((r) => r.status === 'succeeded' && r.action_status === 'succeeded')).toBe(true);
    expect(await d1Value('speed:many:0-0')).toBe('0');
    expect(await d1Value(`speed:many:${BATCH - 1}-5`)).toBe('5');
  });

  it('keeps the actions of a run in order, later actions seeing what earlier ones wrote', async () => {
    const topic = 'user/speed/order';
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "cache", "set", "speed:order", 5 %}{% action "cache", "incrby", "speed:order", 2 %}
               {% action "echo", "between" %}{% action "cache", "set", "speed:order-text", "x" %}
               {% action "cache", "incr", "speed:order-text" %}{% action "cache", "del", "speed:order" %}`,
    });
    const event = envelope(shop.shopId, { topic });
    await consume(env, [eventMessage(event)]);
    const runs = await runsOf([event.id]);
    expect(runs.map((r) => [r.position, r.action_status, r.result])).toEqual([
      [0, 'succeeded', '5'],
      [1, 'succeeded', '7'],
      [2, 'succeeded', '"between"'],
      [3, 'succeeded', '"x"'],
      [4, 'failed', null],
      [5, 'succeeded', 'null'],
    ]);
    expect(runs[0]).toMatchObject({ status: 'failed', error: '1 of 6 actions failed.' });
    expect(await d1Value('speed:order')).toBeNull();
    expect(await env.KV.get(cacheEntryKvKey(shop.shopId, 'speed:order'))).toBeNull();
  });

  it('counters of different runs on one key keep their order around a set of that key in the same batch', async () => {
    const topic = 'user/speed/interleave';
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% if event.data.set %}{% action "cache", "set", "speed:mix", event.data.set %}{% else %}{% action "cache", "incrby", "speed:mix", event.data.by %}{% endif %}`,
    });
    const events = [{ by: 1 }, { by: 2 }, { set: 10 }, { by: 3 }, { by: 4 }].map((data) =>
      envelope(shop.shopId, { topic, dataJson: JSON.stringify(data) }),
    );
    await consume(env, events.map(eventMessage));
    const runs = await runsOf(events.map((e) => e.id));
    const resultOf = (i: number) => runs.find((r) => r.event_id === events[i]!.id)!.result;
    expect([0, 1, 2, 3, 4].map(resultOf)).toEqual(['1', '3', '10', '13', '17']);
    expect(await d1Value('speed:mix')).toBe('17');
    expect(await env.KV.get(cacheEntryKvKey(shop.shopId, 'speed:mix'))).toBe('17');
  });

  it("performs an http action and what follows it after the batch commit, in the run's order", async () => {
    const topic = 'user/speed/http';
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "cache", "set", "speed:http", 1 %}
               {% action "http", method: "GET", url: "${receiver}/status/200" %}
               {% action "cache", "incrby", "speed:http", 2 %}`,
    });
    const event = envelope(shop.shopId, { topic });
    await consume(env, [eventMessage(event)]);
    const runs = await runsOf([event.id]);
    expect(runs.map((r) => [r.position, r.action_status])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
      [2, 'succeeded'],
    ]);
    expect(JSON.parse(runs[1]!.result!)).toMatchObject({ status: 200 });
    expect(runs[2]!.result).toBe('3');
    expect(runs[0]).toMatchObject({ status: 'succeeded', error: null });
    expect(await env.KV.get(cacheEntryKvKey(shop.shopId, 'speed:http'))).toBe('3');
  });

  it('a run whose transaction fails retries only its own message; the other runs commit', async () => {
    const topic = 'user/speed/poison';
    await createTask(shop.token, { subscriptions: topic, script: '{% action "cache", "set", event.data.k, 1 %}' });
    const events = Array.from({ length: 20 }, (_, i) =>
      envelope(shop.shopId, { topic, dataJson: JSON.stringify({ k: i === 7 ? 'speed:poison' : `speed:ok:${i}` }) }),
    );
    const trips: D1Trips = { roundTrips: 0, trips: [] };
    const db = countingDb(trips, (arg) => arg === 'speed:poison');
    const settled = await consume({ ...env, DB: db }, events.map(eventMessage));
    expect(settled.map((s, i) => (s.retried ? i : -1)).filter((i) => i >= 0)).toEqual([7]);
    expect(settled.filter((s) => s.acked)).toHaveLength(19);
    const runs = await runsOf(events.map((e) => e.id));
    expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(19);
    expect(await d1Value('speed:poison')).toBeNull();
    expect(await d1Value('speed:ok:19')).toBe('1');
  });

  it('child events of a batch go out in one queue sendBatch and are recorded as the results', async () => {
    const topic = 'user/speed/fan';
    await createTask(shop.token, {
      subscriptions: topic,
      script: '{% for i in (1..30) %}{% action "event", topic: "user/speed/child", data: i %}{% endfor %}',
    });
    const events = Array.from({ length: 3 }, () => envelope(shop.shopId, { topic }));
    const { queue, sent } = recordingQueue();
    const trips: D1Trips = { roundTrips: 0, trips: [] };
    await consume({ ...env, EVENTS: queue, DB: countingDb(trips) }, events.map(eventMessage));
    const children = sent.filter((m) => m.kind === 'event');
    expect(children).toHaveLength(90);
    const runs = await runsOf(events.map((e) => e.id));
    expect(runs).toHaveLength(90);
    expect(new Set(runs.map((r) => JSON.parse(r.result!) as string))).toEqual(
      new Set(children.map((m) => (m.kind === 'event' ? m.event.id : ''))),
    );
    expect(trips.roundTrips).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
  });
});

interface EventRow {
  id: string;
  status: string;
  received_at: string | null;
  processed_at: string | null;
}

async function eventRows(ids: string[]): Promise<Map<string, EventRow>> {
  const { results } = await env.DB.prepare(
    `SELECT id, status, received_at, processed_at FROM events WHERE id IN (SELECT value FROM json_each(?1))`,
  )
    .bind(JSON.stringify(ids))
    .all<EventRow>();
  return new Map(results.map((r) => [r.id, r]));
}

describe('events nothing acts on: settled with their persist', () => {
  it(`persists and settles ${BATCH} events no task or subscription acts on in one D1 round trip`, async () => {
    const events = Array.from({ length: BATCH }, () => envelope(shop.shopId, { topic: 'user/speed/nobody' }));
    const trips: D1Trips = { roundTrips: 0, trips: [] };

    const settled = await consume({ ...env, DB: countingDb(trips) }, events.map(eventMessage));

    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    expect(trips.roundTrips).toBe(1);
    const rows = await eventRows(events.map((e) => e.id));
    expect(rows.size).toBe(BATCH);
    for (const row of rows.values()) {
      expect(row.status).toBe('processed');
      expect(row.processed_at).not.toBeNull();
      expect(row.processed_at).toBe(row.received_at);
    }
  });

  it('settles an event whose only task is disabled or whose only subscription is inactive, and processes the others as before', async () => {
    const { shopId, appId, token } = await createShopWithApp({ shard: 0 });
    const disabled = await createTask(token, { subscriptions: 'user/settle/disabled', script: '{% log "no" %}' });
    expect((await call(`/api/v1/tasks/${disabled}/disable`, jsonInit('POST', token))).status).toBe(200);
    await createTask(token, { subscriptions: 'user/settle/task', script: '{% log "yes" %}' });
    const { address } = await receiverAddress();
    await insertSubscription({ shopId, appId, address, topic: 'user/settle/inactive', status: 'disabled' });
    const subscribed = await insertSubscription({ shopId, appId, address, topic: 'user/settle/subscribed' });
    const other = await createShopWithApp(); // a task of another shop on the same topic acts on nothing here
    await createTask(other.token, { subscriptions: 'user/settle/foreign', script: '{% log "theirs" %}' });
    const topics = ['disabled', 'task', 'inactive', 'subscribed', 'foreign', 'nothing'] as const;
    const events = topics.map((t) => envelope(shopId, { topic: `user/settle/${t}` }));
    const trips: D1Trips = { roundTrips: 0, trips: [] };
    const deliveries = recordingDeliveriesEnv({ DB: countingDb(trips) });

    const settled = await consume(deliveries.env, events.map(eventMessage));

    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    expect(deliveries.sent).toHaveLength(1);
    const rows = await eventRows(events.map((e) => e.id));
    expect(topics.map((_, i) => rows.get(events[i]!.id)?.status)).toEqual(topics.map(() => 'processed'));
    const byTopic = (t: (typeof topics)[number]) => events[topics.indexOf(t)]!.id;
    // Only the event with an enabled task got a run; only the subscribed one a delivery.
    expect((await runsOf(events.map((e) => e.id))).map((r) => r.event_id)).toEqual([byTopic('task')]);
    expect((await deliveriesOfSubscription(subscribed)).map((d) => d.event_id)).toEqual([byTopic('subscribed')]);
    // Processing the two that something acts on took more round trips than the persist alone.
    expect(trips.roundTrips).toBeGreaterThan(1);
  });

  it(`fans ${BATCH} events out to two subscriptions with one bulk insert, in three D1 round trips`, async () => {
    const { shopId, appId } = await createShopWithApp({ shard: 0 });
    const topic = 'user/speed/fanout';
    const { address } = await receiverAddress();
    const first = await insertSubscription({ shopId, appId, address, topic });
    const second = await insertSubscription({ shopId, appId, address: `${address}/2`, topic });
    const events = Array.from({ length: BATCH }, () => envelope(shopId, { topic }));
    const trips: D1Trips = { roundTrips: 0, trips: [] };
    const deliveries = recordingDeliveriesEnv({ DB: countingDb(trips) });

    const settled = await consume(deliveries.env, events.map(eventMessage));

    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    expect(deliveries.sent).toHaveLength(2 * BATCH);
    expect(await deliveriesOfSubscription(first)).toHaveLength(BATCH);
    expect(await deliveriesOfSubscription(second)).toHaveLength(BATCH);
    // Persist with lookups; create the deliveries (one insert, one read of the unsent); mark processed.
    expect(trips.roundTrips).toBe(3);
    const inserts = trips.trips.flat().filter((sql) => sql.trimStart().startsWith('INSERT INTO deliveries'));
    expect(inserts).toHaveLength(1);
  });

  it('acks a redelivered message of an event already settled without processing it again', async () => {
    const event = envelope(shop.shopId, { topic: 'user/speed/nobody-again' });
    await consume(env, [eventMessage(event)]);
    expect((await eventRows([event.id])).get(event.id)?.status).toBe('processed');
    const trips: D1Trips = { roundTrips: 0, trips: [] };

    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, [eventMessage(event)], 2);
    await consumeEventsBatch(batch, { ...env, DB: countingDb(trips) });

    expect(settled).toEqual([{ acked: true, retried: false, delaySeconds: undefined }]);
    expect(trips.roundTrips).toBe(1);
    expect(await runsOf([event.id])).toEqual([]);
  });
});

describe('deliveries consumer: round trips', () => {
  it(`attempts ${BATCH} deliveries of a shop on shard 0 in ${DELIVERY_BATCH_ROUND_TRIPS} D1 round trips, the shop map read with the work`, async () => {
    const { shopId, appId } = await createShopWithApp({ shard: 0 });
    const topic = 'user/speed/deliveries';
    const target = await receiverAddress();
    const subscription = await insertSubscription({ shopId, appId, address: target.address, topic });
    // One host for all: a limit above the batch keeps this about round trips, not the rate limit.
    const fanned = recordingDeliveriesEnv({ DELIVERY_RATE_LIMIT_PER_SECOND: '1000' });
    const events = await Promise.all(
      Array.from({ length: BATCH }, (_, n) => storeProcessedEvent(shopId, { n }, topic)),
    );
    await fanOutOnShards(fanned.env, events);
    const messages = fanned.sent.splice(0).map((m) => m.body);
    expect(messages).toHaveLength(BATCH);
    const trips: D1Trips = { roundTrips: 0, trips: [] };

    const { batch, settled } = recordingBatch(QUEUE_NAMES.deliveries, messages);
    await consumeDeliveriesBatch(batch, { ...fanned.env, DB: countingDb(trips) });

    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    expect(await receivedBy(target.key)).toHaveLength(BATCH);
    const rows = await deliveriesOfSubscription(subscription);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(rows.map(() => ['succeeded', 1]));
    expect(trips.roundTrips, JSON.stringify(trips.trips.map((t) => t.map((sql) => sql.slice(0, 50))))).toBe(
      DELIVERY_BATCH_ROUND_TRIPS,
    );
    // The first: the shops and the deliveries' work, in one batch on the primary.
    expect(trips.trips[0]).toEqual([
      expect.stringContaining('FROM shops'),
      expect.stringContaining('FROM deliveries d'),
    ]);
  });
});

describe('time-ordered ids for rows written in bulk', () => {
  /** The Unix milliseconds of a UUID of version 7; NaN for any other id. */
  const msOf = (id: string) =>
    /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)
      ? parseInt(id.replace(/-/g, '').slice(0, 12), 16)
      : NaN;

  it('task runs, action runs, child events and deliveries get UUIDs of version 7 made at their time', async () => {
    const { shopId, appId, token } = await createShopWithApp({ shard: 0 });
    const topic = 'user/speed/ids';
    await createTask(token, {
      subscriptions: topic,
      script: '{% action "event", topic: "user/speed/ids-child", data: 1 %}{% action "cache", "set", "speed:ids", 1 %}',
    });
    const { address } = await receiverAddress();
    const subscription = await insertSubscription({ shopId, appId, address, topic });
    const event = envelope(shopId, { topic });
    const events = recordingQueue();
    const deliveries = recordingDeliveriesEnv({ EVENTS: events.queue });
    const before = Date.now();

    await consume(deliveries.env, [eventMessage(event)]);

    const { results } = await env.DB.prepare(
      `SELECT r.id AS run_id, a.id AS action_id FROM task_runs r JOIN action_runs a ON a.task_run_id = r.id
       WHERE r.event_id = ?1`,
    )
      .bind(event.id)
      .all<{ run_id: string; action_id: string }>();
    const [child] = events.sent.flatMap((m) => (m.kind === 'event' ? [m.event.id] : []));
    const [delivery] = await deliveriesOfSubscription(subscription);
    const ids = [results[0]!.run_id, ...results.map((r) => r.action_id), child!, delivery!.id];
    expect(ids).toHaveLength(5);
    for (const id of ids) {
      expect(msOf(id), id).toBeGreaterThanOrEqual(before);
      expect(msOf(id), id).toBeLessThanOrEqual(Date.now());
    }
  });
});

describe('KV copies converge to D1', () => {
  it('a 429 on the KV put sends one re-copy naming only shop and key; the endpoint converges to D1', async () => {
    const topic = 'user/speed/hot';
    const key = 'speed:hot';
    await createTask(shop.token, { subscriptions: topic, script: `{% action "cache", "incr", "${key}" %}` });
    const endpoint = await createCacheEndpoint(shop.token, key);
    // A first batch whose copy lands: KV holds 5.
    await consume(
      env,
      Array.from({ length: 5 }, () => eventMessage(envelope(shop.shopId, { topic }))),
    );
    expect(await (await call(`/cache/${endpoint.token}`)).text()).toBe('5');

    const { kv, puts } = recordingKv({ refuse: true });
    const { queue, sent } = recordingQueue();
    const events = Array.from({ length: BATCH }, () => envelope(shop.shopId, { topic }));
    const settled = await consume({ ...env, KV: kv, EVENTS: queue }, events.map(eventMessage));

    expect(settled.every((s) => s.acked)).toBe(true);
    expect(puts).toEqual([{ key: cacheEntryKvKey(shop.shopId, key), value: '105' }]);
    expect(sent).toEqual([{ kind: 'cache-copy', shopId: shop.shopId, key }]);
    expect(await d1Value(key)).toBe('105');
    // The re-copy runs on the real queue after its delay and copies D1's value.
    await vi.waitFor(async () => expect(await (await call(`/cache/${endpoint.token}`)).text()).toBe('105'), {
      timeout: 15_000,
      interval: 200,
    });
    expect(await env.KV.get(cacheEntryKvKey(shop.shopId, key))).toBe('105');
  });

  it('a re-copy copies the value D1 holds when it runs, not the one that failed', async () => {
    const key = 'speed:later';
    const { kv } = recordingKv({ refuse: true });
    const { queue, sent } = recordingQueue();
    const topic = 'user/speed/later';
    await createTask(shop.token, {
      subscriptions: topic,
      script: '{% action "cache", "set", "speed:later", event.data %}',
    });
    await consume({ ...env, KV: kv, EVENTS: { ...queue, sendBatch: async () => {} } as unknown as Queue }, [
      eventMessage(envelope(shop.shopId, { topic, dataJson: '"old"' })),
    ]);
    await env.DB.prepare(`UPDATE cache_entries SET value = '"new"' WHERE shop_id = ?1 AND key = ?2`)
      .bind(shop.shopId, key)
      .run();
    expect(sent).toEqual([]);
    await consume(env, [{ kind: 'cache-copy', shopId: shop.shopId, key }]);
    expect(await env.KV.get(cacheEntryKvKey(shop.shopId, key))).toBe('"new"');
  });

  it('a re-copy refused again is retried with a delay; the message is not acked', async () => {
    const { kv } = recordingKv({ refuse: true });
    const settled = await consume({ ...env, KV: kv }, [{ kind: 'cache-copy', shopId: shop.shopId, key: 'speed:hot' }]);
    expect(settled[0]).toMatchObject({ acked: false, retried: true });
    expect(settled[0]!.delaySeconds).toBeGreaterThanOrEqual(2);
  });

  it('never serves an expired value: not from a stale KV copy, and a re-copy of an expired key deletes the copy', async () => {
    const key = 'speed:short';
    const endpoint = await createCacheEndpoint(shop.token, key);
    const topic = 'user/speed/short';
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "cache", "setex", "${key}", 1, "soon gone" %}`,
    });
    await consume(env, [eventMessage(envelope(shop.shopId, { topic }))]);
    expect(await (await call(`/cache/${endpoint.token}`)).text()).toBe('"soon gone"');
    await new Promise((r) => setTimeout(r, 1_100));
    // KV keeps the copy for its 60 s minimum TTL; its expiry metadata keeps it from being served.
    expect(await env.KV.get(cacheEntryKvKey(shop.shopId, key))).toBe('"soon gone"');
    const res = await call(`/cache/${endpoint.token}`);
    expect([res.status, await res.text()]).toEqual([404, 'null']);
    await consume(env, [{ kind: 'cache-copy', shopId: shop.shopId, key }]);
    expect(await env.KV.get(cacheEntryKvKey(shop.shopId, key))).toBeNull();
  });
});
