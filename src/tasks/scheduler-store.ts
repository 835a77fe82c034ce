/** Every SQL statement of the scheduler: which (shop, topic) pairs are due, and their last periods. */

/** A (shop, scheduler topic) pair some enabled task subscribes to, with its scheduler row if any. */
export interface SchedulerPair {
  shopId: string;
  /** The shop's shard (its events go to that shard's queue group). */
  shard: number;
  topic: string;
  /** The shop's time zone now. */
  timezone: string;
  /** Null when the scheduler has not seen this pair yet. */
  lastPeriod: string | null;
  /** The zone `lastPeriod`'s next due time was computed in. */
  rowTimezone: string | null;
}

interface PairRow {
  shop_id: string;
  shard: number;
  topic: string;
  timezone: string;
  last_period: string | null;
  row_timezone: string | null;
}

/**
 * Pairs that need the scheduler's attention at `now`: new ones, due ones, and daily ones whose
 * shop changed time zone; those waiting longest first, at most `limit`.
 */
export async function listDueSchedulerPairs(
  db: D1Database,
  topics: readonly string[],
  now: string,
  limit: number,
): Promise<SchedulerPair[]> {
  const { results } = await db
    .prepare(
      `SELECT p.shop_id, sh.shard, p.topic, sh.timezone, sp.last_period, sp.timezone AS row_timezone
       FROM (SELECT DISTINCT ts.shop_id, ts.topic FROM task_subscriptions ts
             JOIN tasks t ON t.id = ts.task_id AND t.enabled = 1
             WHERE ts.topic IN (SELECT value FROM json_each(?1))) p
       JOIN shops sh ON sh.id = p.shop_id
       LEFT JOIN scheduler_periods sp ON sp.shop_id = p.shop_id AND sp.topic = p.topic
       WHERE sp.shop_id IS NULL OR sp.next_due_at <= ?2 OR sp.timezone <> sh.timezone
       ORDER BY sp.next_due_at IS NOT NULL, sp.next_due_at
       LIMIT ?3`,
    )
    .bind(JSON.stringify(topics), now, limit)
    .all<PairRow>();
  return results.map((r) => ({
    shopId: r.shop_id,
    shard: r.shard,
    topic: r.topic,
    timezone: r.timezone,
    lastPeriod: r.last_period,
    rowTimezone: r.row_timezone,
  }));
}

export interface PeriodAdvance {
  shopId: string;
  topic: string;
  /** The last period as read; the write happens only if the row still holds it (null: no row). */
  expected: string | null;
  lastPeriod: string;
  nextDueAt: string;
  timezone: string;
}

/**
 * Moves each pair to its new last period with a compare-and-set, in one transaction: a row that
 * another cron invocation already moved (or created) is left alone. Returns how many moved.
 */
export async function advanceSchedulerPeriods(
  db: D1Database,
  advances: readonly PeriodAdvance[],
  now: string,
): Promise<number> {
  if (advances.length === 0) return 0;
  const results = await db.batch(
    advances.map((a) =>
      a.expected === null
        ? db
            .prepare(
              `INSERT INTO scheduler_periods (shop_id, topic, last_period, next_due_at, timezone, updated_at)
               VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (shop_id, topic) DO NOTHING`,
            )
            .bind(a.shopId, a.topic, a.lastPeriod, a.nextDueAt, a.timezone, now)
        : db
            .prepare(
              `UPDATE scheduler_periods SET last_period = ?4, next_due_at = ?5, timezone = ?6, updated_at = ?7
               WHERE shop_id = ?1 AND topic = ?2 AND last_period = ?3`,
            )
            .bind(a.shopId, a.topic, a.expected, a.lastPeriod, a.nextDueAt, a.timezone, now),
    ),
  );
  return results.reduce((sum, r) => sum + (r.meta.changes ?? 0), 0);
}

/**
 * Forgets pairs no enabled task subscribes to any more, so a task enabled again later starts from
 * the current period instead of catching up on the time it was off.
 */
export async function deleteUnsubscribedSchedulerPeriods(db: D1Database): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM scheduler_periods WHERE NOT EXISTS (
         SELECT 1 FROM task_subscriptions ts JOIN tasks t ON t.id = ts.task_id AND t.enabled = 1
         WHERE ts.shop_id = scheduler_periods.shop_id AND ts.topic = scheduler_periods.topic)`,
    )
    .run();
  return result.meta.changes;
}
