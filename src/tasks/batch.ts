import { primaryDb } from '../shards';
import { timeOrderedId } from '../ids';
import { performEcho } from './actions/echo';
import { planCacheAction } from './actions/cache';
import { planEventAction } from './actions/event';
import { findShops, type ShopRecord } from '../shops/store';
import { CacheInputError, type CacheWrite } from '../cache/cache';
import { MAX_EVENT_DEPTH, MAX_INLINE_EVENT_CHARS, TASK_RUN_CONCURRENCY } from '../env';
import type { EventRecord } from '../events/model';
import { loadEventAncestors, loadEventDepths } from '../events/store';
import { describeError, errorText, log } from '../log';
import { nowIso } from '../time';
import { commitRunPlans, sendChildren, type RunPlan } from './batch-commit';
import { renderTask } from './engine';
import { mapWithConcurrency } from '../concurrency';
import { cacheReader, eventDepth, performActions } from './perform-run';
import { eventVariable, renderScope, shopVariable } from './scope';
import { type TaskRecord } from './store';
import { finishTaskRunStatement, listActionRuns, type TaskRunRecord } from './runs-store';

/**
 * The run engine (issue 13, and issue 21's "one run engine"): every due run is rendered, then the
 * leading actions that touch only D1 and the queue (`cache`, `echo`, `event`) of all runs are
 * performed and recorded in one D1 transaction, so a batch costs a fixed number of D1 round trips
 * however many runs it holds. What follows a run's first `http` action (or an `event` too large
 * to travel in a message) is performed afterwards by the one-at-a-time path, runs in parallel
 * under TASK_RUN_CONCURRENCY, keeping each run's order.
 */

/** A run due now, with the records the consumer already holds. */
export interface DueRun {
  run: TaskRunRecord;
  event: EventRecord;
  task: TaskRecord;
}

/**
 * Runs due runs: the one engine for every run, whether a consumer batch's hundred or a `task-run`
 * message's one (a plan of one). Returns the event ids whose runs could not be recorded (their
 * messages are retried; runs are idempotent on event and task). `knownShops` saves the read of
 * shops the caller already holds.
 */
export async function runDueRuns(
  env: Env,
  due: readonly DueRun[],
  knownShops: readonly ShopRecord[] = [],
): Promise<string[]> {
  if (due.length === 0) return [];
  const failed: string[] = [];
  const shopIds = [...new Set(due.map((d) => d.run.shopId))];
  const known = shopIds.every((id) => knownShops.some((s) => s.id === id));
  const shops = new Map((known ? knownShops : await findShops(primaryDb(env), shopIds)).map((s) => [s.id, s]));
  const rendered: Rendered[] = [];
  await mapWithConcurrency(due, TASK_RUN_CONCURRENCY, async (d) => {
    try {
      rendered.push(await render(env, d, shops.get(d.run.shopId) ?? null));
    } catch (err) {
      log.error('task run could not be rendered; retrying its event', { runId: d.run.id, ...describeError(err) });
      failed.push(d.run.eventId);
    }
  });
  const depths = await depthsFor(env, rendered);
  const plans = rendered.map((r) => planRunAlone(env.DB, r, depths));
  await sendChildren(env, plans);
  const { committed, failed: unrecorded } = await commitRunPlans(env, plans);
  const unperformed = await continueRemainders(
    env,
    committed.filter((p) => p.remainder !== null),
  );
  return [...failed, ...unrecorded, ...unperformed];
}

interface Rendered {
  due: DueRun;
  outcome: Awaited<ReturnType<typeof renderTask>>;
  /** Ancestors loaded for `parent`, when the script names it. */
  ancestors: EventRecord[] | null;
}

async function render(env: Env, { run, event, task }: DueRun, shop: ShopRecord | null): Promise<Rendered> {
  // Ancestors cost a query; a script that never names `parent` cannot see them.
  const needsAncestors = event.parentId !== null && /\bparent\b/.test(task.script);
  const ancestors = needsAncestors ? await loadEventAncestors(env.DB, event.parentId!, MAX_EVENT_DEPTH) : null;
  const scope = renderScope(task, eventVariable(event, ancestors ?? []), shopVariable(shop, run.shopId));
  const outcome = await renderTask(task.script, scope, cacheReader(env, run.shopId));
  return { due: { run, event, task }, outcome, ancestors };
}

/** Depths of the events whose runs create child events, in one query when any is unknown. */
async function depthsFor(env: Env, rendered: readonly Rendered[]): Promise<Map<string, number>> {
  const depths = new Map<string, number>();
  const unknown = new Set<string>();
  for (const { due, outcome, ancestors } of rendered) {
    if (!outcome.ok || !outcome.actions.some((a) => a.type === 'event')) continue;
    if (due.event.parentId === null) depths.set(due.event.id, 0);
    else if (ancestors !== null) depths.set(due.event.id, ancestors.length);
    else unknown.add(due.event.id);
  }
  for (const [id, depth] of await loadEventDepths(env.DB, [...unknown], MAX_EVENT_DEPTH)) depths.set(id, depth);
  return depths;
}

/**
 * Plans one run; a run whose own output cannot be planned (anything planRun throws on) fails
 * alone with the reason, so one tenant's data never fails the other runs of the batch.
 */
function planRunAlone(db: D1Database, rendered: Rendered, depths: Map<string, number>): RunPlan {
  try {
    return planRun(db, rendered, depths);
  } catch (err) {
    const { run } = rendered.due;
    log.warn('task run could not be planned; failing it alone', { runId: run.id, ...describeError(err) });
    const logs = rendered.outcome.ok ? rendered.outcome.logs : [];
    return {
      ...emptyPlan(run),
      finish: finishTaskRunStatement(
        db,
        run.id,
        { status: 'failed', logs, errors: [], error: `The run's actions could not be recorded: ${errorText(err)}` },
        nowIso(),
      ),
    };
  }
}

const emptyPlan = (run: TaskRunRecord): RunPlan => ({
  run,
  ordered: [],
  cacheOps: [],
  rows: [],
  finish: null,
  rendered: null,
  touched: [],
  children: [],
  remainder: null,
});

/** Types performed inside the batch's transaction: they touch only D1 and the queue. */
const IN_TRANSACTION = new Set(['cache', 'echo', 'event']);

function planRun(db: D1Database, { due, outcome }: Rendered, depths: Map<string, number>): RunPlan {
  const { run, event } = due;
  const now = nowIso();
  const plan = emptyPlan(run);
  const fail = (error: string, logs: unknown[] = [], errors: unknown[] = []) => {
    plan.finish = finishTaskRunStatement(db, run.id, { status: 'failed', logs, errors, error }, now);
    return plan;
  };
  if (!outcome.ok) return fail(outcome.error);
  if (outcome.errors.length > 0) {
    return fail('The task rendered an error, so none of its actions were performed.', outcome.logs, outcome.errors);
  }
  if (outcome.actions.length === 0) {
    plan.finish = finishTaskRunStatement(
      db,
      run.id,
      { status: 'succeeded', logs: outcome.logs, errors: [], error: null },
      now,
    );
    return plan;
  }
  const depth = depths.get(event.id);
  const nowMs = Date.parse(now);
  let inline = true;
  for (const [position, action] of outcome.actions.entries()) {
    const base = {
      id: timeOrderedId(),
      taskRunId: run.id,
      position,
      type: action.type,
      options: action.options,
      meta: action.meta ?? null,
      createdAt: now,
    };
    const known = (status: 'succeeded' | 'failed', result: unknown, error: string | null) =>
      plan.rows.push({ ...base, status, attempts: 1, result, error, startedAt: now, finishedAt: now });
    inline &&= IN_TRANSACTION.has(action.type);
    if (inline && action.type === 'event') {
      const child = planEventAction(
        { shopId: run.shopId, eventId: event.id, depth: depth ?? 0, action: { runId: run.id, position } },
        action.options,
      );
      // An event too large for a message is stored in D1 first: left to the one-at-a-time path.
      if (child.ok && child.event.dataJson.length > MAX_INLINE_EVENT_CHARS) inline = false;
      else if (child.ok) {
        plan.children.push({ event: child.event, delaySeconds: child.delaySeconds });
        known('succeeded', child.event.id, null);
      } else known('failed', null, child.outcome.ok ? null : child.outcome.error);
    }
    if (!inline) {
      plan.rows.push({
        ...base,
        status: 'scheduled',
        attempts: 0,
        result: null,
        error: null,
        startedAt: null,
        finishedAt: null,
      });
      continue;
    }
    if (action.type === 'echo') {
      const result = performEcho(action.options);
      if (result.ok) known('succeeded', result.result, null);
      else known('failed', null, result.error);
    } else if (action.type === 'cache') {
      let write: CacheWrite;
      try {
        write = planCacheAction(run.shopId, action.options, nowMs);
      } catch (err) {
        if (!(err instanceof CacheInputError)) throw err;
        known('failed', null, err.message);
        continue;
      }
      const key = write.kind === 'set' ? write.entry.key : write.key;
      plan.touched.push({ shopId: run.shopId, key });
      if (write.kind === 'add') {
        plan.cacheOps.push({ write, counterRow: { ...base, startedAt: now, finishedAt: now } });
      } else {
        plan.cacheOps.push({ write, counterRow: null });
        known('succeeded', write.kind === 'set' ? write.result : null, null);
      }
    }
  }
  const total = outcome.actions.length;
  if (!inline) plan.remainder = { depth, logs: outcome.logs };
  plan.rendered = { id: run.id, logs: outcome.logs, total: inline ? total : null };
  return plan;
}

/**
 * Performs what remains of runs after their first `http` action, one action at a time per run.
 * Returns the event ids of runs whose progress could not be recorded.
 */
async function continueRemainders(env: Env, plans: readonly RunPlan[]): Promise<string[]> {
  if (plans.length === 0) return [];
  let actions: Awaited<ReturnType<typeof listActionRuns>>;
  try {
    actions = await listActionRuns(
      env.DB,
      plans.map((p) => p.run.id),
    );
  } catch (err) {
    log.error('action runs could not be read; retrying their events', describeError(err));
    return plans.map((p) => p.run.eventId);
  }
  const failed: string[] = [];
  const memo = new Map<string, Promise<unknown>>();
  await mapWithConcurrency(plans, TASK_RUN_CONCURRENCY, async ({ run, remainder }) => {
    const own = actions.filter((a) => a.taskRunId === run.id);
    const known = remainder?.depth;
    const depthOf = known === undefined ? () => eventDepth(env, run.eventId) : async () => known;
    try {
      await performActions(env, run, own, remainder?.logs ?? [], depthOf, memo);
    } catch (err) {
      log.error('task run could not be recorded; retrying its event', { runId: run.id, ...describeError(err) });
      failed.push(run.eventId);
    }
  });
  return failed;
}
