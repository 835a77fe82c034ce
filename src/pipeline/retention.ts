import { RETENTION_DELETE_BATCH_SIZE, RETENTION_MAX_BATCHES_PER_RUN } from '../env';
import { deleteDeliveriesFinishedBefore } from '../delivery/store';
import { deleteActionRunsFinishedBefore, deleteTaskRunsFinishedBefore } from '../tasks/runs-store';

/**
 * Retention of the records an event leaves behind besides itself (docs/capacity.md): finished task
 * runs, action runs and deliveries older than their setting are deleted by the cron, oldest first,
 * in batches of RETENTION_DELETE_BATCH_SIZE rows — each batch its own short D1 call, so writers
 * get D1 between them — and at most RETENTION_MAX_BATCHES_PER_RUN batches per job per minute.
 * Nothing unfinished and nothing younger than the setting is touched.
 */

/** The cutoff for a `*_RETENTION_DAYS` setting, or null when it keeps everything (0, empty, not a number). */
export function retentionCutoff(setting: string | undefined, now: number): string | null {
  const days = Number(setting);
  if (!Number.isFinite(days) || days <= 0) return null;
  return new Date(now - days * 86_400_000).toISOString();
}

/** Runs a bounded delete until it comes back short or the per-run cap is reached; returns rows deleted. */
async function inBatches(remove: (limit: number) => Promise<number>): Promise<number> {
  let total = 0;
  for (let i = 0; i < RETENTION_MAX_BATCHES_PER_RUN; i++) {
    const deleted = await remove(RETENTION_DELETE_BATCH_SIZE);
    total += deleted;
    if (deleted < RETENTION_DELETE_BATCH_SIZE) break;
  }
  return total;
}

/** Deletes finished action runs older than ACTION_RUN_RETENTION_DAYS. */
export function pruneActionRuns(env: Env, now: number): Promise<number> {
  const cutoff = retentionCutoff(env.ACTION_RUN_RETENTION_DAYS, now);
  return cutoff === null ? Promise.resolve(0) : inBatches((n) => deleteActionRunsFinishedBefore(env.DB, cutoff, n));
}

/** Deletes finished task runs (and what is left of their action runs) older than TASK_RUN_RETENTION_DAYS. */
export function pruneTaskRuns(env: Env, now: number): Promise<number> {
  const cutoff = retentionCutoff(env.TASK_RUN_RETENTION_DAYS, now);
  return cutoff === null ? Promise.resolve(0) : inBatches((n) => deleteTaskRunsFinishedBefore(env.DB, cutoff, n));
}

/** Deletes finished deliveries and their attempts older than DELIVERY_RETENTION_DAYS. */
export function pruneDeliveries(env: Env, now: number): Promise<number> {
  const cutoff = retentionCutoff(env.DELIVERY_RETENTION_DAYS, now);
  return cutoff === null ? Promise.resolve(0) : inBatches((n) => deleteDeliveriesFinishedBefore(env.DB, cutoff, n));
}
