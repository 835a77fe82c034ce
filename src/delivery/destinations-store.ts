import type { Cursor } from '../http/pagination';

/**
 * Every SQL statement on `delivery_destinations`: a destination's rate window and circuit breaker.
 * Each change is one statement over all of a batch's destinations, so it is atomic however many
 * consumer invocations run at once (D1 has one writer); the logic lives in the SQL for that reason.
 */

/** Times are ISO 8601 UTC with milliseconds, as `Date.toISOString()` writes them (they sort as text). */
const ISO = `'%Y-%m-%dT%H:%M:%fZ'`;

export interface AdmissionRequest {
  appId: string;
  host: string;
  /** Attempts of this batch waiting to go to the destination. */
  wanted: number;
  limitPerSecond: number;
}

export interface Admission {
  appId: string;
  host: string;
  /** How many of the wanted attempts may go now (the rest are held). */
  granted: number;
  /** Set while the destination is paused: the earliest time of its next probe. */
  nextProbeAt: string | null;
}

/**
 * Admits attempts to each destination. Closed breaker: up to the rate limit in the current second
 * (what earlier batches admitted in this second counts). Paused: one attempt, the probe, once its
 * time has come; claiming it moves the next probe twice as far (up to `maxProbeSeconds`), so a
 * probe whose outcome is never recorded does not hold the destination for ever.
 */
export async function admitToDestinations(
  db: D1Database,
  requests: readonly AdmissionRequest[],
  now: Date,
  maxProbeSeconds: number,
): Promise<Admission[]> {
  if (requests.length === 0) return [];
  const rows = JSON.stringify(requests.map((r) => [r.appId, r.host, r.wanted, r.limitPerSecond]));
  const second = Math.floor(now.getTime() / 1000);
  const { results } = await db
    .prepare(
      `INSERT INTO delivery_destinations (app_id, host, rate_limit_per_second, window_second, window_count,
                                          requested, granted, created_at, updated_at)
       SELECT value ->> '$[0]', value ->> '$[1]', value ->> '$[3]', ?2,
              MIN(value ->> '$[2]', value ->> '$[3]'), value ->> '$[2]', MIN(value ->> '$[2]', value ->> '$[3]'), ?3, ?3
       FROM json_each(?1) WHERE true
       ON CONFLICT (app_id, host) DO UPDATE SET
         granted = CASE
           WHEN paused_at IS NOT NULL THEN CASE WHEN next_probe_at <= ?3 THEN 1 ELSE 0 END
           WHEN window_second = ?2
             THEN MAX(0, MIN(excluded.requested, excluded.rate_limit_per_second - window_count))
           ELSE MIN(excluded.requested, excluded.rate_limit_per_second) END,
         window_count = CASE
           WHEN paused_at IS NOT NULL THEN window_count
           WHEN window_second = ?2
             THEN window_count + MAX(0, MIN(excluded.requested, excluded.rate_limit_per_second - window_count))
           ELSE MIN(excluded.requested, excluded.rate_limit_per_second) END,
         window_second = CASE WHEN paused_at IS NOT NULL THEN window_second ELSE ?2 END,
         next_probe_at = CASE
           WHEN paused_at IS NOT NULL AND next_probe_at <= ?3
             THEN strftime(${ISO}, ?3, '+' || MIN(?4, probe_interval_seconds * 2) || ' seconds')
           ELSE next_probe_at END,
         probe_interval_seconds = CASE
           WHEN paused_at IS NOT NULL AND next_probe_at <= ?3 THEN MIN(?4, probe_interval_seconds * 2)
           ELSE probe_interval_seconds END,
         requested = excluded.requested,
         rate_limit_per_second = excluded.rate_limit_per_second,
         updated_at = ?3
       RETURNING app_id, host, granted, paused_at, next_probe_at`,
    )
    .bind(rows, second, now.toISOString(), maxProbeSeconds)
    .all<{ app_id: string; host: string; granted: number; paused_at: string | null; next_probe_at: string | null }>();
  return results.map((r) => ({
    appId: r.app_id,
    host: r.host,
    granted: r.granted,
    nextProbeAt: r.paused_at === null ? null : r.next_probe_at,
  }));
}

/** What a batch's attempts to one destination came to, in the order they finished. */
export interface DestinationResult {
  appId: string;
  host: string;
  /** Whether any attempt succeeded. */
  succeeded: boolean;
  /** Failed attempts after the last success (all of them when none succeeded). */
  failuresAfter: number;
  lastError: string | null;
}

/**
 * The statement that counts a batch's attempts against their destinations' breakers, to run in
 * the same D1 batch as the attempt records: a success closes the breaker and resets the count;
 * reaching `threshold` consecutive failures pauses the destination, its first probe
 * `firstProbeSeconds` later.
 */
export function destinationResultsStatement(
  db: D1Database,
  results: readonly DestinationResult[],
  now: string,
  threshold: number,
  firstProbeSeconds: number,
): D1PreparedStatement {
  const rows = JSON.stringify(
    results.map((r) => ({
      app_id: r.appId,
      host: r.host,
      ok: r.succeeded ? 1 : 0,
      failures: r.failuresAfter,
      error: r.lastError,
    })),
  );
  const count = `CASE WHEN j.ok = 1 THEN j.failures ELSE consecutive_failures + j.failures END`;
  const stillPaused = `(paused_at IS NOT NULL AND j.ok = 0)`;
  return db
    .prepare(
      `UPDATE delivery_destinations SET
         consecutive_failures = ${count},
         paused_at = CASE WHEN ${count} < ?3 THEN NULL WHEN ${stillPaused} THEN paused_at ELSE ?2 END,
         next_probe_at = CASE WHEN ${count} < ?3 THEN NULL WHEN ${stillPaused} THEN next_probe_at
                              ELSE strftime(${ISO}, ?2, '+' || ?4 || ' seconds') END,
         probe_interval_seconds = CASE WHEN ${count} < ?3 THEN 0 WHEN ${stillPaused} THEN probe_interval_seconds
                                       ELSE ?4 END,
         last_error = COALESCE(j.error, last_error),
         last_failure_at = CASE WHEN j.failures > 0 THEN ?2 ELSE last_failure_at END,
         last_success_at = CASE WHEN j.ok = 1 THEN ?2 ELSE last_success_at END,
         updated_at = ?2
       FROM (SELECT value ->> '$.app_id' AS app_id, value ->> '$.host' AS host, value ->> '$.ok' AS ok,
                    value ->> '$.failures' AS failures, value ->> '$.error' AS error
             FROM json_each(?1)) AS j
       WHERE delivery_destinations.app_id = j.app_id AND delivery_destinations.host = j.host`,
    )
    .bind(rows, now, threshold, firstProbeSeconds);
}

/** A destination as the API shows it. */
export interface DestinationRecord {
  /** The host: a destination's id within its app. */
  id: string;
  createdAt: string;
  rateLimitPerSecond: number;
  consecutiveFailures: number;
  pausedAt: string | null;
  nextProbeAt: string | null;
  lastError: string | null;
  lastFailureAt: string | null;
  lastSuccessAt: string | null;
  updatedAt: string;
}

interface DestinationRow {
  host: string;
  created_at: string;
  rate_limit_per_second: number;
  consecutive_failures: number;
  paused_at: string | null;
  next_probe_at: string | null;
  last_error: string | null;
  last_failure_at: string | null;
  last_success_at: string | null;
  updated_at: string;
}

/** An app's destinations, oldest first, after `cursor`; `pausedOnly` keeps the paused ones. */
export async function listAppDestinations(
  db: D1Database,
  appId: string,
  pausedOnly: boolean,
  limit: number,
  cursor: Cursor | null,
): Promise<DestinationRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT host, created_at, rate_limit_per_second, consecutive_failures, paused_at, next_probe_at, last_error,
              last_failure_at, last_success_at, updated_at
       FROM delivery_destinations
       WHERE app_id = ?1 AND (?2 = 0 OR paused_at IS NOT NULL) AND (?3 IS NULL OR (created_at, host) > (?3, ?4))
       ORDER BY created_at, host LIMIT ?5`,
    )
    .bind(appId, pausedOnly ? 1 : 0, cursor?.createdAt ?? null, cursor?.id ?? null, limit)
    .all<DestinationRow>();
  return results.map((r) => ({
    id: r.host,
    createdAt: r.created_at,
    rateLimitPerSecond: r.rate_limit_per_second,
    consecutiveFailures: r.consecutive_failures,
    pausedAt: r.paused_at,
    nextProbeAt: r.paused_at === null ? null : r.next_probe_at,
    lastError: r.last_error,
    lastFailureAt: r.last_failure_at,
    lastSuccessAt: r.last_success_at,
    updatedAt: r.updated_at,
  }));
}
