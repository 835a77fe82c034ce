import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MOVE_CHUNK_ROWS, MOVE_DRAIN_SECONDS, MOVE_SETTLE_SECONDS, QUEUE_NAMES } from '../../src/env';
import { insertEvent } from '../../src/events/store';
import { advanceShopMoves } from '../../src/operator/moves';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import { sweepPendingEvents } from '../../src/pipeline/events-sweep';
import type { QueueMessage } from '../../src/queue/messages';
import { eachShard, inShard } from '../../src/shards';
import {
  ADMIN_TOKEN,
  call,
  callWithEnv,
  createShopWithApp,
  createWebhook,
  jsonInit,
  postWebhook,
  waitForEvent,
} from '../helpers';
import { queueKind } from '../../src/pipeline/consumers';
import { insertSubscription } from '../delivery-helpers';
import { envelope, recordingBatch } from '../queue';
import { shardOfShop } from '../shards';
import { createCacheEndpoint, createTask } from '../task-helpers';

/**
 * Issue 22: shops on shards. Each shop's per-shop rows live in its shard's database; its events
 * and deliveries go to its shard's queue group; a shop can move to another shard with traffic
 * running, losing, duplicating and altering nothing.
 */

const PER_SHOP_TABLES = ['events', 'task_runs', 'deliveries', 'cache_entries'] as const;

/** What `rowCounts` gives for a database holding none of the shop's rows. */
const NO_ROWS = { events: 0, task_runs: 0, deliveries: 0, cache_entries: 0, action_runs: 0 };

/** Counts of a shop's rows per per-shop table in one database. */
async function rowCounts(db: D1Database, shopId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of PER_SHOP_TABLES) {
    const row = await db
      .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE shop_id = ?1`)
      .bind(shopId)
      .first<{ n: number }>();
    counts[table] = row!.n;
  }
  const actions = await db
    .prepare('SELECT COUNT(*) AS n FROM action_runs WHERE task_run_id IN (SELECT id FROM task_runs WHERE shop_id = ?1)')
    .bind(shopId)
    .first<{ n: number }>();
  counts['action_runs'] = actions!.n;
  return counts;
}

/** An Env whose queues (every group) record what is sent to them. */
function recordingQueues(): {
  testEnv: Env;
  events: { body: QueueMessage; delaySeconds?: number; queue: string }[];
  deliveries: unknown[];
} {
  const events: { body: QueueMessage; delaySeconds?: number; queue: string }[] = [];
  const deliveries: unknown[] = [];
  const eventsQueue = (queue: string) =>
    ({
      async send(body: QueueMessage, o?: QueueSendOptions) {
        events.push({ body, delaySeconds: o?.delaySeconds, queue });
      },
      async sendBatch(messages: MessageSendRequest<QueueMessage>[]) {
        for (const m of messages) events.push({ body: m.body, delaySeconds: m.delaySeconds, queue });
      },
    }) as unknown as Queue;
  const deliveriesQueue = {
    async send(body: unknown) {
      deliveries.push(body);
    },
    async sendBatch(messages: MessageSendRequest[]) {
      for (const m of messages) deliveries.push(m.body);
    },
  } as unknown as Queue;
  return {
    testEnv: {
      ...env,
      EVENTS: eventsQueue('EVENTS'),
      EVENTS_1: eventsQueue('EVENTS_1'),
      DELIVERIES: deliveriesQueue,
      DELIVERIES_1: deliveriesQueue,
    },
    events,
    deliveries,
  };
}

/** A shop on `shard` with a webhook on `topic`, a task running `script`, and an endpoint on `key`. */
async function shopWithTask(shard: number, topic: string, script: string, key: string) {
  const shop = await createShopWithApp({ shard });
  const webhook = await createWebhook(shop.token, { topic });
  await createTask(shop.token, { subscriptions: topic, script });
  const endpoint = await createCacheEndpoint(shop.token, key);
  return { shop, webhook, endpoint };
}

describe('placement', () => {
  it('records each new shop on the shard with the fewest shops, and shows it in the shop', async () => {
    const before = await env.DB.prepare('SELECT shard, COUNT(*) AS n FROM shops GROUP BY shard').all<{
      shard: number;
      n: number;
    }>();
    const count = (shard: number) => before.results.find((r) => r.shard === shard)?.n ?? 0;
    const shards: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call(
        '/api/v1/shops',
        jsonInit('POST', ADMIN_TOKEN, { myshopify_domain: `placed-${i}-${Date.now()}.myshopify.com` }),
      );
      expect(res.status).toBe(201);
      const { shop } = await res.json<{ shop: { id: string; shard: number } }>();
      expect(await shardOfShop(shop.id)).toBe(shop.shard);
      shards.push(shop.shard);
    }
    // Fewest shops first, the lower shard on a tie: the two shards end up within one shop.
    const after = [0, 1].map((s) => count(s) + shards.filter((x) => x === s).length);
    expect(Math.abs(after[0]! - after[1]!)).toBeLessThanOrEqual(1);
    expect(new Set(shards)).toEqual(new Set([0, 1]));
  });
});

describe('a shop on shard 1', () => {
  it("keeps its events, runs, cache values and deliveries on shard 1 and sends to group 1's queues", async () => {
    const topic = 'user/shard/submit';
    const { shop, webhook, endpoint } = await shopWithTask(
      1,
      topic,
      '{% action "cache", "set", "shard:last", event.data.n %}',
      'shard:last',
    );
    await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: 'https://example.com/hook',
      topic,
    });
    const { testEnv, events, deliveries } = recordingQueues();

    const posted = await callWithEnv(testEnv, `/webhooks/${webhook}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"n":12345678901234567890}',
    });
    expect(posted.status).toBe(204);
    expect(events.map((e) => e.queue)).toEqual(['EVENTS_1']);
    const { batch, settled } = recordingBatch(
      QUEUE_NAMES.events,
      events.map((e) => e.body),
    );
    await consumeEventsBatch(batch, testEnv);
    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);

    expect(await rowCounts(env.SHARD_1, shop.shopId)).toEqual({
      events: 1,
      task_runs: 1,
      deliveries: 1,
      cache_entries: 1,
      action_runs: 1,
    });
    expect(await rowCounts(env.DB, shop.shopId)).toEqual(NO_ROWS);
    expect(deliveries).toEqual([expect.objectContaining({ kind: 'delivery', shopId: shop.shopId, attempt: 1 })]);
    // Read back from the shard, exactly (KV has no copy when we clear it, D1 answers).
    const read = await call(`/cache/${endpoint.token}`);
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('12345678901234567890');
    const listed = await call('/api/v1/events', jsonInit('GET', shop.token));
    expect((await listed.json<{ events: unknown[] }>()).events).toHaveLength(1);
  });
});

describe('through the real queues', () => {
  it("a shard-1 shop's event goes through group 1's events queue and consumer to its result", async () => {
    const { webhook, endpoint } = await shopWithTask(
      1,
      'user/shard/real',
      '{% action "cache", "set", "real:last", event.data.n %}',
      'real:last',
    );
    const res = await postWebhook(webhook, { headers: { 'content-type': 'application/json' }, body: '{"n":41.5}' });
    expect(res.status).toBe(204);
    const event = await waitForEvent(res.headers.get('x-request-id')!);
    expect(await env.SHARD_1.prepare('SELECT status FROM events WHERE id = ?1').bind(event.id).first()).toEqual({
      status: 'processed',
    });
    expect(await env.DB.prepare('SELECT id FROM events WHERE id = ?1').bind(event.id).first()).toBeNull();
    const read = await call(`/cache/${endpoint.token}?wait=5`);
    expect(await read.text()).toBe('41.5');
  });

  it('names each queue of every group for its consumer; an unknown queue is none', () => {
    expect(
      ['edgehook-events', 'edgehook-events-1', 'edgehook-events-12', 'edgehook-events-dlq'].map(queueKind),
    ).toEqual(['events', 'events', 'events', 'eventsDeadLetter']);
    expect(['edgehook-deliveries-3', 'edgehook-deliveries-dlq', 'edgehook-events-x', 'other'].map(queueKind)).toEqual([
      'deliveries',
      'deliveriesDeadLetter',
      null,
      null,
    ]);
  });
});

describe('moving a shop (POST /api/v1/shops/{id}/move)', () => {
  it('refuses a shard not bound, the current shard, a bad body, and a second move while one runs', async () => {
    const shop = await createShopWithApp({ shard: 0 });
    const move = (body: unknown) => call(`/api/v1/shops/${shop.shopId}/move`, jsonInit('POST', ADMIN_TOKEN, body));
    expect((await move({ shard: 7 })).status).toBe(422);
    expect((await move({ shard: 0 })).status).toBe(422);
    expect((await move({ shard: 'one' })).status).toBe(422);
    expect((await call(`/api/v1/shops/${shop.shopId}/move`, jsonInit('POST', shop.token, { shard: 1 }))).status).toBe(
      403,
    );
    expect((await move({ shard: 1 })).status).toBe(202);
    expect((await move({ shard: 1 })).status).toBe(409);
  });

  it('with traffic running: no event, run, delivery or cache value lost or duplicated; results readable throughout', async () => {
    const topic = 'user/move/submit';
    const {
      shop,
      webhook,
      endpoint: counter,
    } = await shopWithTask(
      0,
      topic,
      '{% action "cache", "incr", "move:count" %}{% action "cache", "set", event.data.key, event.data.n %}',
      'move:count',
    );
    await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: 'https://example.com/hook',
      topic,
    });
    const { testEnv, events } = recordingQueues();
    let n = 0;
    const sentKeys: string[] = [];
    const post = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const key = `move:key:${++n}`;
        sentKeys.push(key);
        const res = await callWithEnv(testEnv, `/webhooks/${webhook}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ key, n }),
        });
        expect(res.status).toBe(204);
      }
    };
    /** Consumes what the queues hold now (once; a paused shop's messages come back to the queue). */
    const consumeQueued = async () => {
      const bodies = events.splice(0).map((e) => e.body);
      for (let i = 0; i < bodies.length; i += 100) {
        const { batch, settled } = recordingBatch(QUEUE_NAMES.events, bodies.slice(i, i + 100));
        await consumeEventsBatch(batch, testEnv);
        expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
      }
      return bodies.length;
    };
    const readCounter = async () => {
      const res = await callWithEnv(testEnv, `/cache/${counter.token}`);
      expect(res.status).toBe(200);
      return Number(await res.text());
    };
    const t0 = Date.now();

    await post(30);
    await consumeQueued();
    expect(await readCounter()).toBe(30);

    const started = await call(`/api/v1/shops/${shop.shopId}/move`, jsonInit('POST', ADMIN_TOKEN, { shard: 1 }));
    expect(started.status).toBe(202);
    const { move } = await started.json<{ move: { id: number; phase: string } }>();
    expect(move.phase).toBe('draining');

    // Draining: ingress still answers 204; the consumer sends the shop's messages again later.
    await post(20);
    await consumeQueued();
    expect(events).toHaveLength(20);
    expect(events.every((e) => e.delaySeconds !== undefined && e.delaySeconds > 0)).toBe(true);
    expect(await readCounter()).toBe(30);
    // A write of the shop's rows through the API waits for the move.
    const refused = await call('/api/v1/cache/move:other', jsonInit('PUT', shop.token, { value: 1 }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).not.toBeNull();

    // Copying (the drain is over), then the switch.
    await advanceShopMoves(testEnv, t0 + (MOVE_DRAIN_SECONDS + 1) * 1000);
    expect(await readCounter()).toBe(30);
    await advanceShopMoves(testEnv, t0 + (MOVE_DRAIN_SECONDS + 2) * 1000);
    expect(await shardOfShop(shop.shopId)).toBe(1);
    const settling = await call(`/api/v1/shops/${shop.shopId}/moves/${move.id}`, jsonInit('GET', ADMIN_TOKEN));
    expect((await settling.json<{ move: { phase: string } }>()).move.phase).toBe('settling');
    expect(await readCounter()).toBe(30);

    // Settling: the paused messages come back and are processed on the new shard, with new traffic.
    await consumeQueued();
    await post(20);
    await consumeQueued();
    expect(await readCounter()).toBe(70);
    // A writer that still held the old map: an event stored pending in the old shard.
    const stale = envelope(shop.shopId, {
      topic,
      webhookId: webhook,
      dataJson: JSON.stringify({ key: 'move:key:stale', n: 71 }),
    });
    sentKeys.push('move:key:stale');
    await insertEvent(env.DB, stale, 'pending');

    // Cleaning: what is left in the old shard is copied where missing, then deleted.
    await advanceShopMoves(testEnv, t0 + (MOVE_DRAIN_SECONDS + MOVE_SETTLE_SECONDS + 3) * 1000);
    await advanceShopMoves(testEnv, t0 + (MOVE_DRAIN_SECONDS + MOVE_SETTLE_SECONDS + 4) * 1000);
    const done = await call(`/api/v1/shops/${shop.shopId}/moves/${move.id}`, jsonInit('GET', ADMIN_TOKEN));
    expect((await done.json<{ move: { phase: string } }>()).move.phase).toBe('done');
    expect(await sweepPendingEvents(inShard(testEnv, 1))).toBe(1);
    await consumeQueued();
    expect(events).toHaveLength(0);

    // Nothing left behind, nothing lost or doubled.
    expect(await rowCounts(env.DB, shop.shopId)).toEqual(NO_ROWS);
    expect(await rowCounts(env.SHARD_1, shop.shopId)).toEqual({
      events: 71,
      task_runs: 71,
      deliveries: 71,
      cache_entries: 72,
      action_runs: 142,
    });
    const perEvent = await env.SHARD_1.prepare(
      `SELECT e.status, COUNT(DISTINCT r.id) AS runs, COUNT(DISTINCT d.id) AS deliveries
       FROM events e LEFT JOIN task_runs r ON r.event_id = e.id LEFT JOIN deliveries d ON d.event_id = e.id
       WHERE e.shop_id = ?1 GROUP BY e.id`,
    )
      .bind(shop.shopId)
      .all<{ status: string; runs: number; deliveries: number }>();
    expect(perEvent.results.every((r) => r.status === 'processed' && r.runs === 1 && r.deliveries === 1)).toBe(true);
    expect(await readCounter()).toBe(71);
    // Each event's own value, exactly as sent.
    const { results } = await env.SHARD_1.prepare(
      "SELECT key, value FROM cache_entries WHERE shop_id = ?1 AND key LIKE 'move:key:%'",
    )
      .bind(shop.shopId)
      .all<{ key: string; value: string }>();
    expect(results.map((r) => r.key).sort()).toEqual([...sentKeys].sort());
    expect(results.find((r) => r.key === 'move:key:stale')?.value).toBe('71');
  });
});

/** Copies one row of `table` (the first `where` finds on `from`) into `into`, with `changes`. */
async function cloneRow(
  from: D1Database,
  into: D1Database,
  table: string,
  where: string,
  bind: unknown[],
  changes: Record<string, unknown>,
): Promise<void> {
  const row = await from
    .prepare(`SELECT * FROM ${table} WHERE ${where} LIMIT 1`)
    .bind(...bind)
    .first<Record<string, unknown>>();
  expect(row).not.toBeNull();
  const full = { ...row!, ...changes };
  const columns = Object.keys(full);
  await into
    .prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `?${i + 1}`).join(', ')})`)
    .bind(...columns.map((c) => full[c]))
    .run();
}

describe('moving a shop: what writers holding the old map leave behind', () => {
  it('is carried over (children with their parents, several chunks), unprocessed events run, deleted values stay deleted, edge copies name the new shard', async () => {
    const topic = 'user/move/stale';
    const { shop, webhook } = await shopWithTask(
      0,
      topic,
      '{% action "cache", "set", event.data.key, event.data.n %}',
      'stale:count',
    );
    await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address: 'https://example.com/hook', topic });
    const { testEnv, events } = recordingQueues();
    const consumeQueued = async () => {
      const bodies = events.splice(0).map((e) => e.body);
      const { batch, settled } = recordingBatch(QUEUE_NAMES.events, bodies);
      await consumeEventsBatch(batch, testEnv);
      expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    };
    const res = await callWithEnv(testEnv, `/webhooks/${webhook}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key: 'stale:first', n: 1 }),
    });
    expect(res.status).toBe(204);
    await consumeQueued();
    // More rows than one chunk (MOVE_CHUNK_ROWS) in the events table.
    const old = Array.from({ length: MOVE_CHUNK_ROWS + 50 }, () => envelope(shop.shopId, { topic }));
    await env.DB.batch(
      old.map((e) =>
        env.DB.prepare(
          `INSERT INTO events (id, shop_id, topic, data, source, webhook_id, webhook_request_id, parent_id, created_at, status)
           VALUES (?1, ?2, ?3, '{}', 'webhook', NULL, ?4, NULL, ?5, 'processed')`,
        ).bind(e.id, shop.shopId, topic, e.webhookRequestId, e.createdAt),
      ),
    );
    for (const key of ['stale:kept', 'stale:deleted']) {
      const put = await call(`/api/v1/cache/${key}`, jsonInit('PUT', shop.token, { value: key }));
      expect(put.status).toBeLessThan(300);
    }

    const t0 = Date.now();
    const started = await call(`/api/v1/shops/${shop.shopId}/move`, jsonInit('POST', ADMIN_TOKEN, { shard: 1 }));
    const { move } = await started.json<{ move: { id: number } }>();
    await advanceShopMoves(testEnv, t0 + (MOVE_DRAIN_SECONDS + 1) * 1000);
    await advanceShopMoves(testEnv, t0 + (MOVE_DRAIN_SECONDS + 2) * 1000);
    expect(await shardOfShop(shop.shopId)).toBe(1);

    // Settling, on the new shard: a value is deleted.
    expect((await call('/api/v1/cache/stale:deleted', jsonInit('DELETE', shop.token))).status).toBe(204);
    // Writers holding the old map, on the old shard: a task run with its action run, a delivery
    // with its attempt (children whose parents exist only there), a value, and an event stored
    // `queued` whose message was settled on the new shard before the row got there.
    const runId = crypto.randomUUID();
    const deliveryId = crypto.randomUUID();
    await cloneRow(env.SHARD_1, env.DB, 'task_runs', 'shop_id = ?1', [shop.shopId], {
      id: runId,
      event_id: crypto.randomUUID(),
    });
    await cloneRow(
      env.SHARD_1,
      env.DB,
      'action_runs',
      'task_run_id IN (SELECT id FROM task_runs WHERE shop_id = ?1)',
      [shop.shopId],
      { id: crypto.randomUUID(), task_run_id: runId },
    );
    await cloneRow(env.SHARD_1, env.DB, 'deliveries', 'shop_id = ?1', [shop.shopId], {
      id: deliveryId,
      event_id: crypto.randomUUID(),
    });
    await env.DB.prepare(
      `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, status_code, duration_ms, error)
       VALUES (?1, 1, ?2, 200, 12, NULL)`,
    )
      .bind(deliveryId, new Date().toISOString())
      .run();
    // (Written after the switch: this test's clock for the move runs ahead of the real one.)
    const afterSwitch = new Date(t0 + (MOVE_DRAIN_SECONDS + 3) * 1000).toISOString();
    await env.DB.prepare(
      `INSERT INTO cache_entries (shop_id, key, value, expires_at, updated_at) VALUES (?1, 'stale:late', '"late"', ?2, ?3)`,
    )
      .bind(shop.shopId, new Date(Date.now() + 3_600_000).toISOString(), afterSwitch)
      .run();
    const late = envelope(shop.shopId, { topic, dataJson: JSON.stringify({ key: 'stale:event', n: 7 }) });
    await insertEvent(env.DB, late, 'queued');
    const ref = recordingBatch(QUEUE_NAMES.events, [{ kind: 'event-ref', eventId: late.id, shopId: shop.shopId }]);
    await consumeEventsBatch(ref.batch, testEnv);
    expect(ref.settled[0]!.acked).toBe(true);
    // A read-through that read the map before the switch rewrote the webhook's edge copy after it.
    const kvKey = `wh:${webhook}`;
    const copy = JSON.parse((await env.KV.get(kvKey))!) as { shard: number };
    expect(copy.shard).toBe(1);
    await env.KV.put(kvKey, JSON.stringify({ ...copy, shard: 0 }));

    // The end of settling, then cleaning until done.
    let at = t0 + (MOVE_DRAIN_SECONDS + MOVE_SETTLE_SECONDS + 3) * 1000;
    await advanceShopMoves(testEnv, at);
    expect((JSON.parse((await env.KV.get(kvKey))!) as { shard: number }).shard).toBe(1);
    let phase = 'cleaning';
    for (let run = 0; run < 5 && phase === 'cleaning'; run++) {
      await advanceShopMoves(testEnv, (at += 1000));
      const shown = await call(`/api/v1/shops/${shop.shopId}/moves/${move.id}`, jsonInit('GET', ADMIN_TOKEN));
      phase = (await shown.json<{ move: { phase: string; error: string | null } }>()).move.phase;
    }
    expect(phase).toBe('done');

    expect(await rowCounts(env.DB, shop.shopId)).toEqual(NO_ROWS);
    const onNew = (sql: string, ...binds: unknown[]) =>
      env.SHARD_1.prepare(sql)
        .bind(...binds)
        .first<Record<string, unknown>>();
    expect(await onNew('SELECT COUNT(*) AS n FROM events WHERE shop_id = ?1', shop.shopId)).toEqual({
      n: 1 + old.length + 1,
    });
    expect(await onNew('SELECT COUNT(*) AS n FROM action_runs WHERE task_run_id = ?1', runId)).toEqual({ n: 1 });
    expect(await onNew('SELECT COUNT(*) AS n FROM delivery_attempts WHERE delivery_id = ?1', deliveryId)).toEqual({
      n: 1,
    });
    const keys = await env.SHARD_1.prepare('SELECT key FROM cache_entries WHERE shop_id = ?1 ORDER BY key')
      .bind(shop.shopId)
      .all<{ key: string }>();
    expect(keys.results.map((r) => r.key)).toEqual(['stale:first', 'stale:kept', 'stale:late']);

    // The event left behind is pending on the new shard: the sweep sends it again, and it runs.
    expect(await onNew('SELECT status FROM events WHERE id = ?1', late.id)).toEqual({ status: 'pending' });
    expect(await sweepPendingEvents(inShard(testEnv, 1))).toBe(1);
    await consumeQueued();
    expect(await onNew('SELECT status FROM events WHERE id = ?1', late.id)).toEqual({ status: 'processed' });
    expect(
      await onNew("SELECT value FROM cache_entries WHERE shop_id = ?1 AND key = 'stale:event'", shop.shopId),
    ).toEqual({ value: '7' });
  });
});

describe('operator views across shards (GET /api/v1/operator/events)', () => {
  it("pages every shop's events in one newest-first order across shards, with filters; operator only", async () => {
    const a = await createShopWithApp({ shard: 0 });
    const b = await createShopWithApp({ shard: 1 });
    const topic = `user/across/${crypto.randomUUID().slice(0, 8)}`;
    // Interleaved creation times: shard 0 holds the even seconds, shard 1 the odd ones.
    const made: string[] = [];
    for (let i = 0; i < 9; i++) {
      const shop = i % 2 === 0 ? a : b;
      const event = envelope(shop.shopId, { topic, createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() });
      await insertEvent(i % 2 === 0 ? env.DB : env.SHARD_1, event, 'queued');
      made.push(event.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = `topic=${encodeURIComponent(topic)}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await call(`/api/v1/operator/events?${query}`, jsonInit('GET', ADMIN_TOKEN));
      expect(res.status).toBe(200);
      const body = await res.json<{ events: { id: string; shop_id: string }[]; next_cursor: string | null }>();
      expect(body.events.length).toBeLessThanOrEqual(4);
      seen.push(...body.events.map((e) => e.id));
      cursor = body.next_cursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual([...made].reverse());
    expect((await call('/api/v1/operator/events', jsonInit('GET', a.token))).status).toBe(403);
    expect((await call('/api/v1/operator/events?status=nope', jsonInit('GET', ADMIN_TOKEN))).status).toBe(422);
  });

  it('asks at most the given number of shards at once', async () => {
    let running = 0;
    let most = 0;
    const testEnv = { ...env, SHARD_2: env.TEST_SHARD_2 } as Env;
    const shards = await eachShard(
      testEnv,
      async (_, shard) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running--;
        return shard;
      },
      2,
    );
    expect(shards).toEqual([0, 1, 2]);
    expect(most).toBe(2);
  });
});
