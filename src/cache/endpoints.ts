import type { Cursor } from '../http/pagination';
import { primaryDb } from '../shards';
import { deleteConfigCopy, writeConfigCopy } from '../edge-config/store';
import * as v from 'valibot';
import { CONFIG_MEMO_TTL_MS, CONFIG_NEGATIVE_MEMO_TTL_MS, MAX_CACHE_KEY_CHARS } from '../env';
import { mayLookUpMiss } from '../edge-config/miss-budget';
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
  listShopCacheEndpoints,
  type CacheEndpointKind,
  type CacheEndpointRecord,
} from './store';

/**
 * Cache endpoints: an unguessable token mapped to one cache key of a shop, or to a key prefix that
 * the URL's suffix completes, so every caller reads its own key (docs/contracts.md, "Cache endpoints").
 */

/** The `ep:{token}` KV value; copies written before prefix endpoints have no `kind` (= `key`). */
export interface CacheEndpointConfig {
  shopId: string;
  /** The shop's shard, where a value missing from KV is read; absent in copies made before shards: 0. */
  shard?: number;
  key: string;
  kind?: CacheEndpointKind;
}

/** A suffix: 1–128 of `[A-Za-z0-9_.:-]`, not `.` or `..` (docs/contracts.md, "Cache endpoints"). */
export const MAX_CACHE_SUFFIX_CHARS = 128;
const SUFFIX = new RegExp(`^[A-Za-z0-9_.:-]{1,${MAX_CACHE_SUFFIX_CHARS}}$`);

const keyText = v.pipe(
  v.string('must be a string'),
  v.minLength(1, 'must not be empty'),
  v.maxLength(MAX_CACHE_KEY_CHARS, `is too long (at most ${MAX_CACHE_KEY_CHARS} characters)`),
  v.regex(/^[a-z0-9_:\-./]+$/i, 'may only hold letters, digits and _ : - . /'),
);

export const createCacheEndpointSchema = v.pipe(
  v.strictObject({ key: v.optional(keyText), key_prefix: v.optional(keyText) }),
  v.check(
    (input) => (input.key === undefined) !== (input.key_prefix === undefined),
    'give exactly one of key or key_prefix',
  ),
);

/** What a new endpoint maps to, from the validated create body. */
export function endpointTarget(input: v.InferOutput<typeof createCacheEndpointSchema>): {
  kind: CacheEndpointKind;
  key: string;
} {
  return input.key_prefix !== undefined ? { kind: 'prefix', key: input.key_prefix } : { kind: 'key', key: input.key! };
}

/**
 * The cache key a public read names: the endpoint's key without a suffix, or its prefix plus a
 * valid suffix. Null for every other combination, which answers like a missing key.
 */
export function cacheKeyForRead(endpoint: CacheEndpointConfig, suffix: string | undefined): string | null {
  if ((endpoint.kind ?? 'key') === 'key') return suffix === undefined ? endpoint.key : null;
  if (suffix === undefined || !SUFFIX.test(suffix) || suffix === '.' || suffix === '..') return null;
  const key = endpoint.key + suffix;
  // A key longer than the cache allows can never have been written.
  return key.length <= MAX_CACHE_KEY_CHARS ? key : null;
}

const memo = new TtlMemo<CacheEndpointConfig | null>();

const configOf = (endpoint: CacheEndpointRecord, shard: number): CacheEndpointConfig => ({
  shopId: endpoint.shopId,
  shard,
  key: endpoint.key,
  kind: endpoint.kind,
});

/** Saves the KV copy of an endpoint's config, then this isolate's memo. */
async function publish(env: Env, endpoint: CacheEndpointRecord, shard: number): Promise<void> {
  const config = configOf(endpoint, shard);
  await writeConfigCopy(env, cacheEndpointKvKey(endpoint.token), config);
  memo.set(endpoint.token, config, CONFIG_MEMO_TTL_MS);
}

export async function createCacheEndpoint(
  env: Env,
  shop: { id: string; shard: number },
  target: { kind: CacheEndpointKind; key: string },
): Promise<CacheEndpointRecord> {
  const now = nowIso();
  const endpoint = { token: crypto.randomUUID(), shopId: shop.id, ...target, createdAt: now, updatedAt: now };
  await insertCacheEndpoint(primaryDb(env), endpoint);
  await publish(env, endpoint, shop.shard);
  return endpoint;
}

/** Writes the KV copies of a shop's endpoints again (a move changed its shard); returns how many. */
export async function republishShopCacheEndpoints(env: Env, shopId: string, shard: number): Promise<number> {
  let count = 0;
  let cursor: Cursor | null = null;
  for (;;) {
    const page: CacheEndpointRecord[] = await listShopCacheEndpoints(
      primaryDb(env),
      shopId,
      REPUBLISH_PAGE_SIZE,
      cursor,
    );
    for (const endpoint of page) await publish(env, endpoint, shard);
    count += page.length;
    if (page.length < REPUBLISH_PAGE_SIZE) return count;
    const last: CacheEndpointRecord = page.at(-1)!;
    cursor = { createdAt: last.createdAt, id: last.token };
  }
}

/** Endpoints read per page when their copies are written again. */
const REPUBLISH_PAGE_SIZE = 100;

export async function requireCacheEndpoint(env: Env, shopId: string, token: string): Promise<CacheEndpointRecord> {
  const endpoint = await findShopCacheEndpoint(primaryDb(env), shopId, token);
  if (endpoint === null) throw notFound('Cache endpoint');
  return endpoint;
}

export async function removeCacheEndpoint(env: Env, shopId: string, token: string): Promise<void> {
  if (!(await deleteCacheEndpoint(primaryDb(env), shopId, token))) throw notFound('Cache endpoint');
  await deleteConfigCopy(env, cacheEndpointKvKey(token));
  memo.set(token, null, CONFIG_NEGATIVE_MEMO_TTL_MS);
}

/**
 * Memo, then KV, then D1 on a KV miss (repairing KV); null for an unknown token. With the `client`
 * asking, a D1 read spends that client's budget of misses.
 */
export function findCacheEndpointConfig(
  env: Env,
  ctx: ExecutionContext,
  token: string,
  client?: string,
): Promise<CacheEndpointConfig | null> {
  return readThrough({
    ...(client === undefined ? {} : { mayReadD1: () => mayLookUpMiss(env, 'cache-endpoint', client) }),
    env,
    ctx,
    memo,
    id: token,
    kvKey: cacheEndpointKvKey(token),
    isValid: isConfig,
    load: async () => {
      const found = await findCacheEndpoint(primaryDb(env), token);
      return found && configOf(found.endpoint, found.shard);
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
  return (
    typeof v['shopId'] === 'string' &&
    (v['shard'] === undefined || Number.isSafeInteger(v['shard'])) &&
    typeof v['key'] === 'string' &&
    (v['kind'] === undefined || v['kind'] === 'key' || v['kind'] === 'prefix')
  );
}

/** The API shape: `kind`, then `key` and `url`, or `key_prefix` and `url_template`. */
export function cacheEndpointToApi(endpoint: CacheEndpointRecord, origin: string) {
  const base = `${origin}/cache/${endpoint.token}`;
  return {
    token: endpoint.token,
    kind: endpoint.kind,
    ...(endpoint.kind === 'prefix'
      ? { key_prefix: endpoint.key, url_template: `${base}/{suffix}` }
      : { key: endpoint.key, url: base }),
    created_at: endpoint.createdAt,
    updated_at: endpoint.updatedAt,
  };
}
