import { SHOPIFY_TOPICS } from '../topics';

/**
 * Topics as GraphQL enum values (`WebhookSubscriptionTopic`). Shopify's enum form of a topic is the
 * topic upper-cased with `/` as `_` (`orders/create` → `ORDERS_CREATE`). `user/<subject>/<verb>`
 * topics take the same form, with `.` and `-` also as `_` (they cannot appear in a GraphQL name):
 * `user/quote/request` → `USER_QUOTE_REQUEST`. That is the key `@shopify/shopify-api` files
 * handlers under (`topic.toUpperCase().replace(/\/|\./g, '_')`), so its `register()` recognises
 * the subscriptions it made.
 */

/** The enum form of a topic. */
export const topicEnumName = (topic: string): string => topic.toUpperCase().replace(/[/.-]/g, '_');

/** Shopify's topics by enum name; fixed, so built once. */
const SHOPIFY_TOPIC_BY_NAME: ReadonlyMap<string, string> = new Map(
  SHOPIFY_TOPICS.map((topic) => [topicEnumName(topic), topic]),
);

/**
 * Every enum value a request may use, name → topic: Shopify's topics, then the `user/…` topics this
 * app's shop knows (its edgehook webhooks emit them, or the app already subscribes to them). An
 * enum is a closed set, so a `user/…` topic no webhook emits and no subscription names has no enum
 * value (REST still accepts it). Two user topics with one enum form (`user/a_b/c`, `user/a/b_c`):
 * the name stands for the one first in sort order; the other stays reachable through REST.
 */
export function topicEnumValues(userTopics: readonly string[]): Map<string, string> {
  const values = new Map(SHOPIFY_TOPIC_BY_NAME);
  for (const topic of [...new Set(userTopics)].sort()) {
    const name = topicEnumName(topic);
    if (!values.has(name)) values.set(name, topic);
  }
  return values;
}
