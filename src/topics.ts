/**
 * The one topic grammar (docs/contracts.md, "Topics allowed"): what a topic may look like wherever
 * one is named — a webhook's, an event's, a task's subscription, a Shopify subscription — and how
 * an event's topic maps to the subscriptions it fans out to.
 */

/** One segment of an edgehook topic: letters, digits, `_`, `-` and `.`. */
const SEGMENT = '[A-Za-z0-9_.-]+';

/** `user/<subject>/<verb>`: the topics of events from edgehook's own webhooks and `event` actions. */
export const USER_TOPIC_PATTERN = new RegExp(`^user/${SEGMENT}/${SEGMENT}$`);

/** A topic as Shopify names it in `X-Shopify-Topic` (`orders/create`, `app/uninstalled`). */
export const SHOPIFY_TOPIC_PATTERN = /^[a-z0-9_]+(\/[a-z0-9_]+)+$/;

/** `user/…/…` or `shopify/…/…`: the topics of events a task may subscribe to (besides edgehook's own). */
export const EVENT_TOPIC_PATTERN = new RegExp(`^(user|shopify)/${SEGMENT}/${SEGMENT}$`);

/** Prefix of the events made from Shopify's own deliveries: `shopify/<Shopify topic>`. */
export const SHOPIFY_EVENT_PREFIX = 'shopify/';

/**
 * The subscription topic an event fans out to: `user/…` events to subscriptions on the same
 * topic, `shopify/<t>` events to subscriptions on `<t>`; edgehook's own topics to none.
 */
export function subscriptionTopicFor(eventTopic: string): string | null {
  if (eventTopic.startsWith('user/')) return eventTopic;
  if (eventTopic.startsWith(SHOPIFY_EVENT_PREFIX)) return eventTopic.slice(SHOPIFY_EVENT_PREFIX.length);
  return null;
}
