import { sha256Hex } from '../crypto';
import { markEventsQueued } from '../events/store';
import { describeError, log } from '../log';
import { sendEventMessages } from '../queue/producer';
import { primaryDb } from '../shards';
import {
  deadEventFollowUpStatement,
  followUpContextOf,
  followUpContextStatements,
  followUpIdsOf,
  runFollowUpsStatement,
  type FollowUpContext,
} from './follow-ups-store';

/**
 * Follow-up and error events (`edgehook/actions/perform`, `edgehook/errors/task|action|event`):
 * inserted `pending` in the transaction that records an outcome (follow-ups-store.ts), then put on
 * the queue by id at once; when that send fails the cron sweep enqueues them, as it does for
 * ingress's pending events. A shop without a subscribed enabled task gets no event and no send.
 */

/** Contexts a consumer batch already read with its lookups, by the shard scope it works in. */
const known = new WeakMap<Env, { shops: Set<string>; context: FollowUpContext }>();

/**
 * Lends a shard scope the follow-up context its consumer batch read with its lookups (for these
 * shops), so its commits do not read it from the primary again. A scope lives for one batch.
 */
export function lendFollowUpContext(scope: Env, shopIds: Iterable<string>, context: FollowUpContext): void {
  if (primaryDb(scope) !== scope.DB) known.set(scope, { shops: new Set(shopIds), context });
}

/**
 * What follow-up statements on this Env's shard need from the configuration: null on shard 0
 * (they read it in SQL); else what the batch lent, or a read from the primary for these shops.
 */
export async function followUpContext(env: Env, shopIds: readonly string[]): Promise<FollowUpContext | null> {
  const primary = primaryDb(env);
  if (primary === env.DB) return null;
  const lent = known.get(env);
  if (lent && shopIds.every((id) => lent.shops.has(id))) return lent.context;
  return followUpContextOf(await primary.batch(followUpContextStatements(primary, shopIds)));
}

/** Queues the follow-up events a transaction inserted; a refused send leaves them to the sweep. */
export async function sendFollowUps(env: Env, result: D1Result<unknown> | undefined): Promise<void> {
  const ids = followUpIdsOf(result);
  if (ids.length === 0) return;
  try {
    await sendEventMessages(
      env,
      ids.map(({ id, shopId }) => ({ body: { kind: 'event-ref', eventId: id, shopId } })),
    );
  } catch (err) {
    log.warn('follow-up events not queued; the cron sweep will', { count: ids.length, ...describeError(err) });
    return;
  }
  try {
    // So the sweep does not queue them a second time (which would be harmless: ids are claimed once).
    await markEventsQueued(
      env.DB,
      ids.map((i) => i.id),
    );
  } catch (err) {
    log.warn('follow-up events queued but not marked so', { count: ids.length, ...describeError(err) });
  }
}

/** Records the `edgehook/errors/event` event of a dead event (once, whatever the retries). */
export async function reportDeadEvent(env: Env, shopId: string, eventId: string, now: string): Promise<void> {
  const hex = await sha256Hex(`edgehook-errors-event\n${eventId}`);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  const context = await followUpContext(env, [shopId]);
  await sendFollowUps(env, await deadEventFollowUpStatement(env.DB, context, id, eventId, now).run());
}

/** Records the `edgehook/errors/task` event of a run the queue gave up on (failed by then). */
export async function reportAbandonedRun(env: Env, shopId: string, runId: string, now: string): Promise<void> {
  const context = await followUpContext(env, [shopId]);
  await sendFollowUps(env, await runFollowUpsStatement(env.DB, context, [], [runId], now).run());
}
