import type { Cursor } from './http/pagination';

/**
 * The one paged-list query: rows of `table` in (created_at, id) order strictly after `cursor`,
 * at most `limit`, optionally one shop's. Every such list has an index on ([shop_id,] created_at, id).
 */
export async function selectPageAfter<Row>(
  db: D1Database,
  page: {
    table: string;
    columns: string;
    /** The id column that breaks ties between equal timestamps (`id` unless the table has another). */
    idColumn?: string;
    /** Only this shop's rows; every row when absent. */
    shopId?: string;
    limit: number;
    cursor: Cursor | null;
  },
): Promise<Row[]> {
  const id = page.idColumn ?? 'id';
  const shopScope = page.shopId === undefined ? '' : 'shop_id = ?4 AND ';
  const binds: unknown[] = [page.cursor?.createdAt ?? null, page.cursor?.id ?? null, page.limit];
  if (page.shopId !== undefined) binds.push(page.shopId);
  const { results } = await db
    .prepare(
      `SELECT ${page.columns} FROM ${page.table}
       WHERE ${shopScope}(?1 IS NULL OR (created_at, ${id}) > (?1, ?2))
       ORDER BY created_at, ${id} LIMIT ?3`,
    )
    .bind(...binds)
    .all<Row>();
  return results;
}
