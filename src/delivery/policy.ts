import { DELIVERY_ERROR_MAX_CHARS, DELIVERY_MAX_RETRIES } from '../env';
import type { RandomSource } from './schedule';
import { retryDelaySeconds } from './schedule';
import type { Refusal } from './request';
import type { SendResult } from './send';
import type { AttemptOutcome } from './store';

/**
 * The failure policy: what one attempt's result means for its delivery and its subscription.
 * Pure but for the clock and the random source of the retry delay.
 */

/** What happens to a subscription whose delivery failed for good (var FAILED_SUBSCRIPTION_ACTION). */
export function failedSubscriptionAction(env: Env): 'removed' | 'disabled' {
  return env.FAILED_SUBSCRIPTION_ACTION === 'disable' ? 'disabled' : 'removed';
}

/**
 * The outcome of attempt `attempt` (1-based): a 2xx succeeds; a refusal and `410 Gone` end the
 * delivery at once; anything else is retried while retries remain, after a jittered delay.
 */
export function attemptOutcome(
  env: Env,
  input: {
    deliveryId: string;
    attempt: number;
    startedAt: string;
    durationMs: number;
    result: SendResult;
    refusal: Refusal | null;
  },
  random: RandomSource,
): { outcome: AttemptOutcome; retryDelaySeconds: number | null } {
  const { result, refusal, attempt } = input;
  const final = refusal !== null || result.statusCode === 410 || attempt > DELIVERY_MAX_RETRIES;
  const status = result.error === null ? 'succeeded' : final ? 'failed' : 'pending';
  const delay = status === 'pending' ? retryDelaySeconds(attempt, random) : null;
  return {
    outcome: {
      attempt: {
        deliveryId: input.deliveryId,
        attempt,
        startedAt: input.startedAt,
        statusCode: result.statusCode,
        durationMs: input.durationMs,
        error: result.error?.slice(0, DELIVERY_ERROR_MAX_CHARS) ?? null,
      },
      status,
      nextAttemptAt: delay === null ? null : new Date(Date.now() + delay * 1000).toISOString(),
      onFailure: refusal !== null && !refusal.blamesSubscription ? null : failedSubscriptionAction(env),
    },
    retryDelaySeconds: delay,
  };
}
