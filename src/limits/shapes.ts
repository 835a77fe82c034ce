import type { BucketShape } from './bucket';

/**
 * Shopify's published call limits, as docs/contracts.md ("Call limits") fixes them.
 */

/** REST Admin API: a bucket of 40 calls that leaks 2 calls a second. */
export const REST_BUCKET: BucketShape = { capacity: 40, leakPerSecond: 2 };

/** GraphQL Admin API: 2000 cost points, 100 restored a second (Shopify's standard plan figures). */
export const GRAPHQL_BUCKET: BucketShape = { capacity: 2_000, leakPerSecond: 100 };

/** Shopify's REST `Retry-After` after a 429: always "2.0" seconds (its text, not bent to ms). */
export const REST_RETRY_AFTER_SECONDS_TEXT = '2.0';

export const CALL_LIMIT_HEADER = 'X-Shopify-Shop-Api-Call-Limit';

/** Shopify's 429 body for the REST Admin API. */
export const REST_THROTTLED_MESSAGE =
  'Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.';
