import { performAction } from './actions/perform';
import { readCacheEntry } from '../cache/cache';
import {
  ACTION_RETRY_DELAYS_SECONDS,
  MAX_ACTION_ATTEMPTS,
  MAX_EVENT_DEPTH,
  SHOPIFY_ACTION_MAX_THROTTLED_ATTEMPTS,
} from '../env';
import { loadEventAncestors, loadEvents } from '../events/store';
import { describeError, log } from '../log';
import { sendEventMessages } from '../queue/producer';
import { nowIso } from '../time';
import { pastWorkDeadline } from '../shards';
import { type CacheReader } from './engine';
import type { ActionType } from './output';
import {
  finishTaskRunStatement,
  recordActionAttemptStatement,
  rescheduleTaskRunStatement,
  runTogether,
  runTransaction,
  setTaskRunWake,
  type ActionAttempt,
  type ActionRunRecord,
  type TaskRunRecord,
} from './runs-store';
import { parseExactJson } from '../json/exact';
import { followUpContext, sendFollowUps } from './follow-ups';
import { runFollowUpsStatement } from './follow-ups-store';

/**
 * Performing a rendered run: its actions in order, retries rescheduled on the queue, and what a
 * render reads (the cache, an event's depth). Shared by the runner and the batch path.
 */

/** Sends delayed runs to the queue; a failed send leaves them to the cron sweep. Returns failed event ids. */
export async function scheduleOnQueue(env: Env, runs: readonly TaskRunRecord[], nowMs: number): Promise<string[]> {
  if (runs.length === 0) return [];
  try {
    await sendEventMessages(
      env,
      runs.map((r) => ({
        body: { kind: 'task-run', runId: r.id, shopId: r.shopId },
        delaySeconds: Math.max(0, Math.ceil((Date.parse(r.runAt) - nowMs) / 1000)),
      })),
    );
    return [];
  } catch (err) {
    log.warn('delayed task runs not queued; leaving them to the cron sweep', describeError(err));
  }
  try {
    await setTaskRunWake(
      env.DB,
      runs.map((r) => r.id),
      'cron',
    );
    return [];
  } catch (err) {
    log.error('delayed task runs neither queued nor left to the sweep', describeError(err));
    return runs.map((r) => r.eventId);
  }
}

/** Ends a run `failed` (before any action), with its `edgehook/errors/task` event in the same transaction. */
export async function failRunWithFollowUps(
  env: Env,
  shopId: string,
  runId: string,
  outcome: { logs: unknown[]; errors: unknown[]; error: string },
): Promise<void> {
  const now = nowIso();
  const context = await followUpContext(env, [shopId]);
  const results = await runTransaction(env.DB, [
    finishTaskRunStatement(env.DB, runId, { status: 'failed', ...outcome }, now),
    runFollowUpsStatement(env.DB, context, [], [runId], now),
  ]);
  await sendFollowUps(env, results.at(-1));
}

/** `cache["key"]` in scripts: the live value from D1 (the truth), memoised for the render. */
export function cacheReader(env: Env, shopId: string): CacheReader {
  const seen = new Map<string, Promise<unknown>>();
  return (key) => {
    let value = seen.get(key);
    if (value === undefined) {
      value = readCacheEntry(env, shopId, key).then((e) => (e ? parseExactJson(e.valueJson) : undefined));
      seen.set(key, value);
    }
    return value;
  };
}

/** Ancestors of an event (at most MAX_EVENT_DEPTH), for `event` actions. */
export async function eventDepth(env: Env, eventId: string): Promise<number> {
  const [event] = await loadEvents(env.DB, [eventId]);
  if (!event?.parentId) return 0;
  return (await loadEventAncestors(env.DB, event.parentId, MAX_EVENT_DEPTH)).length;
}

/**
 * Puts a run back to `scheduled` at `runAt` (with `statements` in the same transaction) and wakes
 * it then with a task-run message: an action's retry, or the rest of a run whose consumer passed its
 * work deadline (no retry used up). If neither a message nor the sweep would wake the run, it
 * throws, so the message in hand is redelivered.
 */
async function continueAt(
  env: Env,
  run: TaskRunRecord,
  runAt: string,
  nowMs: number,
  statements: D1PreparedStatement[] = [],
): Promise<void> {
  const now = new Date(nowMs).toISOString();
  await runTogether(env.DB, [...statements, rescheduleTaskRunStatement(env.DB, run.id, runAt, 'queue', now)]);
  if ((await scheduleOnQueue(env, [{ ...run, runAt }], nowMs)).length > 0) {
    throw new Error(`task run ${run.id} could not be scheduled to continue`);
  }
}

/**
 * Performs the actions not yet finished, in order. A transient failure with attempts left
 * reschedules the run (the remaining actions wait behind it, keeping the order); after the last
 * action the run is finished in the same transaction as that action's record. Past the consumer's
 * work deadline no further action starts (`continueAt`). `memo` shares
 * lookups (a shop's Shopify credentials) between the runs of one consumer invocation.
 */
export async function performActions(
  env: Env,
  run: TaskRunRecord,
  actions: readonly ActionRunRecord[],
  logs: unknown[],
  depthOf: () => Promise<number>,
  memo: Map<string, Promise<unknown>> = new Map(),
): Promise<void> {
  let depth: number | undefined;
  const pending = actions.filter((a) => a.status === 'scheduled' || a.status === 'running');
  const outcomes = new Map(actions.map((a) => [a.id, a.status]));
  const finish = (now: string) => {
    const failures = [...outcomes.values()].filter((s) => s === 'failed').length;
    return finishTaskRunStatement(
      env.DB,
      run.id,
      {
        status: failures === 0 ? 'succeeded' : 'failed',
        logs,
        errors: [],
        error: failures === 0 ? null : `${failures} of ${actions.length} actions failed.`,
      },
      now,
    );
  };
  // A crash after the last action's record but before the run's: only the finish is missing.
  if (pending.length === 0) {
    const now = nowIso();
    const context = await followUpContext(env, [run.shopId]);
    const results = await runTransaction(env.DB, [
      finish(now),
      runFollowUpsStatement(env.DB, context, [], [run.id], now),
    ]);
    return sendFollowUps(env, results.at(-1));
  }
  for (const [i, action] of pending.entries()) {
    if (pastWorkDeadline(env)) {
      const nowMs = Date.now();
      return continueAt(env, run, new Date(nowMs).toISOString(), nowMs);
    }
    if (action.type === 'event' && depth === undefined) depth = await depthOf();
    const startedAt = nowIso();
    const ctx = {
      env,
      shopId: run.shopId,
      eventId: run.eventId,
      depth: depth ?? 0,
      action: { runId: run.id, position: action.position },
      memo,
    };
    const outcome = await performAction(ctx, action.type as ActionType, action.options);
    const attempts = action.attempts + 1;
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    let attempt: ActionAttempt;
    // A throttled action waits as long as the upstream says, and gets more attempts than a failing one.
    const throttledWait = outcome.ok ? undefined : outcome.retryAfterSeconds;
    const maxAttempts = throttledWait === undefined ? MAX_ACTION_ATTEMPTS : SHOPIFY_ACTION_MAX_THROTTLED_ATTEMPTS;
    if (outcome.ok) attempt = { status: 'succeeded', result: outcome.result };
    else if (outcome.transient && attempts < maxAttempts) {
      const delay =
        throttledWait ?? ACTION_RETRY_DELAYS_SECONDS[Math.min(attempts, ACTION_RETRY_DELAYS_SECONDS.length) - 1]!;
      const retryAt = new Date(nowMs + delay * 1000).toISOString();
      attempt = { status: 'scheduled', error: outcome.error, nextAttemptAt: retryAt };
      return continueAt(env, run, retryAt, nowMs, [
        recordActionAttemptStatement(env.DB, action.id, attempt, startedAt, now),
      ]);
    } else attempt = { status: 'failed', error: outcome.error, result: outcome.result };
    outcomes.set(action.id, attempt.status);

    const last = i === pending.length - 1;
    const statements = [recordActionAttemptStatement(env.DB, action.id, attempt, startedAt, now)];
    if (last) statements.push(finish(now));
    // The action's follow-ups (and the run's error event, when it ends failed) in the same transaction.
    const context = await followUpContext(env, [run.shopId]);
    statements.push(runFollowUpsStatement(env.DB, context, [action.id], last ? [run.id] : [], now));
    await sendFollowUps(env, (await runTransaction(env.DB, statements)).at(-1));
  }
}
