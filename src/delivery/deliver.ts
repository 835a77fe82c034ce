import { DELIVERY_CONCURRENCY, DELIVERY_MAX_HOLD_SECONDS } from '../env';
import { mapWithConcurrency } from '../concurrency';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import { allowsInsecureAddresses } from '../subscriptions/address';
import { admitAttempts, breakerStatement, destinationHost, type Hold } from './destinations';
import { enqueueDeliveryAttempts } from './fanout';
import { attemptOutcome } from './policy';
import { prepareDeliveryRequest } from './request';
import type { RandomSource } from './schedule';
import { signingSecretsOf } from './secrets';
import { sendDelivery, type SendResult } from './send';
import { failDelivery, loadDeliveryWork, recordAttempts, type AttemptOutcome, type DeliveryWork } from './store';

/** One attempt of one delivery, as a deliveries-queue message names it. */
export interface AttemptRef {
  deliveryId: string;
  /** 1-based. */
  attempt: number;
}

/** What the caller does with the message of each attempt: ack it, or have the queue redeliver it. */
export type Settlement = 'ack' | 'retry';

interface Due {
  index: number;
  item: DeliveryWork;
  attempt: number;
}

interface Made extends Due {
  outcome: AttemptOutcome;
  retryDelaySeconds: number | null;
  /** Whether a request went out (a refused attempt makes none and does not touch the breaker). */
  sent: boolean;
  /** The order attempts finished in, for the breaker's count of consecutive failures. */
  finished: number;
}

/**
 * Makes a batch of attempts: skips the ones already made or superseded (duplicates), holds in the
 * queue what the destinations' rate limits and breakers do not admit now, builds and signs each
 * request, POSTs at most DELIVERY_CONCURRENCY at a time, then schedules the next
 * attempts and records every attempt with its consequences. Each delivery stands alone: what its
 * own data breaks fails only that delivery. Returns one settlement per attempt, in input order:
 * `retry` only for attempts whose outcome could not be recorded (the attempt is repeated, never
 * lost; receivers dedupe on the webhook id).
 */
export async function deliverAttempts(
  env: Env,
  attempts: readonly AttemptRef[],
  random: RandomSource = Math.random,
): Promise<Settlement[]> {
  const settlements: Settlement[] = attempts.map(() => 'ack');
  if (attempts.length === 0) return settlements;

  let work: Map<string, DeliveryWork>;
  try {
    work = new Map(
      (
        await loadDeliveryWork(
          env.DB,
          attempts.map((a) => a.deliveryId),
        )
      ).map((w) => [w.delivery.id, w]),
    );
  } catch (err) {
    log.error('could not load deliveries; retrying the batch', describeError(err));
    return attempts.map(() => 'retry');
  }

  const waiting: Due[] = [];
  attempts.forEach(({ deliveryId, attempt }, index) => {
    const item = work.get(deliveryId);
    // Deleted, finished, or a duplicate of an attempt already made or already in this batch: ack.
    if (item === undefined || item.delivery.status !== 'pending' || item.delivery.attempts !== attempt - 1) return;
    if (waiting.some((d) => d.item === item)) return;
    waiting.push({ index, item, attempt });
  });
  if (waiting.length === 0) return settlements;

  // Admission by destination (rate limit, circuit breaker) and the signing secrets, together.
  let holds: (Hold | null)[];
  let secrets: Map<string, string[]>;
  try {
    [holds, secrets] = await Promise.all([
      admitAttempts(
        env,
        waiting.map((d) => ({
          appId: d.item.delivery.appId,
          host: destinationHost(d.item.delivery.address),
          limitPerSecond: d.item.rateLimitPerSecond,
        })),
        new Date(),
      ),
      signingSecretsOf(
        env,
        waiting.map((d) => d.item.delivery.appId),
      ),
    ]);
  } catch (err) {
    log.error('could not admit deliveries; retrying the batch', describeError(err));
    return attempts.map(() => 'retry');
  }
  const due = waiting.filter((_, i) => holds[i] === null);
  const held = waiting.flatMap((d, i) => (holds[i] === null ? [] : [{ ...d, ...holds[i]! }]));
  const expired = held.filter((h) => h.paused && heldTooLong(h.item));
  for (const index of [
    ...(await holdAttempts(
      env,
      held.filter((h) => !expired.includes(h)),
    )),
    ...(await expireHeld(env, expired)),
  ]) {
    settlements[index] = 'retry';
  }
  if (due.length === 0) return settlements;

  const allowInsecure = allowsInsecureAddresses(env);
  let finished = 0;
  const made = await mapWithConcurrency(due, DELIVERY_CONCURRENCY, async (d): Promise<Made> => {
    const prepared = await prepareDeliveryRequest(d.item, secrets.get(d.item.delivery.appId) ?? [], allowInsecure);
    const startedAt = nowIso();
    const started = Date.now();
    const result: SendResult =
      'refused' in prepared
        ? { statusCode: null, error: prepared.refused.reason }
        : await sendDelivery(d.item.delivery.address, prepared.request);
    const decided = attemptOutcome(
      env,
      {
        deliveryId: d.item.delivery.id,
        attempt: d.attempt,
        startedAt,
        durationMs: Date.now() - started,
        result,
        refusal: 'refused' in prepared ? prepared.refused : null,
      },
      random,
    );
    return { ...d, ...decided, sent: !('refused' in prepared), finished: finished++ };
  });

  for (const index of await recordIsolatingFailures(env, made)) settlements[index] = 'retry';
  for (const m of made) {
    if (m.outcome.status === 'failed' && settlements[m.index] === 'ack') {
      log.warn('delivery failed', {
        deliveryId: m.item.delivery.id,
        subscriptionId: m.item.delivery.subscriptionId,
        attempt: m.attempt,
        error: m.outcome.attempt.error,
      });
    }
  }
  return settlements;
}

function heldTooLong(item: DeliveryWork): boolean {
  return Date.now() - Date.parse(item.delivery.createdAt) > DELIVERY_MAX_HOLD_SECONDS * 1000;
}

/**
 * Fails deliveries their paused destination has held past DELIVERY_MAX_HOLD_SECONDS (replay brings
 * them back). Returns the input indexes whose failure could not be recorded.
 */
async function expireHeld(env: Env, expired: readonly Due[]): Promise<number[]> {
  const unrecorded: number[] = [];
  for (const e of expired) {
    const host = destinationHost(e.item.delivery.address);
    const reason =
      `held for more than ${DELIVERY_MAX_HOLD_SECONDS / 3_600} h while its destination ${host} was paused ` +
      '(circuit breaker open); replay it once the destination is back';
    try {
      await failDelivery(env.DB, e.item.delivery.id, reason, nowIso());
      log.warn('held delivery expired', { deliveryId: e.item.delivery.id, host });
    } catch (err) {
      log.error('could not expire a held delivery; retrying its message', describeError(err));
      unrecorded.push(e.index);
    }
  }
  return unrecorded;
}

/**
 * Sends held attempts back to the queue, each the same attempt again after its delay, so holding
 * spends no retry. Returns the input indexes whose messages must be redelivered instead (the send
 * failed; the queue's redelivery then tries again).
 */
async function holdAttempts(env: Env, held: readonly (Due & { delaySeconds: number })[]): Promise<number[]> {
  if (held.length === 0) return [];
  try {
    await enqueueDeliveryAttempts(
      env,
      held.map((h) => ({ deliveryId: h.item.delivery.id, attempt: h.attempt, delaySeconds: h.delaySeconds })),
    );
    return [];
  } catch (err) {
    log.error('could not hold deliveries in the queue; retrying their messages', {
      count: held.length,
      ...describeError(err),
    });
    return held.map((h) => h.index);
  }
}

/**
 * Schedules the next attempts (one queue send), then records every attempt (one D1 batch). Next
 * attempts go first: if recording then fails, the redelivered message repeats the attempt instead
 * of losing the schedule. If the batch fails, each attempt is tried alone, so one that cannot be
 * recorded holds back no other. Returns the input indexes of the attempts still unrecorded.
 */
async function recordIsolatingFailures(env: Env, made: readonly Made[]): Promise<number[]> {
  try {
    await scheduleAndRecord(env, made);
    return [];
  } catch (err) {
    if (made.length === 1) {
      log.error('delivery attempt not recorded; retrying the message', describeError(err));
      return [made[0]!.index];
    }
    log.warn('delivery attempts not recorded together; recording them one by one', {
      count: made.length,
      ...describeError(err),
    });
  }
  const unrecorded: number[] = [];
  for (const m of made) {
    try {
      await scheduleAndRecord(env, [m]);
    } catch (err) {
      log.error('delivery attempt not recorded; retrying the message', {
        deliveryId: m.item.delivery.id,
        ...describeError(err),
      });
      unrecorded.push(m.index);
    }
  }
  return unrecorded;
}

async function scheduleAndRecord(env: Env, made: readonly Made[]): Promise<void> {
  await enqueueDeliveryAttempts(
    env,
    made.flatMap((m) =>
      m.retryDelaySeconds === null
        ? []
        : [{ deliveryId: m.item.delivery.id, attempt: m.attempt + 1, delaySeconds: m.retryDelaySeconds }],
    ),
  );
  const now = nowIso();
  const breakers = breakerStatement(
    env.DB,
    [...made]
      .sort((a, b) => a.finished - b.finished)
      .flatMap((m) => {
        const host = destinationHost(m.item.delivery.address);
        return m.sent && host !== null
          ? [
              {
                appId: m.item.delivery.appId,
                host,
                succeeded: m.outcome.status === 'succeeded',
                error: m.outcome.attempt.error,
              },
            ]
          : [];
      }),
    now,
  );
  await recordAttempts(
    env.DB,
    made.map((m) => ({ delivery: m.item.delivery, outcome: m.outcome })),
    now,
    breakers === null ? [] : [breakers],
  );
}
