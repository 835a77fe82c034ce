import { DELIVERY_RETRY_BASE_DELAY_SECONDS } from '../env';

/**
 * The retry schedule. Retry `n` (1-based) waits a whole number of seconds drawn uniformly from
 * [0, cap(n)] ("full jitter"), cap(n) = 60 s doubling: 1, 2, 4, … 128 minutes. The caps add up to
 * 4 h 15 min over the 8 retries, so every retry still falls inside Shopify's envelope (8 retries
 * over about 4 hours), while thousands of deliveries that failed in one second come back spread
 * over their whole window instead of in the same second.
 */

/** A source of numbers in [0, 1), as `Math.random`; tests pass their own. */
export type RandomSource = () => number;

/** The longest delay before retry `retry` (1-based), in seconds. */
export function retryDelayCapSeconds(retry: number): number {
  return DELIVERY_RETRY_BASE_DELAY_SECONDS * 2 ** (retry - 1);
}

/** The delay before retry `retry` (1-based): whole seconds in [0, cap], uniform. */
export function retryDelaySeconds(retry: number, random: RandomSource = Math.random): number {
  const cap = retryDelayCapSeconds(retry);
  return Math.min(cap, Math.max(0, Math.floor(random() * (cap + 1))));
}
