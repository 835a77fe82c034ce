import { MOVE_WRITE_RETRY_AFTER_SECONDS } from '../env';
import { serviceUnavailable } from '../http/errors';
import { inShard } from '../shards';

/**
 * The Env for a management API request's per-shop rows (events, runs, deliveries, cache values):
 * its shop's shard (see `inShard`). Reads work throughout a move (the map names the shard holding
 * every row until the switch, and the new one after).
 */
export const shopEnv = (env: Env, shop: { shard: number }): Env => inShard(env, shop.shard);

/**
 * `shopEnv` for a request that writes per-shop rows: while a move copies the shop's rows such a
 * write could be left behind, so it is refused with 503 and Retry-After instead.
 */
export function writableShopEnv(env: Env, shop: { shard: number; paused: boolean }): Env {
  if (shop.paused) {
    throw serviceUnavailable(
      MOVE_WRITE_RETRY_AFTER_SECONDS,
      'This shop is being moved to another shard; its data can be read but not changed for a few minutes.',
    );
  }
  return inShard(env, shop.shard);
}
