import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { consumeDeliveriesBatch } from '../../src/pipeline/deliveries-consumer';
import { consumeDeliveriesDeadLetters } from '../../src/pipeline/deliveries-dead-letter';
import { QUEUE_NAMES } from '../../src/env';
import { shardDb } from '../../src/shards';
import {
  attemptsOf,
  deliveriesOfSubscription,
  fanOutOnShards,
  insertSubscription,
  nestedData,
  receivedBy,
  receiverAddress,
  recordingDeliveriesEnv,
  storeProcessedEvent,
  subscriptionRow,
} from '../delivery-helpers';
import { countingDb } from '../faults';
import { createShopWithApp } from '../helpers';
import { recordingBatch } from '../queue';
import { shardOfShop } from '../shards';

const TOPIC = 'user/order/submit';

/** The binding name of a shard's database (shard 0 is the primary, `DB`). */
const shardBinding = (shard: number): string => (shard === 0 ? 'DB' : `SHARD_${shard}`);

/** Shop B: one JSON subscription, 99 events → 99 deliveries. Shop A: one XML subscription, one 100-deep event. */
async function neighbours() {
  const b = await createShopWithApp();
  const a = await createShopWithApp();
  const bTarget = await receiverAddress({ shopifySecret: b.signingSecret });
  const aTarget = await receiverAddress();
  const bSub = await insertSubscription({ shopId: b.shopId, appId: b.appId, address: bTarget.address, topic: TOPIC });
  const aSub = await insertSubscription({
    shopId: a.shopId,
    appId: a.appId,
    address: aTarget.address,
    topic: TOPIC,
    format: 'xml',
  });
  // B's 99 go to one host: a limit above them keeps this test about isolation (the rate limit
  // has its own tests).
  const recording = recordingDeliveriesEnv({ DELIVERY_RATE_LIMIT_PER_SECOND: '1000' });
  const bEvents = await Promise.all(Array.from({ length: 99 }, (_, n) => storeProcessedEvent(b.shopId, { n }, TOPIC)));
  const poison = await storeProcessedEvent(a.shopId, nestedData(100), TOPIC);
  // B and A are on different shards: each shop's deliveries are made on its own shard; A's message
  // is then put back in the middle of the batch.
  await fanOutOnShards(recording.env, [...bEvents.slice(0, 50), poison, ...bEvents.slice(50)]);
  const messages = recording.sent.splice(0).map((s) => s.body);
  expect(messages).toHaveLength(100);
  const aMessage = messages.findIndex((m) => (m as { shopId?: string }).shopId === a.shopId);
  messages.splice(50, 0, ...messages.splice(aMessage, 1));
  return { a, b, aTarget, bTarget, aSub, bSub, messages, ...recording };
}

describe('one delivery whose own data cannot be sent fails alone', () => {
  it('a 100-deep XML payload of shop A in a batch of 100: B’s 99 delivered once each, A’s failed, no batch retry', async () => {
    const t = await neighbours();
    const { batch, settled } = recordingBatch(QUEUE_NAMES.deliveries, t.messages);
    await consumeDeliveriesBatch(batch, t.env);

    // Every message settled by an ack: no retry of the batch nor of any message.
    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    // B: 99 requests, one per delivery, each signed; all recorded succeeded.
    const requests = await receivedBy(t.bTarget.key);
    expect(requests).toHaveLength(99);
    expect(new Set(requests.map((r) => r.headers['x-shopify-webhook-id'])).size).toBe(99);
    expect(requests.every((r) => r.shopifyHmacValid)).toBe(true);
    const bRows = await deliveriesOfSubscription(t.bSub);
    expect(bRows.map((r) => [r.status, r.attempts])).toEqual(bRows.map(() => ['succeeded', 1]));
    // A: no request; the delivery failed for good with a readable reason, no retry scheduled.
    expect(await receivedBy(t.aTarget.key)).toEqual([]);
    const [aRow] = await deliveriesOfSubscription(t.aSub);
    expect(aRow).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null, next_attempt_at: null });
    expect(aRow!.last_error).toMatch(
      /^the XML payload cannot be built from the event's data \(the event data is nested too deeply for XML\): /,
    );
    expect(await attemptsOf(aRow!.id)).toEqual([expect.objectContaining({ attempt: 1, error: aRow!.last_error })]);
    expect(t.sent).toEqual([]); // nothing re-sent, for A or for B
    // One event's data is not the subscription's fault: A's subscription stays active.
    expect(await subscriptionRow(t.aSub)).toMatchObject({ status: 'active', consecutive_failures: 0 });

    // The same messages again (a redelivery) change nothing: every attempt was made once.
    const again = recordingBatch(QUEUE_NAMES.deliveries, t.messages);
    await consumeDeliveriesBatch(again.batch, t.env);
    expect(await receivedBy(t.bTarget.key)).toHaveLength(99);
  });

  it('an attempt whose record fails is retried alone; the rest are recorded once', async () => {
    const t = await neighbours();
    const [aRow] = await deliveriesOfSubscription(t.aSub);
    const trips = { roundTrips: 0, trips: [] };
    // Recording A's attempt fails, as a storage error on one row would (the records are bound as
    // JSON objects `{"id":…}`; the load binds a plain list of ids, so loading still works).
    // The fault is on A's shard, where its attempt is recorded.
    const aShard = await shardOfShop(t.a.shopId);
    const db = countingDb(
      trips,
      (arg) => typeof arg === 'string' && arg.includes(`"id":"${aRow!.id}"`),
      shardDb(env, aShard),
    );
    const { batch, settled } = recordingBatch(QUEUE_NAMES.deliveries, t.messages);
    await consumeDeliveriesBatch(batch, { ...t.env, [shardBinding(aShard)]: db });
    const aIndex = t.messages.findIndex((m) => (m as { deliveryId: string }).deliveryId === aRow!.id);
    settled.forEach((s, i) => expect(s).toMatchObject(i === aIndex ? { retried: true } : { acked: true }));
    const bRows = await deliveriesOfSubscription(t.bSub);
    expect(bRows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
    expect(await receivedBy(t.bTarget.key)).toHaveLength(99);
  });
});

describe('the deliveries dead-letter consumer', () => {
  it('marks each delivery failed on its own: one that cannot be recorded is kept, the others are failed once', async () => {
    const t = await neighbours();
    const [aRow] = await deliveriesOfSubscription(t.aSub);
    const trips = { roundTrips: 0, trips: [] };
    // The fault is on A's shard, where its delivery is marked.
    const aShard = await shardOfShop(t.a.shopId);
    const db = countingDb(trips, (arg) => arg === aRow!.id, shardDb(env, aShard));
    const { batch, settled } = recordingBatch(QUEUE_NAMES.deliveriesDeadLetter, t.messages);
    await consumeDeliveriesDeadLetters(batch, { ...env, [shardBinding(aShard)]: db });

    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    const bRows = await deliveriesOfSubscription(t.bSub);
    expect(bRows).toHaveLength(99);
    for (const row of bRows) {
      expect(row).toMatchObject({
        status: 'failed',
        last_error: "gave up after the deliveries queue's retries (attempt 1)",
      });
    }
    // A's delivery could not be marked: its message is kept in dead_letters with the reason.
    expect((await deliveriesOfSubscription(t.aSub))[0]).toMatchObject({ status: 'pending' });
    const dead = await env.DB.prepare(`SELECT body, error FROM dead_letters WHERE queue = ?1`)
      .bind(QUEUE_NAMES.deliveriesDeadLetter)
      .all<{ body: string; error: string }>();
    expect(dead.results).toEqual([
      { body: expect.stringContaining(aRow!.id), error: 'delivery could not be marked failed' },
    ]);
  });
});
