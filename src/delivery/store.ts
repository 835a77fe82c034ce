import { chunkBySize } from '../chunks';
import { ROWS_PARAM_MAX_CHARS } from '../env';
import type { Cursor } from '../http/pagination';
import type { DeliveryFormat } from './payload';
import { findShopsStatement, shopsOf, type ShopRecord } from '../shops/store';

/**
 * Every SQL statement on `deliveries` and `delivery_attempts`, and the delivery-owned columns of
 * `subscriptions` (`consecutive_failures`, `last_success_at`, the status change on removal).
 */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryRecord {
  id: string;
  subscriptionId: number;
  eventId: string;
  shopId: string;
  appId: string;
  address: string;
  topic: string;
  format: DeliveryFormat;
  fields: string[];
  apiVersion: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface DeliveryRow {
  id: string;
  subscription_id: number;
  event_id: string;
  shop_id: string;
  app_id: string;
  address: string;
  topic: string;
  format: DeliveryFormat;
  fields: string;
  api_version: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

const DELIVERY_COLUMNS = `id, subscription_id, event_id, shop_id, app_id, address, topic, format, fields,
  api_version, status, attempts, last_status_code, last_error, next_attempt_at, created_at, updated_at,
  finished_at`;

const toDelivery = (row: DeliveryRow): DeliveryRecord => ({
  id: row.id,
  subscriptionId: row.subscription_id,
  eventId: row.event_id,
  shopId: row.shop_id,
  appId: row.app_id,
  address: row.address,
  topic: row.topic,
  format: row.format,
  fields: JSON.parse(row.fields) as string[],
  apiVersion: row.api_version,
  status: row.status,
  attempts: row.attempts,
  lastStatusCode: row.last_status_code,
  lastError: row.last_error,
  nextAttemptAt: row.next_attempt_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
});

export interface AttemptRecord {
  deliveryId: string;
  attempt: number;
  startedAt: string;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: string;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
}

const toAttempt = (row: AttemptRow): AttemptRecord => ({
  deliveryId: row.delivery_id,
  attempt: row.attempt,
  startedAt: row.started_at,
  statusCode: row.status_code,
  durationMs: row.duration_ms,
  error: row.error,
});

/** A subscription as fan-out needs it. */
export interface FanOutTarget {
  subscriptionId: number;
  shopId: string;
  appId: string;
  address: string;
  topic: string;
  format: DeliveryFormat;
  fields: string;
  apiVersion: string;
}

/** Active subscriptions for any of the (shop, subscription topic) pairs. */
export async function findFanOutTargets(
  db: D1Database,
  pairs: readonly (readonly [shopId: string, topic: string])[],
): Promise<FanOutTarget[]> {
  if (pairs.length === 0) return [];
  return fanOutTargetsOf(await fanOutTargetsStatement(db, pairs).all());
}

/** The statement of `findFanOutTargets`, so a consumer can run it in a batch with others. */
export function fanOutTargetsStatement(
  db: D1Database,
  pairs: readonly (readonly [shopId: string, topic: string])[],
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT s.id AS subscription_id, s.shop_id, s.app_id, s.address, s.topic, s.format, s.fields,
              a.api_version
       FROM subscriptions s JOIN apps a ON a.id = s.app_id
       WHERE s.status = 'active'
         AND (s.shop_id, s.topic) IN (
           SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))`,
    )
    .bind(JSON.stringify(pairs));
}

/**
 * SQL that is true when the shop has an active subscription on the topic: the condition of
 * `fanOutTargetsStatement`, asked of one (shop, topic) given as SQL expressions.
 */
export const activeSubscriptionSql = (shopExpr: string, topicExpr: string): string =>
  `EXISTS (SELECT 1 FROM subscriptions s WHERE s.status = 'active' AND s.shop_id = ${shopExpr} AND s.topic = ${topicExpr})`;

/** Reads the rows of `fanOutTargetsStatement`'s result. */
export function fanOutTargetsOf(result: D1Result<unknown>): FanOutTarget[] {
  const rows = result.results as Pick<
    DeliveryRow,
    'subscription_id' | 'shop_id' | 'app_id' | 'address' | 'topic' | 'format' | 'fields' | 'api_version'
  >[];
  return rows.map((r) => ({
    subscriptionId: r.subscription_id,
    shopId: r.shop_id,
    appId: r.app_id,
    address: r.address,
    topic: r.topic,
    format: r.format,
    fields: r.fields,
    apiVersion: r.api_version,
  }));
}

export interface NewDelivery {
  id: string;
  target: FanOutTarget;
  eventId: string;
  now: string;
}

/**
 * Creates the deliveries (one per subscription and event, ignoring ones that exist) and returns
 * every delivery of these events that has not been attempted yet: the ones to enqueue. Re-running
 * it for the same events (a retried batch) creates nothing twice.
 */
export async function createDeliveries(
  db: D1Database,
  deliveries: readonly NewDelivery[],
  eventIds: readonly string[],
): Promise<{ id: string; shopId: string }[]> {
  const rows = deliveries.map(({ id, target: t, eventId, now }) =>
    JSON.stringify([
      id,
      t.subscriptionId,
      eventId,
      t.shopId,
      t.appId,
      t.address,
      t.topic,
      t.format,
      t.fields,
      t.apiVersion,
      now,
    ]),
  );
  // One bulk insert per bound parameter's worth of rows: the statement count does not grow with
  // the fan-out.
  const inserts = chunkBySize(rows, (row) => row.length, ROWS_PARAM_MAX_CHARS).map((chunk) =>
    db
      .prepare(
        `INSERT INTO deliveries (id, subscription_id, event_id, shop_id, app_id, address, topic, format,
                                 fields, api_version, status, attempts, next_attempt_at, created_at,
                                 updated_at)
         SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[2]', value ->> '$[3]', value ->> '$[4]',
                value ->> '$[5]', value ->> '$[6]', value ->> '$[7]', value ->> '$[8]', value ->> '$[9]',
                'pending', 0, value ->> '$[10]', value ->> '$[10]', value ->> '$[10]'
         FROM json_each(?1) WHERE true
         ON CONFLICT (subscription_id, event_id) DO NOTHING`,
      )
      .bind(`[${chunk.join(',')}]`),
  );
  const unsent = db
    .prepare(
      `SELECT id, shop_id FROM deliveries
       WHERE event_id IN (SELECT value FROM json_each(?1)) AND status = 'pending' AND attempts = 0`,
    )
    .bind(JSON.stringify(eventIds));
  const results = await db.batch<{ id: string; shop_id: string }>([...inserts, unsent]);
  return results.at(-1)!.results.map((r) => ({ id: r.id, shopId: r.shop_id }));
}

/** What one attempt needs: the delivery, its event's data and time, the shop's domain. */
export interface DeliveryWork {
  delivery: DeliveryRecord;
  eventDataJson: string;
  eventCreatedAt: string;
  shopDomain: string;
  /** The subscription's own deliveries-per-second limit, or null for the deployment's. */
  rateLimitPerSecond: number | null;
  /** The subscription's `name` as it is now (sent as `X-Shopify-Name`), or null. */
  subscriptionName: string | null;
}

/**
 * The deliveries to attempt, with what their requests need: their events (on the shard) and their
 * shops' domains and subscriptions' limits and names (on the primary). On shard 0, which is the
 * primary, one query; on another shard, one query on each.
 */
export async function loadDeliveryWork(
  shard: D1Database,
  primary: D1Database,
  ids: readonly string[],
): Promise<DeliveryWork[]> {
  if (ids.length === 0) return [];
  if (shard === primary) return loadDeliveryWorkJoined(shard, ids);
  const { results } = await shard
    .prepare(
      `SELECT ${DELIVERY_COLUMNS.replace(/(\w+)/g, 'd.$1')}, e.data AS event_data, e.created_at AS event_created_at
       FROM deliveries d JOIN events e ON e.id = d.event_id
       WHERE d.id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids))
    .all<DeliveryRow & { event_data: string; event_created_at: string }>();
  if (results.length === 0) return [];
  const [shops, subscriptions] = await primary.batch<Record<string, unknown>>([
    primary
      .prepare(`SELECT id, myshopify_domain FROM shops WHERE id IN (SELECT value FROM json_each(?1))`)
      .bind(JSON.stringify([...new Set(results.map((r) => r.shop_id))])),
    primary
      .prepare(
        `SELECT sub.id, sub.name, l.max_deliveries_per_second AS rate_limit
         FROM subscriptions sub LEFT JOIN delivery_subscription_limits l ON l.subscription_id = sub.id
         WHERE sub.id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(JSON.stringify([...new Set(results.map((r) => r.subscription_id))])),
  ]);
  const domains = new Map(
    (shops!.results as { id: string; myshopify_domain: string }[]).map((r) => [r.id, r.myshopify_domain]),
  );
  const subs = new Map(
    (subscriptions!.results as { id: number; name: string | null; rate_limit: number | null }[]).map((r) => [r.id, r]),
  );
  // A delivery whose shop is gone is not attempted (as the join on shard 0 leaves it out).
  return results.flatMap((r) => {
    const domain = domains.get(r.shop_id);
    if (domain === undefined) return [];
    const sub = subs.get(r.subscription_id);
    return [
      {
        delivery: toDelivery(r),
        eventDataJson: r.event_data,
        eventCreatedAt: r.event_created_at,
        shopDomain: domain,
        rateLimitPerSecond: sub?.rate_limit ?? null,
        subscriptionName: sub?.name ?? null,
      },
    ];
  });
}

async function loadDeliveryWorkJoined(db: D1Database, ids: readonly string[]): Promise<DeliveryWork[]> {
  return deliveryWorkOf(await deliveryWorkJoinedStatement(db, ids).all());
}

/**
 * A deliveries batch's shops and the work of its deliveries on shard 0, in one round trip on the
 * primary (which is shard 0, so the joins hold). Rows of deliveries on other shards are not there;
 * rows a move left behind on shard 0 come back too, so callers use this work only for the
 * deliveries whose shop the returned map places on shard 0.
 */
export async function loadShopsAndShardZeroWork(
  primary: D1Database,
  shopIds: readonly string[],
  deliveryIds: readonly string[],
): Promise<{ shops: ShopRecord[]; work: DeliveryWork[] }> {
  const [shops, work] = await primary.batch([
    findShopsStatement(primary, [...new Set(shopIds)]),
    deliveryWorkJoinedStatement(primary, deliveryIds),
  ]);
  return { shops: shopsOf(shops!), work: deliveryWorkOf(work!) };
}

function deliveryWorkJoinedStatement(db: D1Database, ids: readonly string[]): D1PreparedStatement {
  return db
    .prepare(
      `SELECT ${DELIVERY_COLUMNS.replace(/(\w+)/g, 'd.$1')}, e.data AS event_data,
              e.created_at AS event_created_at, s.myshopify_domain AS shop_domain,
              l.max_deliveries_per_second AS rate_limit, sub.name AS subscription_name
       FROM deliveries d
       JOIN events e ON e.id = d.event_id
       JOIN shops s ON s.id = d.shop_id
       LEFT JOIN delivery_subscription_limits l ON l.subscription_id = d.subscription_id
       LEFT JOIN subscriptions sub ON sub.id = d.subscription_id
       WHERE d.id IN (SELECT value FROM json_each(?1))`,
    )
    .bind(JSON.stringify(ids));
}

type DeliveryWorkRow = DeliveryRow & {
  event_data: string;
  event_created_at: string;
  shop_domain: string;
  rate_limit: number | null;
  subscription_name: string | null;
};

const deliveryWorkOf = (result: D1Result<unknown>): DeliveryWork[] =>
  (result.results as DeliveryWorkRow[]).map((r) => ({
    delivery: toDelivery(r),
    eventDataJson: r.event_data,
    eventCreatedAt: r.event_created_at,
    shopDomain: r.shop_domain,
    rateLimitPerSecond: r.rate_limit,
    subscriptionName: r.subscription_name,
  }));

export interface AttemptOutcome {
  attempt: AttemptRecord;
  /** The delivery's status after this attempt. */
  status: DeliveryStatus;
  nextAttemptAt: string | null;
  /**
   * On `failed`: what happens to the subscription if nothing succeeded since the delivery began;
   * null leaves the subscription alone (the failure was the event's data, not the receiver).
   */
  onFailure: 'removed' | 'disabled' | null;
}

/**
 * Records a batch of attempts and their consequences in one D1 batch of a few set-based
 * statements: the attempt rows; each delivery (only if its attempt is the next one, so a duplicate
 * changes nothing); the subscriptions (success: failures reset; final failure: counted, and
 * removed or disabled unless a delivery succeeded since the failed one began). `alongside`
 * statements (the destinations' breakers) commit in the same transaction.
 */
export async function recordAttempts(
  shard: D1Database,
  primary: D1Database,
  items: readonly { delivery: DeliveryRecord; outcome: AttemptOutcome }[],
  now: string,
  alongside: readonly D1PreparedStatement[] = [],
): Promise<void> {
  const db = shard;
  if (items.length === 0) return;
  const rows = JSON.stringify(
    items.map(({ delivery, outcome: { attempt: a, status, nextAttemptAt } }) => ({
      id: delivery.id,
      attempt: a.attempt,
      started_at: a.startedAt,
      status_code: a.statusCode,
      duration_ms: a.durationMs,
      error: a.error,
      status,
      next_attempt_at: nextAttemptAt,
    })),
  );
  const succeeded = [
    ...new Set(items.filter((i) => i.outcome.status === 'succeeded').map((i) => i.delivery.subscriptionId)),
  ];
  const statements = [
    db
      .prepare(
        `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, status_code, duration_ms, error)
         SELECT value ->> '$.id', value ->> '$.attempt', value ->> '$.started_at', value ->> '$.status_code',
                value ->> '$.duration_ms', value ->> '$.error'
         FROM json_each(?1) WHERE true
         ON CONFLICT DO NOTHING`,
      )
      .bind(rows),
    db
      .prepare(
        `UPDATE deliveries
         SET attempts = j.attempt, status = j.status, last_status_code = j.status_code, last_error = j.error,
             next_attempt_at = j.next_attempt_at, updated_at = ?2,
             finished_at = CASE WHEN j.status = 'pending' THEN NULL ELSE ?2 END
         FROM (SELECT value ->> '$.id' AS id, value ->> '$.attempt' AS attempt, value ->> '$.status' AS status,
                      value ->> '$.status_code' AS status_code, value ->> '$.error' AS error,
                      value ->> '$.next_attempt_at' AS next_attempt_at
               FROM json_each(?1)) AS j
         WHERE deliveries.id = j.id AND deliveries.attempts = j.attempt - 1 AND deliveries.status = 'pending'`,
      )
      .bind(rows, now),
  ];
  const subscriptionStatements: D1PreparedStatement[] = [];
  if (succeeded.length > 0) {
    subscriptionStatements.push(
      primary
        .prepare(
          `UPDATE subscriptions SET consecutive_failures = 0, last_success_at = ?2
           WHERE id IN (SELECT value FROM json_each(?1))`,
        )
        .bind(JSON.stringify(succeeded), now),
    );
  }
  for (const { delivery, outcome } of items) {
    if (outcome.status !== 'failed' || outcome.onFailure === null) continue;
    subscriptionStatements.push(
      primary
        .prepare(
          `UPDATE subscriptions
           SET consecutive_failures = consecutive_failures + 1,
               status = CASE WHEN status = 'active' AND (last_success_at IS NULL OR last_success_at < ?2)
                             THEN ?3 ELSE status END,
               updated_at = CASE WHEN status = 'active' AND (last_success_at IS NULL OR last_success_at < ?2)
                                 THEN ?4 ELSE updated_at END
           WHERE id = ?1`,
        )
        .bind(delivery.subscriptionId, delivery.createdAt, outcome.onFailure, now),
    );
  }
  if (shard === primary) {
    await db.batch([...statements, ...subscriptionStatements, ...alongside]);
    return;
  }
  // Two databases, two transactions: the subscriptions first, so an attempt whose rows the shard
  // then fails to take is made again (the delivery is still pending) rather than left uncounted.
  if (subscriptionStatements.length > 0) await primary.batch(subscriptionStatements);
  await shard.batch([...statements, ...alongside]);
}

/**
 * Puts a delivery back to `pending` for one more attempt now (operator retry or replay); returns
 * the attempt number the message must carry, or null when the delivery is not the app's.
 */
export async function reopenDelivery(db: D1Database, appId: string, id: string, now: string): Promise<number | null> {
  const row = await db
    .prepare(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = ?3, updated_at = ?3, finished_at = NULL
       WHERE id = ?1 AND app_id = ?2 RETURNING attempts`,
    )
    .bind(id, appId, now)
    .first<{ attempts: number }>();
  return row === null ? null : row.attempts + 1;
}

/** Reopens every failed delivery of a subscription created at or after `since`. */
export async function reopenFailedDeliveries(
  db: D1Database,
  appId: string,
  subscriptionId: number,
  since: string,
  now: string,
): Promise<{ id: string; attempt: number }[]> {
  const { results } = await db
    .prepare(
      `UPDATE deliveries SET status = 'pending', next_attempt_at = ?5, updated_at = ?5, finished_at = NULL
       WHERE app_id = ?1 AND subscription_id = ?2 AND status = 'failed' AND created_at >= ?3
         AND id IN (SELECT id FROM deliveries WHERE subscription_id = ?2 AND created_at >= ?3 LIMIT ?4)
       RETURNING id, attempts`,
    )
    .bind(appId, subscriptionId, since, MAX_REPLAY_SCAN, now)
    .all<{ id: string; attempts: number }>();
  return results.map((r) => ({ id: r.id, attempt: r.attempts + 1 }));
}

/** Upper bound on deliveries one replay request examines. */
export const MAX_REPLAY_SCAN = 10_000;

/**
 * Shows when held attempts come back: each delivery's `next_attempt_at`, if it is still waiting for
 * that attempt (one statement for the batch).
 */
export async function markAttemptsHeld(
  db: D1Database,
  held: readonly { id: string; attempt: number; nextAttemptAt: string }[],
  now: string,
): Promise<void> {
  if (held.length === 0) return;
  await db
    .prepare(
      `UPDATE deliveries SET next_attempt_at = j.next_attempt_at, updated_at = ?2
       FROM (SELECT value ->> '$.id' AS id, value ->> '$.attempt' AS attempt,
                    value ->> '$.next_attempt_at' AS next_attempt_at FROM json_each(?1)) AS j
       WHERE deliveries.id = j.id AND deliveries.status = 'pending' AND deliveries.attempts = j.attempt - 1`,
    )
    .bind(JSON.stringify(held.map((h) => ({ id: h.id, attempt: h.attempt, next_attempt_at: h.nextAttemptAt }))), now)
    .run();
}

/** Marks a delivery failed because its messages were dead-lettered; false if already final. */
export async function failDelivery(db: D1Database, id: string, error: string, now: string): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE deliveries SET status = 'failed', last_error = ?2, next_attempt_at = NULL, updated_at = ?3,
              finished_at = ?3
       WHERE id = ?1 AND status = 'pending'`,
    )
    .bind(id, error, now)
    .run();
  return result.meta.changes > 0;
}

export interface DeliveryFilters {
  subscriptionId?: number;
  eventId?: string;
  status?: DeliveryStatus;
  createdAtMin?: string;
  createdAtMax?: string;
}

/** An app's deliveries, newest first, after `cursor`. */
export async function listAppDeliveries(
  db: D1Database,
  appId: string,
  filters: DeliveryFilters,
  limit: number,
  cursor: Cursor | null,
): Promise<DeliveryRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries
       WHERE app_id = ?1
         AND (?2 IS NULL OR subscription_id = ?2)
         AND (?3 IS NULL OR event_id = ?3)
         AND (?4 IS NULL OR status = ?4)
         AND (?5 IS NULL OR created_at >= ?5)
         AND (?6 IS NULL OR created_at <= ?6)
         AND (?7 IS NULL OR (created_at, id) < (?7, ?8))
       ORDER BY created_at DESC, id DESC LIMIT ?9`,
    )
    .bind(
      appId,
      filters.subscriptionId ?? null,
      filters.eventId ?? null,
      filters.status ?? null,
      filters.createdAtMin ?? null,
      filters.createdAtMax ?? null,
      cursor?.createdAt ?? null,
      cursor?.id ?? null,
      limit,
    )
    .all<DeliveryRow>();
  return results.map(toDelivery);
}

export async function findAppDelivery(
  db: D1Database,
  appId: string,
  id: string,
): Promise<{ delivery: DeliveryRecord; attempts: AttemptRecord[] } | null> {
  const [deliveries, attempts] = await db.batch([
    db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = ?1 AND app_id = ?2`).bind(id, appId),
    db
      .prepare(
        `SELECT delivery_id, attempt, started_at, status_code, duration_ms, error FROM delivery_attempts
         WHERE delivery_id = ?1 ORDER BY attempt`,
      )
      .bind(id),
  ]);
  const row = deliveries?.results[0] as DeliveryRow | undefined;
  if (row === undefined) return null;
  return { delivery: toDelivery(row), attempts: (attempts?.results as AttemptRow[]).map(toAttempt) };
}

/** A subscription's own deliveries-per-second limit (null: none, the deployment's applies). */
export async function findSubscriptionRateLimit(db: D1Database, subscriptionId: number): Promise<number | null> {
  const row = await db
    .prepare(`SELECT max_deliveries_per_second FROM delivery_subscription_limits WHERE subscription_id = ?1`)
    .bind(subscriptionId)
    .first<{ max_deliveries_per_second: number }>();
  return row?.max_deliveries_per_second ?? null;
}

/** Sets (or, with null, removes) a subscription's own deliveries-per-second limit. */
export async function setSubscriptionRateLimit(
  db: D1Database,
  appId: string,
  subscriptionId: number,
  limit: number | null,
  now: string,
): Promise<void> {
  if (limit === null) {
    await db.prepare(`DELETE FROM delivery_subscription_limits WHERE subscription_id = ?1`).bind(subscriptionId).run();
    return;
  }
  await db
    .prepare(
      `INSERT INTO delivery_subscription_limits (subscription_id, app_id, max_deliveries_per_second, updated_at)
       VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (subscription_id) DO UPDATE SET max_deliveries_per_second = ?3, updated_at = ?4`,
    )
    .bind(subscriptionId, appId, limit, now)
    .run();
}

/** Whether the subscription exists and belongs to the app (any status). */
export async function isAppSubscription(db: D1Database, appId: string, subscriptionId: number): Promise<boolean> {
  const row = await db
    .prepare(`SELECT 1 AS found FROM subscriptions WHERE id = ?1 AND app_id = ?2`)
    .bind(subscriptionId, appId)
    .first<{ found: number }>();
  return row !== null;
}

/**
 * Deletes up to `limit` deliveries that finished (succeeded or failed) before `cutoff`, oldest
 * first, with their attempts, in one transaction. Pending deliveries are never touched. Returns
 * how many deliveries went.
 */
export async function deleteDeliveriesFinishedBefore(db: D1Database, cutoff: string, limit: number): Promise<number> {
  const oldest = `SELECT id FROM deliveries WHERE finished_at IS NOT NULL AND finished_at < ?1
                  AND status IN ('succeeded', 'failed') ORDER BY finished_at, id LIMIT ?2`;
  const [, deliveries] = await db.batch([
    db.prepare(`DELETE FROM delivery_attempts WHERE delivery_id IN (${oldest})`).bind(cutoff, limit),
    db.prepare(`DELETE FROM deliveries WHERE id IN (${oldest})`).bind(cutoff, limit),
  ]);
  return deliveries!.meta.changes;
}
