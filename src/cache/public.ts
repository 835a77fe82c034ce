import { ALLOW_ALL_POLICY, corsHeaders, isOriginAllowed, preflightResponse } from '../http/cors';
import { AppError, methodNotAllowed } from '../http/errors';
import { JSON_CONTENT_TYPE, noContent } from '../http/json';
import type { RouteRequest } from '../http/route';
import { findCorsPolicy } from '../ingress/config';
import { readCacheJsonForEndpoint, readCacheJsonFromKv } from './cache';
import { cacheKeyForRead, findCacheEndpointConfig, type CacheEndpointConfig } from './endpoints';
import { cacheEtag, etagMatches } from './etag';
import { cacheWaitSeconds, waitForCacheKey } from './waiting';

/**
 * GET/HEAD /cache/{token} and /cache/{token}/{suffix}: browsers read a cache value
 * (spec/tasks-and-cache.md "Cache endpoints"). Unknown tokens, bad suffixes and missing or expired
 * keys answer alike (404, body `null`, and with `?wait` only after the wait), and unknown tokens are
 * judged by an allow-all CORS policy, so a token's existence cannot be probed.
 */

export const CACHE_ENDPOINT_ALLOW = 'GET, HEAD, OPTIONS';
const EXPOSED_HEADERS = 'etag';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function endpointOf(env: Env, ctx: ExecutionContext, token: string): Promise<CacheEndpointConfig | null> {
  return UUID.test(token) ? findCacheEndpointConfig(env, ctx, token.toLowerCase()) : null;
}

export async function readCacheEndpoint(
  request: RouteRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const startedAt = Date.now();
  const endpoint = await endpointOf(env, ctx, request.params['token']!);
  const headers: Record<string, string> = { 'cache-control': 'no-cache' };
  const origin = request.headers.get('origin');
  if (origin !== null) {
    const policy = endpoint ? await findCorsPolicy(env, ctx, endpoint.shopId) : ALLOW_ALL_POLICY;
    if (!isOriginAllowed(policy, origin)) {
      throw new AppError(403, 'origin_not_allowed', 'This origin is not allowed to read this cache endpoint.');
    }
    Object.assign(headers, corsHeaders(origin, EXPOSED_HEADERS));
  }
  request.responseHeaders = headers;
  const waitSeconds = cacheWaitSeconds(new URL(request.url));
  const key = endpoint && cacheKeyForRead(endpoint, request.params['suffix']);
  const ifNoneMatch = request.headers.get('if-none-match');
  let json: string | null = null;
  if (endpoint === null || key === null) {
    // Nothing can ever be written here; wait anyway, so the answer matches a missing key's.
    if (waitSeconds !== null) await sleep(waitSeconds * 1000 - (Date.now() - startedAt));
  } else if (waitSeconds === null) {
    json = await readCacheJsonForEndpoint(env, ctx, endpoint.shopId, key);
  } else {
    json = await readWaiting(env, ctx, endpoint.shopId, key, ifNoneMatch, waitSeconds * 1000 - (Date.now() - startedAt));
  }
  return cacheValueResponse(json, ifNoneMatch, request.method === 'HEAD');
}

/**
 * `?wait`: the KV copy decides whether to hold (missing, or matching If-None-Match); the shop's
 * CacheWaiters object then reads D1 and holds the request until the key is written. Reads: this
 * KV read, the object's D1 read on arrival, one D1 read per write of the key — never a poll.
 */
async function readWaiting(
  env: Env,
  ctx: ExecutionContext,
  shopId: string,
  key: string,
  ifNoneMatch: string | null,
  timeoutMs: number,
): Promise<string | null> {
  const copy = await readCacheJsonFromKv(env, shopId, key);
  const mode = copy === null ? 'present' : etagMatches(ifNoneMatch, await cacheEtag(copy)) ? 'change' : null;
  if (mode === null) return copy;
  const outcome = await waitForCacheKey(env, shopId, key, mode, ifNoneMatch, Math.max(0, timeoutMs));
  if (outcome === null) return readCacheJsonForEndpoint(env, ctx, shopId, key);
  // What the object read last decides the answer (200, or 304/404 at the deadline).
  return outcome.read ? outcome.json : copy;
}

async function cacheValueResponse(json: string | null, ifNoneMatch: string | null, head: boolean): Promise<Response> {
  if (json === null) {
    return new Response(head ? null : 'null', { status: 404, headers: { 'content-type': JSON_CONTENT_TYPE } });
  }
  const etag = await cacheEtag(json);
  if (etagMatches(ifNoneMatch, etag)) {
    return new Response(null, { status: 304, headers: { etag } });
  }
  return new Response(head ? null : json, {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE, etag },
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** OPTIONS /cache/{token}[/{suffix}]: CORS preflight under the shop's policy. */
export async function answerCacheEndpointPreflight(
  request: RouteRequest,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  if (!request.headers.has('origin')) return noContent({ allow: CACHE_ENDPOINT_ALLOW });
  const endpoint = await endpointOf(env, ctx, request.params['token']!);
  const policy = endpoint ? await findCorsPolicy(env, ctx, endpoint.shopId) : ALLOW_ALL_POLICY;
  return preflightResponse(request, policy, CACHE_ENDPOINT_ALLOW, EXPOSED_HEADERS);
}

export function rejectCacheEndpointMethod(): never {
  throw methodNotAllowed(CACHE_ENDPOINT_ALLOW);
}
