import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../src/env';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import type { QueueMessage } from '../../src/queue/messages';
import { countingDb, type D1Trips } from '../faults';
import { createShopWithApp } from '../helpers';
import { envelope, eventMessage, recordingBatch } from '../queue';
import { cost, scriptStandIn, setShopifyAccessToken, STAND_IN_BASE_URL, standInRequests } from '../shopify-stand-in';
import { createTask } from '../task-helpers';

/**
 * Issue 23, point 6: in a consumer batch, a `shopify` action (against the local stand-in) adds at
 * most one D1 round trip per action — its own record — on top of what the batch pays once for
 * actions performed after the transaction (reading them back) and once per shop (its token).
 */

const TOKEN = 'shpat_batch_round_trips';

async function tripsFor(script: string, n: number): Promise<{ trips: D1Trips; shop: { domain: string } }> {
  // On shard 0, the primary: the counting D1 sees the batch's round trips to the configuration
  // and to the shop's rows alike, for every batch compared.
  const shop = await createShopWithApp({ shard: 0 });
  await setShopifyAccessToken(shop.shopId, TOKEN);
  await scriptStandIn(shop.domain, TOKEN, [], {
    status: 200,
    body: { data: { shop: { name: 'Demo' } }, extensions: cost(1, 1) },
  });
  const topic = `user/shopify-batch/n${n}`;
  await createTask(shop.token, { subscriptions: topic, script });
  const events = Array.from({ length: n }, () => envelope(shop.shopId, { topic }));
  const trips: D1Trips = { roundTrips: 0, trips: [] };
  const queue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue;
  const testEnv = { ...env, DB: countingDb(trips), EVENTS: queue, SHOPIFY_ADMIN_BASE_URL: STAND_IN_BASE_URL } as Env;
  const { batch, settled } = recordingBatch(QUEUE_NAMES.events, events.map(eventMessage) as QueueMessage[]);
  await consumeEventsBatch(batch, testEnv);
  expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
  const { results } = await env.DB.prepare(
    `SELECT a.status FROM action_runs a JOIN task_runs r ON r.id = a.task_run_id
     WHERE r.event_id IN (SELECT value FROM json_each(?1))`,
  )
    .bind(JSON.stringify(events.map((e) => e.id)))
    .all<{ status: string }>();
  expect(results).toHaveLength(n);
  expect(results.every((r) => r.status === 'succeeded')).toBe(true);
  return { trips, shop };
}

describe('shopify actions in a consumer batch', () => {
  it('add one D1 round trip per action (its record), plus the batch-wide read-back and one token read per shop', async () => {
    const echo10 = (await tripsFor('{% action "echo", 1 %}', 10)).trips.roundTrips;
    const { trips: shopify10, shop } = await tripsFor('{% action "shopify", "{ shop { name } }" %}', 10);
    const shopify20 = (await tripsFor('{% action "shopify", "{ shop { name } }" %}', 20)).trips.roundTrips;
    const label = JSON.stringify(shopify10.trips.map((t) => t[0]!.slice(0, 50)));

    // Each Shopify request is one request, with the shop's token read once for the whole batch.
    expect(await standInRequests(shop.domain)).toHaveLength(10);
    expect(
      shopify10.trips.filter((t) =>
        t.some((sql) => sql.includes('SELECT myshopify_domain, shopify_access_token_ciphertext')),
      ),
    ).toHaveLength(1);
    // Ten more actions cost ten more round trips: one per action.
    expect(shopify20 - shopify10.roundTrips, label).toBe(10);
    // Against the same batch with an `echo` (performed inside the batch's transaction): one per
    // action, plus reading the actions back once and the token once.
    expect(shopify10.roundTrips, label).toBeLessThanOrEqual(echo10 + 10 + 2);
  });
});
