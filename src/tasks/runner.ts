import { timeOrderedId } from '../ids';
import { mapWithConcurrency } from '../concurrency';
import { findShop, type ShopRecord } from '../shops/store';
import { MAX_EVENT_DEPTH, MAX_QUEUE_DELAY_SECONDS, TASK_RUN_CONCURRENCY } from '../env';
import type { EventRecord } from '../events/model';
import { loadEventAncestors, loadEvents } from '../events/store';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import { runDueRunsTogether, type DueRun } from './batch';
import { cacheReader, eventDepth, failRunWithFollowUps, performActions, scheduleOnQueue } from './perform-run';
import { renderTask } from './engine';
import { eventVariable, renderScope, shopVariable } from './scope';
import { findTask, listSubscribedTasks, type SubscribedTask, type TaskRecord } from './store';
import {
  claimTaskRun,
  createTaskRuns,
  finishTaskRun,
  listActionRuns,
  recordRendering,
  type NewTaskRun,
  type TaskRunRecord,
} from './runs-store';

/**
 * The task runner (spec/tasks-and-cache.md "Tasks", "Runs"). Every enabled task of an event's shop
 * subscribed to its topic gets one run per subscription; a run renders the script, records the
 * actions it asked for, then performs them in order. Whatever a script or an action does is
 * recorded on the run; only storage failures are thrown, so the queue retries the message.
 */

/** Known records, so a run started by the consumer does not read them again. */
interface Known {
  event?: EventRecord;
  task?: TaskRecord;
  shops: Map<string, Promise<ShopRecord | null>>;
}

/**
 * Creates and runs the task runs of a batch of events. Returns the ids of events whose runs could
 * not be created or recorded (their messages are retried; runs are idempotent on event and task).
 */
export async function runTasksForEvents(
  env: Env,
  events: readonly EventRecord[],
  known?: { subscribed: readonly SubscribedTask[]; shops: readonly ShopRecord[] },
): Promise<Set<string>> {
  const failed = new Set<string>();
  // The consumer may have read them already, with the batch's persist.
  const subscribed = known?.subscribed ?? (await listSubscribedTasks(env.DB, shopTopicPairs(events)));
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

  const shops = new Map<string, Promise<ShopRecord | null>>();
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
    await runDueRunsTogether(env, fresh, failed, known?.shops);
  } catch (err) {
    log.error('task runs could not be performed; retrying their events', describeError(err));
    for (const d of fresh) failed.add(d.run.eventId);
  }
  // A redelivered event whose run was already rendered resumes where it stopped.
  await mapWithConcurrency(resumed, TASK_RUN_CONCURRENCY, async (run) => {
    const known = byRun.get(`${run.eventId}|${run.taskId}|${run.delaySeconds}`);
    try {
      await advanceTaskRun(env, run, { ...known, shops });
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
  await advanceTaskRun(env, run, { shops: new Map() });
}

/** Renders a claimed run (unless it already was) and performs its remaining actions in order. */
async function advanceTaskRun(env: Env, run: TaskRunRecord, known: Known): Promise<void> {
  if (run.renderedAt !== null) {
    const actions = await listActionRuns(env.DB, [run.id]);
    return performActions(env, run, actions, run.logs, () => eventDepth(env, run.eventId));
  }
  const task = known.task ?? (await findTask(env.DB, run.taskId));
  const fail = (error: string, logs: unknown[] = [], errors: unknown[] = []) =>
    failRunWithFollowUps(env, run.id, { logs, errors, error });
  if (task === null) return fail('The task was deleted before this run.');
  if (!task.enabled) return fail('The task was disabled before this run was due.');
  const event = known.event ?? (await loadEvents(env.DB, [run.eventId]))[0];
  if (event === undefined) return fail('The event no longer exists.');

  // Ancestors cost a query; a script that never names `parent` cannot see them (a false positive
  // only costs that query). The `event` action finds the depth itself when it needs it.
  const needsAncestors = event.parentId !== null && /\bparent\b/.test(task.script);
  const ancestors = needsAncestors ? await loadEventAncestors(env.DB, event.parentId!, MAX_EVENT_DEPTH) : [];
  let shop = known.shops.get(run.shopId);
  if (shop === undefined) known.shops.set(run.shopId, (shop = findShop(env.DB, run.shopId)));
  const scope = renderScope(task, eventVariable(event, ancestors), shopVariable(await shop, run.shopId));
  const outcome = await renderTask(task.script, scope, cacheReader(env, run.shopId));
  if (!outcome.ok) return fail(outcome.error);
  if (outcome.errors.length > 0) {
    return fail('The task rendered an error, so none of its actions were performed.', outcome.logs, outcome.errors);
  }
  if (outcome.actions.length === 0) {
    return finishTaskRun(
      env.DB,
      run.id,
      { status: 'succeeded', logs: outcome.logs, errors: [], error: null },
      nowIso(),
    );
  }
  const actions = await recordRendering(env.DB, run.id, outcome.actions, outcome.logs, nowIso());
  const depthOf =
    needsAncestors || event.parentId === null ? async () => ancestors.length : () => eventDepth(env, event.id);
  await performActions(env, run, actions, outcome.logs, depthOf);
}

/** The distinct (shop, topic) pairs of events. */
function shopTopicPairs(events: readonly EventRecord[]): [string, string][] {
  const pairs = new Map(events.map((e) => [`${e.shopId}\n${e.topic}`, [e.shopId, e.topic] as [string, string]]));
  return [...pairs.values()];
}
