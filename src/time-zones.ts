/**
 * IANA time zones with the runtime's own zone database (Intl), for the shop's `timezone` and the
 * scheduler's local midnights. Local dates are `YYYY-MM-DD` strings, which sort as dates.
 */

const MINUTE_MS = 60_000;
/** Steps of one minute searched around a computed midnight; DST shifts are at most two hours. */
const MAX_MIDNIGHT_STEPS = 180;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `name` is a time zone the runtime knows (`UTC`, `Europe/Paris`, …). */
export function isTimeZone(name: string): boolean {
  if (name === '' || !/^[A-Za-z0-9_+\-/]+$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/**
 * A known zone in the runtime's letter case (`europe/paris` → `Europe/Paris`). A name the runtime
 * maps to an older alias (ICU resolves `Asia/Kolkata` to `Asia/Calcutta`) is kept as given.
 */
export function canonicalTimeZone(name: string): string {
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallClock(ms: number, timeZone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts['year']!,
    month: parts['month']!,
    day: parts['day']!,
    hour: parts['hour']!,
    minute: parts['minute']!,
    second: parts['second']!,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The local date at `ms` in the zone, as `YYYY-MM-DD`. */
export function localDate(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
}

/** The date after `date` (`YYYY-MM-DD`), in the proleptic Gregorian calendar. */
export function nextDate(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/** Local time minus UTC at `ms`, in milliseconds. */
function offsetMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The first instant (to the minute) whose local date in the zone is `date`: its midnight, or —
 * where a DST change skips midnight — the moment the change happens.
 */
export function startOfLocalDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  let t = wall - offsetMs(wall, timeZone);
  t = wall - offsetMs(t, timeZone);
  for (let i = 0; i < MAX_MIDNIGHT_STEPS && localDate(t, timeZone) < date; i++) t += MINUTE_MS;
  for (let i = 0; i < MAX_MIDNIGHT_STEPS && localDate(t - MINUTE_MS, timeZone) === date; i++) t -= MINUTE_MS;
  return t;
}
