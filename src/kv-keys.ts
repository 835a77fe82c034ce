/**
 * Every KV key edgehook uses is built here (docs/storage.md lists them with their value shapes).
 * Ids are UUIDs or shop ids, so no key part needs escaping except cache keys, which are
 * restricted by the cache key rules.
 */

/** `{shopId, topic, mode, enabled}` of an ingress webhook. */
export const webhookKvKey = (webhookId: string): string => `wh:${webhookId}`;

/** `{allowAll, origins[]}`: a shop's effective CORS policy. */
export const corsKvKey = (shopId: string): string => `cors:${shopId}`;

/** `{shopId, key}` of a cache endpoint. */
export const cacheEndpointKvKey = (token: string): string => `ep:${token}`;

/** A cache value (its JSON text); metadata `{expiresAt}` in ms, since KV's own TTL is ≥ 60 s. */
export const cacheEntryKvKey = (shopId: string, key: string): string => `c:${shopId}:${key}`;

/** The event id an `Idempotency-Key` was first used for, as text; TTL IDEMPOTENCY_KEY_TTL_SECONDS. */
export const idempotencyKvKey = (claimId: string): string => `idem:${claimId}`;
