/**
 * Every SQL statement of shop moves: the `shop_moves` rows (primary) and the chunked copy and
 * delete of a shop's per-shop rows between two shards.
 */

export type MovePhase = 'draining' | 'copying' | 'settling' | 'cleaning' | 'done' | 'failed';

export interface MoveRecord {
  id: number;
  shopId: string;
  fromShard: number;
  toShard: number;
  phase: MovePhase;
  /** JSON position of the copy or clean: `{ table, after }` (index in SHOP_TABLES, last key done). */
  cursor: string | null;
  rowsCopied: number;
  rowsDeleted: number;
  error: string | null;
  phaseUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

interface MoveRow {
  id: number;
  shop_id: string;
  from_shard: number;
  to_shard: number;
  phase: MovePhase;
  cursor: string | null;
  rows_copied: number;
  rows_deleted: number;
  error: string | null;
  phase_until: string | null;
  created_at: string;
  updated_at: string;
}

const MOVE_COLUMNS =
  'id, shop_id, from_shard, to_shard, phase, cursor, rows_copied, rows_deleted, error, phase_until, created_at, updated_at';

const toMove = (r: MoveRow): MoveRecord => ({
  id: r.id,
  shopId: r.shop_id,
  fromShard: r.from_shard,
  toShard: r.to_shard,
  phase: r.phase,
  cursor: r.cursor,
  rowsCopied: r.rows_copied,
  rowsDeleted: r.rows_deleted,
  error: r.error,
  phaseUntil: r.phase_until,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Starts a move; null when the shop already has one unfinished. */
export async function insertMove(
  db: D1Database,
  move: { shopId: string; fromShard: number; toShard: number; phaseUntil: string; now: string },
): Promise<MoveRecord | null> {
  const row = await db
    .prepare(
      `INSERT INTO shop_moves (shop_id, from_shard, to_shard, phase, phase_until, created_at, updated_at)
       VALUES (?1, ?2, ?3, 'draining', ?4, ?5, ?5)
       ON CONFLICT (shop_id) WHERE phase NOT IN ('done', 'failed') DO NOTHING
       RETURNING ${MOVE_COLUMNS}`,
    )
    .bind(move.shopId, move.fromShard, move.toShard, move.phaseUntil, move.now)
    .first<MoveRow>();
  return row && toMove(row);
}

export async function findMove(db: D1Database, shopId: string, id: number): Promise<MoveRecord | null> {
  const row = await db
    .prepare(`SELECT ${MOVE_COLUMNS} FROM shop_moves WHERE shop_id = ?1 AND id = ?2`)
    .bind(shopId, id)
    .first<MoveRow>();
  return row && toMove(row);
}

/** Unfinished moves, oldest first. */
export async function listUnfinishedMoves(db: D1Database, limit: number): Promise<MoveRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${MOVE_COLUMNS} FROM shop_moves WHERE phase NOT IN ('done', 'failed') ORDER BY id LIMIT ?1`)
    .bind(limit)
    .all<MoveRow>();
  return results.map(toMove);
}

/** Saves a move's progress, only if it is still in the phase it was read in (one advancer wins). */
export function updateMoveStatement(
  db: D1Database,
  move: MoveRecord,
  expected: MovePhase,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE shop_moves SET phase = ?3, cursor = ?4, rows_copied = ?5, rows_deleted = ?6, error = ?7,
              phase_until = ?8, updated_at = ?9
       WHERE id = ?1 AND phase = ?2`,
    )
    .bind(
      move.id,
      expected,
      move.phase,
      move.cursor,
      move.rowsCopied,
      move.rowsDeleted,
      move.error,
      move.phaseUntil,
      now,
    );
}

/** Points the shop at its new shard. */
export const switchShardStatement = (db: D1Database, shopId: string, shard: number, now: string): D1PreparedStatement =>
  db.prepare(`UPDATE shops SET shard = ?2, updated_at = ?3 WHERE id = ?1`).bind(shopId, shard, now);

/** The ids of a shop's apps (their destinations' breakers move with the shop). */
export async function listShopAppIds(db: D1Database, shopId: string): Promise<string[]> {
  const { results } = await db.prepare(`SELECT id FROM apps WHERE shop_id = ?1`).bind(shopId).all<{ id: string }>();
  return results.map((r) => r.id);
}

/**
 * The per-shop tables, parents before children (the copy's order; cleaning goes the other way).
 * `where` selects a shop's rows (?1: shop id, ?2: JSON array of its app ids); `key` orders and
 * pages them (rowid, or the primary key of a table without one).
 */
export const SHOP_TABLES: readonly { table: string; where: string; key: string }[] = [
  { table: 'events', where: 'shop_id = ?1', key: 'rowid' },
  { table: 'task_runs', where: 'shop_id = ?1', key: 'rowid' },
  { table: 'action_runs', where: 'task_run_id IN (SELECT id FROM task_runs WHERE shop_id = ?1)', key: 'rowid' },
  { table: 'deliveries', where: 'shop_id = ?1', key: 'rowid' },
  {
    table: 'delivery_attempts',
    where: 'delivery_id IN (SELECT id FROM deliveries WHERE shop_id = ?1)',
    key: 'rowid',
  },
  { table: 'cache_entries', where: 'shop_id = ?1', key: 'rowid' },
  {
    table: 'delivery_destinations',
    where: 'app_id IN (SELECT value FROM json_each(?2))',
    key: 'app_id || char(10) || host',
  },
];

/** The next chunk of a shop's rows in one table after `after` (null: from the start). */
export async function readShopRows(
  db: D1Database,
  tableIndex: number,
  shopId: string,
  appIds: readonly string[],
  after: string | number | null,
  limit: number,
): Promise<{ key: string | number; row: Record<string, unknown> }[]> {
  const { table, where, key } = SHOP_TABLES[tableIndex]!;
  const { results } = await db
    .prepare(
      `SELECT ${key} AS move_key, * FROM ${table}
       WHERE ${where} AND (?3 IS NULL OR ${key} > ?3) ORDER BY ${key} LIMIT ?4`,
    )
    .bind(shopId, JSON.stringify(appIds), after, limit)
    .all<Record<string, unknown> & { move_key: string | number }>();
  return results.map(({ move_key, ...row }) => ({ key: move_key, row }));
}

/**
 * Writes rows into a table of another shard as they are: `overwrite` replaces a row already there
 * (the copy: the old shard is the truth while the shop is paused), else an existing row wins (the
 * clean-up: after the switch the new shard's rows are newer). Never a delete, so no cascade.
 */
export function writeRowsStatement(
  db: D1Database,
  tableIndex: number,
  rows: readonly Record<string, unknown>[],
  overwrite: boolean,
): D1PreparedStatement {
  const { table } = SHOP_TABLES[tableIndex]!;
  const columns = Object.keys(rows[0]!);
  const values = columns.map((c) => `value ->> '$.${c}'`).join(', ');
  const conflict = overwrite
    ? `ON CONFLICT DO UPDATE SET ${columns.map((c) => `${c} = excluded.${c}`).join(', ')}`
    : 'ON CONFLICT DO NOTHING';
  return db
    .prepare(`INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values} FROM json_each(?1) WHERE true ${conflict}`)
    .bind(JSON.stringify(rows));
}

/** Deletes rows of a table by their keys (as `readShopRows` gave them). */
export function deleteRowsStatement(
  db: D1Database,
  tableIndex: number,
  keys: readonly (string | number)[],
): D1PreparedStatement {
  const { table, key } = SHOP_TABLES[tableIndex]!;
  return db
    .prepare(`DELETE FROM ${table} WHERE ${key} IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(keys));
}
