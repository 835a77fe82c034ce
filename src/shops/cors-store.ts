/** The `cors_origins` table: a shop's additional CORS origins. */

/** A shop's additional CORS origins, sorted. */
export async function listCorsOrigins(db: D1Database, shopId: string): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT origin FROM cors_origins WHERE shop_id = ?1 ORDER BY origin`)
    .bind(shopId)
    .all<{ origin: string }>();
  return results.map((row) => row.origin);
}

/** Replaces a shop's additional CORS origins in one transaction. */
export async function replaceCorsOrigins(
  db: D1Database,
  shopId: string,
  origins: readonly string[],
  now: string,
): Promise<void> {
  await db.batch([
    db.prepare(`DELETE FROM cors_origins WHERE shop_id = ?1`).bind(shopId),
    ...origins.map((origin) =>
      db
        .prepare(`INSERT INTO cors_origins (shop_id, origin, created_at) VALUES (?1, ?2, ?3)`)
        .bind(shopId, origin, now),
    ),
  ]);
}
