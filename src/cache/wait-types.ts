/**
 * What a waiting cache read (`?wait=N`) asks the shop's CacheWaiters object and what it answers.
 * Kept apart from the object (`waiters.ts`) so the Worker's side (`waiting.ts`), which the cache
 * write path imports, does not import the object, which reads the cache: no import circle.
 */

/**
 * `present`: the key was missing; wait until it holds a value that If-None-Match does not match.
 * `change`: wait until the value's ETag stops matching, or the key is deleted or expires.
 */
export type WaitMode = 'present' | 'change';

export interface WaitRequest {
  shopId: string;
  /** The shop's shard, where the object reads the key. */
  shard: number;
  /** The client's address: its waits are counted against MAX_CACHE_WAITERS_PER_CLIENT. */
  client: string;
  key: string;
  mode: WaitMode;
  /** The request's If-None-Match (`change` mode). */
  ifNoneMatch: string | null;
  timeoutMs: number;
}

/** The value's JSON when the wait ended (null: missing); `read` is false when the object never read it. */
export interface WaitOutcome {
  json: string | null;
  read: boolean;
}

/** The client already holds its share of waits: retry after this many seconds (when its first ends). */
export interface WaitRefused {
  busySeconds: number;
}
