import { cacheEntryKvKey } from '../kv-keys';

/**
 * The KV copies of cache entries (`c:{shopId}:{key}`): the value's JSON text, with the entry's
 * expiry (ms) in metadata, since KV's own TTL cannot go below 60 s.
 */

export interface CacheCopy {
  valueJson: string | null;
  /** Milliseconds since the epoch; undefined when the copy carries none. */
  expiresAt: number | undefined;
}

/** The copy under (shop, key); `valueJson` null when there is none. Throws when KV fails. */
export async function readCacheCopy(env: Env, shopId: string, key: string): Promise<CacheCopy> {
  const { value, metadata } = await env.KV.getWithMetadata<{ expiresAt?: number }>(
    cacheEntryKvKey(shopId, key),
    'text',
  );
  return { valueJson: value, expiresAt: typeof metadata?.expiresAt === 'number' ? metadata.expiresAt : undefined };
}

/** Writes the copy; KV keeps it `ttlSeconds` (≥ 60) and readers honour `expiresAt` before that. */
export async function writeCacheCopy(
  env: Env,
  shopId: string,
  key: string,
  copy: { valueJson: string; expiresAt: number; ttlSeconds: number },
): Promise<void> {
  await env.KV.put(cacheEntryKvKey(shopId, key), copy.valueJson, {
    expirationTtl: copy.ttlSeconds,
    metadata: { expiresAt: copy.expiresAt },
  });
}

/** Removes the copy. */
export async function deleteCacheCopy(env: Env, shopId: string, key: string): Promise<void> {
  await env.KV.delete(cacheEntryKvKey(shopId, key));
}
