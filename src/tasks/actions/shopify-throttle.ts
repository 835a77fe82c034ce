import { SHOPIFY_THROTTLE_MAX_RETRY_SECONDS, SHOPIFY_THROTTLE_MIN_RETRY_SECONDS } from '../../env';

/** `extensions.cost` of a GraphQL Admin API answer (numbers may arrive as exact JSON numbers). */
export interface ShopifyCost {
  requestedQueryCost?: unknown;
  throttleStatus?: { maximumAvailable?: unknown; currentlyAvailable?: unknown; restoreRate?: unknown } | null;
}

/**
 * Seconds until the bucket holds the points a throttled query asked for: the missing points over
 * the restore rate, rounded up, within SHOPIFY_THROTTLE_MIN/MAX_RETRY_SECONDS. Without numbers
 * (an odd answer) the shortest wait.
 */
export function throttleDelaySeconds(cost: ShopifyCost | null): number {
  const requested = Number(cost?.requestedQueryCost);
  const available = Number(cost?.throttleStatus?.currentlyAvailable);
  const rate = Number(cost?.throttleStatus?.restoreRate);
  if (![requested, available, rate].every(Number.isFinite) || rate <= 0) return SHOPIFY_THROTTLE_MIN_RETRY_SECONDS;
  const seconds = Math.ceil((requested - available) / rate);
  return Math.min(SHOPIFY_THROTTLE_MAX_RETRY_SECONDS, Math.max(SHOPIFY_THROTTLE_MIN_RETRY_SECONDS, seconds));
}
