import { shopEnv } from '../shops/scope';
import type { AppRecord } from '../shops/store';
import { notFound, validationFailed } from '../http/errors';
import { jsonResponse } from '../http/json';
import { pageOf, parsePageRequest } from '../http/pagination';
import { queryChoice, queryTimestamp } from '../http/query';
import type { RouteRequest } from '../http/route';
import { eventToApi, type EventStatus } from './model';
import { findShopEvent, listShopEvents, type EventFilters } from './store';

/** Reading a shop's events with an app access token. */

export const STATUSES: readonly EventStatus[] = ['pending', 'queued', 'received', 'processed', 'dead'];

/** GET /api/v1/events: newest first; filters topic, status, webhook_request_id, created_at_min/max. */
export async function getEvents(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const page = parsePageRequest(params);
  const filters = parseEventFilters(params);
  const withData = params.get('include') === 'data';
  const rows = await listShopEvents(shopEnv(env, app).DB, app.shopId, filters, page.limit + 1, page.cursor, withData);
  const { items, nextCursor } = pageOf(rows, page.limit);
  return jsonResponse({ events: items.map((e) => eventToApi(e, withData)), next_cursor: nextCursor });
}

/** GET /api/v1/events/{id}: one event with its data. */
export async function getEvent(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const event = await findShopEvent(shopEnv(env, app).DB, app.shopId, request.params['id']!);
  if (event === null) throw notFound('Event');
  return jsonResponse({ event: eventToApi(event, true) });
}

function parseEventFilters(params: URLSearchParams): EventFilters {
  const fields: Record<string, string[]> = {};
  const status = queryChoice(params, 'status', STATUSES, fields);
  const createdAtMin = queryTimestamp(params, 'created_at_min', fields);
  const createdAtMax = queryTimestamp(params, 'created_at_max', fields);
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  return {
    topic: params.get('topic') ?? undefined,
    status,
    webhookRequestId: params.get('webhook_request_id') ?? undefined,
    createdAtMin,
    createdAtMax,
  };
}
