import { eachShard } from '../shards';
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

/**
 * GET /api/v1/operator/events (operator token): every shop's events, newest first, with the app
 * view's filters and cursor. Each shard is asked for one page past the cursor (a few shards at a
 * time); the newest `limit` of their union is the page, so pages follow one order across shards.
 */
export async function getEventsOfAllShops(request: RouteRequest, env: Env): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const page = parsePageRequest(params);
  const filters = parseEventFilters(params);
  const withData = params.get('include') === 'data';
  const pages = await eachShard(env, (db) => listShopEvents(db, null, filters, page.limit + 1, page.cursor, withData));
  const newestFirst = pages
    .flat()
    .sort((a, b) => (a.createdAt === b.createdAt ? compare(b.id, a.id) : compare(b.createdAt, a.createdAt)));
  const { items, nextCursor } = pageOf(newestFirst.slice(0, page.limit + 1), page.limit);
  return jsonResponse({ events: items.map((e) => eventToApi(e, withData)), next_cursor: nextCursor });
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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
