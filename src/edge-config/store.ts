/**
 * The KV side of edge config: JSON copies of what the hot paths read (webhook config, CORS
 * policies, cache endpoints), under keys built in kv-keys.ts. D1 stays the source of truth.
 */

/** The parsed JSON copy under `key`, or null when there is none. Throws when KV fails. */
export async function readConfigCopy(env: Env, key: string): Promise<unknown> {
  return env.KV.get(key, 'json');
}

/** Writes (or replaces) the JSON copy under `key`, kept `ttlSeconds` (≥ 60) when given. */
export async function writeConfigCopy(env: Env, key: string, value: unknown, ttlSeconds?: number): Promise<void> {
  await env.KV.put(key, JSON.stringify(value), ttlSeconds === undefined ? {} : { expirationTtl: ttlSeconds });
}

/** Removes the copy under `key`. */
export async function deleteConfigCopy(env: Env, key: string): Promise<void> {
  await env.KV.delete(key);
}
