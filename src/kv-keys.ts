/**
 * Every KV key edgehook uses is built here (DESIGN.md lists them with their value shapes).
 * Ids are UUIDs or shop ids, so no key part needs escaping except cache keys, which are
 * restricted by the cache key rules.
 */

/** `{shopId, topic, mode, enabled}` of an ingress webhook. */
export const webhookKvKey = (webhookId: string): string => `wh:${webhookId}`;

/** `{allowAll, origins[]}`: a shop's effective CORS policy. */
export const corsKvKey = (shopId: string): string => `cors:${shopId}`;
