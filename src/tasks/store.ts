import { selectPageAfter } from '../page-store';
import type { Cursor } from '../http/pagination';
import type { Subscription } from './task-subscriptions';

/** Every SQL statement on `tasks` and `task_subscriptions` (runs and action runs: runs-store.ts). */

export interface TaskRecord {
  id: string;
  shopId: string;
  name: string;
  subscriptions: string;
  script: string;
  /** JSON text of the options object. */
  optionsJson: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface TaskRow {
  id: string;
  shop_id: string;
  name: string;
  subscriptions: string;
  script: string;
  options: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

const TASK_COLUMNS = 'id, shop_id, name, subscriptions, script, options, enabled, created_at, updated_at';
const TASK_COLUMNS_T = TASK_COLUMNS.split(', ')
  .map((c) => `t.${c}`)
  .join(', ');

const toTask = (row: TaskRow): TaskRecord => ({
  id: row.id,
  shopId: row.shop_id,
  name: row.name,
  subscriptions: row.subscriptions,
  script: row.script,
  optionsJson: row.options,
  enabled: row.enabled === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

function subscriptionStatements(db: D1Database, task: TaskRecord, subs: readonly Subscription[]) {
  return [
    db.prepare(`DELETE FROM task_subscriptions WHERE task_id = ?1`).bind(task.id),
    ...subs.map((s) =>
      db
        .prepare(`INSERT INTO task_subscriptions (task_id, shop_id, topic, delay_seconds) VALUES (?1, ?2, ?3, ?4)`)
        .bind(task.id, task.shopId, s.topic, s.delaySeconds),
    ),
  ];
}

/** Inserts a task and its parsed subscriptions in one transaction. */
export async function insertTask(db: D1Database, task: TaskRecord, subs: readonly Subscription[]): Promise<void> {
  await db.batch([
    db
      .prepare(`INSERT INTO tasks (${TASK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)`)
      .bind(
        task.id,
        task.shopId,
        task.name,
        task.subscriptions,
        task.script,
        task.optionsJson,
        task.enabled ? 1 : 0,
        task.createdAt,
        task.updatedAt,
      ),
    ...subscriptionStatements(db, task, subs),
  ]);
}

/** Writes a task's mutable fields and replaces its subscriptions in one transaction. */
export async function updateTask(db: D1Database, task: TaskRecord, subs: readonly Subscription[]): Promise<void> {
  await db.batch([
    db
      .prepare(
        `UPDATE tasks SET name = ?3, subscriptions = ?4, script = ?5, options = ?6, enabled = ?7,
                          updated_at = ?8
         WHERE id = ?1 AND shop_id = ?2`,
      )
      .bind(
        task.id,
        task.shopId,
        task.name,
        task.subscriptions,
        task.script,
        task.optionsJson,
        task.enabled ? 1 : 0,
        task.updatedAt,
      ),
    ...subscriptionStatements(db, task, subs),
  ]);
}

export async function findShopTask(db: D1Database, shopId: string, id: string): Promise<TaskRecord | null> {
  const row = await db
    .prepare(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?1 AND shop_id = ?2`)
    .bind(id, shopId)
    .first<TaskRow>();
  return row && toTask(row);
}

export async function findTask(db: D1Database, id: string): Promise<TaskRecord | null> {
  const row = await db.prepare(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?1`).bind(id).first<TaskRow>();
  return row && toTask(row);
}

export async function listShopTasks(
  db: D1Database,
  shopId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<TaskRecord[]> {
  const rows = await selectPageAfter<TaskRow>(db, { table: 'tasks', columns: TASK_COLUMNS, shopId, limit, cursor });
  return rows.map(toTask);
}

export async function deleteTask(db: D1Database, shopId: string, id: string): Promise<boolean> {
  const result = await db.prepare(`DELETE FROM tasks WHERE id = ?1 AND shop_id = ?2`).bind(id, shopId).run();
  return result.meta.changes > 0;
}

/** An enabled task subscribed to a (shop, topic), with the delay of that subscription. */
export interface SubscribedTask {
  task: TaskRecord;
  topic: string;
  delaySeconds: number;
}

/**
 * Enabled tasks subscribed to any of the (shop, topic) pairs, via task_subscriptions_shop_topic:
 * a statement, so the consumer reads them in one batch with its other lookups.
 */
export function subscribedTasksStatement(
  db: D1Database,
  pairs: readonly (readonly [string, string])[],
): D1PreparedStatement {
  return db
    .prepare(
      `SELECT ${TASK_COLUMNS_T}, s.topic AS sub_topic, s.delay_seconds AS sub_delay
       FROM task_subscriptions s JOIN tasks t ON t.id = s.task_id
       WHERE t.enabled = 1 AND (s.shop_id, s.topic) IN (
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))
       ORDER BY t.created_at, t.id`,
    )
    .bind(JSON.stringify(pairs));
}

/**
 * SQL that is true when an enabled task of the shop is subscribed to the topic: the condition of
 * `subscribedTasksStatement`, asked of one (shop, topic) given as SQL expressions.
 */
export const enabledTaskSubscribedSql = (shopExpr: string, topicExpr: string): string =>
  `EXISTS (SELECT 1 FROM task_subscriptions s JOIN tasks t ON t.id = s.task_id
           WHERE t.enabled = 1 AND s.shop_id = ${shopExpr} AND s.topic = ${topicExpr})`;

/** Reads the rows of `subscribedTasksStatement`'s result. */
export function subscribedTasksOf(result: D1Result<unknown>): SubscribedTask[] {
  return (result.results as (TaskRow & { sub_topic: string; sub_delay: number })[]).map((row) => ({
    task: toTask(row),
    topic: row.sub_topic,
    delaySeconds: row.sub_delay,
  }));
}

// ── task_runs ───────────────────────────────────────────────────────────────────────────────
