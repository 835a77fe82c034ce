import { shopEnv, writableShopEnv } from '../shops/scope';
import { primaryDb } from '../shards';
import type { AppRecord } from '../shops/store';
import * as v from 'valibot';
import { MAX_ADMIN_BODY_BYTES } from '../env';
import { readJsonBody } from '../http/body';
import { AppError, notFound, validationFailed } from '../http/errors';
import { jsonResponse, noContent } from '../http/json';
import { pageOf, parsePageRequest } from '../http/pagination';
import { requestOrigin, type RouteRequest } from '../http/route';
import { parseBody } from '../http/validate';
import {
  CacheCopyError,
  CacheInputError,
  checkCacheKey,
  deleteCacheValue,
  readCacheEntry,
  setCacheValue,
  checkCacheTtl,
} from './cache';
import {
  cacheEndpointToApi,
  createCacheEndpoint,
  createCacheEndpointSchema,
  endpointTarget,
  removeCacheEndpoint,
  requireCacheEndpoint,
} from './endpoints';
import { listShopCacheEndpoints } from './store';
import { parseExactJson, parseJsonKeepingIntegers } from '../json/exact';

/** Management of a shop's cache endpoints and cache keys, with an app access token. */

export async function postCacheEndpoint(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const input = parseBody(createCacheEndpointSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES));
  const endpoint = await createCacheEndpoint(env, { id: app.shopId, shard: app.shard }, endpointTarget(input));
  return jsonResponse({ cache_endpoint: cacheEndpointToApi(endpoint, requestOrigin(request)) }, 201);
}

export async function getCacheEndpoints(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const page = parsePageRequest(new URL(request.url).searchParams);
  const rows = await listShopCacheEndpoints(primaryDb(env), app.shopId, page.limit + 1, page.cursor);
  const { items, nextCursor } = pageOf(
    rows.map((r) => ({ ...r, id: r.token })),
    page.limit,
  );
  const origin = requestOrigin(request);
  return jsonResponse({ cache_endpoints: items.map((e) => cacheEndpointToApi(e, origin)), next_cursor: nextCursor });
}

export async function getCacheEndpointRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const endpoint = await requireCacheEndpoint(env, app.shopId, request.params['token']!);
  return jsonResponse({ cache_endpoint: cacheEndpointToApi(endpoint, requestOrigin(request)) });
}

export async function deleteCacheEndpointRoute(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  await removeCacheEndpoint(env, app.shopId, request.params['token']!);
  return noContent();
}

export const putCacheSchema = v.strictObject({
  value: v.unknown(),
  ttl: v.optional(v.number('must be a number of seconds')),
});

/** The key from the path (`/api/v1/cache/{key}`, slashes allowed), checked by the cache rules. */
function keyOf(request: RouteRequest): string {
  try {
    return checkCacheKey(decodeURIComponent(request.params['key'] ?? ''));
  } catch (err) {
    if (err instanceof CacheInputError || err instanceof URIError) throw validationFailed({ key: [err.message] });
    throw err;
  }
}

export async function getCacheKey(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const key = keyOf(request);
  const entry = await readCacheEntry(shopEnv(env, app), app.shopId, key);
  if (entry === null) throw notFound('Cache key');
  return jsonResponse({ key, value: parseExactJson(entry.valueJson), expires_at: entry.expiresAt });
}

export async function putCacheKey(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const key = keyOf(request);
  const input = parseBody(putCacheSchema, await readJsonBody(request, MAX_ADMIN_BODY_BYTES, parseJsonKeepingIntegers));
  try {
    const ttl = checkCacheTtl(input.ttl);
    const shop = writableShopEnv(env, app);
    const value = await setCacheValue(shop, app.shopId, key, input.value, ttl);
    const entry = await readCacheEntry(shop, app.shopId, key);
    return jsonResponse({ key, value, expires_at: entry?.expiresAt ?? null });
  } catch (err) {
    throw cacheApiError(err);
  }
}

export async function deleteCacheKey(request: RouteRequest, env: Env, app: AppRecord): Promise<Response> {
  const key = keyOf(request);
  let existed: boolean;
  try {
    existed = await deleteCacheValue(writableShopEnv(env, app), app.shopId, key);
  } catch (err) {
    throw cacheApiError(err);
  }
  if (!existed) throw notFound('Cache key');
  return noContent();
}

function cacheApiError(err: unknown): unknown {
  if (err instanceof CacheInputError) return validationFailed({ value: [err.message] });
  if (err instanceof CacheCopyError)
    return new AppError(503, 'unavailable', err.message, { headers: { 'retry-after': '5' } });
  return err;
}
