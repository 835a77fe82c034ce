import { findShopsStatement, shopsOf, type ShopRecord } from '../shops/store';

/**
 * Where a queue message's shop lives now: consumers read the shop map (`shops.shard` and whether a
 * move has paused the shop) from the primary for every shop of a batch, never from the message,
 * so a message sent before a move is processed on the shard the shop moved to.
 */
export interface Placement {
  shard: number;
  /** A move is copying the shop's rows: its messages wait (sent again later), nothing is lost. */
  paused: boolean;
}

/**
 * A message without a shop id was sent by a deployment before shards, when every row was in
 * shard 0; a shop that no longer exists keeps its last rows there too (events outlive their shop).
 */
const SHARD_ZERO: Placement = { shard: 0, paused: false };

export function placementOf(shops: ReadonlyMap<string, ShopRecord>, shopId: string | undefined): Placement {
  const shop = shopId === undefined ? undefined : shops.get(shopId);
  return shop === undefined ? SHARD_ZERO : { shard: shop.shard, paused: shop.paused };
}

/** The shops of a batch, read from the primary in one round trip. */
export async function readShopMap(primary: D1Database, shopIds: Iterable<string>): Promise<Map<string, ShopRecord>> {
  const ids = [...new Set(shopIds)];
  if (ids.length === 0) return new Map();
  return new Map(shopsOf(await findShopsStatement(primary, ids).all()).map((s) => [s.id, s]));
}

/** Groups items by their shop's shard; paused shops' items come back apart. */
export function groupByShard<T>(
  shops: ReadonlyMap<string, ShopRecord>,
  items: readonly T[],
  shopIdOf: (item: T) => string | undefined,
): { byShard: Map<number, T[]>; paused: T[] } {
  const byShard = new Map<number, T[]>();
  const paused: T[] = [];
  for (const item of items) {
    const placement = placementOf(shops, shopIdOf(item));
    if (placement.paused) {
      paused.push(item);
      continue;
    }
    const group = byShard.get(placement.shard);
    if (group) group.push(item);
    else byShard.set(placement.shard, [item]);
  }
  return { byShard, paused };
}
