import { primaryDb } from '../shards';
import { shopEnv, writableShopEnv } from '../shops/scope';
import type { AppRecord } from '../shops/store';
import * as v from 'valibot';
import { MAX_ADMIN_BODY_BYTES, MAX_DELIVERY_RATE_LIMIT_PER_SECOND } from '../env';
import { readJsonBody } from '../http/body';
import { notFound, validationFailed } from '../http/errors';
import { jsonResponse } from '../http/json';
import { pageOf, parsePageRequest } from '../http/pagination';
import { queryChoice, queryTimestamp } from '../http/query';
import type { RouteRequest } from '../http/route';
import { parseBody } from '../http/validate';
import { nowIso } from '../time';
import { listAppDestinations, type DestinationRecord } from './destinations-store';
import { enqueueDeliveryAttempts } from './fanout';
import {
  findAppDelivery,
  findSubscriptionRateLimit,
  setSubscriptionRateLimit,
  isAppSubscription,
  listAppDeliveries,
  reopenDelivery,
  reopenFailedDeliveries,
  type AttemptRecord,
  type DeliveryFilters,
  type DeliveryRecord,
  type DeliveryStatus,
} from './store';

/** Operator tools for an app's deliveries (app access token; an app sees only its own). */

export const STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

/** GET /api/v1/deliveries: newest first; filters subscription_id, event_id, status, created_at_min/max. */
export async function getDeliveries(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const page = parsePageRequest(params);
  const filters = parseDeliveryFilters(params);
  const rows = await listAppDeliveries(shopEnv(env, app).DB, app.id, filters, page.limit + 1, page.cursor);
  const { items, nextCursor } = pageOf(rows, page.limit);
  return jsonResponse({ deliveries: items.map(deliveryToApi), next_cursor: nextCursor });
}

/** GET /api/v1/deliveries/{id}: one delivery with every attempt. */
export async function getDelivery(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const found = await findAppDelivery(shopEnv(env, app).DB, app.id, request.params['id']!);
  if (found === null) throw notFound('Delivery');
  return jsonResponse({ delivery: { ...deliveryToApi(found.delivery), attempts: found.attempts.map(attemptToApi) } });
}

/** POST /api/v1/deliveries/{id}/retry: one more attempt now, whatever its state. */
export async function postDeliveryRetry(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const id = request.params['id']!;
  const shop = writableShopEnv(env, app);
  const attempt = await reopenDelivery(shop.DB, app.id, id, nowIso());
  if (attempt === null) throw notFound('Delivery');
  await enqueueDeliveryAttempts(shop, [{ deliveryId: id, shopId: app.shopId, attempt }]);
  return jsonResponse({ delivery_id: id, attempt }, 202);
}

/**
 * GET /api/v1/destinations: the app's destinations (one per host it delivers to), oldest first,
 * with rate limit and circuit breaker; `paused=true` lists only the paused ones.
 */
export async function getDestinations(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const page = parsePageRequest(params);
  const fields: Record<string, string[]> = {};
  const paused = queryChoice(params, 'paused', ['true', 'false'] as const, fields);
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  const rows = await listAppDestinations(shopEnv(env, app).DB, app.id, paused === 'true', page.limit + 1, page.cursor);
  const { items, nextCursor } = pageOf(rows, page.limit);
  return jsonResponse({ destinations: items.map(destinationToApi), next_cursor: nextCursor });
}

export const deliveryLimitSchema = v.strictObject({
  max_deliveries_per_second: v.nullable(
    v.pipe(
      v.number('must be a number or null'),
      v.integer('must be a whole number'),
      v.minValue(1, 'must be at least 1'),
      v.maxValue(MAX_DELIVERY_RATE_LIMIT_PER_SECOND, `must be at most ${MAX_DELIVERY_RATE_LIMIT_PER_SECOND}`),
    ),
  ),
});

/** The subscription id of a `/subscriptions/{id}/…` route, if it is the app's; else 404. */
async function appSubscriptionId(request: RouteRequest, env: Env, app: AppRecord): Promise<number> {
  const subscriptionId = Number(request.params['id']);
  if (!Number.isSafeInteger(subscriptionId) || !(await isAppSubscription(primaryDb(env), app.id, subscriptionId))) {
    throw notFound('Subscription');
  }
  return subscriptionId;
}

/** GET /api/v1/subscriptions/{id}/delivery_limit: its own deliveries-per-second limit (null: the deployment's). */
export async function getDeliveryLimit(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const subscriptionId = await appSubscriptionId(request, env, app);
  const limit = await findSubscriptionRateLimit(primaryDb(env), subscriptionId);
  return jsonResponse({ subscription_id: subscriptionId, max_deliveries_per_second: limit });
}

/**
 * PUT /api/v1/subscriptions/{id}/delivery_limit `{max_deliveries_per_second}`: at most this many
 * deliveries a second to the subscription's destination (the lowest among subscriptions sharing
 * it); null returns to the deployment's `DELIVERY_RATE_LIMIT_PER_SECOND`.
 */
export async function putDeliveryLimit(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const subscriptionId = await appSubscriptionId(request, env, app);
  const input = parseBody(deliveryLimitSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  await setSubscriptionRateLimit(primaryDb(env), app.id, subscriptionId, input.max_deliveries_per_second, nowIso());
  return jsonResponse({ subscription_id: subscriptionId, max_deliveries_per_second: input.max_deliveries_per_second });
}

export const replaySchema = v.strictObject({
  since: v.pipe(v.string('must be a string'), v.isoTimestamp('must be an ISO 8601 timestamp')),
});

/** POST /api/v1/subscriptions/{id}/replay `{since}`: every failed delivery since then, again. */
export async function postSubscriptionReplay(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const subscriptionId = await appSubscriptionId(request, env, app);
  const input = parseBody(replaySchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  const since = new Date(input.since).toISOString();
  const shop = writableShopEnv(env, app);
  const reopened = await reopenFailedDeliveries(shop.DB, app.id, subscriptionId, since, nowIso());
  await enqueueDeliveryAttempts(
    shop,
    reopened.map((r) => ({ deliveryId: r.id, shopId: app.shopId, attempt: r.attempt })),
  );
  return jsonResponse({ replayed: reopened.length, delivery_ids: reopened.map((r) => r.id) }, 202);
}

function parseDeliveryFilters(params: URLSearchParams): DeliveryFilters {
  const fields: Record<string, string[]> = {};
  const subscriptionText = params.get('subscription_id');
  const subscriptionId = subscriptionText === null ? undefined : Number(subscriptionText);
  if (subscriptionId !== undefined && !(Number.isSafeInteger(subscriptionId) && subscriptionId > 0)) {
    fields['subscription_id'] = ['must be a positive integer'];
  }
  const filters: DeliveryFilters = {
    subscriptionId,
    eventId: params.get('event_id') ?? undefined,
    status: queryChoice(params, 'status', STATUSES, fields),
    createdAtMin: queryTimestamp(params, 'created_at_min', fields),
    createdAtMax: queryTimestamp(params, 'created_at_max', fields),
  };
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  return filters;
}

export const deliveryToApi = (d: DeliveryRecord) => ({
  id: d.id,
  subscription_id: d.subscriptionId,
  event_id: d.eventId,
  address: d.address,
  topic: d.topic,
  format: d.format,
  status: d.status,
  attempt_count: d.attempts,
  last_status_code: d.lastStatusCode,
  last_error: d.lastError,
  next_attempt_at: d.nextAttemptAt,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
  finished_at: d.finishedAt,
});

const attemptToApi = (a: AttemptRecord) => ({
  attempt: a.attempt,
  started_at: a.startedAt,
  status_code: a.statusCode,
  duration_ms: a.durationMs,
  error: a.error,
});

const destinationToApi = (d: DestinationRecord) => ({
  host: d.id,
  status: d.pausedAt === null ? 'active' : 'paused',
  rate_limit_per_second: d.rateLimitPerSecond,
  consecutive_failures: d.consecutiveFailures,
  paused_at: d.pausedAt,
  next_probe_at: d.nextProbeAt,
  last_error: d.lastError,
  last_failure_at: d.lastFailureAt,
  last_success_at: d.lastSuccessAt,
  created_at: d.createdAt,
  updated_at: d.updatedAt,
});
