import { USER_TOPIC_PATTERN } from '../topics';

/**
 * Topics a subscription may name (docs/contracts.md, "Topics allowed"): Shopify's list, plus
 * `user/<subject>/<verb>` for events from edgehook's own webhooks.
 */
export const SHOPIFY_TOPICS = [
  'app/uninstalled',
  'carts/create',
  'carts/update',
  'checkouts/create',
  'checkouts/delete',
  'checkouts/update',
  'collection_listings/add',
  'collection_listings/remove',
  'collection_listings/update',
  'collections/create',
  'collections/delete',
  'collections/update',
  'customer_groups/create',
  'customer_groups/delete',
  'customer_groups/update',
  'customer_payment_methods/create',
  'customer_payment_methods/revoke',
  'customer_payment_methods/update',
  'customers/create',
  'customers/delete',
  'customers/disable',
  'customers/enable',
  'customers/update',
  'disputes/create',
  'disputes/update',
  'domains/create',
  'domains/destroy',
  'domains/update',
  'draft_orders/create',
  'draft_orders/delete',
  'draft_orders/update',
  'fulfillment_events/create',
  'fulfillment_events/delete',
  'fulfillments/create',
  'fulfillments/update',
  'inventory_items/create',
  'inventory_items/delete',
  'inventory_items/update',
  'inventory_levels/connect',
  'inventory_levels/disconnect',
  'inventory_levels/update',
  'locales/create',
  'locales/update',
  'locations/create',
  'locations/delete',
  'locations/update',
  'order_transactions/create',
  'orders/cancelled',
  'orders/create',
  'orders/delete',
  'orders/edited',
  'orders/fulfilled',
  'orders/paid',
  'orders/partially_fulfilled',
  'orders/updated',
  'product_listings/add',
  'product_listings/remove',
  'product_listings/update',
  'products/create',
  'products/delete',
  'products/update',
  'profiles/create',
  'profiles/delete',
  'profiles/update',
  'refunds/create',
  'shop/update',
  'subscription_billing_attempts/failure',
  'subscription_billing_attempts/success',
  'subscription_contracts/create',
  'subscription_contracts/update',
  'tender_transactions/create',
  'themes/create',
  'themes/delete',
  'themes/publish',
  'themes/update',
] as const;

const SHOPIFY_TOPIC_SET: ReadonlySet<string> = new Set(SHOPIFY_TOPICS);

/** The user-topic form as it appears in the "Topics allowed" list of the 422 message. */
export const USER_TOPIC_FORM = 'user/<subject>/<verb>';

export const isAllowedTopic = (topic: string): boolean =>
  SHOPIFY_TOPIC_SET.has(topic) || USER_TOPIC_PATTERN.test(topic);

/** Shopify's 422 wording for an unknown topic, listing every allowed topic. */
export const invalidTopicMessage = (topic: string): string =>
  `Invalid topic specified: ${topic}. Does it exist? Is there a missing access scope? Topics allowed: ${[
    ...SHOPIFY_TOPICS,
    USER_TOPIC_FORM,
  ].join(', ')}`;
