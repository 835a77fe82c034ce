import { GraphQLError } from 'graphql';

/** Global ids of webhook subscriptions: `gid://shopify/WebhookSubscription/{REST id}`. */

const GID_PATTERN = /^gid:\/\/shopify\/([A-Za-z]+)\/([^/?#\s]+)$/;
const SUBSCRIPTION_TYPE = 'WebhookSubscription';

export const subscriptionGid = (id: number): string => `gid://shopify/${SUBSCRIPTION_TYPE}/${id}`;

/** Shopify's top-level error for an ID argument that is no global id. */
const invalidGlobalId = (text: string) =>
  new GraphQLError(`Invalid global id '${text}'`, {
    extensions: { code: 'argumentLiteralsIncompatible', typeName: 'CoercionError' },
  });

/** The subscription id a global id names; null when it names something else (reads as absent). */
export function parseSubscriptionGid(text: string): number | null {
  const match = GID_PATTERN.exec(text.trim());
  if (!match) throw invalidGlobalId(text);
  if (match[1] !== SUBSCRIPTION_TYPE || !/^[1-9]\d{0,15}$/.test(match[2]!)) return null;
  const id = Number(match[2]);
  return Number.isSafeInteger(id) ? id : null;
}
