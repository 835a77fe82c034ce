/**
 * Subscription ids (docs/contracts.md, "Ids and numbers"): no global counter, so an id says
 * nothing about how many subscriptions exist; below 2^53, so every JSON client reads it exactly.
 * An app's first id is random (below 2^52) and each later one adds a random step to the app's
 * highest, so an app's own ids still ascend in creation order (the resource lists by id, and
 * `since_id` means "created after") while revealing neither other apps' activity nor a count.
 */

/** First ids fall below this (2^52), leaving 2^52 of headroom for steps. */
export const SUBSCRIPTION_ID_BASE_LIMIT = 2 ** 52;
/** Steps are 1 … 2^20: with the base limit, room for about 4 billion subscriptions per app. */
export const SUBSCRIPTION_ID_MAX_STEP = 2 ** 20;

/** A random base (0 ≤ base < 2^52) and step (1 ≤ step ≤ 2^20) for the next id of an app. */
export function randomIdParts(): { base: number; step: number } {
  const words = crypto.getRandomValues(new Uint32Array(3));
  return {
    base: (words[0]! % 2 ** 20) * 2 ** 32 + words[1]!,
    step: (words[2]! % SUBSCRIPTION_ID_MAX_STEP) + 1,
  };
}
