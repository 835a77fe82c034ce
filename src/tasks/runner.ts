import { primaryDb } from '../shards';
import { timeOrderedId } from '../ids';
import { mapWithConcurrency } from '../concurrency';
import { type ShopRecord } from '../shops/store';
import { MAX_QUEUE_DELAY_SECONDS, TASK_RUN_CONCURRENCY } from '../env';
import type { EventRecord } from '../events/model';
import { loadEvents } from '../events/store';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import { runDueRuns, type DueRun } from './batch';
import { eventDepth, failRunWithFollowUps, performActions, scheduleOnQueue } from './perform-run';
import { findTask, type SubscribedTask, type TaskRecord } from './store';
import { claimTaskRun, createTaskRuns, listActionRuns, type NewTaskRun, type TaskRunRecord } from './runs-store';

/**
 * The task runner: which runs exist and when they are due. Every enabled task of an event's shop
 * subscribed to its topic gets one run per subscription (docs/api.md, "Runs"); a run due now is
 * handed to the one run engine (`runDueRuns`, tasks/batch.ts), a whole consumer batch at once or a
 * `task-run` message's run as a plan of one. Whatever a script or an action does is recorded on
 * the run; only storage failures come back, so the queue retries the message.
 */

/**
 * Creates and runs the task runs of a batch of events. Returns the ids of events whose runs could
 * not be created or recorded (their messages are retried; runs are idempotent on event and task).
 */
export async function runTasksForEvents(
  env: Env,
  events: readonly EventRecord[],
  known: { subscribed: readonly SubscribedTask[]; shops: readonly ShopRecord[] },
): Promise<Set<string>> {
  const failed = new Set<string>();
  const { subscribed } = known;
  if (subscribed.length === 0) return failed;

  const nowMs = Date.now();
  const now = new Date(nowMs).toISOString();
  const newRuns: NewTaskRun[] = [];
  const byRun = new Map<string, { event: EventRecord; task: TaskRecord }>();
  for (const event of events) {
    for (const sub of subscribed) {
      if (sub.task.shopId !== event.shopId || sub.topic !== event.topic) continue;
      const runAtMs = Date.parse(event.createdAt) + sub.delaySeconds * 1000;
      const run: NewTaskRun = {
        id: timeOrderedId(),
        shopId: event.shopId,
        taskId: sub.task.id,
        eventId: event.id,
        delaySeconds: sub.delaySeconds,
        runAt: new Date(runAtMs).toISOString(),
        wake: runAtMs - nowMs > MAX_QUEUE_DELAY_SECONDS * 1000 ? 'cron' : 'queue',
      };
      newRuns.push(run);
      byRun.set(`${event.id}|${sub.task.id}|${sub.delaySeconds}`, { event, task: sub.task });
    }
  }

  let runs: TaskRunRecord[];
  try {
    runs = await createTaskRuns(env.DB, newRuns, now);
  } catch (err) {
    log.error('task runs could not be created; retrying their events', describeError(err));
    for (const r of newRuns) failed.add(r.eventId);
    return failed;
  }

  const due = runs.filter((r) => r.status === 'running');
  const later = runs.filter((r) => r.status === 'scheduled' && r.wake === 'queue');
  const fresh: DueRun[] = [];
  const resumed: TaskRunRecord[] = [];
  for (const run of due) {
    const known = byRun.get(`${run.eventId}|${run.taskId}|${run.delaySeconds}`);
    if (run.renderedAt === null && known) fresh.push({ run, ...known });
    else resumed.push(run);
  }
  try {
    for (const id of await runDueRuns(env, fresh, known.shops)) failed.add(id);
  } catch (err) {
    log.error('task runs could not be performed; retrying their events', describeError(err));
    for (const d of fresh) failed.add(d.run.eventId);
  }
  // A redelivered event whose run was already rendered resumes where it stopped.
  await mapWithConcurrency(resumed, TASK_RUN_CONCURRENCY, async (run) => {
    try {
      await advanceTaskRun(env, run, known.shops);
    } catch (err) {
      log.error('task run could not be recorded; retrying its event', { runId: run.id, ...describeError(err) });
      failed.add(run.eventId);
    }
  });
  for (const id of await scheduleOnQueue(env, later, nowMs)) failed.add(id);
  return failed;
}

/**
 * Handles a `task-run` message: claims the run and advances it. Returns quietly when the run was
 * already taken or finished (a duplicate message). Throws on storage failures.
 */
export async function runDueTaskRun(env: Env, runId: string, redelivered: boolean): Promise<void> {
  const run = await claimTaskRun(env.DB, runId, nowIso(), redelivered);
  if (run === null) return;
  await advanceTaskRun(env, run);
}

/**
 * Advances a claimed run: one already rendered performs its remaining actions in order; one not
 * yet rendered goes through the run engine as a plan of one, once its task and event are found.
 * Throws when the run's progress could not be recorded.
 */
async function advanceTaskRun(env: Env, run: TaskRunRecord, shops?: readonly ShopRecord[]): Promise<void> {
  if (run.renderedAt !== null) {
    const actions = await listActionRuns(env.DB, [run.id]);
    return performActions(env, run, actions, run.logs, () => eventDepth(env, run.eventId));
  }
  const fail = (error: string) => failRunWithFollowUps(env, run.shopId, run.id, { logs: [], errors: [], error });
  const task = await findTask(primaryDb(env), run.taskId);
  if (task === null) return fail('The task was deleted before this run.');
  if (!task.enabled) return fail('The task was disabled before this run was due.');
  const [event] = await loadEvents(env.DB, [run.eventId]);
  if (event === undefined) return fail('The event no longer exists.');
  if ((await runDueRuns(env, [{ run, event, task }], shops)).length > 0) {
    throw new Error(`task run ${run.id} could not be recorded`);
  }
}
