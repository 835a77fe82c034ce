import { CACHE_MISS_MEMO_TTL_MS } from '../env';
import { TtlMemo } from '../memo';

/**
 * Cache keys this isolate just found missing in D1, remembered for CACHE_MISS_MEMO_TTL_MS so a
 * client repeating a read of a missing key does not read D1 each time. A commit of the key in
 * this isolate forgets it at once; elsewhere the short TTL bounds how late a new value is seen
 * (`?wait` reads never consult it: their object reads D1).
 */
const missing = new TtlMemo<true>();

const idOf = (shopId: string, key: string) => `${shopId}\n${key}`;

export const isKnownMissing = (shopId: string, key: string): boolean => missing.get(idOf(shopId, key)) !== undefined;

export const rememberMissing = (shopId: string, key: string): void =>
  missing.set(idOf(shopId, key), true, CACHE_MISS_MEMO_TTL_MS);

export const forgetMissing = (shopId: string, key: string): void => missing.delete(idOf(shopId, key));
