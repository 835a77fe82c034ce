import { describe, expect, it } from 'vitest';
import { consumeDeliveriesBatch } from '../../src/pipeline/deliveries-consumer';
import { QUEUE_NAMES } from '../../src/env';
import {
  attemptsOf,
  deliveriesOfSubscription,
  fanOutOnShards,
  insertSubscription,
  receivedBy,
  receiverAddress,
  recordingDeliveriesEnv,
  storeProcessedEvent,
} from '../delivery-helpers';
import { call, createShopWithApp, jsonInit } from '../helpers';
import { recordingBatch } from '../queue';
import { dbOfShop } from '../shards';

const TOPIC = 'user/order/submit';

/** Hands the recorded messages to the consumer as one batch, ignoring their delays. */
async function consumeNow(testEnv: Env, sent: { body: unknown }[]) {
  const { batch, settled } = recordingBatch(
    QUEUE_NAMES.deliveries,
    sent.splice(0).map((s) => s.body),
  );
  await consumeDeliveriesBatch(batch, testEnv);
  return settled;
}

async function destinations(token: string, query = '') {
  const res = await call(`/api/v1/destinations${query}`, jsonInit('GET', token));
  expect(res.status).toBe(200);
  return (await res.json<{ destinations: Record<string, unknown>[]; next_cursor: string | null }>()).destinations;
}

describe('a rate limit per destination', () => {
  it('sends at most DELIVERY_RATE_LIMIT_PER_SECOND a second to one host; the rest wait in the queue, none dropped, none a retry', async () => {
    const limit = 5;
    const shop = await createShopWithApp();
    // The receiver takes 300 ms per answer, so deliveries sent together overlap and it can count them.
    const target = await receiverAddress({ then: { status: 200, delayMs: 300 } });
    const sub = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
    });
    const { env: testEnv, sent } = recordingDeliveriesEnv({ DELIVERY_RATE_LIMIT_PER_SECOND: String(limit) });
    const events = await Promise.all(
      Array.from({ length: 30 }, (_, n) => storeProcessedEvent(shop.shopId, { n }, TOPIC)),
    );
    await fanOutOnShards(testEnv, events);

    // The queue, on the real clock: each message is handed over once its delay has passed.
    const queue = sent.splice(0).map((s) => ({ body: s.body, dueAt: Date.now() + (s.delaySeconds ?? 0) * 1000 }));
    const started = Date.now();
    let held = 0;
    while (queue.length > 0 && Date.now() - started < 20_000) {
      const due = queue.filter((m) => m.dueAt <= Date.now());
      if (due.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      for (const m of due) queue.splice(queue.indexOf(m), 1);
      const settled = await consumeNow(testEnv, due);
      expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
      for (const s of sent.splice(0)) {
        held++;
        expect(s.delaySeconds).toBeGreaterThanOrEqual(1);
        queue.push({ body: s.body, dueAt: Date.now() + s.delaySeconds! * 1000 });
      }
    }
    expect(queue).toEqual([]);

    const requests = await receivedBy(target.key);
    // Every delivery once, as its first attempt: holding is not a retry.
    expect(requests).toHaveLength(30);
    expect(new Set(requests.map((r) => r.headers['x-shopify-webhook-id'])).size).toBe(30);
    const rows = await deliveriesOfSubscription(sub);
    expect(rows.map((r) => [r.status, r.attempts])).toEqual(rows.map(() => ['succeeded', 1]));
    for (const row of rows.slice(0, 5)) expect(await attemptsOf(row.id)).toHaveLength(1);
    expect(held).toBeGreaterThanOrEqual(25); // 30 in one batch: 5 go, 25 wait
    // The receiver's count: never more than the limit in flight, and at most the limit per window
    // of the Worker's second (a sliding second can straddle two windows: at most twice the limit).
    expect(Math.max(...requests.map((r) => r.concurrent))).toBeLessThanOrEqual(limit);
    const times = requests.map((r) => r.receivedAt).sort((a, b) => a - b);
    for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(2 * limit);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(((30 - 2 * limit) / limit) * 1000); // ≥ 4 s, not all at once

    const [destination] = await destinations(shop.token);
    expect(destination).toMatchObject({
      host: new URL(target.address).host,
      status: 'active',
      rate_limit_per_second: 5,
    });
  }, 30_000);

  it('limits each app on its own: another app’s deliveries to the same host are not slowed', async () => {
    const a = await createShopWithApp();
    const b = await createShopWithApp();
    const aTarget = await receiverAddress();
    const bTarget = await receiverAddress();
    await insertSubscription({ shopId: a.shopId, appId: a.appId, address: aTarget.address, topic: TOPIC });
    await insertSubscription({ shopId: b.shopId, appId: b.appId, address: bTarget.address, topic: TOPIC });
    const { env: testEnv, sent } = recordingDeliveriesEnv({ DELIVERY_RATE_LIMIT_PER_SECOND: '3' });
    const aEvents = await Promise.all(
      Array.from({ length: 10 }, (_, n) => storeProcessedEvent(a.shopId, { n }, TOPIC)),
    );
    const bEvents = await Promise.all(Array.from({ length: 3 }, (_, n) => storeProcessedEvent(b.shopId, { n }, TOPIC)));
    await fanOutOnShards(testEnv, [...aEvents, ...bEvents]);
    await consumeNow(testEnv, sent);
    expect(await receivedBy(aTarget.key)).toHaveLength(3);
    expect(await receivedBy(bTarget.key)).toHaveLength(3);
    expect(sent).toHaveLength(7); // A's 7 held
  });
});

describe('a subscription’s own rate limit (PUT /api/v1/subscriptions/{id}/delivery_limit)', () => {
  it('overrides the deployment’s limit for its destination; null returns to it; bad values 422, another app 404', async () => {
    const shop = await createShopWithApp();
    const target = await receiverAddress();
    const sub = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
    });
    const path = `/api/v1/subscriptions/${sub}/delivery_limit`;
    const put = (token: string, body: unknown) => call(path, jsonInit('PUT', token, body));
    expect(await (await call(path, jsonInit('GET', shop.token))).json()).toEqual({
      subscription_id: sub,
      max_deliveries_per_second: null,
    });
    for (const bad of [0, 1.5, 'x', 10_001]) {
      const res = await put(shop.token, { max_deliveries_per_second: bad });
      expect(res.status).toBe(422);
      expect(await res.json()).toMatchObject({ error: { fields: { max_deliveries_per_second: expect.any(Array) } } });
    }
    expect((await put(shop.token, { other: 1, max_deliveries_per_second: 2 })).status).toBe(422);
    const other = await createShopWithApp();
    expect((await put(other.token, { max_deliveries_per_second: 2 })).status).toBe(404);
    const ok = await put(shop.token, { max_deliveries_per_second: 2 });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ subscription_id: sub, max_deliveries_per_second: 2 });

    // 6 deliveries in one batch: 2 go now, 4 wait, spread at 2 a second.
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    const events = await Promise.all(
      Array.from({ length: 6 }, (_, n) => storeProcessedEvent(shop.shopId, { n }, TOPIC)),
    );
    await fanOutOnShards(testEnv, events);
    await consumeNow(testEnv, sent);
    expect(await receivedBy(target.key)).toHaveLength(2);
    expect(sent.map((s) => s.delaySeconds)).toEqual([1, 1, 2, 2]);
    expect((await destinations(shop.token))[0]).toMatchObject({ rate_limit_per_second: 2 });

    // Removed: the deployment's limit (100) admits the 4 at once.
    expect((await put(shop.token, { max_deliveries_per_second: null })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the next second's window
    await consumeNow(testEnv, sent);
    expect(await receivedBy(target.key)).toHaveLength(6);
    expect((await destinations(shop.token))[0]).toMatchObject({ rate_limit_per_second: 100 });
  });
});

describe('a circuit breaker per destination', () => {
  it('pauses after 10 consecutive failures, holds deliveries, probes on a growing interval, resumes on the first success; none lost, none a retry', async () => {
    const shop = await createShopWithApp();
    // 10 failures open the breaker; the first probe fails too; then the receiver is back.
    const target = await receiverAddress({
      responses: Array.from({ length: 11 }, () => ({ status: 500 })),
      then: { status: 200 },
    });
    const host = new URL(target.address).host;
    const sub = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
    });
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    const first = await Promise.all(
      Array.from({ length: 10 }, (_, n) => storeProcessedEvent(shop.shopId, { n }, TOPIC)),
    );
    await fanOutOnShards(testEnv, first);
    await consumeNow(testEnv, sent);
    expect(await receivedBy(target.key)).toHaveLength(10);

    // Paused, visible in the API, its first probe 30 s away.
    let [destination] = await destinations(shop.token, '?paused=true');
    expect(destination).toMatchObject({ host, status: 'paused', consecutive_failures: 10, last_error: 'HTTP 500' });
    const firstProbe = Date.parse(destination!.next_probe_at as string) - Date.now();
    expect(firstProbe).toBeGreaterThan(25_000);
    expect(firstProbe).toBeLessThanOrEqual(30_000);

    // While paused: the 10 retries and 5 new deliveries are held — no request, no attempt spent —
    // and sent back to the queue as the same attempts, to come back at the probe time.
    const retries = sent.splice(0);
    expect(retries).toHaveLength(10);
    await fanOutOnShards(
      testEnv,
      await Promise.all(Array.from({ length: 5 }, (_, n) => storeProcessedEvent(shop.shopId, { late: n }, TOPIC))),
    );
    const fresh = sent.splice(0);
    const heldBodies = [...retries, ...fresh].map((s) => s.body);
    sent.push(...retries, ...fresh);
    expect(await consumeNow(testEnv, sent)).toSatisfy((s: { acked: boolean }[]) => s.every((x) => x.acked));
    expect(await receivedBy(target.key)).toHaveLength(10);
    expect(sent.map((s) => s.body)).toEqual(heldBodies);
    for (const s of sent) expect(s.delaySeconds).toBeGreaterThanOrEqual(25);
    const rows = await deliveriesOfSubscription(sub);
    expect(rows.map((r) => r.attempts).sort()).toEqual([...Array(5).fill(0), ...Array(10).fill(1)]);
    // The deliveries API shows when each held delivery comes back: at the probe time.
    for (const row of rows) {
      expect(Math.abs(Date.parse(row.next_attempt_at!) - (Date.now() + firstProbe))).toBeLessThan(3_000);
    }

    // The probe time comes (moved here instead of waiting 30 s): one attempt goes, fails, and the
    // next probe is twice as far; everything else is held again.
    await (
      await dbOfShop(shop.shopId)
    )
      .prepare(`UPDATE delivery_destinations SET next_probe_at = ?2 WHERE host = ?1 AND app_id = ?3`)
      .bind(host, new Date(Date.now() - 1000).toISOString(), shop.appId)
      .run();
    await consumeNow(testEnv, sent);
    expect(await receivedBy(target.key)).toHaveLength(11);
    [destination] = await destinations(shop.token);
    expect(destination).toMatchObject({ status: 'paused', consecutive_failures: 11 });
    const secondProbe = Date.parse(destination!.next_probe_at as string) - Date.now();
    expect(secondProbe).toBeGreaterThan(55_000);
    expect(secondProbe).toBeLessThanOrEqual(60_000);

    // The next probe succeeds: the destination resumes, and every held delivery is then delivered.
    await (
      await dbOfShop(shop.shopId)
    )
      .prepare(`UPDATE delivery_destinations SET next_probe_at = ?2 WHERE host = ?1 AND app_id = ?3`)
      .bind(host, new Date(Date.now() - 1000).toISOString(), shop.appId)
      .run();
    for (let round = 0; round < 4 && sent.length > 0; round++) await consumeNow(testEnv, sent);
    expect(sent).toEqual([]);
    [destination] = await destinations(shop.token);
    expect(destination).toMatchObject({
      status: 'active',
      consecutive_failures: 0,
      paused_at: null,
      next_probe_at: null,
    });
    expect(await destinations(shop.token, '?paused=true')).toEqual([]);

    const final = await deliveriesOfSubscription(sub);
    expect(final.map((r) => r.status)).toEqual(final.map(() => 'succeeded'));
    // Every attempt recorded was a request the receiver got: holds spent none.
    const requests = await receivedBy(target.key);
    let recorded = 0;
    for (const row of final) recorded += (await attemptsOf(row.id)).length;
    expect(recorded).toBe(requests.length);
    expect(requests).toHaveLength(10 + 1 + 15); // the failures, the failed probe, then each delivery once
  });

  it('fails (replayable) a delivery its paused destination has held for more than 48 h; younger ones stay held', async () => {
    const shop = await createShopWithApp();
    const target = await receiverAddress({ then: { status: 500 } });
    const sub = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
    });
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    const events = await Promise.all(
      Array.from({ length: 12 }, (_, n) => storeProcessedEvent(shop.shopId, { n }, TOPIC)),
    );
    await fanOutOnShards(testEnv, events.slice(0, 10));
    await consumeNow(testEnv, sent); // 10 failures: paused
    sent.splice(0); // their retries are not needed here
    await fanOutOnShards(testEnv, events.slice(10));
    const [old, young] = (await deliveriesOfSubscription(sub)).slice(10);
    await (
      await dbOfShop(shop.shopId)
    )
      .prepare(`UPDATE deliveries SET created_at = ?2 WHERE id = ?1`)
      .bind(old!.id, new Date(Date.now() - 49 * 3_600_000).toISOString())
      .run();
    const settled = await consumeNow(testEnv, sent);
    expect(settled.every((s) => s.acked)).toBe(true);
    expect(await receivedBy(target.key)).toHaveLength(10);
    const rows = new Map((await deliveriesOfSubscription(sub)).map((r) => [r.id, r]));
    expect(rows.get(old!.id)).toMatchObject({ status: 'failed', attempts: 0 });
    expect(rows.get(old!.id)!.last_error).toMatch(/^held for more than 48 h while its destination .+ was paused/);
    expect(rows.get(young!.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(sent.map((s) => s.body)).toEqual([
      { kind: 'delivery', deliveryId: young!.id, attempt: 1, shopId: shop.shopId },
    ]);
  });

  it('answers 422 for a bad paused filter', async () => {
    const shop = await createShopWithApp();
    const res = await call('/api/v1/destinations?paused=maybe', jsonInit('GET', shop.token));
    expect(res.status).toBe(422);
  });
});
