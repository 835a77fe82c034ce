import { CACHE_EXPIRY_DELETE_BATCH_SIZE } from '../env';
import { deleteExpiredCacheEntries } from '../cache/store';

/** Deletes expired cache entries from D1 (reads already ignore them; this reclaims the rows). */
export function deleteExpiredCache(env: Env, now: number): Promise<number> {
  return deleteExpiredCacheEntries(env.DB, new Date(now).toISOString(), CACHE_EXPIRY_DELETE_BATCH_SIZE);
}
