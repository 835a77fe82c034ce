import { readCacheCopy } from './kv-store';
import { mayLookUpMiss } from '../edge-config/miss-budget';
import { isKnownMissing, rememberMissing } from './misses';
import { MAX_CACHE_KEY_CHARS, MAX_CACHE_TTL_SECONDS, MAX_CACHE_VALUE_BYTES, MAX_JSON_DEPTH } from '../env';
import { exceedsDepth } from '../json/depth';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import { afterCacheCommit, writeKvCopy, type CacheKeyRef } from './copies';
import {
  addToCacheCounter,
  addToCacheCounterStatement,
  deleteCacheEntry,
  deleteCacheEntryStatement,
  findLiveCacheEntry,
  upsertCacheEntry,
  upsertCacheEntryStatement,
  type CacheEntryRecord,
} from './store';
import { parseExactJson } from '../json/exact';

/**
 * The shop cache (docs/contracts.md, "Cache rules"): D1 holds the truth, KV an edge copy
 * written after D1. KV's own TTL cannot go below 60 s, so the copy carries the entry's expiry in
 * its metadata and readers drop it once past.
 */

const KEY_PATTERN = /^[a-z0-9_:\-./]+$/i;

/** A problem with a key, value or TTL, worded for the action run or the API caller. */
export class CacheInputError extends Error {
  override name = 'CacheInputError';
}

/**
 * A KV copy could not be written and no re-copy could be queued; D1 already holds the value, so
 * redoing the command is safe.
 */
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
  if (exceedsDepth(value, MAX_JSON_DEPTH)) {
    throw new CacheInputError(`cache value nests deeper than ${MAX_JSON_DEPTH} levels`);
  }
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
  return applyCacheWrite(env, planCacheSet(shopId, key, value, ttlSeconds, Date.now()));
}

/** Deletes a key (del); true when it existed. */
export async function deleteCacheValue(env: Env, shopId: string, key: string): Promise<boolean> {
  const existed = await deleteCacheEntry(env.DB, shopId, checkCacheKey(key));
  await commitCopiesOrThrow(env, { shopId, key }, []);
  return existed;
}

/**
 * Performs one planned write on its own (outside a batch's transaction) and makes its KV copy:
 * the stored value for a set, the counter's new number for an add, null for a del. Throws
 * CacheInputError for a counter on a value that is not an integer, and CacheCopyError when a
 * set's or del's copy could not be written (redoing them is safe; a counter's is only logged,
 * since redoing it would count twice, and readers see D1 on a KV miss).
 */
export async function applyCacheWrite(env: Env, write: CacheWrite): Promise<unknown> {
  switch (write.kind) {
    case 'set':
      await upsertCacheEntry(env.DB, write.entry);
      await commitCopiesOrThrow(env, { shopId: write.entry.shopId, key: write.entry.key }, [write.entry]);
      return write.result;
    case 'add': {
      const { shopId, key } = write;
      const entry = await addToCacheCounter(env.DB, shopId, key, write.delta, write.expiresAt, write.now);
      if (entry === null) throw new CacheInputError(counterNotIntegerMessage(key));
      await afterCacheCommit(env, [{ shopId, key }], [entry]);
      return Number(entry.valueJson);
    }
    case 'del':
      await deleteCacheValue(env, write.shopId, write.key);
      return null;
  }
}

/** The error of a counter command on a live value that is not an integer. */
export const counterNotIntegerMessage = (key: string): string =>
  `cache value at ${JSON.stringify(key)} is not an integer`;

/** A validated write, ready for D1 (docs/contracts.md, "Cache rules"): a value, a counter delta or a delete. */
export type CacheWrite =
  | { kind: 'set'; entry: CacheEntryRecord; result: unknown }
  | { kind: 'add'; shopId: string; key: string; delta: number; expiresAt: string; now: string }
  | { kind: 'del'; shopId: string; key: string };

/** Validates a set/setex; throws CacheInputError. */
export function planCacheSet(shopId: string, key: string, value: unknown, ttlSeconds: unknown, nowMs: number) {
  const valueJson = cacheValueJson(value);
  const entry: CacheEntryRecord = {
    shopId,
    key: checkCacheKey(key),
    valueJson,
    expiresAt: expiryAfter(checkCacheTtl(ttlSeconds), nowMs),
    updatedAt: new Date(nowMs).toISOString(),
  };
  return { kind: 'set' as const, entry, result: parseExactJson(valueJson) };
}

/** Validates a counter command; throws CacheInputError. */
export function planCacheAdd(shopId: string, key: string, delta: unknown, ttlSeconds: unknown, nowMs: number) {
  if (typeof delta !== 'number' || !Number.isSafeInteger(delta)) {
    throw new CacheInputError('cache increment must be a whole number');
  }
  return {
    kind: 'add' as const,
    shopId,
    key: checkCacheKey(key),
    delta,
    expiresAt: expiryAfter(checkCacheTtl(ttlSeconds), nowMs),
    now: new Date(nowMs).toISOString(),
  };
}

/** Validates a del; throws CacheInputError. */
export function planCacheDelete(shopId: string, key: string) {
  return { kind: 'del' as const, shopId, key: checkCacheKey(key) };
}

/** The statement performing a write inside a batch's transaction. */
export function cacheWriteStatement(db: D1Database, write: CacheWrite): D1PreparedStatement {
  switch (write.kind) {
    case 'set':
      return upsertCacheEntryStatement(db, write.entry);
    case 'add':
      return addToCacheCounterStatement(db, write.shopId, write.key, write.delta, write.expiresAt, write.now);
    case 'del':
      return deleteCacheEntryStatement(db, write.shopId, write.key);
  }
}

/** KV copy after a single write whose caller can report failure (set, del: redoing them is safe). */
async function commitCopiesOrThrow(env: Env, ref: CacheKeyRef, live: CacheEntryRecord[]): Promise<void> {
  if ((await afterCacheCommit(env, [ref], live)).length > 0) {
    throw new CacheCopyError('cache copy could not be written; will retry');
  }
}

/** The live entry from D1, the truth: what tasks read and the fallback of the public read. */
export async function readCacheEntry(env: Env, shopId: string, key: string): Promise<CacheEntryRecord | null> {
  return findLiveCacheEntry(env.DB, shopId, key, nowIso());
}

/**
 * A value's JSON text for the public read: KV first, then D1 on a miss (repairing KV). A key just
 * found missing, or a `client` past its budget of misses, is answered missing without D1.
 */
export async function readCacheJsonForEndpoint(
  env: Env,
  ctx: ExecutionContext,
  { shopId, key, client }: { shopId: string; key: string; client: string },
): Promise<string | null> {
  const copy = await readCacheJsonFromKv(env, shopId, key);
  if (copy !== null) return copy;
  if (isKnownMissing(shopId, key) || !(await mayLookUpMiss(env, 'cache-key', client))) return null;
  const entry = await readCacheEntry(env, shopId, key);
  if (entry === null) {
    rememberMissing(shopId, key);
    return null;
  }
  ctx.waitUntil(
    writeKvCopy(env, { shopId, key }, entry).catch((err: unknown) =>
      log.warn('cache kv repair failed', { shopId, ...describeError(err) }),
    ),
  );
  return entry.valueJson;
}

/** A value's JSON text from its live KV copy alone; null when missing, expired or KV failed. */
export async function readCacheJsonFromKv(env: Env, shopId: string, key: string): Promise<string | null> {
  try {
    const { valueJson, expiresAt } = await readCacheCopy(env, shopId, key);
    // An expired copy is never served; D1 may hold a newer value written elsewhere.
    if (valueJson !== null && expiresAt !== undefined && expiresAt > Date.now()) return valueJson;
  } catch (err) {
    log.warn('cache kv read failed; reading D1', { ...describeError(err) });
  }
  return null;
}
