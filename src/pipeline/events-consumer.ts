import { consumeCacheCopies } from '../cache/copies';
import { EVENTS_RETRY_BASE_DELAY_SECONDS, EVENTS_RETRY_MAX_DELAY_SECONDS } from '../env';
import { describeError, log } from '../log';
import { parseEventsQueueMessage } from '../queue/messages';
import { nowIso } from '../time';
import { recordUnreadableMessage } from './events-dead-letter';
import { lookupStatements, SETTLE_UNSUBSCRIBED, type BatchLookups } from './lookups';
import type { EventRecord } from '../events/model';
import { runDueTaskRun } from '../tasks/runner';
import { processEvents } from './process';
import {
  loadEvents,
  markEventsProcessed,
  receiveEvents,
  receiveEventsWith,
  receiveItemId,
  type ReceiveItem,
} from '../events/store';

/** Redelivery delay for the n-th attempt (1-based): exponential, capped. */
export function eventsRetryDelaySeconds(attempts: number): number {
  return Math.min(EVENTS_RETRY_MAX_DELAY_SECONDS, EVENTS_RETRY_BASE_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

interface Work {
  message: Message<unknown>;
  item: ReceiveItem;
}

/**
 * The events consumer: persists the batch with one D1 batch (idempotent on event id), which also
 * marks processed at once the events no task or subscription acts on; processes the other events
 * it claimed, marks them processed, and settles every message explicitly. A batch of events
 * nothing acts on thus costs one D1 round trip.
 */
export async function consumeEventsBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const work: Work[] = [];
  const taskRuns: { message: Message<unknown>; runId: string }[] = [];
  const copies: { message: Message<unknown>; ref: { shopId: string; key: string } }[] = [];
  for (const message of batch.messages) {
    const body = parseEventsQueueMessage(message.body);
    if (body === null) {
      await recordUnreadableMessage(env, batch.queue, message, 'unknown message shape');
      continue;
    }
    if (body.kind === 'task-run') {
      taskRuns.push({ message, runId: body.runId });
      continue;
    }
    if (body.kind === 'cache-copy') {
      copies.push({ message, ref: { shopId: body.shopId, key: body.key } });
      continue;
    }
    work.push({
      message,
      item: body.kind === 'event' ? { event: body.event } : { eventId: body.eventId },
    });
  }
  await consumeCacheCopies(env, copies);
  for (const { message, runId } of taskRuns) await consumeTaskRunMessage(env, message, runId);
  dropRepeatsWithinBatch(work);
  if (work.length === 0) return;

  const { received, lookups } = await receiveIsolatingFailures(env.DB, work);
  const due = received.filter(
    ({ work: w, claimed, status }) =>
      // Claimed and not settled at once for want of tasks and subscriptions; or left `received` by
      // an attempt that crashed, which a redelivered message processes again.
      status === 'received' && (claimed || w.message.attempts > 1),
  );
  for (const r of received) if (!due.includes(r)) r.work.message.ack();
  if (due.length === 0) return;

  let events: EventRecord[];
  let failed: Set<string>;
  try {
    events = await eventRecordsFor(
      env.DB,
      due.map((r) => r.work),
    );
    failed = await processEvents(env, events, lookups);
    const done = events.filter((e) => !failed.has(e.id)).map((e) => e.id);
    await markEventsProcessed(env.DB, done, nowIso());
  } catch (err) {
    log.error('event processing failed; retrying the messages', {
      count: due.length,
      ...describeError(err),
    });
    for (const r of due) retry(r.work.message);
    return;
  }
  for (const r of due) {
    if (failed.has(receiveItemId(r.work.item))) retry(r.work.message);
    else r.work.message.ack();
  }
}

/**
 * Messages for an event id already in this batch (ingress repeats with one Idempotency-Key) are
 * acked and removed: the D1 claim tells repeats apart only across batches, and the first body wins.
 */
function dropRepeatsWithinBatch(work: Work[]): void {
  const seen = new Set<string>();
  for (let i = 0; i < work.length; i++) {
    const id = receiveItemId(work[i]!.item);
    if (!seen.has(id)) {
      seen.add(id);
      continue;
    }
    work[i]!.message.ack();
    work.splice(i--, 1);
  }
}

interface Received {
  work: Work;
  claimed: boolean;
  status: string | undefined;
}

/**
 * One D1 batch for everything, which also looks up the tasks and subscriptions of the events the
 * messages carry and settles the ones nothing acts on; if it fails, each item alone, so one bad row cannot hold back the rest. Items
 * that still fail are retried with backoff and left out of the result.
 */
async function receiveIsolatingFailures(
  db: D1Database,
  work: Work[],
): Promise<{ received: Received[]; lookups?: BatchLookups }> {
  const now = nowIso();
  try {
    const inline = work.flatMap((w) => ('event' in w.item ? [w.item.event] : []));
    const lookups = lookupStatements(db, inline);
    const { outcome, extra } = await receiveEventsWith(
      db,
      work.map((w) => w.item),
      now,
      lookups.statements,
      SETTLE_UNSUBSCRIBED,
    );
    return { received: work.map((w) => ({ work: w, ...lookup(outcome, w) })), lookups: lookups.read(extra) };
  } catch (err) {
    log.warn('batch persist failed; persisting messages one by one', {
      count: work.length,
      ...describeError(err),
    });
  }
  const received: Received[] = [];
  for (const w of work) {
    try {
      const outcome = await receiveEvents(db, [w.item], now);
      received.push({ work: w, ...lookup(outcome, w) });
    } catch (err) {
      log.error('event persist failed; retrying message', {
        eventId: receiveItemId(w.item),
        attempts: w.message.attempts,
        ...describeError(err),
      });
      retry(w.message);
    }
  }
  return { received };
}

function lookup(
  outcome: Map<string, { claimed: boolean; status: string }>,
  w: Work,
): { claimed: boolean; status: string | undefined } {
  const o = outcome.get(receiveItemId(w.item));
  return { claimed: o?.claimed ?? false, status: o?.status };
}

/** Records for processing: inline events from their messages, referenced ones from D1. */
async function eventRecordsFor(db: D1Database, work: Work[]): Promise<EventRecord[]> {
  const records: EventRecord[] = [];
  const refs: string[] = [];
  for (const { item } of work) {
    if ('event' in item) {
      records.push({ ...item.event, status: 'received', error: null, receivedAt: null, processedAt: null });
    } else {
      refs.push(item.eventId);
    }
  }
  return records.concat(await loadEvents(db, refs));
}

/** A due task run: acked once its outcome is recorded, retried when recording failed. */
async function consumeTaskRunMessage(env: Env, message: Message<unknown>, runId: string): Promise<void> {
  try {
    await runDueTaskRun(env, runId, message.attempts > 1);
    message.ack();
  } catch (err) {
    log.error('task run failed to record; retrying the message', { runId, ...describeError(err) });
    retry(message);
  }
}

function retry(message: Message<unknown>): void {
  message.retry({ delaySeconds: eventsRetryDelaySeconds(message.attempts) });
}
