import { TASK_RUN_SWEEP_BATCH_SIZE } from '../env';
import { sendEventMessages } from '../queue/producer';
import { listCronDueTaskRunIds, setTaskRunWake } from '../tasks/runs-store';

/**
 * Hands the queue the scheduled task runs that are due but that no queue message will wake: runs
 * delayed beyond the queue's 12-hour limit, and runs whose queue send failed. Duplicate messages
 * are harmless, since a run is claimed atomically.
 */
export async function sweepDueTaskRuns(env: Env, now: number): Promise<number> {
  const due = await listCronDueTaskRunIds(env.DB, new Date(now).toISOString(), TASK_RUN_SWEEP_BATCH_SIZE);
  if (due.length === 0) return 0;
  await sendEventMessages(
    env,
    due.map(({ id, shopId }) => ({ body: { kind: 'task-run', runId: id, shopId } })),
  );
  await setTaskRunWake(
    env.DB,
    due.map((r) => r.id),
    'queue',
  );
  return due.length;
}
