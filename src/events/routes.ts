import * as v from 'valibot';
import { requireApp } from '../admin/auth';
import { notFound, validationFailed } from '../http/errors';
import { jsonResponse } from '../http/json';
import { pageOf, parsePageRequest } from '../http/pagination';
import type { RouteRequest } from '../http/route';
import { eventToApi, type EventStatus } from './model';
import { findShopEvent, listShopEvents, type EventFilters } from './store';

/** Reading a shop's events with an app access token. */

const STATUSES: readonly EventStatus[] = ['pending', 'queued', 'received', 'processed', 'dead'];
const isoTimestamp = v.pipe(v.string(), v.isoTimestamp());

/** GET /api/v1/events: newest first; filters topic, status, webhook_request_id, created_at_min/max. */
export async function getEvents(request: RouteRequest, env: Env): Promise<Response> {
  const app = await requireApp(request, env);
  const params = new URL(request.url).searchParams;
  const page = parsePageRequest(params);
  const filters = parseEventFilters(params);
  const withData = params.get('include') === 'data';
  const rows = await listShopEvents(env.DB, app.shopId, filters, page.limit + 1, page.cursor, withData);
  const { items, nextCursor } = pageOf(rows, page.limit);
  return jsonResponse({ events: items.map((e) => eventToApi(e, withData)), next_cursor: nextCursor });
}

/** GET /api/v1/events/{id}: one event with its data. */
export async function getEvent(request: RouteRequest, env: Env): Promise<Response> {
  const app = await requireApp(request, env);
  const event = await findShopEvent(env.DB, app.shopId, request.params['id']!);
  if (event === null) throw notFound('Event');
  return jsonResponse({ event: eventToApi(event, true) });
}

function parseEventFilters(params: URLSearchParams): EventFilters {
  const fields: Record<string, string[]> = {};
  const status = params.get('status') ?? undefined;
  if (status !== undefined && !STATUSES.includes(status as EventStatus)) {
    fields['status'] = [`must be one of ${STATUSES.join(', ')}`];
  }
  const timestamp = (name: string): string | undefined => {
    const value = params.get(name);
    if (value === null) return undefined;
    if (!v.is(isoTimestamp, value)) {
      fields[name] = ['must be an ISO 8601 timestamp, e.g. 2026-11-22T10:15:00Z'];
      return undefined;
    }
    return new Date(value).toISOString();
  };
  const createdAtMin = timestamp('created_at_min');
  const createdAtMax = timestamp('created_at_max');
  if (Object.keys(fields).length > 0) throw validationFailed(fields);
  return {
    topic: params.get('topic') ?? undefined,
    status: status as EventStatus | undefined,
    webhookRequestId: params.get('webhook_request_id') ?? undefined,
    createdAtMin,
    createdAtMax,
  };
}
