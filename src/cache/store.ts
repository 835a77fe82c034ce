import { selectPageAfter } from '../page-store';
import { shardOfShopColumn } from '../shops/store';
import type { Cursor } from '../http/pagination';

/** Every SQL statement on `cache_entries` and `cache_endpoints`. */

export interface CacheEntryRecord {
  shopId: string;
  key: string;
  /** The value's JSON text. */
  valueJson: string;
  expiresAt: string;
  updatedAt: string;
}

interface CacheEntryRow {
  shop_id: string;
  key: string;
  value: string;
  expires_at: string;
  updated_at: string;
}

const ENTRY_COLUMNS = 'shop_id, key, value, expires_at, updated_at';

const toEntry = (row: CacheEntryRow): CacheEntryRecord => ({
  shopId: row.shop_id,
  key: row.key,
  valueJson: row.value,
  expiresAt: row.expires_at,
  updatedAt: row.updated_at,
});

/** The entry if present and not expired at `now`. */
export async function findLiveCacheEntry(
  db: D1Database,
  shopId: string,
  key: string,
  now: string,
): Promise<CacheEntryRecord | null> {
  const row = await db
    .prepare(`SELECT ${ENTRY_COLUMNS} FROM cache_entries WHERE shop_id = ?1 AND key = ?2 AND expires_at > ?3`)
    .bind(shopId, key, now)
    .first<CacheEntryRow>();
  return row && toEntry(row);
}

/** Writes a value with its expiry (set, setex). */
export async function upsertCacheEntry(db: D1Database, entry: CacheEntryRecord): Promise<void> {
  await upsertCacheEntryStatement(db, entry).run();
}

/** The statement of `upsertCacheEntry`, for a batch's transaction. */
export function upsertCacheEntryStatement(db: D1Database, entry: CacheEntryRecord): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO cache_entries (${ENTRY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)
       ON CONFLICT (shop_id, key) DO UPDATE SET
         value = excluded.value, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
    )
    .bind(entry.shopId, entry.key, entry.valueJson, entry.expiresAt, entry.updatedAt);
}

/**
 * Adds `delta` to a counter in one statement, so concurrent increments never lose an update: a
 * missing or expired entry counts as 0. Returns the entry afterwards, or null when the live value
 * is not an integer (the upsert's WHERE then leaves it alone).
 */
export async function addToCacheCounter(
  db: D1Database,
  shopId: string,
  key: string,
  delta: number,
  expiresAt: string,
  now: string,
): Promise<CacheEntryRecord | null> {
  const row = await addToCacheCounterStatement(db, shopId, key, delta, expiresAt, now).first<CacheEntryRow>();
  return row && toEntry(row);
}

/** The statement of `addToCacheCounter`, for a batch's transaction. */
export function addToCacheCounterStatement(
  db: D1Database,
  shopId: string,
  key: string,
  delta: number,
  expiresAt: string,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO cache_entries (${ENTRY_COLUMNS}) VALUES (?1, ?2, CAST(CAST(?3 AS INTEGER) AS TEXT), ?4, ?5)
       ON CONFLICT (shop_id, key) DO UPDATE SET
         value = CASE WHEN cache_entries.expires_at > ?5
                      THEN CAST(CAST(cache_entries.value AS INTEGER) + CAST(?3 AS INTEGER) AS TEXT)
                      ELSE CAST(CAST(?3 AS INTEGER) AS TEXT) END,
         expires_at = excluded.expires_at,
         updated_at = excluded.updated_at
       WHERE cache_entries.expires_at <= ?5 OR json_type(cache_entries.value) = 'integer'
       RETURNING ${ENTRY_COLUMNS}`,
    )
    .bind(shopId, key, delta, expiresAt, now);
}

/** The statement of `deleteCacheEntry`, for a batch's transaction. */
export function deleteCacheEntryStatement(db: D1Database, shopId: string, key: string): D1PreparedStatement {
  return db.prepare(`DELETE FROM cache_entries WHERE shop_id = ?1 AND key = ?2`).bind(shopId, key);
}

/**
 * The live entries among (shop, key) pairs, as one statement: run last in a batch's transaction it
 * gives the values the batch left behind, which are what KV should hold.
 */
export function liveCacheEntriesStatement(
  db: D1Database,
  pairs: readonly (readonly [shopId: string, key: string])[],
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT ${ENTRY_COLUMNS} FROM cache_entries
       WHERE expires_at > ?2 AND (shop_id, key) IN (
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))`,
    )
    .bind(JSON.stringify(pairs), now);
}

/** Reads the rows of `liveCacheEntriesStatement`'s result. */
export const liveCacheEntriesOf = (result: D1Result<unknown>): CacheEntryRecord[] =>
  (result.results as CacheEntryRow[]).map(toEntry);

/** The live entries among (shop, key) pairs (a re-copy batch reads them at once). */
export async function findLiveCacheEntries(
  db: D1Database,
  pairs: readonly (readonly [shopId: string, key: string])[],
  now: string,
): Promise<CacheEntryRecord[]> {
  if (pairs.length === 0) return [];
  return liveCacheEntriesOf(await liveCacheEntriesStatement(db, pairs, now).all());
}

/** Deletes an entry; false when there was none. */
export async function deleteCacheEntry(db: D1Database, shopId: string, key: string): Promise<boolean> {
  const result = await db.prepare(`DELETE FROM cache_entries WHERE shop_id = ?1 AND key = ?2`).bind(shopId, key).run();
  return result.meta.changes > 0;
}

/** Deletes up to `limit` entries expired at `now`; returns how many went. */
export async function deleteExpiredCacheEntries(db: D1Database, now: string, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM cache_entries WHERE rowid IN (
         SELECT rowid FROM cache_entries WHERE expires_at <= ?1 LIMIT ?2)`,
    )
    .bind(now, limit)
    .run();
  return result.meta.changes;
}

/** `key`: one cache key; `prefix`: a key prefix, completed by the URL's suffix. */
export type CacheEndpointKind = 'key' | 'prefix';

export interface CacheEndpointRecord {
  token: string;
  shopId: string;
  kind: CacheEndpointKind;
  /** The cache key, or the key prefix of a `prefix` endpoint. */
  key: string;
  createdAt: string;
  updatedAt: string;
}

interface CacheEndpointRow {
  token: string;
  shop_id: string;
  kind: CacheEndpointKind;
  key: string;
  created_at: string;
  updated_at: string;
}

const ENDPOINT_COLUMNS = 'token, shop_id, kind, key, created_at, updated_at';

const toEndpoint = (row: CacheEndpointRow): CacheEndpointRecord => ({
  token: row.token,
  shopId: row.shop_id,
  kind: row.kind,
  key: row.key,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function insertCacheEndpoint(db: D1Database, endpoint: CacheEndpointRecord): Promise<void> {
  await db
    .prepare(`INSERT INTO cache_endpoints (${ENDPOINT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)`)
    .bind(endpoint.token, endpoint.shopId, endpoint.kind, endpoint.key, endpoint.createdAt, endpoint.updatedAt)
    .run();
}

/** An endpoint by token alone, with its shop's shard: the public read's fallback when KV has no copy. */
export async function findCacheEndpoint(
  db: D1Database,
  token: string,
): Promise<{ endpoint: CacheEndpointRecord; shard: number } | null> {
  const row = await db
    .prepare(
      `SELECT ${ENDPOINT_COLUMNS}, ${shardOfShopColumn('cache_endpoints.shop_id')} FROM cache_endpoints WHERE token = ?1`,
    )
    .bind(token)
    .first<CacheEndpointRow & { shard: number | null }>();
  return row && { endpoint: toEndpoint(row), shard: row.shard ?? 0 };
}

/** An endpoint of one shop; another shop's token reads as absent. */
export async function findShopCacheEndpoint(
  db: D1Database,
  shopId: string,
  token: string,
): Promise<CacheEndpointRecord | null> {
  const row = await db
    .prepare(`SELECT ${ENDPOINT_COLUMNS} FROM cache_endpoints WHERE token = ?1 AND shop_id = ?2`)
    .bind(token, shopId)
    .first<CacheEndpointRow>();
  return row && toEndpoint(row);
}

export async function listShopCacheEndpoints(
  db: D1Database,
  shopId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<CacheEndpointRecord[]> {
  const rows = await selectPageAfter<CacheEndpointRow>(db, {
    table: 'cache_endpoints',
    columns: ENDPOINT_COLUMNS,
    idColumn: 'token',
    shopId,
    limit,
    cursor,
  });
  return rows.map(toEndpoint);
}

export async function deleteCacheEndpoint(db: D1Database, shopId: string, token: string): Promise<boolean> {
  const result = await db
    .prepare(`DELETE FROM cache_endpoints WHERE token = ?1 AND shop_id = ?2`)
    .bind(token, shopId)
    .run();
  return result.meta.changes > 0;
}
