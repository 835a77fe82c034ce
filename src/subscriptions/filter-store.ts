/**
 * The SQL fan-out needs for subscription filters (issue 24): the filters of the active subscriptions
 * an event batch reaches, and the count of deliveries each filter kept from being made. The lookup
 * rides on the fan-out index, (shop_id, topic) of active rows (migrations/0003).
 */

/** Active subscriptions with a filter for any of the (shop, subscription topic) pairs. */
export function subscriptionFiltersStatement(
  db: D1Database,
  pairs: readonly (readonly [shopId: string, topic: string])[],
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT id, filter FROM subscriptions
       WHERE status = 'active' AND filter IS NOT NULL
         AND (shop_id, topic) IN (
           SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))`,
    )
    .bind(JSON.stringify(pairs));
}

/** Subscription id → filter text, from `subscriptionFiltersStatement`'s result. */
export function subscriptionFiltersOf(result: D1Result<unknown>): Map<number, string> {
  const rows = result.results as { id: number; filter: string }[];
  return new Map(rows.map((r) => [r.id, r.filter]));
}

export async function findSubscriptionFilters(
  db: D1Database,
  pairs: readonly (readonly [shopId: string, topic: string])[],
): Promise<Map<number, string>> {
  if (pairs.length === 0) return new Map();
  return subscriptionFiltersOf(await subscriptionFiltersStatement(db, pairs).all());
}

/** Adds to each subscription's count of deliveries its filter kept from being made. */
export async function addFilteredCounts(db: D1Database, counts: ReadonlyMap<number, number>): Promise<void> {
  if (counts.size === 0) return;
  await db
    .prepare(
      `UPDATE subscriptions
       SET filtered_count = filtered_count +
         (SELECT value ->> '$[1]' FROM json_each(?1) WHERE value ->> '$[0]' = subscriptions.id)
       WHERE id IN (SELECT value ->> '$[0]' FROM json_each(?1))`,
    )
    .bind(JSON.stringify([...counts]))
    .run();
}
