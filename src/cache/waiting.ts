import { shardOfScope } from '../shards';
import { MAX_CACHE_WAIT_SECONDS, MAX_CACHE_WAITERS_PER_CLIENT } from '../env';
import { AppError } from '../http/errors';
import { describeError, log } from '../log';
import type { WaitMode, WaitOutcome, WaitRefused } from './wait-types';

/**
 * The Worker's side of waiting cache reads: `?wait=N` parsing, handing a read to the shop's
 * CacheWaiters object, and the one notification the cache write path sends after D1 commits.
 */

const WAIT_NUMBER = /^(\d+(\.\d*)?|\.\d+)$/;

/** `?wait=N` in seconds (0 < N ≤ 25, decimals allowed); null without it; 400 for anything else. */
export function cacheWaitSeconds(url: URL): number | null {
  const values = url.searchParams.getAll('wait');
  if (values.length === 0) return null;
  const seconds = values.length === 1 && WAIT_NUMBER.test(values[0]!) ? Number(values[0]) : NaN;
  if (!(seconds > 0 && seconds <= MAX_CACHE_WAIT_SECONDS)) {
    throw new AppError(
      400,
      'invalid_wait',
      `wait must be a number of seconds greater than 0 and at most ${MAX_CACHE_WAIT_SECONDS}.`,
    );
  }
  return seconds;
}

const waitersOf = (env: Env, shopId: string) => env.CACHE_WAITERS.get(env.CACHE_WAITERS.idFromName(shopId));

/**
 * Holds a read in the shop's CacheWaiters object until the key satisfies `mode` or `timeoutMs`
 * pass. Null when the object could not be reached: the caller answers as without `wait`.
 */
export async function waitForCacheKey(
  env: Env,
  request: { shopId: string; client: string; key: string; mode: WaitMode; ifNoneMatch: string | null },
  timeoutMs: number,
): Promise<WaitOutcome | null> {
  let outcome: WaitOutcome | WaitRefused;
  try {
    outcome = await waitersOf(env, request.shopId).wait({ ...request, shard: shardOfScope(env), timeoutMs });
  } catch (err) {
    log.warn('cache wait failed; answering without waiting', { shopId: request.shopId, ...describeError(err) });
    return null;
  }
  if ('busySeconds' in outcome) {
    throw new AppError(
      429,
      'too_many_waits',
      `This client already holds ${MAX_CACHE_WAITERS_PER_CLIENT} waiting reads of this shop; retry when one ends.`,
      { headers: { 'retry-after': String(outcome.busySeconds) } },
    );
  }
  return outcome;
}

/**
 * Wakes the waiters of `keys` after their writes committed to D1. The cache write path calls it
 * from one place; a batch of writes calls it once per shop with all its keys. A failure is logged,
 * never thrown: the write stands, and its waiters answer at their deadline.
 */
export async function notifyCacheWaiters(env: Env, shopId: string, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  try {
    await waitersOf(env, shopId).notify(shopId, [...new Set(keys)], shardOfScope(env));
  } catch (err) {
    log.warn('cache waiters not notified', { shopId, keys: keys.length, ...describeError(err) });
  }
}
