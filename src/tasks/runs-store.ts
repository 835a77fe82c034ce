import { parseExactJson } from '../json/exact';

/** Every SQL statement on `task_runs` and `action_runs`. */

export type RunStatus = 'scheduled' | 'running' | 'succeeded' | 'failed';

export interface TaskRunRecord {
  id: string;
  shopId: string;
  taskId: string;
  eventId: string;
  delaySeconds: number;
  status: RunStatus;
  wake: 'queue' | 'cron';
  runAt: string;
  attempts: number;
  logs: unknown[];
  errors: unknown[];
  error: string | null;
  renderedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface TaskRunRow {
  id: string;
  shop_id: string;
  task_id: string;
  event_id: string;
  delay_seconds: number;
  status: RunStatus;
  wake: 'queue' | 'cron';
  run_at: string;
  attempts: number;
  logs: string;
  errors: string;
  error: string | null;
  rendered_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
  updated_at: string;
}

const RUN_COLUMNS =
  'id, shop_id, task_id, event_id, delay_seconds, status, wake, run_at, attempts, logs, errors, error, ' +
  'rendered_at, started_at, finished_at, created_at, updated_at';

const toRun = (row: TaskRunRow): TaskRunRecord => ({
  id: row.id,
  shopId: row.shop_id,
  taskId: row.task_id,
  eventId: row.event_id,
  delaySeconds: row.delay_seconds,
  status: row.status,
  wake: row.wake,
  runAt: row.run_at,
  attempts: row.attempts,
  logs: parseExactJson(row.logs) as unknown[],
  errors: parseExactJson(row.errors) as unknown[],
  error: row.error,
  renderedAt: row.rendered_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export interface NewTaskRun {
  id: string;
  shopId: string;
  taskId: string;
  eventId: string;
  delaySeconds: number;
  runAt: string;
  wake: 'queue' | 'cron';
}

/**
 * Creates the runs of a batch in one transaction, idempotent on (event, task, delay). A run due
 * now is created `running` (claimed by this call); a delayed one `scheduled`. An existing run that
 * has not finished is returned claimed again (a redelivered event resumes it); a finished one is
 * not returned.
 */
export async function createTaskRuns(
  db: D1Database,
  runs: readonly NewTaskRun[],
  now: string,
): Promise<TaskRunRecord[]> {
  if (runs.length === 0) return [];
  // One statement for the whole batch: the runs travel as JSON rows.
  const rows = JSON.stringify(runs.map((r) => [r.id, r.shopId, r.taskId, r.eventId, r.delaySeconds, r.wake, r.runAt]));
  const { results } = await db
    .prepare(
      `INSERT INTO task_runs (id, shop_id, task_id, event_id, delay_seconds, status, wake, run_at,
                              attempts, started_at, created_at, updated_at)
       SELECT j.id, j.shop_id, j.task_id, j.event_id, j.delay, CASE WHEN j.delay = 0 THEN 'running' ELSE 'scheduled' END,
              j.wake, j.run_at, CASE WHEN j.delay = 0 THEN 1 ELSE 0 END, CASE WHEN j.delay = 0 THEN ?2 END, ?2, ?2
       FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS shop_id,
                    json_extract(value, '$[2]') AS task_id, json_extract(value, '$[3]') AS event_id,
                    json_extract(value, '$[4]') AS delay, json_extract(value, '$[5]') AS wake,
                    json_extract(value, '$[6]') AS run_at
             FROM json_each(?1)) AS j
       WHERE true
       ON CONFLICT (event_id, task_id, delay_seconds) DO UPDATE SET
         status = CASE WHEN task_runs.delay_seconds = 0 THEN 'running' ELSE task_runs.status END,
         attempts = task_runs.attempts + (task_runs.delay_seconds = 0),
         updated_at = excluded.updated_at
       WHERE task_runs.status IN ('scheduled', 'running')
       RETURNING ${RUN_COLUMNS}`,
    )
    .bind(rows, now)
    .all<TaskRunRow>();
  return results.map(toRun);
}

/**
 * Claims a due run for execution: scheduled → running (or, for a redelivered message, a run left
 * running by a crash). Null when another message already took it or it is finished.
 */
export async function claimTaskRun(
  db: D1Database,
  id: string,
  now: string,
  resumeRunning: boolean,
): Promise<TaskRunRecord | null> {
  const row = await db
    .prepare(
      `UPDATE task_runs SET status = 'running', attempts = attempts + 1,
              started_at = coalesce(started_at, ?2), updated_at = ?2
       WHERE id = ?1 AND (status = 'scheduled' OR (?3 = 1 AND status = 'running'))
       RETURNING ${RUN_COLUMNS}`,
    )
    .bind(id, now, resumeRunning ? 1 : 0)
    .first<TaskRunRow>();
  return row && toRun(row);
}

/** Sets how a scheduled run will be woken (after a queue send failed: by the cron sweep). */
export async function setTaskRunWake(db: D1Database, ids: readonly string[], wake: 'queue' | 'cron'): Promise<void> {
  if (ids.length === 0) return;
  await db
    .prepare(`UPDATE task_runs SET wake = ?2 WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'scheduled'`)
    .bind(JSON.stringify(ids), wake)
    .run();
}

/** Scheduled runs due by `now` that only the cron sweep will wake (task_runs_cron_due). */
export async function listCronDueTaskRunIds(
  db: D1Database,
  now: string,
  limit: number,
): Promise<{ id: string; shopId: string }[]> {
  const { results } = await db
    .prepare(
      `SELECT id, shop_id FROM task_runs WHERE status = 'scheduled' AND wake = 'cron' AND run_at <= ?1
       ORDER BY run_at LIMIT ?2`,
    )
    .bind(now, limit)
    .all<{ id: string; shop_id: string }>();
  return results.map((r) => ({ id: r.id, shopId: r.shop_id }));
}

/** A run's end: status, logs and errors from rendering, and the reason when it failed. */
export interface TaskRunFinish {
  status: 'succeeded' | 'failed';
  logs: unknown[];
  errors: unknown[];
  error: string | null;
}

export function finishTaskRunStatement(
  db: D1Database,
  id: string,
  finish: TaskRunFinish,
  now: string,
): D1PreparedStatement {
  return db
    .prepare(
      `UPDATE task_runs SET status = ?2, logs = ?3, errors = ?4, error = ?5, finished_at = ?6, updated_at = ?6
       WHERE id = ?1`,
    )
    .bind(id, finish.status, JSON.stringify(finish.logs), JSON.stringify(finish.errors), finish.error, now);
}

/** Puts a run back to `scheduled` until `runAt` (an action waits for its retry). */
export function rescheduleTaskRunStatement(
  db: D1Database,
  id: string,
  runAt: string,
  wake: 'queue' | 'cron',
  now: string,
): D1PreparedStatement {
  return db
    .prepare(`UPDATE task_runs SET status = 'scheduled', run_at = ?2, wake = ?3, updated_at = ?4 WHERE id = ?1`)
    .bind(id, runAt, wake, now);
}

/** The runs of an event, oldest first (task_runs_event_created). */
export async function listEventTaskRuns(db: D1Database, shopId: string, eventId: string): Promise<TaskRunRecord[]> {
  const { results } = await db
    .prepare(`SELECT ${RUN_COLUMNS} FROM task_runs WHERE event_id = ?1 AND shop_id = ?2 ORDER BY created_at, id`)
    .bind(eventId, shopId)
    .all<TaskRunRow>();
  return results.map(toRun);
}

// ── action_runs ─────────────────────────────────────────────────────────────────────────────

export interface ActionRunRecord {
  id: string;
  taskRunId: string;
  position: number;
  type: string;
  options: unknown;
  meta: unknown;
  status: RunStatus;
  attempts: number;
  result: unknown;
  error: string | null;
  nextAttemptAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

interface ActionRunRow {
  id: string;
  task_run_id: string;
  position: number;
  type: string;
  options: string;
  meta: string | null;
  status: RunStatus;
  attempts: number;
  result: string | null;
  error: string | null;
  next_attempt_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  created_at: string;
}

const ACTION_COLUMNS =
  'id, task_run_id, position, type, options, meta, status, attempts, result, error, next_attempt_at, ' +
  'started_at, finished_at, created_at';

/** The first six `action_runs` columns as stored: id, run, position, type, options and meta JSON. */
function actionRunHead(r: Pick<ActionRunInsert, 'id' | 'taskRunId' | 'position' | 'type' | 'options' | 'meta'>) {
  const meta = r.meta === null || r.meta === undefined ? null : JSON.stringify(r.meta);
  return [r.id, r.taskRunId, r.position, r.type, JSON.stringify(r.options), meta] as const;
}

const toActionRun = (row: ActionRunRow): ActionRunRecord => ({
  id: row.id,
  taskRunId: row.task_run_id,
  position: row.position,
  type: row.type,
  options: parseExactJson(row.options),
  meta: row.meta === null ? null : parseExactJson(row.meta),
  status: row.status,
  attempts: row.attempts,
  result: row.result === null ? null : parseExactJson(row.result),
  error: row.error,
  nextAttemptAt: row.next_attempt_at,
  startedAt: row.started_at,
  finishedAt: row.finished_at,
  createdAt: row.created_at,
});

export async function listActionRuns(db: D1Database, taskRunIds: readonly string[]): Promise<ActionRunRecord[]> {
  if (taskRunIds.length === 0) return [];
  const { results } = await db
    .prepare(
      `SELECT ${ACTION_COLUMNS} FROM action_runs WHERE task_run_id IN (SELECT value FROM json_each(?1))
       ORDER BY task_run_id, position`,
    )
    .bind(JSON.stringify(taskRunIds))
    .all<ActionRunRow>();
  return results.map(toActionRun);
}

/** How an attempt at an action ended. */
export type ActionAttempt =
  | { status: 'succeeded'; result: unknown }
  /** `result`: what the upstream answered, when a failed action has one (a `shopify` answer). */
  | { status: 'failed'; error: string; result?: unknown }
  | { status: 'scheduled'; error: string; nextAttemptAt: string };

export function recordActionAttemptStatement(
  db: D1Database,
  id: string,
  attempt: ActionAttempt,
  startedAt: string,
  now: string,
): D1PreparedStatement {
  const finished = attempt.status === 'scheduled' ? null : now;
  return db
    .prepare(
      `UPDATE action_runs SET status = ?2, attempts = attempts + 1, result = ?3, error = ?4,
              next_attempt_at = ?5, started_at = coalesce(started_at, ?6), finished_at = ?7
       WHERE id = ?1`,
    )
    .bind(
      id,
      attempt.status,
      attempt.status === 'succeeded' || (attempt.status === 'failed' && attempt.result !== undefined)
        ? JSON.stringify(attempt.result ?? null)
        : null,
      attempt.status === 'succeeded' ? null : attempt.error,
      attempt.status === 'scheduled' ? attempt.nextAttemptAt : null,
      startedAt,
      finished,
    );
}

/** Runs a set of statements in one transaction. */
export async function runTogether(db: D1Database, statements: D1PreparedStatement[]): Promise<void> {
  if (statements.length > 0) await db.batch(statements);
}

/** Fails a run the queue gave up on; true when it was still unfinished (false: nothing changed). */
export async function failAbandonedTaskRun(db: D1Database, id: string, error: string, now: string): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE task_runs SET status = 'failed', error = ?2, finished_at = ?3, updated_at = ?3
       WHERE id = ?1 AND status IN ('scheduled', 'running')`,
    )
    .bind(id, error, now)
    .run();
  return result.meta.changes > 0;
}

// ── set-based recording (a consumer batch's runs in one transaction) ─────────────────────────

/** An action run written whole: its outcome already known when the batch commits. */
export interface ActionRunInsert {
  id: string;
  taskRunId: string;
  position: number;
  type: string;
  options: unknown;
  meta: unknown;
  status: RunStatus;
  /** 1 when performed in this transaction, 0 when left for later. */
  attempts: number;
  result: unknown;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

/**
 * Inserts many action runs with one statement (rows travel as one JSON parameter), so the number
 * of statements in a batch does not grow with the actions its runs asked for.
 */
export function insertActionRunsStatement(db: D1Database, rows: readonly ActionRunInsert[]): D1PreparedStatement {
  const json = JSON.stringify(
    rows.map((r) => [
      ...actionRunHead(r),
      r.status,
      r.attempts,
      r.status === 'succeeded' ? JSON.stringify(r.result ?? null) : null,
      r.error,
      r.startedAt,
      r.finishedAt,
      r.createdAt,
    ]),
  );
  const col = (i: number) => `json_extract(value, '$[${i}]')`;
  return db
    .prepare(
      `INSERT INTO action_runs (${ACTION_COLUMNS.replace('next_attempt_at, ', '')})
       SELECT ${[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(col).join(', ')} FROM json_each(?1) WHERE true
       ON CONFLICT (task_run_id, position) DO NOTHING`,
    )
    .bind(json);
}

/**
 * Records counter actions (incr, decr, …) on one key, performed together by the statement just
 * before it in the same transaction (their deltas summed into one upsert). Each action's result is
 * the value it would have left had they run one after another: the entry's value now minus the
 * deltas of the actions after it (`suffix`). When the live value was not an integer (so the
 * upsert changed nothing), they all fail with `notIntegerError`.
 */
export function insertCounterActionRunsStatement(
  db: D1Database,
  rows: readonly { row: Omit<ActionRunInsert, 'status' | 'result' | 'error' | 'attempts'>; suffix: number }[],
  cache: { shopId: string; key: string; now: string },
  notIntegerError: string,
): D1PreparedStatement {
  const json = JSON.stringify(
    rows.map(({ row: r, suffix }) => [...actionRunHead(r), r.startedAt, r.finishedAt, r.createdAt, suffix]),
  );
  const col = (i: number) => `json_extract(j.value, '$[${i}]')`;
  return db
    .prepare(
      `INSERT INTO action_runs (${ACTION_COLUMNS.replace('next_attempt_at, ', '')})
       SELECT ${[0, 1, 2, 3, 4, 5].map(col).join(', ')},
              CASE WHEN c.t = 'integer' THEN 'succeeded' ELSE 'failed' END, 1,
              CASE WHEN c.t = 'integer' THEN CAST(CAST(c.v AS INTEGER) - ${col(9)} AS TEXT) END,
              CASE WHEN c.t = 'integer' THEN NULL ELSE ?2 END,
              ${[6, 7, 8].map(col).join(', ')}
       FROM json_each(?1) AS j,
            (SELECT json_type(value) AS t, value AS v FROM cache_entries
             WHERE shop_id = ?3 AND key = ?4 AND expires_at > ?5
             UNION ALL SELECT NULL, NULL LIMIT 1) AS c
       WHERE true
       ON CONFLICT (task_run_id, position) DO NOTHING`,
    )
    .bind(json, notIntegerError, cache.shopId, cache.key, cache.now);
}

/** A rendered run's record: its logs and, when `total` is set, its end after that many actions. */
export interface RenderedRun {
  id: string;
  logs: unknown[];
  total: number | null;
}

/**
 * Records many runs' renderings (logs, rendered_at) with one statement. A run with `total` also
 * ends: succeeded when none of its action runs failed, else failed with how many did — counted in
 * SQL, since a counter's outcome is only known inside the transaction.
 */
export function recordRenderedRunsStatement(
  db: D1Database,
  runs: readonly RenderedRun[],
  now: string,
): D1PreparedStatement {
  const rows = JSON.stringify(runs.map((r) => [r.id, JSON.stringify(r.logs), r.total === null ? 0 : 1, r.total ?? 0]));
  const failures = `(SELECT count(*) FROM action_runs a WHERE a.task_run_id = task_runs.id AND a.status = 'failed')`;
  return db
    .prepare(
      `UPDATE task_runs SET rendered_at = ?2, logs = j.logs, updated_at = ?2,
         status = CASE WHEN j.fin = 0 THEN task_runs.status
                       WHEN ${failures} = 0 THEN 'succeeded' ELSE 'failed' END,
         error = CASE WHEN j.fin = 0 THEN task_runs.error
                      WHEN ${failures} = 0 THEN NULL
                      ELSE ${failures} || ' of ' || j.total || ' actions failed.' END,
         finished_at = CASE WHEN j.fin = 0 THEN task_runs.finished_at ELSE ?2 END
       FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS logs,
                    json_extract(value, '$[2]') AS fin, json_extract(value, '$[3]') AS total
             FROM json_each(?1)) AS j
       WHERE task_runs.id = j.id`,
    )
    .bind(rows, now);
}

/** Runs statements in one transaction and returns each one's result. */
export async function runTransaction(db: D1Database, statements: D1PreparedStatement[]): Promise<D1Result[]> {
  return statements.length === 0 ? [] : db.batch(statements);
}

// ── retention ─────────────────────────────────────────────────────────────────────────────────

/** Deletes up to `limit` action runs that finished before `cutoff`, oldest first; returns how many. */
export async function deleteActionRunsFinishedBefore(db: D1Database, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM action_runs WHERE id IN (
         SELECT id FROM action_runs WHERE finished_at IS NOT NULL AND finished_at < ?1
         ORDER BY finished_at LIMIT ?2)`,
    )
    .bind(cutoff, limit)
    .run();
  return result.meta.changes;
}

/**
 * Deletes up to `limit` task runs that finished before `cutoff`, oldest first, with their action
 * runs (at most `limit` of those per call too, so a run with many actions may take several calls;
 * the run itself goes once none is left). Returns how many runs and action runs went.
 */
export async function deleteTaskRunsFinishedBefore(db: D1Database, cutoff: string, limit: number): Promise<number> {
  const [actions, runs] = await db.batch([
    db
      .prepare(
        `DELETE FROM action_runs WHERE id IN (
           SELECT a.id FROM task_runs r JOIN action_runs a ON a.task_run_id = r.id
           WHERE r.finished_at IS NOT NULL AND r.finished_at < ?1
           ORDER BY r.finished_at LIMIT ?2)`,
      )
      .bind(cutoff, limit),
    db
      .prepare(
        `DELETE FROM task_runs WHERE id IN (
           SELECT r.id FROM task_runs r
           WHERE r.finished_at IS NOT NULL AND r.finished_at < ?1
             AND NOT EXISTS (SELECT 1 FROM action_runs a WHERE a.task_run_id = r.id)
           ORDER BY r.finished_at LIMIT ?2)`,
      )
      .bind(cutoff, limit),
  ]);
  return actions!.meta.changes + runs!.meta.changes;
}
