import { mapWithConcurrency } from '../concurrency';
import { deleteCacheCopy, writeCacheCopy } from './kv-store';
import {
  CACHE_RECOPY_BASE_DELAY_SECONDS,
  CACHE_RECOPY_MAX_DELAY_SECONDS,
  KV_COPY_CONCURRENCY,
  KV_MIN_TTL_SECONDS,
} from '../env';
import { describeError, log } from '../log';
import { sendEventMessagesSettled } from '../queue/producer';
import { nowIso } from '../time';
import { findLiveCacheEntries, type CacheEntryRecord } from './store';
import { forgetMissing } from './misses';
import { notifyCacheWaiters } from './waiting';

/**
 * KV copies of cache entries (docs/contracts.md, "Cache rules": D1 holds the truth, KV an edge
 * copy written after D1). KV accepts one write per second to the same key and answers `429`
 * beyond that, so copies are coalesced (one write per distinct key per batch, of the value D1
 * holds after the batch) and a copy that fails is not forgotten: a `cache-copy` message naming only
 * the shop and key copies D1's value of that moment a little later.
 */

/** A cache key of a shop. */
export interface CacheKeyRef {
  shopId: string;
  key: string;
}

const refId = (shopId: string, key: string) => `${shopId}\n${key}`;

/**
 * Runs right after D1 committed cache writes — the single place every committed cache write
 * passes through (a batch's transaction, one action performed alone, the management API), so
 * anything that must follow a commit (KV copies now; telling waiting readers) goes here.
 * `touched` are the keys written; `live` their entries in D1 after the commit (a key absent from
 * it was deleted or has expired, so its copy is deleted). Returns the keys whose copy neither
 * KV nor the re-copy queue took (both failed); callers that can, report them.
 */
export async function afterCacheCommit(
  env: Env,
  touched: readonly CacheKeyRef[],
  live: readonly CacheEntryRecord[],
): Promise<CacheKeyRef[]> {
  // Waiting readers first: they read D1, so the KV copies below do not hold them up.
  const keysByShop = new Map<string, string[]>();
  for (const { shopId, key } of touched) {
    forgetMissing(shopId, key);
    keysByShop.set(shopId, [...(keysByShop.get(shopId) ?? []), key]);
  }
  await Promise.all([...keysByShop].map(([shopId, keys]) => notifyCacheWaiters(env, shopId, keys)));
  const failed = await copyToKvVerified(env, touched, live);
  if (failed.length === 0) return [];
  return scheduleRecopies(env, failed, CACHE_RECOPY_BASE_DELAY_SECONDS);
}

/**
 * Copies to KV, then reads D1 once more for the keys copied: a key another writer committed since
 * the `live` entries were read (two writes whose copies finish out of order) may now hold the
 * older value in KV, so it is returned with the failed ones and copied again from D1 by a re-copy
 * message. Whichever copy of a key finishes last has thus checked D1 after its write, and the KV
 * copy ends at D1's latest value. Returns the keys to copy again.
 */
async function copyToKvVerified(
  env: Env,
  touched: readonly CacheKeyRef[],
  live: readonly CacheEntryRecord[],
): Promise<CacheKeyRef[]> {
  const failed = await copyToKv(env, touched, live);
  const failedIds = new Set(failed.map((r) => refId(r.shopId, r.key)));
  const written = [...new Map(touched.map((t) => [refId(t.shopId, t.key), t])).values()].filter(
    (r) => !failedIds.has(refId(r.shopId, r.key)),
  );
  if (written.length === 0) return failed;
  let latest: CacheEntryRecord[];
  try {
    latest = await findLiveCacheEntries(
      env.DB,
      written.map((r) => [r.shopId, r.key] as const),
      nowIso(),
    );
  } catch (err) {
    log.warn('cache kv copies could not be checked against D1; re-copying them', describeError(err));
    return [...failed, ...written];
  }
  const copied = new Map(live.map((e) => [refId(e.shopId, e.key), e]));
  const now = new Map(latest.map((e) => [refId(e.shopId, e.key), e]));
  const changed = written.filter(
    (r) => !sameEntry(copied.get(refId(r.shopId, r.key)), now.get(refId(r.shopId, r.key))),
  );
  return [...failed, ...changed];
}

const sameEntry = (a: CacheEntryRecord | undefined, b: CacheEntryRecord | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.valueJson === b.valueJson && a.expiresAt === b.expiresAt);

/**
 * Writes (or deletes) the KV copy of each distinct key once, at most KV_COPY_CONCURRENCY at a
 * time. Returns the keys whose write failed.
 */
async function copyToKv(
  env: Env,
  touched: readonly CacheKeyRef[],
  live: readonly CacheEntryRecord[],
): Promise<CacheKeyRef[]> {
  const entries = new Map(live.map((e) => [refId(e.shopId, e.key), e]));
  const distinct = new Map(touched.map((t) => [refId(t.shopId, t.key), t]));
  const refs = [...distinct.values()];
  const failed: CacheKeyRef[] = [];
  await mapWithConcurrency(refs, KV_COPY_CONCURRENCY, async (ref) => {
    try {
      await writeKvCopy(env, ref, entries.get(refId(ref.shopId, ref.key)) ?? null);
    } catch (err) {
      log.warn('cache kv copy failed; scheduling a re-copy', { shopId: ref.shopId, ...describeError(err) });
      failed.push(ref);
    }
  });
  return failed;
}

/** The KV copy of one entry: its value with the expiry in metadata (KV's own TTL is ≥ 60 s), or none. */
export async function writeKvCopy(env: Env, ref: CacheKeyRef, entry: CacheEntryRecord | null): Promise<void> {
  if (entry === null) return deleteCacheCopy(env, ref.shopId, ref.key);
  const expiresAt = Date.parse(entry.expiresAt);
  const ttlSeconds = Math.max(KV_MIN_TTL_SECONDS, Math.ceil((expiresAt - Date.now()) / 1000));
  await writeCacheCopy(env, ref.shopId, ref.key, { valueJson: entry.valueJson, expiresAt, ttlSeconds });
}

/** Sends one `cache-copy` message per key after `delaySeconds`; returns the keys not sent. */
async function scheduleRecopies(env: Env, refs: readonly CacheKeyRef[], delaySeconds: number): Promise<CacheKeyRef[]> {
  const refused = await sendEventMessagesSettled(env, refs, ({ shopId, key }) => ({
    body: { kind: 'cache-copy', shopId, key },
    delaySeconds,
  }));
  for (const { items, error } of refused) {
    log.error('cache re-copy could not be queued; the KV copy stays stale until its next write', {
      count: items.length,
      ...describeError(error),
    });
  }
  return refused.flatMap((r) => r.items);
}

/** Re-copy delay for a message's n-th attempt (1-based): doubling, capped. */
export function recopyDelaySeconds(attempts: number): number {
  return Math.min(CACHE_RECOPY_MAX_DELAY_SECONDS, CACHE_RECOPY_BASE_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

/**
 * Handles the `cache-copy` messages of a batch: one D1 read for all their keys, then one KV write
 * per distinct key with D1's current value. A key whose write fails again has its messages retried
 * later; a D1 failure retries them all.
 */
export async function consumeCacheCopies(
  env: Env,
  messages: readonly { message: Message<unknown>; ref: CacheKeyRef }[],
): Promise<void> {
  if (messages.length === 0) return;
  const refs = [...new Map(messages.map(({ ref }) => [refId(ref.shopId, ref.key), ref])).values()];
  let live: CacheEntryRecord[];
  try {
    live = await findLiveCacheEntries(
      env.DB,
      refs.map((r) => [r.shopId, r.key] as const),
      nowIso(),
    );
  } catch (err) {
    log.error('cache re-copy could not read D1; retrying', { count: refs.length, ...describeError(err) });
    for (const { message } of messages) message.retry({ delaySeconds: recopyDelaySeconds(message.attempts) });
    return;
  }
  const failed = new Set((await copyToKvVerified(env, refs, live)).map((r) => refId(r.shopId, r.key)));
  for (const { message, ref } of messages) {
    if (failed.has(refId(ref.shopId, ref.key))) message.retry({ delaySeconds: recopyDelaySeconds(message.attempts) });
    else message.ack();
  }
}
