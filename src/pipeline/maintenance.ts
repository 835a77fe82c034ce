import { eachShard, inShard } from '../shards';
import { advanceShopMoves } from '../operator/moves';
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
  // Jobs on the configuration (the primary) first: a move's next phase, the scheduler's events.
  await runJobs({
    advanceShopMoves: () => advanceShopMoves(env, now),
    emitSchedulerEvents: () => emitSchedulerEvents(env, now),
  });
  // Jobs on per-shop tables run on each shard, a few shards at a time.
  await eachShard(env, (_, shard) => {
    const scoped = inShard(env, shard);
    return runJobs(
      {
        sweepPendingEvents: () => sweepPendingEvents(scoped),
        deleteExpiredEvents: () => deleteExpiredEvents(scoped, now),
        sweepDueTaskRuns: () => sweepDueTaskRuns(scoped, now),
        deleteExpiredCache: () => deleteExpiredCache(scoped, now),
        pruneActionRuns: () => pruneActionRuns(scoped, now),
        pruneTaskRuns: () => pruneTaskRuns(scoped, now),
        pruneDeliveries: () => pruneDeliveries(scoped, now),
      },
      shard,
    );
  });
}

async function runJobs(jobs: Record<string, () => Promise<number>>, shard?: number): Promise<void> {
  for (const [name, job] of Object.entries(jobs)) {
    try {
      const count = await job();
      if (count > 0) log.info('maintenance job done', { job: name, count, shard });
    } catch (err) {
      log.error('maintenance job failed', { job: name, shard, ...describeError(err) });
    }
  }
}
