import { cacheWriteStatement, counterNotIntegerMessage, type CacheWrite } from '../cache/cache';
import { afterCacheCommit, type CacheKeyRef } from '../cache/copies';
import { liveCacheEntriesOf, liveCacheEntriesStatement, type CacheEntryRecord } from '../cache/store';
import { D1_BATCH_MAX_STATEMENTS, ROWS_PARAM_MAX_CHARS } from '../env';
import { chunkBySize } from '../chunks';
import { insertPendingEventStatement } from '../events/store';
import { describeError, errorText, log } from '../log';
import type { EventEnvelope } from '../queue/messages';
import { sendEventMessagesSettled } from '../queue/producer';
import { nowIso } from '../time';
import { followUpContext, sendFollowUps } from './follow-ups';
import { runFollowUpsStatement } from './follow-ups-store';
import {
  finishTaskRunStatement,
  insertActionRunsStatement,
  insertCounterActionRunsStatement,
  recordRenderedRunsStatement,
  runTransaction,
  type ActionRunInsert,
  type RenderedRun,
  type TaskRunRecord,
} from './runs-store';

/**
 * The write half of set-based task runs (tasks/batch.ts plans them): child events out with as few
 * `sendBatch` calls as the queue allows, then every run of the batch committed to D1 together.
 */

/** Everything one run puts into the batch's transaction. */
/** One cache write of a run; counters carry their action's record, written with the result. */
export interface CacheOp {
  write: CacheWrite;
  counterRow: Omit<ActionRunInsert, 'status' | 'result' | 'error' | 'attempts'> | null;
}

export interface RunPlan {
  run: TaskRunRecord;
  /** Statements that must run in the transaction before the records (pending child events). */
  ordered: D1PreparedStatement[];
  /** The run's cache writes in order; a counter carries the record of its action. */
  cacheOps: CacheOp[];
  /** Action runs whose outcome is known before the transaction. */
  rows: ActionRunInsert[];
  /** The run's end when it performed no action (failed rendering, nothing asked), else null. */
  finish: D1PreparedStatement | null;
  /** The run's rendering record (and, unless actions remain, its end), when it asked for actions. */
  rendered: RenderedRun | null;
  touched: CacheKeyRef[];
  children: { event: EventEnvelope; delaySeconds: number }[];
  /** Actions remain for the one-at-a-time path: the event's depth (for `event` actions) and the logs. */
  remainder: { depth: number | undefined; logs: unknown[] } | null;
}

/**
 * Sends the child events of every plan with as few `sendBatch` calls as the queue's limits allow,
 * before the transaction records them as made. A chunk the queue refused is stored `pending` in
 * that transaction instead, for the cron sweep (as ingress does when the queue is down).
 */
export async function sendChildren(env: Env, plans: RunPlan[]): Promise<void> {
  const all = plans.flatMap((p) => p.children.map((c) => ({ plan: p, ...c })));
  const refused = await sendEventMessagesSettled(env, all, ({ event, delaySeconds }) => ({
    body: { kind: 'event', event },
    delaySeconds,
  }));
  for (const { items, error } of refused) {
    log.warn('child events not queued; storing them as pending', { count: items.length, ...describeError(error) });
    for (const { plan, event } of items) plan.ordered.push(insertPendingEventStatement(env.DB, event));
  }
}

/**
 * The one place where a consumer batch's task runs and cache writes are committed to D1: whole
 * runs in transactions of at most D1_BATCH_MAX_STATEMENTS statements (one for a batch of 100
 * one-action runs). A transaction that fails is retried run by run, so one bad run cannot hold
 * back the rest; runs that still fail have their events retried. Right after the commit,
 * `afterCacheCommit` copies the cache keys written to KV. Returns the plans committed and the
 * event ids of runs that could not be recorded (their messages are retried).
 */
export async function commitRunPlans(
  env: Env,
  plans: readonly RunPlan[],
): Promise<{ committed: RunPlan[]; failed: string[] }> {
  const committed: RunPlan[] = [];
  const failed: string[] = [];
  const live = new Map<string, { ref: CacheKeyRef; entry: CacheEntryRecord | null }>();
  const commit = async (group: RunPlan[]) => {
    const touched = group.flatMap((p) => p.touched);
    const context = await followUpContext(
      env,
      group.map((p) => p.run.shopId),
    );
    const statements = [
      ...cacheStatements(
        env.DB,
        group.flatMap((p) => p.cacheOps),
      ),
      ...group.flatMap((p) => p.ordered),
      ...rowsStatements(
        env.DB,
        group.flatMap((p) => p.rows),
      ),
      ...group.flatMap((p) => (p.finish ? [p.finish] : [])),
      ...renderedStatements(
        env.DB,
        group.flatMap((p) => (p.rendered ? [p.rendered] : [])),
        nowIso(),
      ),
      // Follow-up and error events of what this transaction finished (tasks/follow-ups.ts).
      runFollowUpsStatement(
        env.DB,
        context,
        group.flatMap((p) => [
          ...p.rows.filter((r) => r.status !== 'scheduled').map((r) => r.id),
          ...p.cacheOps.flatMap((op) => (op.counterRow ? [op.counterRow.id] : [])),
        ]),
        group.flatMap((p) => (p.finish || p.rendered?.total != null ? [p.run.id] : [])),
        nowIso(),
      ),
    ];
    const followUps = statements.length - 1;
    if (touched.length > 0) {
      statements.push(
        liveCacheEntriesStatement(
          env.DB,
          touched.map((t) => [t.shopId, t.key] as const),
          nowIso(),
        ),
      );
    }
    const results = await runTransaction(env.DB, statements);
    await sendFollowUps(env, results[followUps]);
    const entries = touched.length > 0 ? liveCacheEntriesOf(results.at(-1)!) : [];
    const byId = new Map(entries.map((e) => [`${e.shopId}\n${e.key}`, e]));
    for (const ref of touched) {
      const id = `${ref.shopId}\n${ref.key}`;
      live.set(id, { ref, entry: byId.get(id) ?? null });
    }
    committed.push(...group);
  };
  for (const group of groupsOfStatements(plans)) {
    try {
      await commit(group);
    } catch (err) {
      if (group.length === 1) {
        if (await failForItsOwnData(env, group[0]!, err)) continue;
        log.error('task run could not be recorded; retrying its event', {
          runId: group[0]!.run.id,
          ...describeError(err),
        });
        failed.push(group[0]!.run.eventId);
        continue;
      }
      log.warn('batch of task runs could not be recorded; recording them one by one', {
        count: group.length,
        ...describeError(err),
      });
      for (const plan of group) {
        try {
          await commit([plan]);
        } catch (e) {
          if (await failForItsOwnData(env, plan, e)) continue;
          log.error('task run could not be recorded; retrying its event', { runId: plan.run.id, ...describeError(e) });
          failed.push(plan.run.eventId);
        }
      }
    }
  }
  const values = [...live.values()];
  await afterCacheCommit(
    env,
    values.map((v) => v.ref),
    values.flatMap((v) => (v.entry ? [v.entry] : [])),
  );
  return { committed, failed };
}

/**
 * D1's answers to a statement that can never succeed, whenever it is retried: a value over its
 * size limits, a type or constraint it breaks. Anything else (an outage, an overload) is transient.
 */
const PERMANENT_D1_ERROR = /SQLITE_TOOBIG|SQLITE_CONSTRAINT|SQLITE_MISMATCH|too big|too many SQL variables/i;

/**
 * A run whose own records D1 refuses for good is finished as failed with the reason, alone, so
 * its event is not retried for nothing and no other run waits on it. True when that was recorded.
 */
async function failForItsOwnData(env: Env, plan: RunPlan, err: unknown): Promise<boolean> {
  if (!PERMANENT_D1_ERROR.test(errorText(err))) return false;
  const db = env.DB;
  const error = `The run's results could not be stored: ${errorText(err)}`;
  try {
    const now = nowIso();
    const context = await followUpContext(env, [plan.run.shopId]);
    await runTransaction(db, [
      finishTaskRunStatement(db, plan.run.id, { status: 'failed', logs: [], errors: [], error }, now),
      // Its `edgehook/errors/task` event, if any, waits for the cron sweep (rare path).
      runFollowUpsStatement(db, context, [], [plan.run.id], now),
    ]);
  } catch (e) {
    log.error('failed task run could not be recorded either', { runId: plan.run.id, ...describeError(e) });
    return false;
  }
  log.warn('task run failed alone: its records were refused', { runId: plan.run.id, ...describeError(err) });
  return true;
}

/** Known action runs as few bulk inserts as the size of one bound parameter allows. */
function rowsStatements(db: D1Database, rows: readonly ActionRunInsert[]): D1PreparedStatement[] {
  // Options dominate a row's size; results of `echo` and `event` are the options or an id.
  return chunkBySize(rows, (row) => 2 * JSON.stringify(row.options ?? null).length + 512, ROWS_PARAM_MAX_CHARS).map(
    (chunk) => insertActionRunsStatement(db, chunk),
  );
}

/**
 * The cache writes of a group of runs, in order, with consecutive counter commands on one key (no
 * `set` or `del` of that key between them) summed into one upsert followed by one bulk record of
 * their actions — the same values and results as one statement per command, since nothing else
 * reads or writes the key between them inside the transaction.
 */
function cacheStatements(db: D1Database, ops: readonly CacheOp[]): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const counters = new Map<
    string,
    { write: CacheWrite & { kind: 'add' }; ops: { row: NonNullable<CacheOp['counterRow']>; delta: number }[] }
  >();
  const flush = (id: string) => {
    const group = counters.get(id);
    if (group === undefined) return;
    counters.delete(id);
    const total = group.ops.reduce((sum, op) => sum + op.delta, 0);
    statements.push(cacheWriteStatement(db, { ...group.write, delta: total }));
    let suffix = total;
    const rows = group.ops.map(({ row, delta }) => ({ row, suffix: (suffix -= delta) }));
    const { shopId, key, now } = group.write;
    statements.push(insertCounterActionRunsStatement(db, rows, { shopId, key, now }, counterNotIntegerMessage(key)));
  };
  for (const { write, counterRow } of ops) {
    const key = write.kind === 'set' ? write.entry.key : write.key;
    const shopId = write.kind === 'set' ? write.entry.shopId : write.shopId;
    const id = `${shopId}\n${key}`;
    if (write.kind === 'add' && counterRow !== null) {
      const group = counters.get(id) ?? { write, ops: [] };
      // The last command's TTL is the one the entry keeps, as if they ran one after another.
      group.write = { ...write, delta: 0 };
      group.ops.push({ row: counterRow, delta: write.delta });
      counters.set(id, group);
    } else {
      flush(id);
      statements.push(cacheWriteStatement(db, write));
    }
  }
  for (const id of [...counters.keys()]) flush(id);
  return statements;
}

/** Rendering records as few bulk updates as the size of one bound parameter allows. */
function renderedStatements(db: D1Database, runs: readonly RenderedRun[], now: string): D1PreparedStatement[] {
  return chunkBySize(runs, (run) => 2 * JSON.stringify(run.logs).length + 128, ROWS_PARAM_MAX_CHARS).map((chunk) =>
    recordRenderedRunsStatement(db, chunk, now),
  );
}

/**
 * Statements a group's transaction holds besides its runs' own: the bulk insert of known action
 * runs, the bulk rendering records, the follow-up events, the read of the keys written.
 */
const GROUP_FIXED_STATEMENTS = 4;

/** Consecutive runs grouped so each group's transaction stays within D1_BATCH_MAX_STATEMENTS. */
function groupsOfStatements(plans: readonly RunPlan[]): RunPlan[][] {
  return chunkBySize(
    plans,
    (plan) => plan.ordered.length + 2 * plan.cacheOps.length + 1,
    D1_BATCH_MAX_STATEMENTS - GROUP_FIXED_STATEMENTS,
  );
}
