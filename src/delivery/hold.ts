import { DELIVERY_MAX_HOLD_SECONDS } from '../env';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import { destinationHost } from './destinations';
import { enqueueDeliveryAttempts } from './fanout';
import { failDelivery, markAttemptsHeld, type DeliveryWork } from './store';

/** An attempt its destination did not admit now. */
export interface HeldAttempt {
  /** Its position in the batch. */
  index: number;
  item: DeliveryWork;
  attempt: number;
  delaySeconds: number;
  /** Held by a paused destination (rather than by its rate limit). */
  paused: boolean;
}

/**
 * Settles the attempts held back by their destinations: each goes back to the queue as the same
 * attempt after its delay (holding spends no retry), except a delivery a paused destination has
 * held past DELIVERY_MAX_HOLD_SECONDS, which fails (replayable). Returns the batch indexes whose
 * messages must be redelivered instead (the queue or D1 refused; the redelivery tries again).
 */
export async function settleHeldAttempts(env: Env, held: readonly HeldAttempt[]): Promise<number[]> {
  const expired = held.filter((h) => h.paused && heldTooLong(h.item));
  return [
    ...(await requeue(
      env,
      held.filter((h) => !expired.includes(h)),
    )),
    ...(await expire(env, expired)),
  ];
}

function heldTooLong(item: DeliveryWork): boolean {
  return Date.now() - Date.parse(item.delivery.createdAt) > DELIVERY_MAX_HOLD_SECONDS * 1000;
}

/** Fails deliveries held too long; returns the indexes whose failure could not be recorded. */
async function expire(env: Env, expired: readonly HeldAttempt[]): Promise<number[]> {
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

/** Sends held attempts back to the queue; on failure returns their indexes. */
async function requeue(env: Env, held: readonly HeldAttempt[]): Promise<number[]> {
  if (held.length === 0) return [];
  try {
    await enqueueDeliveryAttempts(
      env,
      held.map((h) => ({
        deliveryId: h.item.delivery.id,
        shopId: h.item.delivery.shopId,
        attempt: h.attempt,
        delaySeconds: h.delaySeconds,
      })),
    );
  } catch (err) {
    log.error('could not hold deliveries in the queue; retrying their messages', {
      count: held.length,
      ...describeError(err),
    });
    return held.map((h) => h.index);
  }
  // Only for show (the queue holds the attempt): a failure here is logged, not retried.
  const now = Date.now();
  await markAttemptsHeld(
    env.DB,
    held.map((h) => ({
      id: h.item.delivery.id,
      attempt: h.attempt,
      nextAttemptAt: new Date(now + h.delaySeconds * 1000).toISOString(),
    })),
    new Date(now).toISOString(),
  ).catch((err: unknown) => log.warn('could not show when held deliveries come back', describeError(err)));
  return [];
}
