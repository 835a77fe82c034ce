import { primaryDb } from '../shards';
import { timeOrderedId } from '../ids';
import type { EventRecord } from '../events/model';
import { parseExactJson } from '../json/exact';
import { sendDeliveryMessages } from '../queue/producer';
import { deliveryFilter } from '../subscriptions/filter';
import { addFilteredCounts, findSubscriptionFilters } from '../subscriptions/filter-store';
import { nowIso } from '../time';
import { subscriptionTopicFor } from '../topics';
import { selectFields } from './payload';
import { createDeliveries, findFanOutTargets, type FanOutTarget, type NewDelivery } from './store';

/** What fan-out reads about its subscriptions, when the caller has read it already. */
export interface FanOutLookups {
  targets: readonly FanOutTarget[];
  /** Subscription id → filter text, for the targets that have one. */
  filters: ReadonlyMap<number, string>;
}

/**
 * Fan-out for processed events: one delivery per active subscription of the event's shop on its
 * topic whose `filter` (if any) the event's payload satisfies, recorded in D1 (ids stay the same
 * across retries), then one `deliveries` message each. A delivery a filter rejects is not made; it is
 * added to the subscription's filtered count (again if the batch is retried: the count is at least
 * the number of events filtered).
 * Safe to repeat for the same events: existing deliveries are not created again, and a message for
 * a delivery that has already moved on is dropped by the consumer. Throws if D1 or the queue fails,
 * so the events consumer retries the batch.
 */
export async function fanOutDeliveries(
  env: Env,
  events: readonly EventRecord[],
  known?: FanOutLookups,
): Promise<number> {
  const wanted = new Map<string, readonly [string, string]>();
  for (const event of events) {
    const topic = subscriptionTopicFor(event.topic);
    if (topic !== null) wanted.set(`${event.shopId}\n${topic}`, [event.shopId, topic]);
  }
  if (wanted.size === 0) return 0;
  // The consumer may have read the targets and filters already, with the batch's persist.
  const pairs = [...wanted.values()];
  const [targets, filters] = known
    ? [known.targets, known.filters]
    : await Promise.all([findFanOutTargets(primaryDb(env), pairs), findSubscriptionFilters(primaryDb(env), pairs)]);
  if (targets.length === 0) return 0;

  const now = nowIso();
  const deliveries: NewDelivery[] = [];
  const passes = filterTests(filters);
  const filtered = new Map<number, number>();
  for (const event of events) {
    const topic = subscriptionTopicFor(event.topic);
    let data: unknown;
    for (const target of targets) {
      if (target.shopId !== event.shopId || target.topic !== topic) continue;
      const test = passes(target.subscriptionId);
      if (test !== null) {
        // Evaluated on the data the delivery would carry: the subscription's `fields` applied.
        data ??= parseExactJson(event.dataJson);
        if (!test(selectFields(data, parseFields(target.fields)))) {
          filtered.set(target.subscriptionId, (filtered.get(target.subscriptionId) ?? 0) + 1);
          continue;
        }
      }
      deliveries.push({ id: timeOrderedId(), target, eventId: event.id, now });
    }
  }
  await addFilteredCounts(primaryDb(env), filtered);
  const unsent = await createDeliveries(
    env.DB,
    deliveries,
    events.map((e) => e.id),
  );
  await enqueueDeliveryAttempts(
    env,
    unsent.map(({ id, shopId }) => ({ deliveryId: id, shopId, attempt: 1 })),
  );
  return unsent.length;
}

/** The filter test of each subscription (parsed once per batch); null for one without a filter. */
function filterTests(
  filters: ReadonlyMap<number, string>,
): (subscriptionId: number) => ((data: unknown) => boolean) | null {
  const tests = new Map<number, (data: unknown) => boolean>();
  return (id) => {
    const text = filters.get(id);
    if (text === undefined) return null;
    let test = tests.get(id);
    if (test === undefined) tests.set(id, (test = deliveryFilter(id, text)));
    return test;
  };
}

/** A target's stored `fields` (a JSON array of names). */
function parseFields(text: string): string[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}

/** Sends one `deliveries` message per attempt (after its delay, if any), in batches the queue accepts. */
export async function enqueueDeliveryAttempts(
  env: Env,
  attempts: readonly { deliveryId: string; shopId: string; attempt: number; delaySeconds?: number }[],
): Promise<void> {
  await sendDeliveryMessages(
    env,
    attempts.map(({ deliveryId, shopId, attempt, delaySeconds }) => ({
      body: { kind: 'delivery', deliveryId, shopId, attempt },
      delaySeconds,
    })),
  );
}
