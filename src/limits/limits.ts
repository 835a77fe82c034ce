import { describeError, log } from '../log';
import type { GraphqlSpend, RestSpend, ThrottleStatus } from './call-limits';

/**
 * What the Admin API routes call: the call-limit buckets of an app on a shop, kept by the
 * `CallLimits` Durable Object named after the pair (docs/contracts.md, "Call limits").
 */

export type { GraphqlSpend, RestSpend, ThrottleStatus } from './call-limits';

/** The Durable Object name of an app's buckets on a shop. */
export const callLimitsName = (appId: string, shopId: string): string => `${shopId}/${appId}`;

function stubFor(env: Env, appId: string, shopId: string) {
  return env.CALL_LIMITS.get(env.CALL_LIMITS.idFromName(callLimitsName(appId, shopId)));
}

/**
 * Spends one REST Admin API call. Null when the bucket could not be reached: the call is then
 * served unmetered (logged) rather than failed, since a limiter outage should not become an API
 * outage.
 */
export async function spendRestCall(env: Env, appId: string, shopId: string): Promise<RestSpend | null> {
  try {
    return await stubFor(env, appId, shopId).spendRest();
  } catch (err) {
    log.warn('call limits unavailable; REST call served unmetered', { appId, ...describeError(err) });
    return null;
  }
}

/**
 * For the GraphQL Admin API: reserves a query's requested cost. `allowed: false` means the bucket
 * lacks the points (answer THROTTLED with `throttleStatus`); nothing was spent then. Throws when
 * the bucket cannot be reached, so the caller decides how to answer.
 */
export async function spendGraphqlCost(env: Env, appId: string, shopId: string, cost: number): Promise<GraphqlSpend> {
  return stubFor(env, appId, shopId).spendGraphql(cost);
}

/** For the GraphQL Admin API: returns requested minus actual cost after a query ran. */
export async function refundGraphqlCost(
  env: Env,
  appId: string,
  shopId: string,
  points: number,
): Promise<ThrottleStatus> {
  return stubFor(env, appId, shopId).refundGraphql(points);
}
