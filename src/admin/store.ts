import type { Cursor } from '../http/pagination';

/** Every SQL statement on `shops` and `apps`. */

export interface ShopRecord {
  id: string;
  myshopifyDomain: string;
  primaryDomain: string | null;
  corsAllowAll: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AppRecord {
  id: string;
  shopId: string;
  name: string;
  apiVersion: string;
  createdAt: string;
  updatedAt: string;
}

interface ShopRow {
  id: string;
  myshopify_domain: string;
  primary_domain: string | null;
  cors_allow_all: number;
  created_at: string;
  updated_at: string;
}

interface AppRow {
  id: string;
  shop_id: string;
  name: string;
  api_version: string;
  created_at: string;
  updated_at: string;
}

const SHOP_COLUMNS = 'id, myshopify_domain, primary_domain, cors_allow_all, created_at, updated_at';
const APP_COLUMNS = 'id, shop_id, name, api_version, created_at, updated_at';

const toShop = (row: ShopRow): ShopRecord => ({
  id: row.id,
  myshopifyDomain: row.myshopify_domain,
  primaryDomain: row.primary_domain,
  corsAllowAll: row.cors_allow_all === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toApp = (row: AppRow): AppRecord => ({
  id: row.id,
  shopId: row.shop_id,
  name: row.name,
  apiVersion: row.api_version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** Inserts a shop; false when its myshopify domain is already taken. */
export async function insertShop(db: D1Database, shop: ShopRecord): Promise<boolean> {
  const row = await db
    .prepare(
      `INSERT INTO shops (${SHOP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
       ON CONFLICT (myshopify_domain) DO NOTHING RETURNING id`,
    )
    .bind(
      shop.id,
      shop.myshopifyDomain,
      shop.primaryDomain,
      shop.corsAllowAll ? 1 : 0,
      shop.createdAt,
      shop.updatedAt,
    )
    .first<{ id: string }>();
  return row !== null;
}

export async function findShop(db: D1Database, shopId: string): Promise<ShopRecord | null> {
  const row = await db
    .prepare(`SELECT ${SHOP_COLUMNS} FROM shops WHERE id = ?1`)
    .bind(shopId)
    .first<ShopRow>();
  return row && toShop(row);
}

/** Shops ordered by creation, after `cursor`, at most `limit` rows. */
export async function listShops(
  db: D1Database,
  limit: number,
  cursor: Cursor | null,
): Promise<ShopRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${SHOP_COLUMNS} FROM shops
       WHERE (?1 IS NULL OR (created_at, id) > (?1, ?2))
       ORDER BY created_at, id LIMIT ?3`,
    )
    .bind(cursor?.createdAt ?? null, cursor?.id ?? null, limit)
    .all<ShopRow>();
  return results.map(toShop);
}

/** Writes a shop's mutable fields; false when it does not exist. */
export async function updateShop(db: D1Database, shop: ShopRecord): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE shops SET primary_domain = ?2, cors_allow_all = ?3, updated_at = ?4 WHERE id = ?1`,
    )
    .bind(shop.id, shop.primaryDomain, shop.corsAllowAll ? 1 : 0, shop.updatedAt)
    .run();
  return result.meta.changes > 0;
}

export async function insertApp(db: D1Database, app: AppRecord, tokenHash: string): Promise<void> {
  await db
    .prepare(
      `INSERT INTO apps (id, shop_id, name, token_hash, api_version, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
    )
    .bind(app.id, app.shopId, app.name, tokenHash, app.apiVersion, app.createdAt, app.updatedAt)
    .run();
}

export async function listApps(
  db: D1Database,
  shopId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<AppRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${APP_COLUMNS} FROM apps
       WHERE shop_id = ?1 AND (?2 IS NULL OR (created_at, id) > (?2, ?3))
       ORDER BY created_at, id LIMIT ?4`,
    )
    .bind(shopId, cursor?.createdAt ?? null, cursor?.id ?? null, limit)
    .all<AppRow>();
  return results.map(toApp);
}

/** The app whose access token hashes to `tokenHash`, or null. */
export async function findAppByTokenHash(
  db: D1Database,
  tokenHash: string,
): Promise<AppRecord | null> {
  const row = await db
    .prepare(`SELECT ${APP_COLUMNS} FROM apps WHERE token_hash = ?1`)
    .bind(tokenHash)
    .first<AppRow>();
  return row && toApp(row);
}
