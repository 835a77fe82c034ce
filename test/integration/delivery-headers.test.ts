import '@shopify/shopify-api/adapters/web-api';
import { ApiVersion, LogSeverity, shopifyApi } from '@shopify/shopify-api';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { consumeDeliveriesBatch } from '../../src/pipeline/deliveries-consumer';
import { QUEUE_NAMES } from '../../src/env';
import {
  deliveriesOfSubscription,
  fanOutOnShards,
  insertSubscription,
  receivedBy,
  receiverAddress,
  recordingDeliveriesEnv,
  storeProcessedEvent,
} from '../delivery-helpers';
import { createShopWithApp } from '../helpers';
import { recordingBatch } from '../queue';
import type { ReceivedRequest } from '../receiver/types';

const TOPIC = 'user/order/submit';

describe('delivery headers as Shopify sends them (checked with shopify.webhooks.validate())', () => {
  it('one event id for every subscription, one webhook id per delivery kept on retries, the event’s time', async () => {
    const shop = await createShopWithApp();
    const shopify = shopifyFor(shop.signingSecret);
    // Two subscriptions of one app on the topic; the first fails once, so its delivery is retried.
    const first = await receiverAddress({ responses: [{ status: 500 }], then: { status: 200 } });
    const second = await receiverAddress();
    const subs = [
      await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address: first.address, topic: TOPIC }),
      await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address: second.address, topic: TOPIC }),
    ];
    const event = await storeProcessedEvent(shop.shopId, { order: 1 }, TOPIC);
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    await fanOutOnShards(testEnv, [event]);
    for (let round = 0; round < 2; round++) {
      const { batch } = recordingBatch(
        QUEUE_NAMES.deliveries,
        sent.splice(0).map((s) => s.body),
      );
      await consumeDeliveriesBatch(batch, testEnv);
    }
    const requests = [...(await receivedBy(first.key)), ...(await receivedBy(second.key))];
    expect(requests).toHaveLength(3); // first: failed then retried; second: once

    const validated = await Promise.all(requests.map((r) => validate(shopify, r)));
    for (const v of validated) {
      expect(v).toMatchObject({ valid: true, topic: 'USER_ORDER_SUBMIT', domain: shop.domain, eventId: event.id });
      expect(v.triggeredAt).toBe(event.createdAt); // the event's time, not the attempt's
    }
    const deliveryIds = await Promise.all(subs.map(async (s) => (await deliveriesOfSubscription(s))[0]!.id));
    expect(validated.map((v) => v.webhookId)).toEqual([deliveryIds[0], deliveryIds[0], deliveryIds[1]]);

    // A receiver that dedupes as Shopify advises: on the webhook id it drops the retry's copy; on
    // the event id it sees one event although two subscriptions received it.
    const byWebhookId = new Set(validated.map((v) => v.webhookId));
    const byEventId = new Set(validated.map((v) => v.eventId));
    expect(byWebhookId.size).toBe(2);
    expect(byEventId.size).toBe(1);
  });
});

describe("X-Shopify-Name (a subscription's name, Shopify 2026-04)", () => {
  it('is sent as the subscription is named at send time, and read back by validate() as `name`', async () => {
    const shop = await createShopWithApp();
    const shopify = shopifyFor(shop.signingSecret);
    const named = await receiverAddress();
    const unnamed = await receiverAddress();
    const sub = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: named.address,
      topic: TOPIC,
    });
    await insertSubscription({ shopId: shop.shopId, appId: shop.appId, address: unnamed.address, topic: TOPIC });
    await env.DB.prepare('UPDATE subscriptions SET name = ?1 WHERE id = ?2').bind('orders-to-erp', sub).run();
    const event = await storeProcessedEvent(shop.shopId, { order: 2 }, TOPIC);
    const { env: testEnv, sent } = recordingDeliveriesEnv();
    await fanOutOnShards(testEnv, [event]);
    await consumeDeliveriesBatch(
      recordingBatch(
        QUEUE_NAMES.deliveries,
        sent.splice(0).map((s) => s.body),
      ).batch,
      testEnv,
    );
    const [withName] = await receivedBy(named.key);
    const [withoutName] = await receivedBy(unnamed.key);
    expect(withName!.headers['x-shopify-name']).toBe('orders-to-erp');
    expect((await validate(shopify, withName!)).name).toBe('orders-to-erp');
    expect(withoutName!.headers['x-shopify-name']).toBeUndefined();
    expect((await validate(shopify, withoutName!)).name).toBeUndefined();
  });
});

/** `@shopify/shopify-api` as an app whose client secret is the app's signing secret. */
function shopifyFor(secret: string) {
  return shopifyApi({
    apiKey: 'edgehook-test-app',
    apiSecretKey: secret,
    apiVersion: ApiVersion.April26,
    isEmbeddedApp: false,
    hostName: 'app.example.com',
    logger: { level: LogSeverity.Error },
  });
}

async function validate(shopify: ReturnType<typeof shopifyApi>, received: ReceivedRequest) {
  const rawRequest = new Request('https://app.example.com/webhooks', {
    method: 'POST',
    headers: received.headers,
    body: received.body,
  });
  const result = await shopify.webhooks.validate({ rawBody: received.body, rawRequest });
  if (!result.valid) throw new Error(`validate() refused a delivery: ${JSON.stringify(result)}`);
  return result as typeof result & { eventId?: string; triggeredAt?: string; webhookId: string; name?: string };
}
