import { describe, expect, it } from 'vitest';
import { consumeDeliveriesBatch } from '../../src/pipeline/deliveries-consumer';
import { fanOutDeliveries } from '../../src/delivery/fanout';
import { QUEUE_NAMES } from '../../src/env';
import {
  deliveriesOfSubscription,
  insertSubscription,
  receiverAddress,
  recordingDeliveriesEnv,
  storeProcessedEvent,
} from '../delivery-helpers';
import { createShopWithApp } from '../helpers';
import { recordingBatch } from '../queue';

const TOPIC = 'user/order/submit';

describe('retries with full jitter (through the deliveries consumer)', () => {
  it('100 deliveries failing in one batch come back spread over [0, 60 s], not all after 60 s', async () => {
    const shop = await createShopWithApp();
    const target = await receiverAddress({ then: { status: 503 } });
    const sub = await insertSubscription({
      shopId: shop.shopId,
      appId: shop.appId,
      address: target.address,
      topic: TOPIC,
    });
    const { env: testEnv, sent } = recordingDeliveriesEnv({ DELIVERY_RATE_LIMIT_PER_SECOND: '1000' });
    const events = await Promise.all(
      Array.from({ length: 100 }, (_, n) => storeProcessedEvent(shop.shopId, { n }, TOPIC)),
    );
    await fanOutDeliveries(testEnv, events);
    const { batch } = recordingBatch(
      QUEUE_NAMES.deliveries,
      sent.splice(0).map((s) => s.body),
    );
    const before = Date.now();
    await consumeDeliveriesBatch(batch, testEnv);

    expect(sent).toHaveLength(100);
    const delays = sent.map((s) => s.delaySeconds ?? 0);
    for (const d of delays) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(60);
    }
    expect(new Set(delays).size).toBeGreaterThan(30); // of 61 possible seconds
    expect(Math.min(...delays)).toBeLessThan(15);
    expect(Math.max(...delays)).toBeGreaterThan(45);
    // Each delivery's next_attempt_at is its own drawn delay.
    const byId = new Map(sent.map((s) => [(s.body as { deliveryId: string }).deliveryId, s.delaySeconds ?? 0]));
    for (const row of await deliveriesOfSubscription(sub)) {
      const expected = before + byId.get(row.id)! * 1000;
      expect(Math.abs(Date.parse(row.next_attempt_at!) - expected)).toBeLessThan(5_000);
    }
  });
});
