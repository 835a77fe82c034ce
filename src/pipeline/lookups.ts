import { findShopsStatement, shopsOf, type ShopRecord } from '../shops/store';
import { subscriptionTopicFor } from '../topics';
import { activeSubscriptionSql, fanOutTargetsOf, fanOutTargetsStatement, type FanOutTarget } from '../delivery/store';
import type { SettleRule } from '../events/store';
import type { EventEnvelope } from '../queue/messages';
import { followUpContextOf, followUpContextStatements, type FollowUpContext } from '../tasks/follow-ups-store';
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
  /** What follow-up events of the events' shops need from the configuration (follow-ups-store.ts). */
  followUps: FollowUpContext;
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
    return {
      statements: [],
      read: () => ({
        covered,
        subscribed: [],
        targets: [],
        filters: new Map(),
        shops: [],
        followUps: { subscribed: [], taskNames: [] },
      }),
    };
  }
  const shopIds = [...new Set(taskPairs.map(([shopId]) => shopId))];
  const statements = [
    subscribedTasksStatement(db, taskPairs),
    fanOutTargetsStatement(db, [...targetPairs.values()]),
    findShopsStatement(db, shopIds),
    subscriptionFiltersStatement(db, [...targetPairs.values()]),
    ...followUpContextStatements(db, shopIds),
  ];
  return {
    statements,
    read: ([tasks, targets, shops, filters, followUpSubscribed, taskNames]) => ({
      covered,
      subscribed: subscribedTasksOf(tasks!),
      targets: fanOutTargetsOf(targets!),
      shops: shopsOf(shops!),
      filters: subscriptionFiltersOf(filters!),
      followUps: followUpContextOf([followUpSubscribed!, taskNames!]),
    }),
  };
}

/**
 * The ids of the events nothing acts on: no enabled task subscribed to their shop and topic, no
 * active subscription on their subscription topic (filters aside: a filtered-out event still
 * counts toward the subscription's filtered count). The consumer settles them as it stores them.
 */
export function unactedEventIds(
  lookups: BatchLookups,
  events: readonly Pick<EventEnvelope, 'id' | 'shopId' | 'topic'>[],
): Set<string> {
  const acted = new Set<string>();
  for (const s of lookups.subscribed) acted.add(pairKey(s.task.shopId, s.topic));
  for (const t of lookups.targets) acted.add(pairKey(t.shopId, t.topic));
  const ids = new Set<string>();
  for (const e of events) {
    if (!lookups.covered.has(pairKey(e.shopId, e.topic))) continue;
    const subscriptionTopic = subscriptionTopicFor(e.topic);
    if (acted.has(pairKey(e.shopId, e.topic))) continue;
    if (subscriptionTopic !== null && acted.has(pairKey(e.shopId, subscriptionTopic))) continue;
    ids.add(e.id);
  }
  return ids;
}

/**
 * The settling question asked in SQL, on the database that holds the configuration (shard 0):
 * does an enabled task subscribe to the event, or an active subscription receive it? Each table's
 * condition comes from its own store.
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

/** The lookups of events, read from the primary on their own in one D1 round trip. */
export async function readLookups(
  primary: D1Database,
  events: readonly Pick<EventEnvelope, 'shopId' | 'topic'>[],
): Promise<BatchLookups> {
  const { statements, read } = lookupStatements(primary, events);
  return read(statements.length === 0 ? [] : await primary.batch(statements));
}

/** What a consumer batch needs from the primary: the lookups, and every message's shop. */
export interface BatchContext {
  lookups: BatchLookups;
  shops: Map<string, ShopRecord>;
}

/**
 * The statements of a batch's context (the lookups of its inline events, every message's shop),
 * to run on the primary alone or after its own claim, and how to read their results.
 */
export function batchContextStatements(
  primary: D1Database,
  inline: readonly Pick<EventEnvelope, 'shopId' | 'topic'>[],
  shopIds: Iterable<string>,
): { statements: D1PreparedStatement[]; read: (results: D1Result[]) => BatchContext } {
  const ids = [...new Set(shopIds)];
  const lookups = lookupStatements(primary, inline);
  const statements = ids.length === 0 ? lookups.statements : [...lookups.statements, findShopsStatement(primary, ids)];
  return {
    statements,
    read: (results) => ({
      lookups: lookups.read(results.slice(0, lookups.statements.length)),
      shops: new Map((ids.length === 0 ? [] : shopsOf(results[lookups.statements.length]!)).map((s) => [s.id, s])),
    }),
  };
}
