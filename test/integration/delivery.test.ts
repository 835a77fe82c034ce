import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { consumeDeliveriesBatch } from '../../src/pipeline/deliveries-consumer';
import { consumeDeliveriesDeadLetters } from '../../src/pipeline/deliveries-dead-letter';
import { consumeEventsDeadLetters } from '../../src/pipeline/events-dead-letter';
import { DEAD_LETTER_MAX_RETRIES, PAUSED_SHOP_DEAD_LETTER_DELAY_SECONDS, QUEUE_NAMES } from '../../src/env';
import { shardDb } from '../../src/shards';
import type { EventRecord } from '../../src/events/model';
import {
  attemptsOf,
  deliveriesOfSubscription,
  fanOutOnShards,
  hmacBase64,
  insertSubscription,
  receivedBy,
  receiverAddress,
  recordingDeliveriesEnv,
  storeProcessedEvent,
  subscriptionRow,
} from '../delivery-helpers';
import { createShopWithApp, createWebhook, jsonInit, call, postWebhook, ADMIN_TOKEN } from '../helpers';
import { batchStartedAnHourAgo, envelope, eventMessage, recordingBatch } from '../queue';
import { dbOfShop, rowsOnAllShards, shardOfShop } from '../shards';
import { destinationHost } from '../../src/delivery/destinations';

const TOPIC = 'user/order/submit';
/** The largest number Math.random can return, near enough: full jitter then draws each delay's cap. */
const LARGEST_DRAW = 0.999_999_9;

afterEach(() => {
  vi.restoreAllMocks();
});

/** Stores an event row directly (as the events consumer would), on this file's topic by default. */
const storedEvent = (shopId: string, data: unknown, topic = TOPIC): Promise<EventRecord> =>
  storeProcessedEvent(shopId, data, topic);

/** Hands every recorded deliveries message to the consumer, as the queue would; returns settlements. */
async function deliverRecorded(testEnv: Env, sent: { body: unknown }[]) {
  const bodies = sent.splice(0).map((s) => s.body);
  const { batch, settled } = recordingBatch(QUEUE_NAMES.deliveries, bodies);
  await consumeDeliveriesBatch(batch, testEnv);
  return settled;
}

describe('fan-out and the request (end to end through the Worker and the real queues)', () => {
  it('delivers a webhook event to every subscription on its topic, signed, with every header', async () => {
    const shop = await createShopWithApp();
    const other = await createShopWithApp();
    const hit = await receiverAddress({ shopifySecret: shop.signingSecret, standardSecrets: [shop.signingSecret] });
    const wrongTopic = await receiverAddress();
    const otherShop = await receiverAddress();
    const subscriptionId = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: hit.address,
      topic: TOPIC,
    });
    await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: wrongTopic.address,
      topic: 'user/order/cancel',
    });
    await insertSubscription({ shopId: other.shopId, appId: other.appId, address: otherShop.address, topic: TOPIC });
    const webhookId = await createWebhook(shop.token, { topic: TOPIC });

    const post = await postWebhook(webhookId, {
      headers: { 'content-type': 'application/json' },
      body: '{"sku":"A-1","qty":2}',
    });
    expect(post.status).toBe(204);
    const [request] = await vi.waitFor(
      async () => {
        const got = await receivedBy(hit.key);
        if (got.length === 0) throw new Error('not delivered yet');
        return got;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(JSON.parse(request!.body)).toEqual({ sku: 'A-1', qty: 2 });
    expect(request!.shopifyHmacValid).toBe(true);
    expect(request!.standardSignatureValid).toEqual([true]);
    const h = request!.headers;
    const [delivery] = await deliveriesOfSubscription(subscriptionId);
    expect(h).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'edgehook/0.1.0',
      'x-shopify-topic': TOPIC,
      'x-shopify-shop-domain': shop.domain,
      'x-shopify-api-version': '2026-10',
      'x-shopify-webhook-id': delivery!.id,
      'x-shopify-event-id': delivery!.event_id,
      'webhook-id': delivery!.id,
    });
    expect(h['x-shopify-triggered-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Number(h['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);

    await vi.waitFor(async () => expect((await deliveriesOfSubscription(subscriptionId))[0]?.status).toBe('succeeded'));
    expect(await receivedBy(wrongTopic.key)).toEqual([]);
    expect(await receivedBy(otherShop.key)).toEqual([]);
  });

  it('delivers inbound shopify/<topic> events to subscriptions on <topic>', async () => {
    const shop = await createShopWithApp();
    const shopifySecret = 'shpss_test_client_secret';
    await call(
      `/api/v1/shops/${shop.shopId}`,
      jsonInit('PATCH', ADMIN_TOKEN, { shopify_client_secret: shopifySecret }),
    );
    const target = await receiverAddress({ shopifySecret: shop.signingSecret });
    await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: 'orders/create',
    });

    const body = JSON.stringify({ id: 820982911946154500, total_price: '10.00' });
    const res = await call('/shopify/webhooks', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-shop-domain': shop.domain,
        'x-shopify-topic': 'orders/create',
        'x-shopify-webhook-id': crypto.randomUUID(),
        'x-shopify-hmac-sha256': await hmacBase64(shopifySecret, body),
      },
      body,
    });
    expect(res.status).toBe(200);
    const [request] = await vi.waitFor(
      async () => {
        const got = await receivedBy(target.key);
        if (got.length === 0) throw new Error('not delivered yet');
        return got;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(request!.headers['x-shopify-topic']).toBe('orders/create');
    expect(request!.shopifyHmacValid).toBe(true);
    expect(JSON.parse(request!.body)).toEqual(JSON.parse(body));
  });

  it('sends XML with only the subscribed fields when the subscription asks for them', async () => {
    const shop = await createShopWithApp();
    const target = await receiverAddress({ shopifySecret: shop.signingSecret });
    const subscriptionId = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
      format: 'xml',
      fields: ['sku', 'qty'],
    });
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    await fanOutOnShards(testEnv, [await storedEvent(shop.shopId, { sku: 'A-1', qty: 2, secret_note: 'x' })]);
    await deliverRecorded(testEnv, sent);
    const [request] = await receivedBy(target.key);
    expect(request!.headers['content-type']).toBe('application/xml');
    expect(request!.body).toContain('<order>');
    expect(request!.body).toContain('<qty type="integer">2</qty>');
    expect(request!.body).not.toContain('secret');
    expect(request!.shopifyHmacValid).toBe(true);
    expect((await deliveriesOfSubscription(subscriptionId))[0]!.status).toBe('succeeded');
  });

  it('creates each delivery once when fan-out runs again for the same event', async () => {
    const shop = await createShopWithApp();
    const target = await receiverAddress();
    const subscriptionId = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
    });
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    const event = await storedEvent(shop.shopId, { n: 1 });
    await fanOutOnShards(testEnv, [event]);
    await fanOutOnShards(testEnv, [event]);
    const rows = await deliveriesOfSubscription(subscriptionId);
    expect(rows).toHaveLength(1);
    // The second run re-sends the unattempted delivery (its first send may have been lost) …
    expect(sent.map((s) => s.body)).toEqual([
      { kind: 'delivery', deliveryId: rows[0]!.id, attempt: 1, shopId: shop.shopId },
      { kind: 'delivery', deliveryId: rows[0]!.id, attempt: 1, shopId: shop.shopId },
    ]);
    // … and the consumer makes the attempt once.
    await deliverRecorded(testEnv, sent);
    expect(await receivedBy(target.key)).toHaveLength(1);
  });

  it('fails the event batch (so it is retried) when the deliveries queue is down', async () => {
    const shop = await createShopWithApp();
    const target = await receiverAddress();
    await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address: target.address, topic: TOPIC });
    const down = { sendBatch: () => Promise.reject(new Error('simulated: queue unavailable')) } as unknown as Queue;
    // Every queue group's deliveries queue is down (the shop's shard sends to its group's).
    const groups = Object.keys(env).filter((name) => /^DELIVERIES(_\d+)?$/.test(name));
    const testEnv = { ...env, ...Object.fromEntries(groups.map((name) => [name, down])) };
    await expect(fanOutOnShards(testEnv, [await storedEvent(shop.shopId, {})])).rejects.toThrow('simulated');
  });
});

describe('retries, timeouts, 410 and removal', () => {
  async function setup(
    script: Parameters<typeof receiverAddress>[0],
    sub: { lastSuccessAt?: string; consecutiveFailures?: number } = {},
  ) {
    const shop = await createShopWithApp();
    const target = await receiverAddress(script);
    const subscriptionId = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
      ...sub,
    });
    const recording = recordingDeliveriesEnv();
    await fanOutOnShards(recording.env, [await storedEvent(shop.shopId, { n: 1 })]);
    const [delivery] = await deliveriesOfSubscription(subscriptionId);
    return { shop, target, subscriptionId, deliveryId: delivery!.id, ...recording };
  }

  it('retries a failure with backoff, then records the success with every attempt', async () => {
    // Full jitter draws each delay from [0, cap]; the largest draw shows the schedule's caps.
    vi.spyOn(Math, 'random').mockReturnValue(LARGEST_DRAW);
    const t = await setup({ responses: [{ status: 500 }], then: { status: 200 } }, { consecutiveFailures: 3 });
    const first = await deliverRecorded(t.env, t.sent.slice());
    expect(first[0]).toMatchObject({ acked: true });
    // The scheduled second attempt, 60 s later, with the same delivery id.
    expect(t.sent.slice(-1)).toEqual([
      { body: { kind: 'delivery', deliveryId: t.deliveryId, attempt: 2, shopId: t.shop.shopId }, delaySeconds: 60 },
    ]);
    let [row] = await deliveriesOfSubscription(t.subscriptionId);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 500, last_error: 'HTTP 500' });
    expect(Date.parse(row!.next_attempt_at!) - Date.now()).toBeGreaterThan(55_000);

    await deliverRecorded(t.env, t.sent.slice(-1));
    [row] = await deliveriesOfSubscription(t.subscriptionId);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200, next_attempt_at: null });
    expect((await attemptsOf(t.deliveryId)).map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500'],
      [2, 200, null],
    ]);
    const requests = await receivedBy(t.target.key);
    expect(requests.map((r) => r.headers['x-shopify-webhook-id'])).toEqual([t.deliveryId, t.deliveryId]);
    expect(requests[0]!.body).toBe(requests[1]!.body);
    // A success resets the subscription's failure count.
    expect(await subscriptionRow(t.subscriptionId)).toMatchObject({ status: 'active', consecutive_failures: 0 });
  });

  it('reads each short answer to its end, so deliveries to one receiver share connections', async () => {
    const shop = await createShopWithApp();
    const target = await receiverAddress();
    const events = await Promise.all(Array.from({ length: 3 }, (_, n) => storedEvent(shop.shopId, { n })));
    for (let i = 0; i < 4; i++) {
      const address = `${target.address}?subscription=${i}`; // one receiver key, four subscriptions
      await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address, topic: TOPIC });
    }
    const recording = recordingDeliveriesEnv();
    await fanOutOnShards(recording.env, events);
    // One batch at a time, as the queue hands them over: later batches find idle connections.
    for (const message of recording.sent.splice(0)) {
      expect(await deliverRecorded(recording.env, [message])).toMatchObject([{ acked: true }]);
    }
    const requests = await receivedBy(target.key);
    expect(requests).toHaveLength(12);
    // Cancelling the answer's body (the old way) closed every connection: 12 for 12 deliveries.
    expect(new Set(requests.map((r) => r.connection)).size).toBeLessThan(4);
  });

  it('counts no answer within DELIVERY_TIMEOUT_MS (5 s) as a failure to retry', async () => {
    const t = await setup({ responses: [{ status: 200, delayMs: 6_000 }] });
    await deliverRecorded(t.env, t.sent.slice());
    const [attempt] = await attemptsOf(t.deliveryId);
    expect(attempt).toMatchObject({ attempt: 1, status_code: null, error: 'no answer within 5000 ms' });
    expect(attempt!.duration_ms).toBeGreaterThanOrEqual(4_900);
    expect(attempt!.duration_ms).toBeLessThan(6_000);
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]!.status).toBe('pending');
  }, 15_000);

  it('counts a 2xx whose body is still arriving at the timeout as delivered (the status decides)', async () => {
    const t = await setup({ responses: [{ status: 200, bodyDelayMs: 6_000 }] });
    await deliverRecorded(t.env, t.sent.slice());
    expect((await attemptsOf(t.deliveryId))[0]).toMatchObject({ attempt: 1, status_code: 200, error: null });
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]!.status).toBe('succeeded');
  }, 15_000);

  it('does not follow redirects: a 3xx is a failure', async () => {
    const t = await setup({ responses: [{ status: 302, location: 'https://example.com/elsewhere' }] });
    await deliverRecorded(t.env, t.sent.slice());
    expect((await attemptsOf(t.deliveryId))[0]).toMatchObject({
      status_code: 302,
      error: 'redirect to https://example.com/elsewhere not followed',
    });
    expect(t.sent.at(-1)!.body).toMatchObject({ attempt: 2 });
  });

  it('stops at once on 410 Gone and removes the subscription', async () => {
    const t = await setup({ then: { status: 410 } });
    const before = t.sent.length;
    await deliverRecorded(t.env, t.sent.slice());
    expect(t.sent.length).toBe(before); // nothing scheduled
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_status_code: 410,
    });
    expect(await subscriptionRow(t.subscriptionId)).toMatchObject({ status: 'removed', consecutive_failures: 1 });
  });

  it('gives up after 8 retries spread over about 4 hours, then removes the subscription', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(LARGEST_DRAW); // the caps (see the jitter's unit test)
    const t = await setup({ then: { status: 503 } });
    const delays: (number | undefined)[] = [];
    let pending = t.sent.splice(0);
    for (let attempt = 1; attempt <= 9; attempt++) {
      expect(pending.map((p) => p.body)).toEqual([
        { kind: 'delivery', deliveryId: t.deliveryId, attempt, shopId: t.shop.shopId },
      ]);
      await deliverRecorded(t.env, pending);
      pending = t.sent.splice(0);
      delays.push(...pending.map((p) => p.delaySeconds));
    }
    expect(pending).toEqual([]); // no tenth attempt
    expect(delays).toEqual([60, 120, 240, 480, 960, 1920, 3840, 7680]);
    const total = delays.reduce((a, b) => a! + b!, 0)!;
    expect(total / 3600).toBeGreaterThan(3.5);
    expect(total / 3600).toBeLessThan(4.5);
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'failed', attempts: 9 });
    expect(await attemptsOf(t.deliveryId)).toHaveLength(9);
    expect(await subscriptionRow(t.subscriptionId)).toMatchObject({ status: 'removed', consecutive_failures: 1 });
    expect(await receivedBy(t.target.key)).toHaveLength(9);
  });

  it('disables instead of removing when FAILED_SUBSCRIPTION_ACTION is "disable"', async () => {
    const t = await setup({ then: { status: 410 } });
    await deliverRecorded({ ...t.env, FAILED_SUBSCRIPTION_ACTION: 'disable' }, t.sent.slice());
    expect(await subscriptionRow(t.subscriptionId)).toMatchObject({ status: 'disabled' });
  });

  it('keeps a subscription that had a successful delivery since the failed one began', async () => {
    const t = await setup({ then: { status: 410 } }, { lastSuccessAt: new Date(Date.now() + 60_000).toISOString() });
    await deliverRecorded(t.env, t.sent.slice());
    expect(await subscriptionRow(t.subscriptionId)).toMatchObject({ status: 'active', consecutive_failures: 1 });
  });

  it('drops a duplicate message for an attempt already made', async () => {
    const t = await setup({});
    const first = t.sent.slice();
    await deliverRecorded(t.env, first.slice());
    const settled = await deliverRecorded(t.env, first);
    expect(settled[0]).toMatchObject({ acked: true, retried: false });
    expect(await receivedBy(t.target.key)).toHaveLength(1);
  });

  it('retries the message when the outcome cannot be recorded (the attempt is repeated, not lost)', async () => {
    const t = await setup({});
    // The shop's shard, where the outcome is recorded, refuses batches.
    const shard = await shardOfShop(t.shop.shopId);
    const brokenBatch = new Proxy(shardDb(env, shard), {
      get(target, prop) {
        if (prop === 'batch') return () => Promise.reject(new Error('simulated: D1 unavailable'));
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const settled = await deliverRecorded(
      { ...t.env, [shard === 0 ? 'DB' : `SHARD_${shard}`]: brokenBatch },
      t.sent.slice(),
    );
    expect(settled[0]).toMatchObject({ acked: false, retried: true, delaySeconds: 30 });
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    await deliverRecorded(t.env, t.sent.slice(0, 1));
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('the dead-letter consumer marks a delivery failed; unreadable messages are kept', async () => {
    const t = await setup({});
    const { batch, settled } = recordingBatch(QUEUE_NAMES.deliveriesDeadLetter, [t.sent[0]!.body, { nonsense: true }]);
    await consumeDeliveriesDeadLetters(batch, env);
    expect(settled.map((s) => s.acked)).toEqual([true, true]);
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'failed' });
    const dead = await env.DB.prepare(`SELECT error FROM dead_letters WHERE queue = ?1`)
      .bind(QUEUE_NAMES.deliveriesDeadLetter)
      .all();
    expect(dead.results).toContainEqual({ error: 'unknown message shape' });
  });

  it('starts no attempt after the work deadline, spending no probe: it goes back to the queue as a new message, then is made once', async () => {
    const t = await setup({ then: { status: 200 } });
    // Its destination is paused with a probe due: admission would spend that probe.
    const db = await dbOfShop(t.shop.shopId);
    const host = destinationHost(t.target.address)!;
    const due = new Date(Date.now() - 1000).toISOString();
    await db
      .prepare(
        `INSERT INTO delivery_destinations (app_id, host, rate_limit_per_second, window_second, window_count, requested,
           granted, consecutive_failures, paused_at, next_probe_at, probe_interval_seconds, created_at, updated_at)
         VALUES (?1, ?2, 10, 0, 0, 0, 0, 10, ?3, ?3, 60, ?3, ?3)`,
      )
      .bind(t.shop.appId, host, due)
      .run();
    const destination = () =>
      db
        .prepare('SELECT paused_at, next_probe_at, probe_interval_seconds FROM delivery_destinations WHERE app_id = ?1')
        .bind(t.shop.appId)
        .first();
    const before = await destination();
    batchStartedAnHourAgo();
    const message = t.sent[0]!.body;
    expect(await deliverRecorded(t.env, t.sent)).toEqual([{ acked: true, retried: false, delaySeconds: undefined }]);
    vi.restoreAllMocks();
    expect(t.sent.map((m) => m.body)).toEqual([message]);
    expect(t.sent[0]!.delaySeconds ?? 0).toBe(0);
    expect(await receivedBy(t.target.key)).toHaveLength(0);
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await destination()).toEqual(before);

    expect(await deliverRecorded(t.env, t.sent)).toEqual([{ acked: true, retried: false, delaySeconds: undefined }]);
    expect(await receivedBy(t.target.key)).toHaveLength(1);
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
    // The probe went and succeeded: the destination is open again.
    expect(await destination()).toMatchObject({ paused_at: null });
  });

  it('the dead-letter consumers wait while a move pauses the shop, and keep the message after their last retry', async () => {
    const t = await setup({});
    const shard = await shardOfShop(t.shop.shopId);
    const started = await call(
      `/api/v1/shops/${t.shop.shopId}/move`,
      jsonInit('POST', ADMIN_TOKEN, { shard: 1 - shard }),
    );
    expect(started.status).toBe(202);
    const message = t.sent[0]!.body;

    const waiting = recordingBatch(QUEUE_NAMES.deliveriesDeadLetter, [message], DEAD_LETTER_MAX_RETRIES);
    await consumeDeliveriesDeadLetters(waiting.batch, env);
    expect(waiting.settled).toEqual([
      { acked: false, retried: true, delaySeconds: PAUSED_SHOP_DEAD_LETTER_DELAY_SECONDS },
    ]);
    const event = envelope(t.shop.shopId, { topic: TOPIC });
    const events = recordingBatch(QUEUE_NAMES.eventsDeadLetter, [eventMessage(event)]);
    await consumeEventsDeadLetters(events.batch, env);
    expect(events.settled).toEqual([
      { acked: false, retried: true, delaySeconds: PAUSED_SHOP_DEAD_LETTER_DELAY_SECONDS },
    ]);
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'pending' });
    expect(await rowsOnAllShards('SELECT id FROM events WHERE id = ?1', event.id)).toEqual([]);

    // The last try: kept whole in dead_letters, nothing written to a shard the move may have passed.
    const last = recordingBatch(QUEUE_NAMES.deliveriesDeadLetter, [message], DEAD_LETTER_MAX_RETRIES + 1);
    await consumeDeliveriesDeadLetters(last.batch, env);
    expect(last.settled[0]).toMatchObject({ acked: true, retried: false });
    expect((await deliveriesOfSubscription(t.subscriptionId))[0]).toMatchObject({ status: 'pending' });
    const kept = await env.DB.prepare(
      `SELECT body, error FROM dead_letters WHERE queue = ?1 AND error LIKE 'its shop%'`,
    )
      .bind(QUEUE_NAMES.deliveriesDeadLetter)
      .all<{ body: string; error: string }>();
    expect(kept.results.map((r) => JSON.parse(r.body) as unknown)).toEqual([message]);
  });
});

describe('the address guard at send time', () => {
  it.each([
    ['http to loopback without ALLOW_INSECURE_ADDRESSES', 'http://127.0.0.1:9/r/x', 'false'],
    ['a private IP literal', 'https://10.1.2.3/hook', 'true'],
    ['a link-local IP literal (cloud metadata)', 'https://169.254.169.254/latest', 'true'],
    ['a unique-local IPv6 literal', 'https://[fd00::1]/hook', 'true'],
    ['an IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/hook', 'false'],
  ])('refuses %s and fails the delivery without sending', async (_name, address, insecure) => {
    const shop = await createShopWithApp();
    const subscriptionId = await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address, topic: TOPIC });
    const { env: testEnv, sent } = recordingDeliveriesEnv({ ALLOW_INSECURE_ADDRESSES: insecure });
    await fanOutOnShards(testEnv, [await storedEvent(shop.shopId, {})]);
    await deliverRecorded(testEnv, sent);
    const [row] = await deliveriesOfSubscription(subscriptionId);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, last_status_code: null });
    expect(row!.last_error).toMatch(/^address refused/);
    expect(sent).toEqual([]);
  });
});

describe('signing secrets and rotation', () => {
  it('shows a secret only when created and stores it encrypted', async () => {
    const shop = await createShopWithApp();
    expect(shop.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const list = await call('/api/v1/app/signing-secrets', jsonInit('GET', shop.token));
    const body = await list.json<{ signing_secrets: Record<string, unknown>[] }>();
    expect(body.signing_secrets).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain(shop.signingSecret.slice(6));
    const stored = await env.DB.prepare('SELECT ciphertext FROM app_signing_secrets WHERE app_id = ?1')
      .bind(shop.appId)
      .first<{ ciphertext: string }>();
    expect(stored!.ciphertext).toMatch(/^v1\./);
    expect(stored!.ciphertext).not.toContain(shop.signingSecret.slice(6));
  });

  it('signs with both secrets during a rotation (Shopify HMAC with the newest), then with the new one alone', async () => {
    const shop = await createShopWithApp();
    const created = await call('/api/v1/app/signing-secrets', jsonInit('POST', shop.token));
    expect(created.status).toBe(201);
    const { secret: newSecret } = await created.json<{ secret: string }>();
    const target = await receiverAddress({
      shopifySecret: newSecret,
      standardSecrets: [shop.signingSecret, newSecret],
    });
    await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address: target.address, topic: TOPIC });
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    await fanOutOnShards(testEnv, [await storedEvent(shop.shopId, { n: 1 })]);
    await deliverRecorded(testEnv, sent);
    let [request] = await receivedBy(target.key);
    expect(request!.standardSignatureValid).toEqual([true, true]);
    expect(request!.shopifyHmacValid).toBe(true);
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);

    // Retire the old secret: only the new one signs.
    const { signing_secrets } = await (
      await call('/api/v1/app/signing-secrets', jsonInit('GET', shop.token))
    ).json<{
      signing_secrets: { id: string; active: boolean }[];
    }>();
    const oldId = signing_secrets.at(-1)!.id;
    expect((await call(`/api/v1/app/signing-secrets/${oldId}`, jsonInit('DELETE', shop.token))).status).toBe(204);
    await fanOutOnShards(testEnv, [await storedEvent(shop.shopId, { n: 2 })]);
    await deliverRecorded(testEnv, sent);
    request = (await receivedBy(target.key))[1];
    expect(request!.standardSignatureValid).toEqual([false, true]);
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(1);
  });

  it('refuses to retire the last active secret (409) and answers 404 for unknown or retired ids', async () => {
    const shop = await createShopWithApp();
    const { signing_secrets } = await (
      await call('/api/v1/app/signing-secrets', jsonInit('GET', shop.token))
    ).json<{
      signing_secrets: { id: string }[];
    }>();
    const res = await call(`/api/v1/app/signing-secrets/${signing_secrets[0]!.id}`, jsonInit('DELETE', shop.token));
    expect(res.status).toBe(409);
    expect(
      (await call(`/api/v1/app/signing-secrets/${crypto.randomUUID()}`, jsonInit('DELETE', shop.token))).status,
    ).toBe(404);
    const other = await createShopWithApp();
    expect(
      (await call(`/api/v1/app/signing-secrets/${signing_secrets[0]!.id}`, jsonInit('DELETE', other.token))).status,
    ).toBe(404);
  });
});
