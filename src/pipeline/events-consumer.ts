import { consumeCacheCopies } from '../cache/copies';
import {
  CONSUMER_WORK_DEADLINE_SECONDS,
  EVENTS_RETRY_BASE_DELAY_SECONDS,
  EVENTS_RETRY_MAX_DELAY_SECONDS,
  PAUSED_SHOP_RESEND_DELAY_SECONDS,
} from '../env';
import { describeError, log } from '../log';
import { parseEventsQueueMessage, type EventsMessage } from '../queue/messages';
import { nowIso } from '../time';
import { recordUnreadableMessage } from './events-dead-letter';
import {
  batchContextStatements,
  SETTLE_UNSUBSCRIBED,
  unactedEventIds,
  type BatchContext,
  type BatchLookups,
} from './lookups';
import { onShardZeroSql } from '../shops/store';
import { groupByShard } from './placement';
import { inShard, pastWorkDeadline, primaryDb } from '../shards';
import { sendEventMessages } from '../queue/producer';
import type { EventRecord } from '../events/model';
import { runDueTaskRun } from '../tasks/runner';
import { lendFollowUpContext } from '../tasks/follow-ups';
import { processEvents } from './process';
import { loadEvents, markEventsProcessed, receiveEvents, receiveItemId, type ReceiveItem } from '../events/store';

/** Redelivery delay for the n-th attempt (1-based): exponential, capped. */
export function eventsRetryDelaySeconds(attempts: number): number {
  return Math.min(EVENTS_RETRY_MAX_DELAY_SECONDS, EVENTS_RETRY_BASE_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1));
}

interface Work {
  message: Message<unknown>;
  item: ReceiveItem;
  /** The shop the message names (absent in a reference sent before shards). */
  shopId: string | undefined;
}

/** A message that is not an event: a due task run, or a cache value to copy to the edge. */
type Other = {
  message: Message<unknown>;
  body: Exclude<EventsMessage, { kind: 'event' | 'event-ref' }>;
  shopId: string | undefined;
};

interface ShardWork {
  work: Work[];
  /** The claim already made of these events (shard 0's, in the primary's round trip), or null. */
  claimed: Map<string, { claimed: boolean; status: string }> | null;
  other: Other[];
}

/**
 * The events consumer. One primary round trip reads what the batch needs from the configuration
 * (the tasks and subscriptions of its events, every message's shop); then each shard's messages
 * are handled on that shard (`inShard`), the shards at once: events are persisted with one D1 batch
 * (idempotent on event id) that also marks processed at once the events nothing acts on; the other
 * events it claimed are processed and marked processed; every message is settled explicitly. A
 * shop a move has paused gets its messages sent again a little later.
 */
export async function consumeEventsBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const deadlineMs = Date.now() + CONSUMER_WORK_DEADLINE_SECONDS * 1000;
  const work: Work[] = [];
  const other: Other[] = [];
  for (const message of batch.messages) {
    const body = parseEventsQueueMessage(message.body);
    if (body === null) {
      await recordUnreadableMessage(env, batch.queue, message, 'unknown message shape');
      continue;
    }
    if (body.kind === 'task-run' || body.kind === 'cache-copy') {
      other.push({ message, body, shopId: body.shopId });
      continue;
    }
    work.push(
      body.kind === 'event'
        ? { message, item: { event: body.event }, shopId: body.event.shopId }
        : { message, item: { eventId: body.eventId }, shopId: body.shopId },
    );
  }
  dropRepeatsWithinBatch(work);
  if (work.length === 0 && other.length === 0) return;

  const inline = work.flatMap((w) => ('event' in w.item ? [w.item.event] : []));
  const shopIds = [...work, ...other].flatMap((m) => (m.shopId === undefined ? [] : [m.shopId]));
  // One primary round trip: the batch's context and, since the primary is shard 0, the claim of
  // the events of shops on shard 0 (the SQL picks them; the others are claimed on their shard).
  const primary = primaryDb(env);
  const context = batchContextStatements(primary, inline, shopIds);
  let read: BatchContext;
  let onPrimary: Map<string, { claimed: boolean; status: string }> | null = null;
  try {
    if (work.length === 0) {
      read = context.read(context.statements.length === 0 ? [] : await primary.batch(context.statements));
    } else {
      const claim = await receiveEvents(
        primary,
        work.map((w) => w.item),
        nowIso(),
        { settle: SETTLE_UNSUBSCRIBED, only: onShardZeroSql, extra: context.statements },
      );
      onPrimary = claim.outcome;
      read = context.read(claim.extra);
    }
  } catch (err) {
    log.warn('batch claim on the primary failed; reading its context alone', describeError(err));
    try {
      read = context.read(context.statements.length === 0 ? [] : await primary.batch(context.statements));
    } catch (e) {
      log.error('batch lookups failed; retrying the messages', { count: batch.messages.length, ...describeError(e) });
      for (const m of [...work, ...other]) retry(m.message);
      return;
    }
  }
  // Each shard's share, handled on that shard; a paused shop's messages wait.
  const events = groupByShard(read.shops, work, (w) => w.shopId);
  const others = groupByShard(read.shops, other, (o) => o.shopId);
  const shards = new Set([...events.byShard.keys(), ...others.byShard.keys()]);
  await Promise.all([
    resendLater(env, [...events.paused, ...others.paused], PAUSED_SHOP_RESEND_DELAY_SECONDS),
    ...[...shards].map((shard) => {
      const scope = inShard(env, shard, deadlineMs);
      const shardWork = events.byShard.get(shard) ?? [];
      lendFollowUpContext(
        scope,
        shardWork.map((w) => w.shopId ?? ''),
        read.lookups.followUps,
      );
      return consumeShardWork(
        scope,
        {
          work: shardWork,
          other: others.byShard.get(shard) ?? [],
          // Shard 0's events were claimed above (unless that batch failed: then they are claimed alone).
          claimed: shard === 0 ? onPrimary : null,
        },
        read.lookups,
      );
    }),
  ]);
}

/** One shard's share of a batch, on that shard. */
async function consumeShardWork(env: Env, { work, other, claimed }: ShardWork, lookups: BatchLookups): Promise<void> {
  await consumeCacheCopies(
    env,
    other.flatMap((o) => (o.body.kind === 'cache-copy' ? [{ message: o.message, ref: o.body }] : [])),
  );
  // One run after another; past the work deadline the rest go back to the queue untouched.
  const runs = other.flatMap((o) => (o.body.kind === 'task-run' ? [{ message: o.message, runId: o.body.runId }] : []));
  for (const [i, run] of runs.entries()) {
    if (pastWorkDeadline(env)) {
      await resendLater(env, runs.slice(i), 0);
      break;
    }
    await consumeTaskRunMessage(env, run.message, run.runId);
  }
  if (work.length === 0) return;

  const received = claimed
    ? work.map((w) => ({ work: w, ...lookup(claimed, w) }))
    : await receiveIsolatingFailures(env.DB, work, lookups);
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
 * Messages not handled now (a paused shop's, or task runs past the work deadline): sent again
 * `delaySeconds` later as new messages (no retry used up), then acked; retried if the send fails.
 */
async function resendLater(
  env: Env,
  items: readonly { message: Message<unknown> }[],
  delaySeconds: number,
): Promise<void> {
  if (items.length === 0) return;
  try {
    await sendEventMessages(
      env,
      items.map(({ message }) => ({ body: message.body as EventsMessage, delaySeconds })),
    );
  } catch (err) {
    log.warn('messages not handled now could not be sent again; retrying them', describeError(err));
    for (const { message } of items) retry(message);
    return;
  }
  for (const { message } of items) message.ack();
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
 * One D1 batch for the shard's events, which also settles the ones nothing acts on (by the
 * batch's lookups); if it fails, each item alone, so one bad row cannot hold back the rest. Items
 * that still fail are retried with backoff and left out of the result.
 */
async function receiveIsolatingFailures(db: D1Database, work: Work[], lookups: BatchLookups): Promise<Received[]> {
  const now = nowIso();
  try {
    const inline = work.flatMap((w) => ('event' in w.item ? [w.item.event] : []));
    const { outcome } = await receiveEvents(
      db,
      work.map((w) => w.item),
      now,
      { settle: unactedEventIds(lookups, inline) },
    );
    return work.map((w) => ({ work: w, ...lookup(outcome, w) }));
  } catch (err) {
    log.warn('batch persist failed; persisting messages one by one', {
      count: work.length,
      ...describeError(err),
    });
  }
  const received: Received[] = [];
  for (const w of work) {
    try {
      const { outcome } = await receiveEvents(db, [w.item], now);
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
  return received;
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
