import { RETENTION_DELETE_BATCH_SIZE, SWEEP_BATCH_SIZE } from '../env';
import { log } from '../log';
import { sendEventMessages } from '../queue/producer';
import { deleteEventsCreatedBefore, listPendingEventIds, markEventsQueued } from '../events/store';

/**
 * Enqueues events that the ingress fallback left `pending` in D1 (the queue was unavailable), by
 * id, then marks them `queued`. A failure leaves them pending for the next run; a message sent
 * twice is harmless, since the consumer is idempotent on event id.
 */
export async function sweepPendingEvents(env: Env): Promise<number> {
  const pending = await listPendingEventIds(env.DB, SWEEP_BATCH_SIZE);
  if (pending.length === 0) return 0;
  await sendEventMessages(
    env,
    pending.map(({ id, shopId }) => ({ body: { kind: 'event-ref', eventId: id, shopId } })),
  );
  const ids = pending.map((p) => p.id);
  await markEventsQueued(env.DB, ids);
  log.info('swept pending events onto the queue', { count: ids.length });
  return ids.length;
}

/** Deletes processed and dead events older than EVENT_RETENTION_DAYS (0 keeps them). */
export async function deleteExpiredEvents(env: Env, now: number): Promise<number> {
  const days = Number(env.EVENT_RETENTION_DAYS);
  if (!Number.isFinite(days) || days <= 0) return 0;
  const cutoff = new Date(now - days * 86_400_000).toISOString();
  return deleteEventsCreatedBefore(env.DB, cutoff, RETENTION_DELETE_BATCH_SIZE);
}
