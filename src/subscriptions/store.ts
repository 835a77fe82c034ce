import { randomIdParts } from './ids';

/**
 * Every SQL statement on `subscriptions` made by the Shopify-compatible resource. The resource sees
 * only active rows of the calling app; `status = 'active'` is written as a literal so the partial
 * indexes of migrations/0005 apply (bound parameters would not match their WHERE clause).
 */

export type SubscriptionFormat = 'json' | 'xml';

export interface SubscriptionRecord {
  id: number;
  shopId: string;
  appId: string;
  address: string;
  topic: string;
  format: SubscriptionFormat;
  fields: string[];
  metafieldNamespaces: string[];
  privateMetafieldNamespaces: string[];
  metafieldIdentifiers: string[];
  status: (typeof STATUSES)[number];
  consecutiveFailures: number;
  /** GraphQL `name` (unique per shop among active subscriptions), or null. */
  name: string | null;
  /** The `filter` expression as written (search syntax), or null. */
  filter: string | null;
  /** Deliveries the filter has kept from being made. */
  filteredCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface SubscriptionRow {
  id: number;
  shop_id: string;
  app_id: string;
  address: string;
  topic: string;
  format: string;
  fields: string;
  metafield_namespaces: string;
  private_metafield_namespaces: string;
  metafield_identifiers: string;
  status: string;
  consecutive_failures: number;
  name: string | null;
  filter: string | null;
  filtered_count: number;
  created_at: string;
  updated_at: string;
}

export const COLUMNS =
  'id, shop_id, app_id, address, topic, format, fields, metafield_namespaces, ' +
  'private_metafield_namespaces, metafield_identifiers, status, consecutive_failures, name, filter, filtered_count, ' +
  'created_at, updated_at';

const STATUSES = ['active', 'disabled', 'removed', 'deleted'] as const;

const stringArray = (text: string): string[] => {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
};

export const toSubscription = (row: SubscriptionRow): SubscriptionRecord => ({
  id: row.id,
  shopId: row.shop_id,
  appId: row.app_id,
  address: row.address,
  topic: row.topic,
  format: row.format === 'xml' ? 'xml' : 'json',
  fields: stringArray(row.fields),
  metafieldNamespaces: stringArray(row.metafield_namespaces),
  privateMetafieldNamespaces: stringArray(row.private_metafield_namespaces),
  metafieldIdentifiers: stringArray(row.metafield_identifiers),
  status: STATUSES.find((s) => s === row.status) ?? 'deleted',
  consecutiveFailures: row.consecutive_failures,
  name: row.name,
  filter: row.filter,
  filteredCount: row.filtered_count,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/** What the resource may set on a subscription. */
export interface SubscriptionWrite {
  address: string;
  topic: string;
  format: SubscriptionFormat;
  fields: string[];
  metafieldNamespaces: string[];
  /** Absent: null (REST has no `name`). */
  name?: string | null;
  filter?: string | null;
}

/** Filters of the list (all optional); times are stored-format ISO strings (UTC, ms). */
export interface SubscriptionFilter {
  address?: string;
  topic?: string;
  createdAtMin?: string;
  createdAtMax?: string;
  updatedAtMin?: string;
  updatedAtMax?: string;
  /** Only ids greater than this (since_id, or the anchor of a "next" page). */
  afterId?: number;
  /** Only ids smaller than this (the anchor of a "previous" page). */
  beforeId?: number;
}

const UNIQUE_VIOLATION = /UNIQUE constraint failed/i;
/** The id itself collided with another app's (random bases can meet): draw again. */
const ID_VIOLATION = /UNIQUE constraint failed: subscriptions\.id\b/i;
/** Draws of a new id before giving up; a collision needs two random 52-bit bases to meet. */
const MAX_ID_DRAWS = 3;

/**
 * Inserts an active subscription; returns it, or null when the app already has an active one on the
 * same topic and address, or the shop one with the same name (the unique partial indexes decide, so
 * two racing creates cannot both win; the caller asks isTaken/isNameTaken which one).
 * The id is the app's highest id plus a random step, or a random base for its first (see ids.ts);
 * the one statement reads that highest id and inserts, so racing creates cannot take the same id.
 */
export async function insertSubscription(
  db: D1Database,
  owner: { shopId: string; appId: string },
  write: SubscriptionWrite,
  now: string,
): Promise<SubscriptionRecord | null> {
  for (let draw = 1; ; draw++) {
    const { base, step } = randomIdParts();
    try {
      const row = await db
        .prepare(
          `INSERT INTO subscriptions (id, shop_id, app_id, address, topic, format, fields, metafield_namespaces,
             name, filter, status, consecutive_failures, created_at, updated_at)
           VALUES (COALESCE((SELECT MAX(id) FROM subscriptions WHERE app_id = ?2), ?9) + ?10,
             ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?11, ?12, 'active', 0, ?8, ?8)
           RETURNING ${COLUMNS}`,
        )
        .bind(
          owner.shopId,
          owner.appId,
          write.address,
          write.topic,
          write.format,
          JSON.stringify(write.fields),
          JSON.stringify(write.metafieldNamespaces),
          now,
          base,
          step,
          write.name ?? null,
          write.filter ?? null,
        )
        .first<SubscriptionRow>();
      return row && toSubscription(row);
    } catch (err) {
      if (err instanceof Error && ID_VIOLATION.test(err.message) && draw < MAX_ID_DRAWS) continue;
      if (err instanceof Error && UNIQUE_VIOLATION.test(err.message) && !ID_VIOLATION.test(err.message)) return null;
      throw err;
    }
  }
}

/** The app's active subscription with this id, or null. */
export async function findActiveSubscription(
  db: D1Database,
  appId: string,
  id: number,
): Promise<SubscriptionRecord | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM subscriptions WHERE app_id = ?1 AND status = 'active' AND id = ?2`)
    .bind(appId, id)
    .first<SubscriptionRow>();
  return row && toSubscription(row);
}

/** True when another active subscription of the app has this topic and address. */
export async function isTaken(
  db: D1Database,
  appId: string,
  topic: string,
  address: string,
  exceptId: number | null,
): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT id FROM subscriptions
       WHERE app_id = ?1 AND status = 'active' AND topic = ?2 AND address = ?3 AND id <> ?4`,
    )
    .bind(appId, topic, address, exceptId ?? 0)
    .first<{ id: number }>();
  return row !== null;
}

/** True when another active subscription of the shop has this name. */
export async function isNameTaken(
  db: D1Database,
  shopId: string,
  name: string,
  exceptId: number | null,
): Promise<boolean> {
  const row = await db
    .prepare(
      `SELECT id FROM subscriptions
       WHERE shop_id = ?1 AND status = 'active' AND name = ?2 AND id <> ?3`,
    )
    .bind(shopId, name, exceptId ?? 0)
    .first<{ id: number }>();
  return row !== null;
}

/**
 * Replaces the writable properties of an active subscription and sets updated_at. Returns the new
 * record; null when it is gone; 'taken' when the change collides with another active one (its topic
 * and address, or its name).
 */
export async function updateSubscription(
  db: D1Database,
  appId: string,
  id: number,
  write: SubscriptionWrite,
  now: string,
): Promise<SubscriptionRecord | null | 'taken'> {
  try {
    const row = await db
      .prepare(
        `UPDATE subscriptions
         SET address = ?3, topic = ?4, format = ?5, fields = ?6, metafield_namespaces = ?7, updated_at = ?8,
             name = ?9, filter = ?10
         WHERE app_id = ?1 AND status = 'active' AND id = ?2
         RETURNING ${COLUMNS}`,
      )
      .bind(
        appId,
        id,
        write.address,
        write.topic,
        write.format,
        JSON.stringify(write.fields),
        JSON.stringify(write.metafieldNamespaces),
        now,
        write.name ?? null,
        write.filter ?? null,
      )
      .first<SubscriptionRow>();
    return row && toSubscription(row);
  } catch (err) {
    if (err instanceof Error && UNIQUE_VIOLATION.test(err.message)) return 'taken';
    throw err;
  }
}

/** Marks an active subscription `deleted` (the row stays for delivery history); false if none. */
export async function markSubscriptionDeleted(
  db: D1Database,
  appId: string,
  id: number,
  now: string,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE subscriptions SET status = 'deleted', updated_at = ?3
       WHERE app_id = ?1 AND status = 'active' AND id = ?2`,
    )
    .bind(appId, id, now)
    .run();
  return result.meta.changes > 0;
}

/** WHERE clause and bindings of the list and count (the app's active rows plus the filters). */
function whereOf(appId: string, filter: SubscriptionFilter): { where: string; binds: unknown[] } {
  const binds: unknown[] = [appId];
  const terms = ['app_id = ?1', "status = 'active'"];
  const add = (sql: string, value: unknown) => {
    binds.push(value);
    terms.push(sql.replace('?', `?${binds.length}`));
  };
  if (filter.address !== undefined) add('address = ?', filter.address);
  if (filter.topic !== undefined) add('topic = ?', filter.topic);
  if (filter.createdAtMin !== undefined) add('created_at >= ?', filter.createdAtMin);
  if (filter.createdAtMax !== undefined) add('created_at <= ?', filter.createdAtMax);
  if (filter.updatedAtMin !== undefined) add('updated_at >= ?', filter.updatedAtMin);
  if (filter.updatedAtMax !== undefined) add('updated_at <= ?', filter.updatedAtMax);
  if (filter.afterId !== undefined) add('id > ?', filter.afterId);
  if (filter.beforeId !== undefined) add('id < ?', filter.beforeId);
  return { where: terms.join(' AND '), binds };
}

/**
 * The list query: at most `take` rows, ascending by id, or descending (`descending`, used to walk
 * back for a "previous" page). Exported so the index test can EXPLAIN exactly what runs.
 */
export function listQuery(
  appId: string,
  filter: SubscriptionFilter,
  take: number,
  descending = false,
): { sql: string; binds: unknown[] } {
  const { where, binds } = whereOf(appId, filter);
  binds.push(take);
  return {
    sql: `SELECT ${COLUMNS} FROM subscriptions WHERE ${where} ORDER BY id ${descending ? 'DESC' : 'ASC'} LIMIT ?${binds.length}`,
    binds,
  };
}

/** The count query (same WHERE as the list); exported for the index test. */
export function countQuery(appId: string, filter: SubscriptionFilter): { sql: string; binds: unknown[] } {
  const { where, binds } = whereOf(appId, filter);
  return { sql: `SELECT COUNT(*) AS n FROM subscriptions WHERE ${where}`, binds };
}

export async function listSubscriptions(
  db: D1Database,
  appId: string,
  filter: SubscriptionFilter,
  take: number,
  descending = false,
): Promise<SubscriptionRecord[]> {
  const { sql, binds } = listQuery(appId, filter, take, descending);
  const { results } = await db
    .prepare(sql)
    .bind(...binds)
    .all<SubscriptionRow>();
  return results.map(toSubscription);
}

export async function countSubscriptions(db: D1Database, appId: string, filter: SubscriptionFilter): Promise<number> {
  const { sql, binds } = countQuery(appId, filter);
  const row = await db
    .prepare(sql)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
