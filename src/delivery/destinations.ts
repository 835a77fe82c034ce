import {
  DEFAULT_DELIVERY_RATE_LIMIT_PER_SECOND,
  DELIVERY_BREAKER_FAILURE_THRESHOLD,
  DELIVERY_BREAKER_FIRST_PROBE_SECONDS,
  DELIVERY_BREAKER_MAX_PROBE_SECONDS,
  MAX_DELIVERY_RATE_LIMIT_PER_SECOND,
  MAX_QUEUE_DELAY_SECONDS,
} from '../env';
import { log } from '../log';
import { admitToDestinations, destinationResultsStatement, type DestinationResult } from './destinations-store';

/**
 * Destinations: an app's deliveries to one host. Before a batch is sent, each destination admits
 * what its rate limit and circuit breaker allow; the rest are held — sent back to the queue with a
 * delay, the same attempt again, so holding never spends a retry and never drops a delivery.
 * After the batch, its outcomes move each destination's breaker.
 */

/** The destination of an address: its lowercased host and port, or null for an address that is not a URL. */
export function destinationHost(address: string): string | null {
  try {
    return new URL(address).host.toLowerCase() || null;
  } catch {
    return null;
  }
}

/** The deployment's deliveries per second to one destination (var DELIVERY_RATE_LIMIT_PER_SECOND). */
export function deliveryRateLimitPerSecond(env: Env): number {
  const text = env.DELIVERY_RATE_LIMIT_PER_SECOND;
  if (text === undefined || text === '') return DEFAULT_DELIVERY_RATE_LIMIT_PER_SECOND;
  const value = Number(text);
  if (Number.isInteger(value) && value >= 1 && value <= MAX_DELIVERY_RATE_LIMIT_PER_SECOND) return value;
  log.error('DELIVERY_RATE_LIMIT_PER_SECOND is not a whole number from 1 to 10000; using the default', {
    value: text,
  });
  return DEFAULT_DELIVERY_RATE_LIMIT_PER_SECOND;
}

/** One attempt waiting for its destination's admission. */
export interface Gated {
  appId: string;
  host: string | null;
  /** Its subscription's own limit, if it has one. */
  limitPerSecond: number | null;
}

/** How long to hold an attempt, and whether its destination is paused (rather than at its rate). */
export interface Hold {
  delaySeconds: number;
  paused: boolean;
}

/**
 * Asks every destination of the batch for admission at once (one D1 statement). A destination's
 * limit is the lowest of its subscriptions' own limits among the batch's attempts, else the
 * deployment's. Returns, per
 * attempt in input order, null when it may go now, or how long to hold it: a held attempt
 * comes back when its destination can take it (the next second's window, or the next probe of a
 * paused destination), the held ones of one destination spread at its rate so they do not all
 * return in the same second. Attempts without a destination (an unparsable address, which the
 * send-time guard refuses) always go. `probes`: the admitted attempts that are a paused
 * destination's probe (granted once per probe interval, so the caller sends them first).
 */
export async function admitAttempts(
  env: Env,
  attempts: readonly Gated[],
  now: Date,
): Promise<{ holds: (Hold | null)[]; probes: ReadonlySet<number> }> {
  const deployment = deliveryRateLimitPerSecond(env);
  const groups = new Map<string, { appId: string; host: string; indexes: number[]; limit: number | null }>();
  attempts.forEach(({ appId, host, limitPerSecond }, i) => {
    if (host === null) return;
    const key = `${appId}\n${host}`;
    const group = groups.get(key) ?? { appId, host, indexes: [], limit: null };
    group.indexes.push(i);
    // Subscriptions sharing a destination with different limits: the lowest one holds.
    if (limitPerSecond !== null) group.limit = Math.min(group.limit ?? limitPerSecond, limitPerSecond);
    groups.set(key, group);
  });
  const holds: (Hold | null)[] = attempts.map(() => null);
  const probes = new Set<number>();
  if (groups.size === 0) return { holds, probes };
  const admissions = await admitToDestinations(
    env.DB,
    [...groups.values()].map((g) => ({
      appId: g.appId,
      host: g.host,
      wanted: g.indexes.length,
      limitPerSecond: g.limit ?? deployment,
    })),
    now,
    DELIVERY_BREAKER_MAX_PROBE_SECONDS,
  );
  for (const admission of admissions) {
    const group = groups.get(`${admission.appId}\n${admission.host}`)!;
    const limit = group.limit ?? deployment;
    const untilProbe =
      admission.nextProbeAt === null
        ? 1
        : Math.max(1, Math.ceil((Date.parse(admission.nextProbeAt) - now.getTime()) / 1000));
    if (admission.nextProbeAt !== null) group.indexes.slice(0, admission.granted).forEach((i) => probes.add(i));
    group.indexes.slice(admission.granted).forEach((index, k) => {
      holds[index] = {
        delaySeconds: Math.min(MAX_QUEUE_DELAY_SECONDS, untilProbe + Math.floor(k / limit)),
        paused: admission.nextProbeAt !== null,
      };
    });
  }
  return { holds, probes };
}

/** One attempt that reached its destination (refused attempts made no request and count for nothing). */
export interface DestinationAttempt {
  appId: string;
  host: string;
  succeeded: boolean;
  error: string | null;
}

/**
 * The statement that moves the breakers of a batch's destinations, or null when no attempt of the
 * batch reached one. Attempts are given in the order they finished.
 */
export function breakerStatement(
  db: D1Database,
  attempts: readonly DestinationAttempt[],
  now: string,
): D1PreparedStatement | null {
  const byDestination = new Map<string, DestinationResult>();
  for (const a of attempts) {
    const key = `${a.appId}\n${a.host}`;
    const result = byDestination.get(key) ?? {
      appId: a.appId,
      host: a.host,
      succeeded: false,
      failuresAfter: 0,
      lastError: null,
    };
    if (a.succeeded) {
      result.succeeded = true;
      result.failuresAfter = 0;
    } else {
      result.failuresAfter++;
      result.lastError = a.error;
    }
    byDestination.set(key, result);
  }
  if (byDestination.size === 0) return null;
  return destinationResultsStatement(
    db,
    [...byDestination.values()],
    now,
    DELIVERY_BREAKER_FAILURE_THRESHOLD,
    DELIVERY_BREAKER_FIRST_PROBE_SECONDS,
  );
}
