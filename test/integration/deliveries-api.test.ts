import { describe, expect, it } from 'vitest';
import { consumeDeliveriesBatch } from '../../src/pipeline/deliveries-consumer';
import { QUEUE_NAMES } from '../../src/env';
import type { EventRecord } from '../../src/events/model';
import { insertEvent } from '../../src/events/store';
import {
  fanOutOnShards,
  insertSubscription,
  receivedBy,
  receiverAddress,
  recordingDeliveriesEnv,
} from '../delivery-helpers';
import { call, createShopWithApp, jsonInit } from '../helpers';
import { dbOfShop } from '../shards';
import { envelope, recordingBatch } from '../queue';
import { setEventStatus, setSubscriptionStatus } from '../fixtures';

// Operator tools for deliveries under /api/v1 (an app's own deliveries).

const TOPIC = 'user/quote/request';

async function event(shopId: string, createdAt = new Date().toISOString()): Promise<EventRecord> {
  const stored = envelope(shopId, { topic: TOPIC, dataJson: '{"n":1}', webhookRequestId: null, createdAt });
  await insertEvent(await dbOfShop(shopId), stored, 'pending');
  await setEventStatus(stored.id, 'processed');
  return { ...stored, status: 'processed', error: null, receivedAt: null, processedAt: null };
}

async function runAll(testEnv: Env, sent: { body: unknown }[]) {
  while (sent.length > 0) {
    const { batch } = recordingBatch(
      QUEUE_NAMES.deliveries,
      sent.splice(0).map((s) => s.body),
    );
    await consumeDeliveriesBatch(batch, testEnv);
    sent.splice(0); // drop scheduled retries: the tests drive them explicitly
  }
}

/** A shop whose app has one subscription that failed (410) on two events and succeeded on one. */
async function scenario() {
  const shop = await createShopWithApp();
  const failing = await receiverAddress({ responses: [{ status: 410 }, { status: 410 }], then: { status: 200 } });
  const subscriptionId = await insertSubscription({
    shopId: shop.shopId,
    appId: shop.appId,
    address: failing.address,
    topic: TOPIC,
    status: 'active',
  });
  const rec = recordingDeliveriesEnv({ FAILED_SUBSCRIPTION_ACTION: 'disable' });
  const events = [await event(shop.shopId), await event(shop.shopId)];
  await fanOutOnShards(rec.env, events);
  await runAll(rec.env, rec.sent);
  // The subscription is now disabled; put it back so the third event fans out too.
  await setSubscriptionStatus(subscriptionId, 'active');
  const third = await event(shop.shopId);
  await fanOutOnShards(rec.env, [third]);
  await runAll(rec.env, rec.sent);
  return { shop, subscriptionId, events: [...events, third], rec, receiverKey: failing.key };
}

interface ApiDelivery {
  id: string;
  subscription_id: number;
  event_id: string;
  status: string;
  attempt_count: number;
  attempts?: {
    attempt: number;
    status_code: number | null;
    duration_ms: number;
    error: string | null;
    started_at: string;
  }[];
}

describe('deliveries API', () => {
  it('lists newest first with filters and cursor pagination', async () => {
    const s = await scenario();
    const get = async (q: string) => {
      const res = await call(`/api/v1/deliveries${q}`, jsonInit('GET', s.shop.token));
      expect(res.status).toBe(200);
      return res.json<{ deliveries: ApiDelivery[]; next_cursor: string | null }>();
    };
    const all = await get('');
    // Newest first: the third event's delivery was created last (the first two share a moment).
    expect(all.deliveries.map((d) => d.event_id)[0]).toBe(s.events[2]!.id);
    expect(
      all.deliveries
        .map((d) => d.event_id)
        .slice(1)
        .sort(),
    ).toEqual([s.events[0]!.id, s.events[1]!.id].sort());
    expect((await get('?status=failed')).deliveries.map((d) => d.event_id).sort()).toEqual(
      [s.events[0]!.id, s.events[1]!.id].sort(),
    );
    expect((await get('?status=succeeded')).deliveries.map((d) => d.event_id)).toEqual([s.events[2]!.id]);
    expect((await get(`?event_id=${s.events[1]!.id}`)).deliveries).toHaveLength(1);
    expect((await get(`?subscription_id=${s.subscriptionId}`)).deliveries).toHaveLength(3);
    expect((await get(`?subscription_id=${s.subscriptionId + 1000}`)).deliveries).toHaveLength(0);
    expect(
      (await get(`?created_at_min=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).deliveries,
    ).toHaveLength(0);
    const page1 = await get('?limit=2');
    expect(page1.deliveries).toHaveLength(2);
    const page2 = await get(`?limit=2&cursor=${page1.next_cursor}`);
    expect(page2.next_cursor).toBeNull();
    expect([...page1.deliveries, ...page2.deliveries].map((d) => d.id)).toEqual(all.deliveries.map((d) => d.id));
  });

  it('rejects bad filters with 422 naming each field', async () => {
    const shop = await createShopWithApp();
    const res = await call(
      '/api/v1/deliveries?status=lost&subscription_id=-1&created_at_max=yesterday',
      jsonInit('GET', shop.token),
    );
    expect(res.status).toBe(422);
    const body = await res.json<{ error: { fields: Record<string, string[]> } }>();
    expect(Object.keys(body.error.fields).sort()).toEqual(['created_at_max', 'status', 'subscription_id']);
  });

  it('shows one delivery with every attempt', async () => {
    const s = await scenario();
    const list = await (
      await call('/api/v1/deliveries?status=failed', jsonInit('GET', s.shop.token))
    ).json<{ deliveries: ApiDelivery[] }>();
    const res = await call(`/api/v1/deliveries/${list.deliveries[0]!.id}`, jsonInit('GET', s.shop.token));
    const { delivery } = await res.json<{ delivery: ApiDelivery }>();
    expect(delivery).toMatchObject({ status: 'failed', attempt_count: 1 });
    expect(delivery.attempts).toEqual([
      {
        attempt: 1,
        status_code: 410,
        duration_ms: expect.any(Number),
        error: 'HTTP 410',
        started_at: expect.any(String),
      },
    ]);
  });

  it('retries one delivery now', async () => {
    const s = await scenario();
    const failed = (
      await (
        await call('/api/v1/deliveries?status=failed', jsonInit('GET', s.shop.token))
      ).json<{ deliveries: ApiDelivery[] }>()
    ).deliveries[0]!;
    const res = await call(`/api/v1/deliveries/${failed.id}/retry`, jsonInit('POST', s.shop.token));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ delivery_id: failed.id, attempt: 2 });
    // The message went to the real deliveries queue; run the attempt as its consumer would.
    const { batch } = recordingBatch(QUEUE_NAMES.deliveries, [
      { kind: 'delivery', deliveryId: failed.id, attempt: 2, shopId: s.shop.shopId },
    ]);
    await consumeDeliveriesBatch(batch, s.rec.env);
    const { delivery } = await (
      await call(`/api/v1/deliveries/${failed.id}`, jsonInit('GET', s.shop.token))
    ).json<{ delivery: ApiDelivery }>();
    expect(delivery).toMatchObject({ status: 'succeeded', attempt_count: 2 });
    expect(delivery.attempts!.map((a) => a.status_code)).toEqual([410, 200]);
  });

  it('replays every failed delivery of a subscription since a time', async () => {
    const s = await scenario();
    const since = new Date(Date.now() - 60_000).toISOString();
    const res = await call(
      `/api/v1/subscriptions/${s.subscriptionId}/replay`,
      jsonInit('POST', s.shop.token, { since }),
    );
    expect(res.status).toBe(202);
    const body = await res.json<{ replayed: number; delivery_ids: string[] }>();
    expect(body.replayed).toBe(2);
    const { batch } = recordingBatch(
      QUEUE_NAMES.deliveries,
      body.delivery_ids.map((deliveryId) => ({ kind: 'delivery', deliveryId, attempt: 2, shopId: s.shop.shopId })),
    );
    await consumeDeliveriesBatch(batch, s.rec.env);
    const failed = await (
      await call('/api/v1/deliveries?status=failed', jsonInit('GET', s.shop.token))
    ).json<{ deliveries: ApiDelivery[] }>();
    expect(failed.deliveries).toEqual([]);
    expect(await receivedBy(s.receiverKey)).toHaveLength(5);
    // Nothing failed after `since` any more: a second replay finds nothing.
    const again = await call(
      `/api/v1/subscriptions/${s.subscriptionId}/replay`,
      jsonInit('POST', s.shop.token, { since }),
    );
    expect((await again.json<{ replayed: number }>()).replayed).toBe(0);
  });

  it("never shows or touches another app's deliveries (404)", async () => {
    const s = await scenario();
    const other = await createShopWithApp();
    const id = (
      await (await call('/api/v1/deliveries', jsonInit('GET', s.shop.token))).json<{ deliveries: ApiDelivery[] }>()
    ).deliveries[0]!.id;
    expect(
      (await (await call('/api/v1/deliveries', jsonInit('GET', other.token))).json<{ deliveries: ApiDelivery[] }>())
        .deliveries,
    ).toEqual([]);
    expect((await call(`/api/v1/deliveries/${id}`, jsonInit('GET', other.token))).status).toBe(404);
    expect((await call(`/api/v1/deliveries/${id}/retry`, jsonInit('POST', other.token))).status).toBe(404);
    const replay = await call(
      `/api/v1/subscriptions/${s.subscriptionId}/replay`,
      jsonInit('POST', other.token, { since: new Date(0).toISOString() }),
    );
    expect(replay.status).toBe(404);
  });

  it('validates the replay body and needs an app token', async () => {
    const s = await scenario();
    const bad = await call(
      `/api/v1/subscriptions/${s.subscriptionId}/replay`,
      jsonInit('POST', s.shop.token, { since: 'last week' }),
    );
    expect(bad.status).toBe(422);
    const missing = await call(`/api/v1/subscriptions/${s.subscriptionId}/replay`, jsonInit('POST', s.shop.token, {}));
    expect(missing.status).toBe(422);
    expect((await call('/api/v1/deliveries', jsonInit('GET', null))).status).toBe(401);
    expect((await call('/api/v1/deliveries', jsonInit('DELETE', s.shop.token))).status).toBe(405);
  });
});
