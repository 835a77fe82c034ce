import { primaryDb } from '../shards';
import { describeError, log } from '../log';
import { nowIso } from '../time';
import { breakerStatement, destinationHost } from './destinations';
import { enqueueDeliveryAttempts } from './fanout';
import { recordAttempts, type AttemptOutcome, type DeliveryWork } from './store';

/** An attempt that was made (or refused), with what follows from it. */
export interface MadeAttempt {
  /** Its position in the batch. */
  index: number;
  item: DeliveryWork;
  attempt: number;
  outcome: AttemptOutcome;
  retryDelaySeconds: number | null;
  /** Whether a request went out (a refused attempt makes none and does not touch the breaker). */
  sent: boolean;
  /** The order attempts finished in, for the breaker's count of consecutive failures. */
  finished: number;
}

/**
 * Schedules the next attempts (one queue send), then records every attempt (one D1 batch). Next
 * attempts go first: if recording then fails, the redelivered message repeats the attempt instead
 * of losing the schedule. If the batch fails, each attempt is tried alone, so one that cannot be
 * recorded holds back no other. Returns the batch indexes of the attempts still unrecorded.
 */
export async function recordMadeAttempts(env: Env, made: readonly MadeAttempt[]): Promise<number[]> {
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

async function scheduleAndRecord(env: Env, made: readonly MadeAttempt[]): Promise<void> {
  await enqueueDeliveryAttempts(
    env,
    made.flatMap((m) =>
      m.retryDelaySeconds === null
        ? []
        : [
            {
              deliveryId: m.item.delivery.id,
              shopId: m.item.delivery.shopId,
              attempt: m.attempt + 1,
              delaySeconds: m.retryDelaySeconds,
            },
          ],
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
    primaryDb(env),
    made.map((m) => ({ delivery: m.item.delivery, outcome: m.outcome })),
    now,
    breakers === null ? [] : [breakers],
  );
}
