import { deleteConfigCopy, writeConfigCopy } from '../edge-config/store';
import * as v from 'valibot';
import { CONFIG_MEMO_TTL_MS, CONFIG_NEGATIVE_MEMO_TTL_MS, MAX_CACHE_KEY_CHARS } from '../env';
import { readThrough } from '../edge-config/read-through';
import { notFound } from '../http/errors';
import { cacheEndpointKvKey } from '../kv-keys';
import { TtlMemo } from '../memo';
import { nowIso } from '../time';
import {
  deleteCacheEndpoint,
  findCacheEndpoint,
  findShopCacheEndpoint,
  insertCacheEndpoint,
  type CacheEndpointRecord,
} from './store';

/** Cache endpoints: an unguessable token mapped to one cache key of a shop. */

/** The `ep:{token}` KV value. */
export interface CacheEndpointConfig {
  shopId: string;
  key: string;
}

export const createCacheEndpointSchema = v.strictObject({
  key: v.pipe(
    v.string('must be a string'),
    v.maxLength(MAX_CACHE_KEY_CHARS, `is too long (at most ${MAX_CACHE_KEY_CHARS} characters)`),
    v.regex(/^[a-z0-9_:\-./]+$/i, 'may only hold letters, digits and _ : - . /'),
  ),
});

const memo = new TtlMemo<CacheEndpointConfig | null>();

export async function createCacheEndpoint(env: Env, shopId: string, key: string): Promise<CacheEndpointRecord> {
  const now = nowIso();
  const endpoint = { token: crypto.randomUUID(), shopId, key, createdAt: now, updatedAt: now };
  await insertCacheEndpoint(env.DB, endpoint);
  const config = { shopId, key };
  await writeConfigCopy(env, cacheEndpointKvKey(endpoint.token), config);
  memo.set(endpoint.token, config, CONFIG_MEMO_TTL_MS);
  return endpoint;
}

export async function requireCacheEndpoint(env: Env, shopId: string, token: string): Promise<CacheEndpointRecord> {
  const endpoint = await findShopCacheEndpoint(env.DB, shopId, token);
  if (endpoint === null) throw notFound('Cache endpoint');
  return endpoint;
}

export async function removeCacheEndpoint(env: Env, shopId: string, token: string): Promise<void> {
  if (!(await deleteCacheEndpoint(env.DB, shopId, token))) throw notFound('Cache endpoint');
  await deleteConfigCopy(env, cacheEndpointKvKey(token));
  memo.set(token, null, CONFIG_NEGATIVE_MEMO_TTL_MS);
}

/** Memo, then KV, then D1 on a KV miss (repairing KV); null for an unknown token. */
export function findCacheEndpointConfig(
  env: Env,
  ctx: ExecutionContext,
  token: string,
): Promise<CacheEndpointConfig | null> {
  return readThrough({
    env,
    ctx,
    memo,
    id: token,
    kvKey: cacheEndpointKvKey(token),
    isValid: isConfig,
    load: async () => {
      const record = await findCacheEndpoint(env.DB, token);
      return record && { shopId: record.shopId, key: record.key };
    },
  });
}

/** Forgets memoised endpoints (tests use it to reach KV and D1 again). */
export function clearCacheEndpointMemo(): void {
  memo.clear();
}

function isConfig(value: unknown): value is CacheEndpointConfig {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['shopId'] === 'string' && typeof v['key'] === 'string';
}

export function cacheEndpointToApi(endpoint: CacheEndpointRecord, origin: string) {
  return {
    token: endpoint.token,
    key: endpoint.key,
    url: `${origin}/cache/${endpoint.token}`,
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
  };
}
