import { findShopsStatement, shopsOf, type ShopRecord } from '../shops/store';
import { subscriptionTopicFor } from '../topics';
import { activeSubscriptionSql, fanOutTargetsOf, fanOutTargetsStatement, type FanOutTarget } from '../delivery/store';
import type { SettleRule } from '../events/store';
import type { EventEnvelope } from '../queue/messages';
import { subscriptionFiltersOf, subscriptionFiltersStatement } from '../subscriptions/filter-store';
import {
  enabledTaskSubscribedSql,
  subscribedTasksOf,
  subscribedTasksStatement,
  type SubscribedTask,
} from '../tasks/store';

/**
 * What processing a batch's events needs to look up — the tasks subscribed to their (shop, topic)
 * and the subscriptions they fan out to — read in the same D1 round trip that persists them, since
 * the events carried in their messages already name their shops and topics.
 */
export interface BatchLookups {
  /** `shopId\ntopic` of the events these lookups answer for. */
  covered: Set<string>;
  subscribed: SubscribedTask[];
  targets: FanOutTarget[];
  /** Subscription id → filter, for the targets that have one. */
  filters: Map<number, string>;
  /** The events' shops (for rendering their tasks). */
  shops: ShopRecord[];
}

export const pairKey = (shopId: string, topic: string): string => `${shopId}\n${topic}`;

/** The lookup statements for events, and how to read their results. */
export function lookupStatements(
  db: D1Database,
  events: readonly Pick<EventEnvelope, 'shopId' | 'topic'>[],
): { statements: D1PreparedStatement[]; read: (results: D1Result[]) => BatchLookups } {
  const covered = new Set<string>();
  const taskPairs: [string, string][] = [];
  const targetPairs = new Map<string, [string, string]>();
  for (const e of events) {
    const key = pairKey(e.shopId, e.topic);
    if (covered.has(key)) continue;
    covered.add(key);
    taskPairs.push([e.shopId, e.topic]);
    const topic = subscriptionTopicFor(e.topic);
    if (topic !== null) targetPairs.set(pairKey(e.shopId, topic), [e.shopId, topic]);
  }
  if (taskPairs.length === 0) {
    return { statements: [], read: () => ({ covered, subscribed: [], targets: [], filters: new Map(), shops: [] }) };
  }
  const shopIds = [...new Set(taskPairs.map(([shopId]) => shopId))];
  const statements = [
    subscribedTasksStatement(db, taskPairs),
    fanOutTargetsStatement(db, [...targetPairs.values()]),
    findShopsStatement(db, shopIds),
    subscriptionFiltersStatement(db, [...targetPairs.values()]),
  ];
  return {
    statements,
    read: ([tasks, targets, shops, filters]) => ({
      covered,
      subscribed: subscribedTasksOf(tasks!),
      targets: fanOutTargetsOf(targets!),
      shops: shopsOf(shops!),
      filters: subscriptionFiltersOf(filters!),
    }),
  };
}

/**
 * The cross-table question of settling (events/store.ts): does an enabled task subscribe to the
 * event, or an active subscription receive it? Each table's condition comes from its own store.
 */
export const SETTLE_UNSUBSCRIBED: SettleRule = {
  subscriptionTopicOf: subscriptionTopicFor,
  actedOnSql: (shop, topic, subscriptionTopic) =>
    `(${enabledTaskSubscribedSql(shop, topic)} OR ${activeSubscriptionSql(shop, subscriptionTopic)})`,
};

/** True when the lookups answer for every one of these events. */
export function coversAll(
  lookups: BatchLookups | undefined,
  events: readonly { shopId: string; topic: string }[],
): lookups is BatchLookups {
  return lookups !== undefined && events.every((e) => lookups.covered.has(pairKey(e.shopId, e.topic)));
}

/** The lookups of events, read on their own in one D1 round trip. */
export async function readLookups(
  db: D1Database,
  events: readonly Pick<EventEnvelope, 'shopId' | 'topic'>[],
): Promise<BatchLookups> {
  const { statements, read } = lookupStatements(db, events);
  return read(statements.length === 0 ? [] : await db.batch(statements));
}
