import { localDate, nextDate, startOfLocalDay } from '../time-zones';

/**
 * The scheduler's topics and their periods. Sub-daily periods start on UTC multiples of their
 * length (the same wall-clock minutes in every zone whose offset is whole hours); `daily` starts
 * at midnight in the shop's time zone, so it follows DST. A period's key is what the scheduler
 * stores and hashes into the event id: the UTC start (ISO 8601) or, for `daily`, the local date.
 */

export const SCHEDULER_TOPIC_PREFIX = 'edgehook/scheduler/';

const MINUTE_MS = 60_000;
const PERIOD_MINUTES = { '10min': 10, '15min': 15, '20min': 20, '30min': 30, hourly: 60 } as const;
export const SCHEDULER_PERIOD_NAMES = [
  ...(Object.keys(PERIOD_MINUTES) as (keyof typeof PERIOD_MINUTES)[]),
  'daily',
] as const;
export type SchedulerPeriodName = (typeof SCHEDULER_PERIOD_NAMES)[number];

export const SCHEDULER_TOPICS: readonly string[] = SCHEDULER_PERIOD_NAMES.map((p) => SCHEDULER_TOPIC_PREFIX + p);

export interface Period {
  key: string;
  startMs: number;
}

/** The period name of a scheduler topic, or null for any other topic. */
export function schedulerPeriodOf(topic: string): SchedulerPeriodName | null {
  if (!topic.startsWith(SCHEDULER_TOPIC_PREFIX)) return null;
  const name = topic.slice(SCHEDULER_TOPIC_PREFIX.length);
  return (SCHEDULER_PERIOD_NAMES as readonly string[]).includes(name) ? (name as SchedulerPeriodName) : null;
}

/** The period that contains `nowMs`. */
export function periodAt(name: SchedulerPeriodName, nowMs: number, timeZone: string): Period {
  if (name === 'daily') {
    const key = localDate(nowMs, timeZone);
    return { key, startMs: startOfLocalDay(key, timeZone) };
  }
  const length = PERIOD_MINUTES[name] * MINUTE_MS;
  const startMs = Math.floor(nowMs / length) * length;
  return { key: new Date(startMs).toISOString(), startMs };
}

/** The period after the one whose key is `key`. */
export function periodAfter(name: SchedulerPeriodName, key: string, timeZone: string): Period {
  if (name === 'daily') {
    const next = nextDate(key);
    return { key: next, startMs: startOfLocalDay(next, timeZone) };
  }
  const startMs = Date.parse(key) + PERIOD_MINUTES[name] * MINUTE_MS;
  return { key: new Date(startMs).toISOString(), startMs };
}

function periodBefore(name: SchedulerPeriodName, key: string, timeZone: string): Period {
  if (name === 'daily') {
    const previous = new Date(Date.parse(key) - 86_400_000).toISOString().slice(0, 10);
    return { key: previous, startMs: startOfLocalDay(previous, timeZone) };
  }
  const startMs = Date.parse(key) - PERIOD_MINUTES[name] * MINUTE_MS;
  return { key: new Date(startMs).toISOString(), startMs };
}

/**
 * The periods after `lastKey` that have started by `nowMs`, oldest first, at most `max` (the most
 * recent ones), and how many older ones were left out.
 */
export function duePeriods(
  name: SchedulerPeriodName,
  lastKey: string,
  nowMs: number,
  timeZone: string,
  max: number,
): { due: Period[]; skipped: number } {
  const current = periodAt(name, nowMs, timeZone);
  if (current.key <= lastKey) return { due: [], skipped: 0 };
  const first = periodAfter(name, lastKey, timeZone);
  // Periods are evenly spaced in their own unit (minutes, or local dates): jump straight to the
  // oldest one kept rather than walking every skipped one.
  const count =
    name === 'daily'
      ? Math.round((Date.parse(current.key) - Date.parse(first.key)) / 86_400_000) + 1
      : Math.round((current.startMs - first.startMs) / (PERIOD_MINUTES[name] * MINUTE_MS)) + 1;
  const skipped = Math.max(0, count - max);
  const due: Period[] = [];
  let p = skipped === 0 ? first : current;
  if (skipped > 0) for (let i = 1; i < max; i++) p = periodBefore(name, p.key, timeZone);
  for (; p.key <= current.key; p = periodAfter(name, p.key, timeZone)) due.push(p);
  return { due, skipped };
}
