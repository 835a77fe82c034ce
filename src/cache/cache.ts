import {
  KV_MIN_TTL_SECONDS,
  MAX_CACHE_KEY_CHARS,
  MAX_CACHE_TTL_SECONDS,
  MAX_CACHE_VALUE_BYTES,
} from '../env';
import { cacheEntryKvKey } from '../kv-keys';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import {
  addToCacheCounter,
  deleteCacheEntry,
  findLiveCacheEntry,
  upsertCacheEntry,
  type CacheEntryRecord,
} from './store';
import { parseExactJson } from '../json/exact';
import { notifyCacheWaiters } from './waiting';

/**
 * The shop cache (spec/tasks-and-cache.md "Cache rules"): D1 holds the truth, KV an edge copy
 * written after D1. KV's own TTL cannot go below 60 s, so the copy carries the entry's expiry in
 * its metadata and readers drop it once past.
 */

const KEY_PATTERN = /^[a-z0-9_:\-./]+$/i;

/** A problem with a key, value or TTL, worded for the action run or the API caller. */
export class CacheInputError extends Error {
  override name = 'CacheInputError';
}

/** A KV copy could not be written; D1 already holds the value, so redoing the command is safe. */
export class CacheCopyError extends Error {
  override name = 'CacheCopyError';
}

export function checkCacheKey(key: unknown): string {
  if (typeof key !== 'string' || key === '') throw new CacheInputError('cache key must be a non-empty string');
  if (key.length > MAX_CACHE_KEY_CHARS) {
    throw new CacheInputError(`cache key is longer than ${MAX_CACHE_KEY_CHARS} characters`);
  }
  if (!KEY_PATTERN.test(key)) {
    throw new CacheInputError(`cache key ${JSON.stringify(key)} may only hold letters, digits and _ : - . /`);
  }
  return key;
}

/** The TTL in seconds: absent → the maximum (60 days); otherwise a whole number from 1 to the maximum. */
export function checkCacheTtl(ttl: unknown): number {
  if (ttl === undefined || ttl === null) return MAX_CACHE_TTL_SECONDS;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_CACHE_TTL_SECONDS) {
    throw new CacheInputError(`cache ttl must be a whole number of seconds from 1 to ${MAX_CACHE_TTL_SECONDS}`);
  }
  return ttl;
}

/** Serializes a value; rejects what is not JSON or is too large. */
export function cacheValueJson(value: unknown): string {
  if (value === undefined) throw new CacheInputError('cache value is required');
  const json = JSON.stringify(value);
  if (new TextEncoder().encode(json).byteLength > MAX_CACHE_VALUE_BYTES) {
    throw new CacheInputError(`cache value exceeds ${MAX_CACHE_VALUE_BYTES} bytes serialized`);
  }
  return json;
}

const expiryAfter = (ttlSeconds: number, nowMs: number) => new Date(nowMs + ttlSeconds * 1000).toISOString();

/** Stores a value (set / setex); returns the stored value. */
export async function setCacheValue(
  env: Env,
  shopId: string,
  key: string,
  value: unknown,
  ttlSeconds: number,
): Promise<unknown> {
  const valueJson = cacheValueJson(value);
  const now = Date.now();
  const entry: CacheEntryRecord = {
    shopId,
    key: checkCacheKey(key),
    valueJson,
    expiresAt: expiryAfter(checkCacheTtl(ttlSeconds), now),
    updatedAt: new Date(now).toISOString(),
  };
  await commitCacheWrite(env, shopId, entry.key, (db) => upsertCacheEntry(db, entry));
  await copyToKv(env, entry, true);
  return parseExactJson(valueJson);
}

/** Adds `delta` to a counter atomically (incr, incrby, decr, decrby); returns the new number. */
export async function addToCacheValue(
  env: Env,
  shopId: string,
  key: string,
  delta: number,
  ttlSeconds: number,
): Promise<number> {
  if (!Number.isSafeInteger(delta)) throw new CacheInputError('cache increment must be a whole number');
  const now = Date.now();
  const expiresAt = expiryAfter(checkCacheTtl(ttlSeconds), now);
  const entry = await commitCacheWrite(env, shopId, checkCacheKey(key), (db) =>
    addToCacheCounter(db, shopId, key, delta, expiresAt, new Date(now).toISOString()),
  );
  if (entry === null) throw new CacheInputError(`cache value at ${JSON.stringify(key)} is not an integer`);
  // Redoing a counter would count twice, so a failed copy is only logged; readers see D1 on a miss.
  await copyToKv(env, entry, false);
  return Number(entry.valueJson);
}

/** Deletes a key (del); true when it existed. */
export async function deleteCacheValue(env: Env, shopId: string, key: string): Promise<boolean> {
  const existed = await commitCacheWrite(env, shopId, checkCacheKey(key), (db) => deleteCacheEntry(db, shopId, key));
  try {
    await env.KV.delete(cacheEntryKvKey(shopId, key));
  } catch (err) {
    log.warn('cache kv delete failed', { shopId, ...describeError(err) });
    throw new CacheCopyError('cache copy could not be deleted; will retry');
  }
  return existed;
}

/**
 * Runs one D1 cache write, then wakes the waiters of its key (`?wait` reads): every cache write
 * commits here, so this is the one place that notifies. Waiters read D1, so the KV copy written
 * after this does not hold them up.
 */
async function commitCacheWrite<T>(
  env: Env,
  shopId: string,
  key: string,
  write: (db: D1Database) => Promise<T>,
): Promise<T> {
  const result = await write(env.DB);
  await notifyCacheWaiters(env, shopId, [key]);
  return result;
}

/** The live entry from D1, the truth: what tasks read and the fallback of the public read. */
export async function readCacheEntry(env: Env, shopId: string, key: string): Promise<CacheEntryRecord | null> {
  return findLiveCacheEntry(env.DB, shopId, key, nowIso());
}

/** A value's JSON text for the public read: KV first, then D1 on a miss (repairing KV). */
export async function readCacheJsonForEndpoint(
  env: Env,
  ctx: ExecutionContext,
  shopId: string,
  key: string,
): Promise<string | null> {
  const copy = await readCacheJsonFromKv(env, shopId, key);
  if (copy !== null) return copy;
  const entry = await readCacheEntry(env, shopId, key);
  if (entry === null) return null;
  ctx.waitUntil(copyToKv(env, entry, false));
  return entry.valueJson;
}

/** A value's JSON text from its live KV copy alone; null when missing, expired or KV failed. */
export async function readCacheJsonFromKv(env: Env, shopId: string, key: string): Promise<string | null> {
  try {
    const { value, metadata } = await env.KV.getWithMetadata<{ expiresAt?: number }>(
      cacheEntryKvKey(shopId, key),
      'text',
    );
    // An expired copy is never served; D1 may hold a newer value written elsewhere.
    if (value !== null && typeof metadata?.expiresAt === 'number' && metadata.expiresAt > Date.now()) {
      return value;
    }
  } catch (err) {
    log.warn('cache kv read failed; reading D1', { ...describeError(err) });
  }
  return null;
}

/** Writes the KV copy of an entry; `strict` turns a failure into a CacheCopyError. */
async function copyToKv(env: Env, entry: CacheEntryRecord, strict: boolean): Promise<void> {
  const expiresAt = Date.parse(entry.expiresAt);
  const ttl = Math.max(KV_MIN_TTL_SECONDS, Math.ceil((expiresAt - Date.now()) / 1000));
  try {
    await env.KV.put(cacheEntryKvKey(entry.shopId, entry.key), entry.valueJson, {
      expirationTtl: ttl,
      metadata: { expiresAt },
    });
  } catch (err) {
    log.warn('cache kv copy failed', { shopId: entry.shopId, ...describeError(err) });
    if (strict) throw new CacheCopyError('cache copy could not be written; will retry');
  }
}
