import { pastWorkDeadline, primaryDb } from '../shards';
import { DELIVERY_CONCURRENCY } from '../env';
import { mapWithConcurrency } from '../concurrency';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import { allowsInsecureAddresses } from '../http/outbound-address';
import { admitAttempts, destinationHost, type Hold } from './destinations';
import { settleHeldAttempts } from './hold';
import { attemptOutcome } from './policy';
import { recordMadeAttempts, type MadeAttempt } from './record';
import { prepareDeliveryRequest } from './request';
import type { RandomSource } from './schedule';
import { signingSecretsOf } from './secrets';
import { sendDelivery, type SendResult } from './send';
import { loadDeliveryWork, type DeliveryWork } from './store';

/** One attempt of one delivery, as a deliveries-queue message names it. */
export interface AttemptRef {
  deliveryId: string;
  /** 1-based. */
  attempt: number;
}

/**
 * What the caller does with the message of each attempt: ack it, have the queue redeliver it, or
 * (`later`: not started, the consumer's work deadline had passed) send it again as a new message.
 */
export type Settlement = 'ack' | 'retry' | 'later';

interface Due {
  index: number;
  item: DeliveryWork;
  attempt: number;
}

/**
 * Makes a batch of attempts: skips the ones already made or superseded (duplicates), holds in the
 * queue what the destinations' rate limits and breakers do not admit now, builds and signs each
 * request, POSTs at most DELIVERY_CONCURRENCY at a time, then schedules the next
 * attempts and records every attempt with its consequences. Each delivery stands alone: what its
 * own data breaks fails only that delivery. Returns one settlement per attempt, in input order:
 * `retry` only for attempts whose outcome could not be recorded (the attempt is repeated, never
 * lost; receivers dedupe on the webhook id); `later` for attempts not started because the
 * consumer's work deadline had passed (`pastWorkDeadline`). `loaded`: the deliveries' work when
 * the caller already read it (shard 0's, in the consumer's primary round trip); otherwise it is
 * loaded here.
 */
export async function deliverAttempts(
  env: Env,
  attempts: readonly AttemptRef[],
  { loaded, random = Math.random }: { loaded?: readonly DeliveryWork[]; random?: RandomSource } = {},
): Promise<Settlement[]> {
  const settlements: Settlement[] = attempts.map(() => 'ack');
  if (attempts.length === 0) return settlements;

  let work: Map<string, DeliveryWork>;
  try {
    work = new Map(
      (
        loaded ??
        (await loadDeliveryWork(
          env.DB,
          primaryDb(env),
          attempts.map((a) => a.deliveryId),
        ))
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
  // Past the work deadline before admission: nothing is admitted (no rate or probe spent).
  if (pastWorkDeadline(env)) {
    for (const d of waiting) settlements[d.index] = 'later';
    return settlements;
  }

  // Admission by destination (rate limit, circuit breaker) and the signing secrets, together.
  let admission: { holds: (Hold | null)[]; probes: ReadonlySet<number> };
  let secrets: Map<string, string[]>;
  try {
    [admission, secrets] = await Promise.all([
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
  const { holds, probes } = admission;
  // A paused destination's probe goes first, so the work deadline does not leave it unsent.
  const probing = new Set(waiting.filter((_, i) => probes.has(i)));
  const admitted = waiting.filter((_, i) => holds[i] === null);
  const due = [...admitted.filter((d) => probing.has(d)), ...admitted.filter((d) => !probing.has(d))];
  const held = waiting.flatMap((d, i) => (holds[i] === null ? [] : [{ ...d, ...holds[i]! }]));
  for (const index of await settleHeldAttempts(env, held)) settlements[index] = 'retry';
  if (due.length === 0) return settlements;

  const allowInsecure = allowsInsecureAddresses(env);
  let finished = 0;
  const results = await mapWithConcurrency(due, DELIVERY_CONCURRENCY, async (d): Promise<MadeAttempt | null> => {
    if (pastWorkDeadline(env)) {
      settlements[d.index] = 'later';
      return null;
    }
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
  const made = results.filter((m): m is MadeAttempt => m !== null);

  for (const index of await recordMadeAttempts(env, made)) settlements[index] = 'retry';
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
