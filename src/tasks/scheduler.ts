import { inShard, primaryDb } from '../shards';
import { sha256Hex } from '../crypto';
import { SCHEDULER_MAX_CATCH_UP_PERIODS, SCHEDULER_PAIRS_PER_RUN } from '../env';
import { newEventEnvelope } from '../events/producer';
import { log } from '../log';
import type { EventEnvelope } from '../queue/messages';
import { sendEventMessagesSettled } from '../queue/producer';
import {
  duePeriods,
  periodAfter,
  periodAt,
  SCHEDULER_TOPICS,
  schedulerPeriodOf,
  type Period,
  type SchedulerPeriodName,
} from './scheduler-periods';
import {
  advanceSchedulerPeriods,
  deleteUnsubscribedSchedulerPeriods,
  listDueSchedulerPairs,
  type PeriodAdvance,
  type SchedulerPair,
} from './scheduler-store';

/**
 * The scheduler (run by the cron every minute): one `edgehook/scheduler/<period>` event per shop
 * and period, only for shops with an enabled task subscribed to the topic. Exactly once per
 * period: each event's id is derived from (shop, topic, period), so an event sent twice — by
 * overlapping or retried cron runs — is stored and run once; a pair's row moves to its new period
 * only after its events are on the queue, with a compare-and-set. A period the cron missed is
 * emitted late, at the next run. A pair seen for the first time starts at the period in progress
 * (its first event is the next period's).
 */
export async function emitSchedulerEvents(env: Env, nowMs: number): Promise<number> {
  const now = new Date(nowMs).toISOString();
  await deleteUnsubscribedSchedulerPeriods(primaryDb(env));
  const pairs = await listDueSchedulerPairs(primaryDb(env), SCHEDULER_TOPICS, now, SCHEDULER_PAIRS_PER_RUN);
  const planned: { advance: PeriodAdvance; events: EventEnvelope[]; shard: number }[] = [];
  for (const pair of pairs) {
    const name = schedulerPeriodOf(pair.topic);
    if (name !== null) planned.push({ ...(await planPair(pair, name, nowMs, now)), shard: pair.shard });
  }
  const events = planned.flatMap((p, index) => p.events.map((event) => ({ event, index, shard: p.shard })));
  // Each shop's events go to its shard's queue group.
  const refused = (
    await Promise.all(
      [...new Set(events.map((e) => e.shard))].map((shard) =>
        sendEventMessagesSettled(
          inShard(env, shard),
          events.filter((e) => e.shard === shard),
          ({ event }) => ({ body: { kind: 'event', event } }),
        ),
      ),
    )
  ).flat();
  const unsent = new Set(refused.flatMap((r) => r.items.map((i) => i.index)));
  if (refused.length > 0) {
    log.warn('scheduler events not queued; their periods are emitted at the next run', { count: unsent.size });
  }
  await advanceSchedulerPeriods(
    primaryDb(env),
    planned.filter((_, i) => !unsent.has(i)).map((p) => p.advance),
    now,
  );
  return events.length - refused.reduce((sum, r) => sum + r.items.length, 0);
}

async function planPair(
  pair: SchedulerPair,
  name: SchedulerPeriodName,
  nowMs: number,
  now: string,
): Promise<{ advance: PeriodAdvance; events: EventEnvelope[] }> {
  const zone = pair.timezone;
  const advanceTo = (last: string, expected: string | null): PeriodAdvance => ({
    shopId: pair.shopId,
    topic: pair.topic,
    expected,
    lastPeriod: last,
    nextDueAt: new Date(periodAfter(name, last, zone).startMs).toISOString(),
    timezone: zone,
  });
  if (pair.lastPeriod === null) return { advance: advanceTo(periodAt(name, nowMs, zone).key, null), events: [] };
  const { due, skipped } = duePeriods(name, pair.lastPeriod, nowMs, zone, SCHEDULER_MAX_CATCH_UP_PERIODS);
  if (skipped > 0) {
    log.warn('scheduler periods missed beyond the catch-up limit are skipped', {
      shopId: pair.shopId,
      topic: pair.topic,
      skipped,
    });
  }
  const events = await Promise.all(due.map((period) => schedulerEvent(pair, name, period, now)));
  return { advance: advanceTo(due.at(-1)?.key ?? pair.lastPeriod, pair.lastPeriod), events };
}

/** The event of one period; its id is the same whoever makes it. */
async function schedulerEvent(
  pair: SchedulerPair,
  name: SchedulerPeriodName,
  period: Period,
  now: string,
): Promise<EventEnvelope> {
  const data: Record<string, unknown> = {
    period: name,
    scheduled_at: new Date(period.startMs).toISOString(),
    timezone: pair.timezone,
  };
  if (name === 'daily') data['date'] = period.key;
  const event = newEventEnvelope({
    id: await schedulerEventId(pair.shopId, pair.topic, period.key),
    shopId: pair.shopId,
    topic: pair.topic,
    data,
    // The events table knows three sources; events edgehook makes for tasks are `task` events.
    source: 'task',
  });
  return { ...event, createdAt: now };
}

async function schedulerEventId(shopId: string, topic: string, periodKey: string): Promise<string> {
  const hex = await sha256Hex(`edgehook-scheduler\n${shopId}\n${topic}\n${periodKey}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
