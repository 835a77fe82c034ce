import type { AppRecord } from '../shops/store';
import type { RouteRequest } from '../http/route';
import { shopifyError } from '../http/shopify-errors';
import { spendRestCall } from './limits';
import { CALL_LIMIT_HEADER, REST_RETRY_AFTER_SECONDS_TEXT, REST_THROTTLED_MESSAGE } from './shapes';

/**
 * Meters an authenticated REST Admin API request: the answer to come (success or error) carries
 * `X-Shopify-Shop-Api-Call-Limit: {used}/40`; a call that would overflow the bucket is answered
 * `429` with `Retry-After: 2.0` and Shopify's body, as Shopify does.
 */
export async function meterRestCall(request: RouteRequest, env: Env, app: AppRecord): Promise<void> {
  const spend = await spendRestCall(env, app.id, app.shopId);
  if (spend === null) return;
  const headers: Record<string, string> = { [CALL_LIMIT_HEADER]: `${spend.used}/${spend.capacity}` };
  if (!spend.allowed) headers['Retry-After'] = REST_RETRY_AFTER_SECONDS_TEXT;
  // responseHeaders reach error answers too (the router's finally stage), so the 429 carries both.
  request.responseHeaders = { ...request.responseHeaders, ...headers };
  if (!spend.allowed) throw shopifyError(429, REST_THROTTLED_MESSAGE, 'throttled');
}
