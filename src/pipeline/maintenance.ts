import { deleteExpiredEvents, sweepPendingEvents } from './events-sweep';
import { deleteExpiredCache } from './cache-sweep';
import { describeError, log } from '../log';
import { pruneActionRuns, pruneDeliveries, pruneTaskRuns } from './retention';
import { sweepDueTaskRuns } from './task-runs-sweep';
import { emitSchedulerEvents } from '../tasks/scheduler';

/**
 * The cron job (every minute). Each task runs on its own, so one failing never skips the others;
 * each is bounded per run and picks up where it left off next minute.
 */
export async function runMaintenance(env: Env, now: number): Promise<void> {
  const jobs: Record<string, () => Promise<number>> = {
    sweepPendingEvents: () => sweepPendingEvents(env),
    deleteExpiredEvents: () => deleteExpiredEvents(env, now),
    sweepDueTaskRuns: () => sweepDueTaskRuns(env, now),
    emitSchedulerEvents: () => emitSchedulerEvents(env, now),
    deleteExpiredCache: () => deleteExpiredCache(env, now),
    pruneActionRuns: () => pruneActionRuns(env, now),
    pruneTaskRuns: () => pruneTaskRuns(env, now),
    pruneDeliveries: () => pruneDeliveries(env, now),
  };
  for (const [name, job] of Object.entries(jobs)) {
    try {
      const count = await job();
      if (count > 0) log.info('maintenance job done', { job: name, count });
    } catch (err) {
      log.error('maintenance job failed', { job: name, ...describeError(err) });
    }
  }
}
