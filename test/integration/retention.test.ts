import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { RETENTION_DELETE_BATCH_SIZE, RETENTION_MAX_BATCHES_PER_RUN } from '../../src/env';
import { runMaintenance } from '../../src/pipeline/maintenance';
import { deleteActionRunsFinishedBefore } from '../../src/tasks/runs-store';

/** Retention of task runs, action runs and deliveries (issue 13, point 5): rows are inserted as D1 holds them. */

const DAY_MS = 86_400_000;
const SHOP = 'shop-retention-test';
const settings = {
  EVENT_RETENTION_DAYS: '0',
  TASK_RUN_RETENTION_DAYS: '30',
  ACTION_RUN_RETENTION_DAYS: '14',
  DELIVERY_RETENTION_DAYS: '14',
};
const ago = (days: number, now: number) => new Date(now - days * DAY_MS).toISOString();

async function taskRun(status: string, finishedDaysAgo: number | null, now: number): Promise<string> {
  const id = crypto.randomUUID();
  const finished = finishedDaysAgo === null ? null : ago(finishedDaysAgo, now);
  const created = ago((finishedDaysAgo ?? 60) + 1, now);
  await env.DB.prepare(
    `INSERT INTO task_runs (id, shop_id, task_id, event_id, status, run_at, finished_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?6)`,
  )
    .bind(id, SHOP, crypto.randomUUID(), crypto.randomUUID(), status, created, finished)
    .run();
  return id;
}

async function actionRuns(runId: string, count: number, status: string, finishedDaysAgo: number | null, now: number) {
  const finished = finishedDaysAgo === null ? null : ago(finishedDaysAgo, now);
  // One statement for any count: positions from a recursive sequence.
  await env.DB.prepare(
    `WITH RECURSIVE seq (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < ?2)
     INSERT INTO action_runs (id, task_run_id, position, type, options, status, attempts, finished_at, created_at)
     SELECT lower(hex(randomblob(16))), ?1, (SELECT coalesce(max(position) + 1, 0) FROM action_runs WHERE task_run_id = ?1) + n,
            'echo', '1', ?3, 1, ?4, ?5 FROM seq`,
  )
    .bind(runId, count, status, finished, ago(60, now))
    .run();
}

async function delivery(status: string, finishedDaysAgo: number | null, now: number): Promise<string> {
  const id = crypto.randomUUID();
  const finished = finishedDaysAgo === null ? null : ago(finishedDaysAgo, now);
  await env.DB.batch([
    env.DB.prepare(
      `INSERT INTO deliveries (id, subscription_id, event_id, shop_id, app_id, address, topic, format, fields,
                               api_version, status, attempts, created_at, updated_at, finished_at)
       VALUES (?1, ?2, ?3, ?4, 'app', 'https://example.com/hook', 'user/a/b', 'json', '[]', '2025-10', ?5, 1, ?6, ?6, ?7)`,
    ).bind(id, Math.floor(Math.random() * 1e9), crypto.randomUUID(), SHOP, status, ago(60, now), finished),
    env.DB.prepare(
      `INSERT INTO delivery_attempts (delivery_id, attempt, started_at, status_code, duration_ms) VALUES (?1, 1, ?2, 200, 5)`,
    ).bind(id, ago(60, now)),
  ]);
  return id;
}

const count = async (sql: string, ...args: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...args)
    .first<{ n: number }>())!.n;
const runExists = (id: string) => count('SELECT count(*) AS n FROM task_runs WHERE id = ?1', id);
const actionsOf = (id: string) => count('SELECT count(*) AS n FROM action_runs WHERE task_run_id = ?1', id);
const deliveryRows = async (id: string) => [
  await count('SELECT count(*) AS n FROM deliveries WHERE id = ?1', id),
  await count('SELECT count(*) AS n FROM delivery_attempts WHERE delivery_id = ?1', id),
];

describe('cron retention: task runs, action runs, deliveries', () => {
  it('deletes finished task runs older than TASK_RUN_RETENTION_DAYS with their action runs, and nothing younger or unfinished', async () => {
    const now = Date.now();
    const oldSucceeded = await taskRun('succeeded', 31, now);
    await actionRuns(oldSucceeded, 3, 'succeeded', 31, now);
    const oldFailed = await taskRun('failed', 45, now);
    const young = await taskRun('succeeded', 29, now);
    await actionRuns(young, 2, 'succeeded', 13, now);
    const running = await taskRun('running', null, now);
    await actionRuns(running, 1, 'scheduled', null, now);
    const scheduled = await taskRun('scheduled', null, now);

    await runMaintenance({ ...env, ...settings }, now);

    expect([await runExists(oldSucceeded), await actionsOf(oldSucceeded)]).toEqual([0, 0]);
    expect(await runExists(oldFailed)).toBe(0);
    expect([await runExists(young), await actionsOf(young)]).toEqual([1, 2]);
    expect([await runExists(running), await actionsOf(running)]).toEqual([1, 1]);
    expect(await runExists(scheduled)).toBe(1);
  });

  it('deletes action runs finished before ACTION_RUN_RETENTION_DAYS even when their run is kept', async () => {
    const now = Date.now();
    const run = await taskRun('succeeded', 20, now);
    await actionRuns(run, 2, 'succeeded', 15, now);
    await actionRuns(run, 1, 'failed', 13, now);
    await runMaintenance({ ...env, ...settings }, now);
    expect(await runExists(run)).toBe(1);
    expect(await actionsOf(run)).toBe(1);
  });

  it('deletes finished deliveries older than DELIVERY_RETENTION_DAYS with their attempts; pending and younger ones stay', async () => {
    const now = Date.now();
    const oldSucceeded = await delivery('succeeded', 15, now);
    const oldFailed = await delivery('failed', 30, now);
    const young = await delivery('succeeded', 13, now);
    const pending = await delivery('pending', null, now);
    await runMaintenance({ ...env, ...settings }, now);
    expect(await deliveryRows(oldSucceeded)).toEqual([0, 0]);
    expect(await deliveryRows(oldFailed)).toEqual([0, 0]);
    expect(await deliveryRows(young)).toEqual([1, 1]);
    expect(await deliveryRows(pending)).toEqual([1, 1]);
  });

  it('keeps everything when the settings are 0', async () => {
    const now = Date.now();
    const run = await taskRun('succeeded', 400, now);
    await actionRuns(run, 1, 'succeeded', 400, now);
    const old = await delivery('failed', 400, now);
    const keep = { TASK_RUN_RETENTION_DAYS: '0', ACTION_RUN_RETENTION_DAYS: '0', DELIVERY_RETENTION_DAYS: '0' };
    await runMaintenance({ ...env, ...settings, ...keep }, now);
    expect([await runExists(run), await actionsOf(run)]).toEqual([1, 1]);
    expect(await deliveryRows(old)).toEqual([1, 1]);
  });

  it('prunes in bounded batches, oldest first: one cron run deletes at most its cap, the next goes on', async () => {
    const now = Date.now();
    const cap = RETENTION_DELETE_BATCH_SIZE * RETENTION_MAX_BATCHES_PER_RUN;
    const run = await taskRun('succeeded', 1, now);
    await actionRuns(run, cap + 1, 'succeeded', 20, now);
    // Rows other tests left past the cutoff count too: the cap is per run, whichever rows they are.
    const expired = () => count('SELECT count(*) AS n FROM action_runs WHERE finished_at < ?1', ago(14, now));
    const before = await expired();
    await runMaintenance({ ...env, ...settings }, now);
    expect(before - (await expired())).toBe(cap);
    await runMaintenance({ ...env, ...settings }, now);
    expect(await expired()).toBe(0);
    expect(await actionsOf(run)).toBe(0);

    const ordered = await taskRun('succeeded', 1, now);
    for (const days of [40, 30, 20]) await actionRuns(ordered, 1, 'succeeded', days, now);
    expect(await deleteActionRunsFinishedBefore(env.DB, ago(14, now), 2)).toBe(2);
    const left = await env.DB.prepare('SELECT finished_at FROM action_runs WHERE task_run_id = ?1')
      .bind(ordered)
      .all<{ finished_at: string }>();
    expect(left.results.map((r) => r.finished_at)).toEqual([ago(20, now)]);
  });
});
