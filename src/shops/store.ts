import { selectPageAfter } from '../page-store';
import type { Cursor } from '../http/pagination';

/** Every SQL statement on `shops` and `apps`. */

export interface ShopRecord {
  id: string;
  myshopifyDomain: string;
  primaryDomain: string | null;
  corsAllowAll: boolean;
  /** Whether a Shopify client secret is set for inbound webhooks (the value is never read out). */
  shopifySecretSet: boolean;
  /** Whether a Shopify Admin API access token is set for the `shopify` action (never read out). */
  shopifyAccessTokenSet: boolean;
  /** IANA time zone (`UTC` unless set): where the scheduler's `daily` midnight is. */
  timezone: string;
  /** The shard holding the shop's per-shop tables (0 = DB, n = SHARD_n); set at creation, changed by a move. */
  shard: number;
  /** True while a move has paused the processing of the shop's events and deliveries. */
  paused: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AppRecord {
  id: string;
  shopId: string;
  /** Its shop's shard. */
  shard: number;
  /** Whether a move has paused its shop (per-shop writes wait). */
  paused: boolean;
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
  shopify_secret_set: number;
  shopify_access_token_set: number;
  timezone: string;
  shard: number;
  paused: number;
  created_at: string;
  updated_at: string;
}

interface AppRow {
  id: string;
  shop_id: string;
  shard: number;
  paused: number;
  name: string;
  api_version: string;
  created_at: string;
  updated_at: string;
}

const SHOP_COLUMNS = 'id, myshopify_domain, primary_domain, cors_allow_all, created_at, updated_at, timezone';
/** SQL true while a move has paused the shop whose id is `shopExpr`. */
const pausedSql = (shopExpr: string) =>
  `EXISTS (SELECT 1 FROM shop_moves m WHERE m.shop_id = ${shopExpr} AND m.phase IN ('draining', 'copying'))`;

/**
 * SQL true when the shop whose id is `shopExpr` keeps its rows in shard 0 (the primary) and no move
 * has paused it; a shop that does not exist counts as on shard 0 (its last events stay there).
 */
export const onShardZeroSql = (shopExpr: string): string =>
  `coalesce((SELECT shard FROM shops WHERE id = ${shopExpr}), 0) = 0 AND NOT ${pausedSql(shopExpr)}`;

/** SQL column `shard`: the shard of the shop whose id is `shopExpr` (NULL for a shop that is gone). */
export const shardOfShopColumn = (shopExpr: string): string =>
  `(SELECT shard FROM shops WHERE shops.id = ${shopExpr}) AS shard`;

const SHOP_SELECT = `${SHOP_COLUMNS}, shopify_secret_ciphertext IS NOT NULL AS shopify_secret_set,
  shopify_access_token_ciphertext IS NOT NULL AS shopify_access_token_set, shard, ${pausedSql('shops.id')} AS paused`;
const APP_COLUMNS = 'id, shop_id, name, api_version, created_at, updated_at';
const APP_SELECT = `${APP_COLUMNS}, ${shardOfShopColumn('apps.shop_id')},
  ${pausedSql('apps.shop_id')} AS paused`;

const toShop = (row: ShopRow): ShopRecord => ({
  id: row.id,
  myshopifyDomain: row.myshopify_domain,
  primaryDomain: row.primary_domain,
  corsAllowAll: row.cors_allow_all === 1,
  shopifySecretSet: row.shopify_secret_set === 1,
  shopifyAccessTokenSet: row.shopify_access_token_set === 1,
  timezone: row.timezone,
  shard: row.shard,
  paused: row.paused === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const toApp = (row: AppRow): AppRecord => ({
  id: row.id,
  shopId: row.shop_id,
  shard: row.shard ?? 0,
  paused: row.paused === 1,
  name: row.name,
  apiVersion: row.api_version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * Inserts a shop on the shard (of 0 … shardCount − 1) holding the fewest shops, the lowest on a tie,
 * chosen in the insert itself so two shops created at once are counted; returns the chosen shard,
 * or null when the myshopify domain is already taken.
 */
export async function insertShop(
  db: D1Database,
  shop: Omit<ShopRecord, 'shard' | 'paused'>,
  shardCount: number,
): Promise<number | null> {
  const row = await db
    .prepare(
      `INSERT INTO shops (${SHOP_COLUMNS}, shard)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
               (SELECT n.value FROM json_each(?8) n
                ORDER BY (SELECT COUNT(*) FROM shops WHERE shard = n.value), n.value LIMIT 1))
       ON CONFLICT (myshopify_domain) DO NOTHING RETURNING shard`,
    )
    .bind(
      shop.id,
      shop.myshopifyDomain,
      shop.primaryDomain,
      shop.corsAllowAll ? 1 : 0,
      shop.createdAt,
      shop.updatedAt,
      shop.timezone,
      JSON.stringify(Array.from({ length: shardCount }, (_, n) => n)),
    )
    .first<{ shard: number }>();
  return row?.shard ?? null;
}

export async function findShop(db: D1Database, shopId: string): Promise<ShopRecord | null> {
  const row = await db.prepare(`SELECT ${SHOP_SELECT} FROM shops WHERE id = ?1`).bind(shopId).first<ShopRow>();
  return row && toShop(row);
}

/** Several shops at once (a consumer batch's shops, for rendering). */
export async function findShops(db: D1Database, shopIds: readonly string[]): Promise<ShopRecord[]> {
  if (shopIds.length === 0) return [];
  return shopsOf(await findShopsStatement(db, shopIds).all());
}

/** The statement of `findShops`, so a consumer can run it in a batch with others. */
export function findShopsStatement(db: D1Database, shopIds: readonly string[]): D1PreparedStatement {
  return db
    .prepare(`SELECT ${SHOP_SELECT} FROM shops WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(shopIds));
}

/** Reads the rows of `findShopsStatement`'s result. */
export const shopsOf = (result: D1Result<unknown>): ShopRecord[] => (result.results as ShopRow[]).map(toShop);

/** Shops ordered by creation, after `cursor`, at most `limit` rows. */
export async function listShops(db: D1Database, limit: number, cursor: Cursor | null): Promise<ShopRecord[]> {
  const rows = await selectPageAfter<ShopRow>(db, { table: 'shops', columns: SHOP_SELECT, limit, cursor });
  return rows.map(toShop);
}

/** Writes a shop's mutable fields; false when it does not exist. */
export async function updateShop(db: D1Database, shop: ShopRecord): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE shops SET primary_domain = ?2, cors_allow_all = ?3, updated_at = ?4, timezone = ?5 WHERE id = ?1`)
    .bind(shop.id, shop.primaryDomain, shop.corsAllowAll ? 1 : 0, shop.updatedAt, shop.timezone)
    .run();
  return result.meta.changes > 0;
}

/** Inserts an app and its first signing secret (encrypted) in one batch. */
export async function insertApp(
  db: D1Database,
  app: AppRecord,
  tokenHash: string,
  secret: { id: string; ciphertext: string },
): Promise<void> {
  await db.batch([
    db
      .prepare(
        `INSERT INTO apps (id, shop_id, name, token_hash, api_version, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
      )
      .bind(app.id, app.shopId, app.name, tokenHash, app.apiVersion, app.createdAt, app.updatedAt),
    insertSigningSecretStatement(db, app.id, secret.id, secret.ciphertext, app.createdAt),
  ]);
}

export async function listApps(
  db: D1Database,
  shopId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<AppRecord[]> {
  const rows = await selectPageAfter<AppRow>(db, { table: 'apps', columns: APP_SELECT, shopId, limit, cursor });
  return rows.map(toApp);
}

/** The app whose access token hashes to `tokenHash`, or null. */
export async function findAppByTokenHash(db: D1Database, tokenHash: string): Promise<AppRecord | null> {
  const row = await db.prepare(`SELECT ${APP_SELECT} FROM apps WHERE token_hash = ?1`).bind(tokenHash).first<AppRow>();
  return row && toApp(row);
}

// ── Signing secrets ───────────────────────────────────────────────────────────────────────────

export interface SigningSecretRecord {
  id: string;
  appId: string;
  createdAt: string;
  retiredAt: string | null;
}

interface SigningSecretRow {
  id: string;
  app_id: string;
  ciphertext: string;
  created_at: string;
  retired_at: string | null;
}

const toSigningSecret = (row: SigningSecretRow): SigningSecretRecord => ({
  id: row.id,
  appId: row.app_id,
  createdAt: row.created_at,
  retiredAt: row.retired_at,
});

function insertSigningSecretStatement(
  db: D1Database,
  appId: string,
  id: string,
  ciphertext: string,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO app_signing_secrets (id, app_id, ciphertext, created_at) VALUES (?1, ?2, ?3, ?4)`)
    .bind(id, appId, ciphertext, now);
}

export async function insertSigningSecret(
  db: D1Database,
  appId: string,
  id: string,
  ciphertext: string,
  now: string,
): Promise<void> {
  await insertSigningSecretStatement(db, appId, id, ciphertext, now).run();
}

/** An app's signing secrets (without their values), newest first. */
export async function listSigningSecrets(db: D1Database, appId: string): Promise<SigningSecretRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT id, app_id, ciphertext, created_at, retired_at FROM app_signing_secrets
       WHERE app_id = ?1 ORDER BY created_at DESC, id DESC`,
    )
    .bind(appId)
    .all<SigningSecretRow>();
  return results.map(toSigningSecret);
}

/** Active secrets of the apps, newest first per app, with their ciphertext. */
export async function findActiveSigningSecrets(
  db: D1Database,
  appIds: readonly string[],
): Promise<{ appId: string; ciphertext: string }[]> {
  if (appIds.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT app_id, ciphertext FROM app_signing_secrets
       WHERE app_id IN (SELECT value FROM json_each(?1)) AND retired_at IS NULL
       ORDER BY app_id, created_at DESC, id DESC`,
    )
    .bind(JSON.stringify(appIds))
    .all<{ app_id: string; ciphertext: string }>();
  return results.map((r) => ({ appId: r.app_id, ciphertext: r.ciphertext }));
}

/**
 * Retires an active secret unless it is the app's last active one. Returns what happened.
 */
export async function retireSigningSecret(
  db: D1Database,
  appId: string,
  id: string,
  now: string,
): Promise<'retired' | 'last' | 'not_found'> {
  const row = await db
    .prepare(
      `UPDATE app_signing_secrets SET retired_at = ?3
       WHERE id = ?1 AND app_id = ?2 AND retired_at IS NULL
         AND (SELECT count(*) FROM app_signing_secrets WHERE app_id = ?2 AND retired_at IS NULL) > 1
       RETURNING id`,
    )
    .bind(id, appId, now)
    .first<{ id: string }>();
  if (row !== null) return 'retired';
  const exists = await db
    .prepare(`SELECT retired_at FROM app_signing_secrets WHERE id = ?1 AND app_id = ?2`)
    .bind(id, appId)
    .first<{ retired_at: string | null }>();
  return exists !== null && exists.retired_at === null ? 'last' : 'not_found';
}

// ── Shopify client secrets (inbound webhooks) ─────────────────────────────────────────────────

export async function setShopifySecret(
  db: D1Database,
  shopId: string,
  ciphertext: string | null,
  now: string,
): Promise<void> {
  await db
    .prepare(`UPDATE shops SET shopify_secret_ciphertext = ?2, updated_at = ?3 WHERE id = ?1`)
    .bind(shopId, ciphertext, now)
    .run();
}

/** The shop with this myshopify domain and its encrypted Shopify client secret, or null. */
export async function findShopifySecretByDomain(
  db: D1Database,
  domain: string,
): Promise<{ shopId: string; shard: number; ciphertext: string | null } | null> {
  const row = await db
    .prepare(`SELECT id, shard, shopify_secret_ciphertext FROM shops WHERE myshopify_domain = ?1`)
    .bind(domain)
    .first<{ id: string; shard: number; shopify_secret_ciphertext: string | null }>();
  return row && { shopId: row.id, shard: row.shard, ciphertext: row.shopify_secret_ciphertext };
}

// ── Shopify Admin API access tokens (the `shopify` action) ───────────────────────────────────

/** Sets (or, with null, removes) the shop's encrypted Shopify Admin API access token. */
export async function setShopifyAccessToken(
  db: D1Database,
  shopId: string,
  ciphertext: string | null,
  now: string,
): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE shops SET shopify_access_token_ciphertext = ?2, updated_at = ?3 WHERE id = ?1`)
    .bind(shopId, ciphertext, now)
    .run();
  return result.meta.changes > 0;
}

/** The shop's myshopify domain and encrypted Admin API access token (null when unset), or null. */
export async function findShopifyAdminCredentials(
  db: D1Database,
  shopId: string,
): Promise<{ myshopifyDomain: string; ciphertext: string | null } | null> {
  const row = await db
    .prepare(`SELECT myshopify_domain, shopify_access_token_ciphertext FROM shops WHERE id = ?1`)
    .bind(shopId)
    .first<{ myshopify_domain: string; shopify_access_token_ciphertext: string | null }>();
  return row && { myshopifyDomain: row.myshopify_domain, ciphertext: row.shopify_access_token_ciphertext };
}
