import { inShard, primaryDb } from '../shards';
import { placementOf, readShopMap } from './placement';
import { DEAD_LETTER_BODY_MAX_CHARS, DEAD_LETTER_MAX_RETRIES, PAUSED_SHOP_DEAD_LETTER_DELAY_SECONDS } from '../env';
import { describeError, errorText, log } from '../log';
import { parseEventsQueueMessage } from '../queue/messages';
import { nowIso } from '../time';
import { failAbandonedTaskRun } from '../tasks/runs-store';
import { reportAbandonedRun, reportDeadEvent } from '../tasks/follow-ups';
import { insertDeadLetter, receiveItemId, recordDeadEvent } from '../events/store';

/**
 * The events dead-letter consumer: what the events consumer could not store or process after its
 * retries is recorded in D1 — as an event with status `dead` and the reason, or, when even that is
 * impossible, as a `dead_letters` row holding the message body. Nothing is dropped silently: a
 * message is acked only once it is recorded.
 */
export async function consumeEventsDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const reason = `gave up after the events queue's retries (source queue ${batch.queue})`;
  let shops: Awaited<ReturnType<typeof readShopMap>>;
  try {
    shops = await readShopMap(
      primaryDb(env),
      batch.messages.flatMap((m) => {
        const body = parseEventsQueueMessage(m.body);
        const shopId = body === null ? undefined : body.kind === 'event' ? body.event.shopId : body.shopId;
        return shopId ?? [];
      }),
    );
  } catch (err) {
    // The primary is unreachable: nothing can be recorded now; the queue tries again.
    log.error('dead-letter batch: shops unreadable; retrying', describeError(err));
    for (const message of batch.messages) message.retry();
    return;
  }
  for (const message of batch.messages) {
    const body = parseEventsQueueMessage(message.body);
    if (body === null) {
      await recordUnreadableMessage(env, batch.queue, message, 'unknown message shape');
      continue;
    }
    // The records of a message are made on its shop's shard (dead letters themselves on the primary).
    const placement = placementOf(shops, body.kind === 'event' ? body.event.shopId : body.shopId);
    if (placement.paused) {
      await waitForMove(env, batch.queue, message);
      continue;
    }
    const shard = inShard(env, placement.shard);
    if (body.kind === 'task-run') {
      await recordDeadTaskRun(shard, message, body.shopId ?? '', body.runId, reason);
      continue;
    }
    if (body.kind === 'cache-copy') {
      // D1 still holds the value; the stale KV copy is what is lost, so the message is kept.
      await recordUnreadableMessage(env, batch.queue, message, `cache re-copy ${reason}`);
      continue;
    }
    const item = body.kind === 'event' ? { event: body.event } : { eventId: body.eventId };
    try {
      await recordDeadEvent(shard.DB, item, reason, nowIso());
      log.error('event dead-lettered', { messageId: message.id, kind: body.kind });
    } catch (err) {
      log.error('could not record dead event; keeping the message body', {
        messageId: message.id,
        ...describeError(err),
      });
      await recordUnreadableMessage(env, batch.queue, message, errorText(err));
      continue;
    }
    const shopId = body.kind === 'event' ? body.event.shopId : (body.shopId ?? '');
    await reportThenAck(message, () => reportDeadEvent(shard, shopId, receiveItemId(item), nowIso()));
  }
}

/**
 * Records the `edgehook/errors/…` event of what died, then acks; when D1 refuses, the message is
 * retried (recording the death again changes nothing, and the report keeps one event).
 */
async function reportThenAck(message: Message<unknown>, report: () => Promise<void>): Promise<void> {
  try {
    await report();
    message.ack();
  } catch (err) {
    log.error('could not record the error event of a dead message; retrying', {
      messageId: message.id,
      ...describeError(err),
    });
    message.retry();
  }
}

/** A task-run message the queue gave up on: the run is marked failed with the reason. */
async function recordDeadTaskRun(
  env: Env,
  message: Message<unknown>,
  shopId: string,
  runId: string,
  reason: string,
): Promise<void> {
  let failedNow: boolean;
  try {
    failedNow = await failAbandonedTaskRun(env.DB, runId, reason, nowIso());
    log.error('task run dead-lettered', { messageId: message.id, runId });
  } catch (err) {
    log.error('could not record dead task run; retrying', { runId, ...describeError(err) });
    message.retry();
    return;
  }
  // A run that had already ended (a duplicate message died) reported its end then.
  if (!failedNow) return message.ack();
  await reportThenAck(message, () => reportAbandonedRun(env, shopId, runId, nowIso()));
}

/**
 * A dead-letter message whose shop a move has paused: recording it now would write rows the copy
 * may already have passed, so it is retried later; on its last try it is kept in `dead_letters`.
 */
export async function waitForMove(env: Env, queue: string, message: Message<unknown>): Promise<void> {
  if (message.attempts <= DEAD_LETTER_MAX_RETRIES) {
    message.retry({ delaySeconds: PAUSED_SHOP_DEAD_LETTER_DELAY_SECONDS });
    return;
  }
  await recordUnreadableMessage(
    env,
    queue,
    message,
    'its shop was being moved through every retry of the dead-letter queue',
  );
}

/**
 * Keeps a message that cannot be handled as an event in `dead_letters`, then acks it; if D1 refuses
 * even that, the message is retried (the queue's own retries and dead-letter queue take over).
 */
export async function recordUnreadableMessage(
  env: Env,
  queue: string,
  message: Message<unknown>,
  error: string,
): Promise<void> {
  try {
    await insertDeadLetter(primaryDb(env), {
      queue,
      messageId: message.id,
      body: safeStringify(message.body).slice(0, DEAD_LETTER_BODY_MAX_CHARS),
      error,
      createdAt: nowIso(),
    });
    log.error('queue message recorded as dead letter', { queue, messageId: message.id, error });
    message.ack();
  } catch (err) {
    log.error('could not record dead letter; retrying', {
      queue,
      messageId: message.id,
      ...describeError(err),
    });
    message.retry();
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
