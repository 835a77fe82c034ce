import { env } from 'cloudflare:workers';
import { allShards, shardDb } from '../src/shards';

/**
 * Tests run with two shards (wrangler.toml), and shops are placed on the one with fewest shops:
 * helpers that read per-shop rows by something other than the shop read every shard.
 */

/** Rows of a query on per-shop tables, from every shard (shard order). */
export async function rowsOnAllShards<T>(sql: string, ...binds: unknown[]): Promise<T[]> {
  const results = await Promise.all(
    allShards(env).map((db) =>
      db
        .prepare(sql)
        .bind(...binds)
        .all<T>(),
    ),
  );
  return results.flatMap((r) => r.results);
}

/** Runs a write on per-shop tables on every shard. */
export async function runOnAllShards(sql: string, ...binds: unknown[]): Promise<void> {
  await Promise.all(
    allShards(env).map((db) =>
      db
        .prepare(sql)
        .bind(...binds)
        .run(),
    ),
  );
}

/** The shard a shop is placed on. */
export async function shardOfShop(shopId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT shard FROM shops WHERE id = ?1').bind(shopId).first<{ shard: number }>();
  return row?.shard ?? 0;
}

/** The database holding a shop's per-shop rows. */
export async function dbOfShop(shopId: string): Promise<D1Database> {
  return shardDb(env, await shardOfShop(shopId));
}

/**
 * Fixture: puts a new shop (no rows yet, no webhooks or endpoints published) on a given shard,
 * for tests that inject faults into one database.
 */
export async function placeShop(shopId: string, shard: number): Promise<void> {
  await env.DB.prepare('UPDATE shops SET shard = ?2 WHERE id = ?1').bind(shopId, shard).run();
}
