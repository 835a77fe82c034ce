import { sha256Hex } from '../crypto';
import { ALLOW_ALL_POLICY, corsHeaders, isOriginAllowed, preflightResponse } from '../http/cors';
import { AppError, methodNotAllowed } from '../http/errors';
import { JSON_CONTENT_TYPE, noContent } from '../http/json';
import type { RouteRequest } from '../http/route';
import { findCorsPolicy } from '../shops/config';
import { readCacheJsonForEndpoint } from './cache';
import { findCacheEndpointConfig, type CacheEndpointConfig } from './endpoints';

/**
 * GET/HEAD /cache/{token}: browsers read a cache value (spec/tasks-and-cache.md "Cache endpoints").
 * Unknown tokens and missing or expired keys answer alike (404, body `null`), and unknown tokens
 * are judged by an allow-all CORS policy, so a token's existence cannot be probed.
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
  const head = request.method === 'HEAD';
  const json = endpoint && (await readCacheJsonForEndpoint(env, ctx, endpoint.shopId, endpoint.key));
  if (json === null) {
    return new Response(head ? null : 'null', { status: 404, headers: { 'content-type': JSON_CONTENT_TYPE } });
  }
  const etag = `"${(await sha256Hex(json)).slice(0, 32)}"`;
  if (etagMatches(request.headers.get('if-none-match'), etag)) {
    return new Response(null, { status: 304, headers: { etag } });
  }
  return new Response(head ? null : json, {
    status: 200,
    headers: { 'content-type': JSON_CONTENT_TYPE, etag },
  });
}

/** `If-None-Match`: `*` or a list of tags, compared weakly (RFC 9110 §13.1.2). */
function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** OPTIONS /cache/{token}: CORS preflight under the shop's policy. */
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
