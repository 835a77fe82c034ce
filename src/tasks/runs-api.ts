import type { ActionRunRecord, TaskRunRecord } from './runs-store';

/** Task runs and their action runs as the management API shows them. */
export function runsToApi(runs: readonly TaskRunRecord[], actions: readonly ActionRunRecord[]) {
  return runs.map((run) => ({
    id: run.id,
    task_id: run.taskId,
    event_id: run.eventId,
    delay_seconds: run.delaySeconds,
    status: run.status,
    run_at: run.runAt,
    attempts: run.attempts,
    logs: run.logs,
    errors: run.errors,
    error: run.error,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    created_at: run.createdAt,
    action_runs: actions
      .filter((a) => a.taskRunId === run.id)
      .map((a) => ({
        id: a.id,
        position: a.position,
        type: a.type,
        options: a.options,
        meta: a.meta,
        status: a.status,
        attempts: a.attempts,
        result: a.result,
        error: a.error,
        next_attempt_at: a.nextAttemptAt,
        started_at: a.startedAt,
        finished_at: a.finishedAt,
      })),
  }));
}
