import { timeOrderedId } from '../ids';
import type { EventRecord } from '../events/model';
import { sendDeliveryMessages } from '../queue/producer';
import { nowIso } from '../time';
import { createDeliveries, findFanOutTargets, type FanOutTarget, type NewDelivery } from './store';

/**
 * The subscription topic an event is delivered under: `user/*` topics as they are, `shopify/<t>`
 * (from inbound Shopify webhooks) under `<t>`; anything else has no subscribers.
 */
export function subscriptionTopicFor(eventTopic: string): string | null {
  if (eventTopic.startsWith('user/')) return eventTopic;
  if (eventTopic.startsWith('shopify/')) return eventTopic.slice('shopify/'.length);
  return null;
}

/**
 * Fan-out for processed events: one delivery per active subscription of the event's shop on its
 * topic, recorded in D1 (ids stay the same across retries), then one `deliveries` message each.
 * Safe to repeat for the same events: existing deliveries are not created again, and a message for
 * a delivery that has already moved on is dropped by the consumer. Throws if D1 or the queue fails,
 * so the events consumer retries the batch.
 */
export async function fanOutDeliveries(
  env: Env,
  events: readonly EventRecord[],
  knownTargets?: readonly FanOutTarget[],
): Promise<number> {
  const wanted = new Map<string, readonly [string, string]>();
  for (const event of events) {
    const topic = subscriptionTopicFor(event.topic);
    if (topic !== null) wanted.set(`${event.shopId}\n${topic}`, [event.shopId, topic]);
  }
  if (wanted.size === 0) return 0;
  // The consumer may have read the targets already, with the batch's persist.
  const targets = knownTargets ?? (await findFanOutTargets(env.DB, [...wanted.values()]));
  if (targets.length === 0) return 0;

  const now = nowIso();
  const deliveries: NewDelivery[] = [];
  for (const event of events) {
    const topic = subscriptionTopicFor(event.topic);
    for (const target of targets) {
      if (target.shopId === event.shopId && target.topic === topic) {
        deliveries.push({ id: timeOrderedId(), target, eventId: event.id, now });
      }
    }
  }
  const unsent = await createDeliveries(
    env.DB,
    deliveries,
    events.map((e) => e.id),
  );
  await enqueueDeliveryAttempts(
    env,
    unsent.map((deliveryId) => ({ deliveryId, attempt: 1 })),
  );
  return unsent.length;
}

/** Sends one `deliveries` message per attempt (after its delay, if any), in batches the queue accepts. */
export async function enqueueDeliveryAttempts(
  env: Env,
  attempts: readonly { deliveryId: string; attempt: number; delaySeconds?: number }[],
): Promise<void> {
  await sendDeliveryMessages(
    env,
    attempts.map(({ deliveryId, attempt, delaySeconds }) => ({
      body: { kind: 'delivery', deliveryId, attempt },
      delaySeconds,
    })),
  );
}
