import * as v from 'valibot';
import { republishShopCacheEndpoints } from '../cache/endpoints';
import {
  MOVE_CHUNK_ROWS,
  MOVE_CHUNKS_PER_RUN,
  MOVE_DRAIN_SECONDS,
  MOVE_SETTLE_SECONDS,
  MOVES_PER_RUN,
  ROWS_PARAM_MAX_CHARS,
} from '../env';
import { conflict, validationFailed } from '../http/errors';
import { republishShopWebhooks } from '../ingress/webhooks';
import { describeError, errorText, log } from '../log';
import { primaryDb, shardCount, shardDb } from '../shards';
import { chunkBySize } from '../chunks';
import {
  deleteRowsStatement,
  insertMove,
  listShopAppIds,
  listUnfinishedMoves,
  readShopRows,
  SHOP_TABLES,
  switchShardStatement,
  updateMoveStatement,
  writeRowsStatement,
  type MovePhase,
  type MoveRecord,
} from './moves-store';
import { requireShop } from '../shops/shops';

/**
 * Moving a shop to another shard (docs/capacity.md, "Moving a shop"), one phase per cron run:
 *
 * 1. draining (MOVE_DRAIN_SECONDS): the shop is paused — consumers send its messages again later
 *    instead of processing them, API writes of its rows answer 503 — and work that read the map
 *    before the pause finishes.
 * 2. copying: its rows are copied to the new shard in chunks of MOVE_CHUNK_ROWS, parents first,
 *    MOVE_CHUNKS_PER_RUN chunks a run; nothing writes them meanwhile, so the copy is exact. Then
 *    the map switches (`shops.shard`), the edge copies of its webhooks and cache endpoints are
 *    written again, and the pause ends.
 * 3. settling (MOVE_SETTLE_SECONDS): writers that still hold the old map (an ingress isolate's edge
 *    copy) may add rows to the old shard. At its end the edge copies are written again (a copy
 *    rewritten by a stale read-through, or a rewrite that failed at the switch, names the new shard).
 * 4. cleaning, two passes: (a) parents first, what the old shard holds that the new one lacks is
 *    copied (the new shard's rows are newer) — except cache values written before the drain ended,
 *    which the copy carried, so a key deleted since is not brought back — and an event that was
 *    not processed arrives `pending`, so the new shard's sweep sends it again; (b) children first,
 *    the old shard's rows are deleted in chunks, each chunk copied where missing once more.
 * Throughout, the shop's results stay readable: the map names a shard holding all its rows.
 */

export const moveShopSchema = v.strictObject({
  shard: v.pipe(v.number('must be a number'), v.integer('must be a whole number'), v.minValue(0, 'must be at least 0')),
});

/** Starts moving a shop to `shard`: 422 for a shard not bound or its current one, 409 while a move runs. */
export async function startShopMove(
  env: Env,
  shopId: string,
  input: v.InferOutput<typeof moveShopSchema>,
  nowMs: number = Date.now(),
): Promise<MoveRecord> {
  const shop = await requireShop(env, shopId);
  const count = shardCount(env);
  if (input.shard >= count) {
    throw validationFailed({ shard: [`must name a bound shard: 0 to ${count - 1}`] });
  }
  if (input.shard === shop.shard) throw validationFailed({ shard: [`the shop is already on shard ${shop.shard}`] });
  const move = await insertMove(primaryDb(env), {
    shopId,
    fromShard: shop.shard,
    toShard: input.shard,
    phaseUntil: new Date(nowMs + MOVE_DRAIN_SECONDS * 1000).toISOString(),
    now: new Date(nowMs).toISOString(),
  });
  if (move === null) throw conflict('This shop is already being moved.');
  log.info('shop move started', { shopId, from: shop.shard, to: input.shard, moveId: move.id });
  return move;
}

/** The cron's step: each unfinished move advances by what one run allows. Returns moves advanced. */
export async function advanceShopMoves(env: Env, nowMs: number): Promise<number> {
  const moves = await listUnfinishedMoves(primaryDb(env), MOVES_PER_RUN);
  let advanced = 0;
  for (const move of moves) {
    try {
      if (await advanceMove(env, move, nowMs)) advanced++;
    } catch (err) {
      // Transient (a shard unreachable): the next run tries again from the saved cursor.
      log.error('shop move step failed; retrying next run', { moveId: move.id, ...describeError(err) });
    }
  }
  return advanced;
}

interface Position {
  table: number;
  after: string | number | null;
}

const positionOf = (cursor: string | null): Position =>
  cursor === null ? { table: 0, after: null } : (JSON.parse(cursor) as Position);

async function advanceMove(env: Env, move: MoveRecord, nowMs: number): Promise<boolean> {
  const now = new Date(nowMs).toISOString();
  const waiting = move.phaseUntil !== null && Date.parse(move.phaseUntil) > nowMs;
  switch (move.phase) {
    case 'draining':
      if (waiting) return false;
      return save(env, { ...move, phase: 'copying', cursor: null, phaseUntil: null }, 'draining', now);
    case 'copying':
      return copyChunks(env, move, now, nowMs);
    case 'settling':
      if (waiting) return false;
      // Not retried elsewhere: a failure here leaves the move settling, and the next run tries again.
      await republishShop(env, move);
      return save(env, { ...move, phase: 'cleaning', cursor: null, phaseUntil: null }, 'settling', now);
    case 'cleaning':
      return cleanChunks(env, move, now);
    default:
      return false;
  }
}

async function save(env: Env, move: MoveRecord, expected: MovePhase, now: string): Promise<boolean> {
  const result = await updateMoveStatement(primaryDb(env), move, expected, now).run();
  return result.meta.changes > 0;
}

/** Copies up to MOVE_CHUNKS_PER_RUN chunks; after the last table, switches the map. */
async function copyChunks(env: Env, move: MoveRecord, now: string, nowMs: number): Promise<boolean> {
  const from = shardDb(env, move.fromShard);
  const to = shardDb(env, move.toShard);
  const appIds = await listShopAppIds(primaryDb(env), move.shopId);
  let position = positionOf(move.cursor);
  let copied = move.rowsCopied;
  for (let chunk = 0; chunk < MOVE_CHUNKS_PER_RUN && position.table < SHOP_TABLES.length; chunk++) {
    const rows = await readShopRows(from, position.table, move.shopId, appIds, position.after, MOVE_CHUNK_ROWS);
    if (rows.length > 0) {
      await writeRows(to, position.table, rows, true);
      copied += rows.length;
    }
    position =
      rows.length < MOVE_CHUNK_ROWS
        ? { table: position.table + 1, after: null }
        : { ...position, after: rows.at(-1)!.key };
  }
  if (position.table < SHOP_TABLES.length) {
    return save(env, { ...move, cursor: JSON.stringify(position), rowsCopied: copied }, 'copying', now);
  }
  // Everything copied: the map switches and the pause ends, in one transaction with the phase.
  const primary = primaryDb(env);
  const settled: MoveRecord = {
    ...move,
    phase: 'settling',
    cursor: null,
    rowsCopied: copied,
    phaseUntil: new Date(nowMs + MOVE_SETTLE_SECONDS * 1000).toISOString(),
  };
  const [switched] = await primary.batch([
    updateMoveStatement(primary, settled, 'copying', now),
    switchShardStatement(primary, move.shopId, move.toShard, now),
  ]);
  if (switched!.meta.changes === 0) return false;
  log.info('shop moved', { moveId: move.id, shopId: move.shopId, to: move.toShard, rows: copied });
  // The hot paths' edge copies name the shard; until they are rewritten (or for an isolate's memo),
  // a writer may still use the old shard: settling and cleaning take care of that, and the end of
  // settling writes them again (so a failure here is only logged).
  try {
    await republishShop(env, move);
  } catch (err) {
    log.warn('edge copies of a moved shop not rewritten yet; the end of settling does it', {
      moveId: move.id,
      ...describeError(err),
    });
  }
  return true;
}

/** Writes the KV copies of the shop's webhooks and cache endpoints again, naming its new shard. */
async function republishShop(env: Env, move: MoveRecord): Promise<void> {
  await republishShopWebhooks(env, move.shopId);
  await republishShopCacheEndpoints(env, move.shopId, move.toShard);
}

/**
 * Cleaning: pass (a) over positions 0 … T−1 copies, table by table parents first, what the old
 * shard has and the new one lacks; pass (b) over positions T … 2T−1 deletes the old shard's rows,
 * children first (so no delete cascades), copying each chunk where missing once more for a row a
 * stale writer added after pass (a) read its table. A copy the new shard refuses fails the move.
 */
async function cleanChunks(env: Env, move: MoveRecord, now: string): Promise<boolean> {
  const from = shardDb(env, move.fromShard);
  const to = shardDb(env, move.toShard);
  const appIds = await listShopAppIds(primaryDb(env), move.shopId);
  const tables = SHOP_TABLES.length;
  // No cache value is written between the drain's end and the copy, so one written before this
  // was on the old shard when the copy began, and the copy carried it.
  const copyBegan = new Date(Date.parse(move.createdAt) + MOVE_DRAIN_SECONDS * 1000).toISOString();
  let position = positionOf(move.cursor);
  let deleted = move.rowsDeleted;
  for (let chunk = 0; chunk < MOVE_CHUNKS_PER_RUN && position.table < 2 * tables; chunk++) {
    const copying = position.table < tables;
    const tableIndex = copying ? position.table : 2 * tables - 1 - position.table;
    const rows = await readShopRows(
      from,
      tableIndex,
      move.shopId,
      appIds,
      copying ? position.after : null,
      MOVE_CHUNK_ROWS,
    );
    const missing = leftBehind(tableIndex, rows, copyBegan);
    try {
      if (missing.length > 0) await writeRows(to, tableIndex, missing, false);
    } catch (err) {
      return save(
        env,
        { ...move, phase: 'failed', error: `cleaning ${SHOP_TABLES[tableIndex]!.table}: ${errorText(err)}` },
        'cleaning',
        now,
      );
    }
    if (!copying && rows.length > 0) {
      await deleteRowsStatement(
        from,
        tableIndex,
        rows.map((r) => r.key),
      ).run();
      deleted += rows.length;
    }
    const tableDone = copying ? rows.length < MOVE_CHUNK_ROWS : rows.length === 0;
    position = tableDone
      ? { table: position.table + 1, after: null }
      : { table: position.table, after: copying ? rows.at(-1)!.key : null };
  }
  const done = position.table >= 2 * tables;
  return save(
    env,
    {
      ...move,
      phase: done ? 'done' : 'cleaning',
      cursor: done ? null : JSON.stringify(position),
      rowsDeleted: deleted,
    },
    'cleaning',
    now,
  );
}

/** Event statuses of work not finished: an event left behind in one arrives `pending`. */
const UNFINISHED_EVENT_STATUSES = new Set(['pending', 'queued', 'received']);

/**
 * What cleaning copies of the old shard's rows (where the new shard lacks them): cache values only
 * if written after the drain (an older one was copied, so its absence is a delete); events
 * not processed become `pending`, since the message that carried them may have been settled on the
 * new shard before the row arrived there, and the sweep sends a pending event again.
 */
function leftBehind<R extends { row: Record<string, unknown> }>(
  tableIndex: number,
  rows: readonly R[],
  since: string,
): R[] {
  const { table } = SHOP_TABLES[tableIndex]!;
  if (table === 'cache_entries') return rows.filter((r) => String(r.row['updated_at']) >= since);
  if (table !== 'events') return [...rows];
  return rows.map((r) =>
    UNFINISHED_EVENT_STATUSES.has(String(r.row['status'])) ? { ...r, row: { ...r.row, status: 'pending' } } : r,
  );
}

/** Rows into another shard, as many statements as one bound parameter's size needs, in one transaction. */
async function writeRows(
  db: D1Database,
  tableIndex: number,
  rows: readonly { row: Record<string, unknown> }[],
  overwrite: boolean,
): Promise<void> {
  const chunks = chunkBySize(
    rows.map((r) => r.row),
    (row) => JSON.stringify(row).length,
    ROWS_PARAM_MAX_CHARS,
  );
  await db.batch(chunks.map((chunk) => writeRowsStatement(db, tableIndex, chunk, overwrite)));
}

export const moveToApi = (m: MoveRecord) => ({
  id: m.id,
  shop_id: m.shopId,
  from_shard: m.fromShard,
  to_shard: m.toShard,
  phase: m.phase,
  rows_copied: m.rowsCopied,
  rows_deleted: m.rowsDeleted,
  error: m.error,
  phase_until: m.phaseUntil,
  created_at: m.createdAt,
  updated_at: m.updatedAt,
});
