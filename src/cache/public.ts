import { sha256Hex } from '../crypto';
import { methodNotAllowed } from '../http/errors';
import { JSON_CONTENT_TYPE } from '../http/json';
import type { StorefrontRequest } from '../shops/storefront-cors';
import { readCacheJsonForEndpoint } from './cache';
import { findCacheEndpointConfig, type CacheEndpointConfig } from './endpoints';

/**
 * GET/HEAD /cache/{token}: browsers read a cache value (spec/tasks-and-cache.md "Cache endpoints").
 * Unknown tokens and missing or expired keys answer alike (404, body `null`); the router's CORS
 * stage has already found the endpoint and judged the origin.
 */

export const CACHE_ENDPOINT_ALLOW = 'GET, HEAD, OPTIONS';

/** How the cache router's CORS stage finds the endpoint a token names. */
export const CACHE_ENDPOINT_CORS = {
  allow: CACHE_ENDPOINT_ALLOW,
  expose: 'etag',
  refusal: 'This origin is not allowed to read this cache endpoint.',
  param: 'token',
  find: findCacheEndpointConfig,
};

export async function readCacheEndpoint(
  request: StorefrontRequest<CacheEndpointConfig>,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const endpoint = request.resource ?? null;
  request.responseHeaders = { ...request.responseHeaders, 'cache-control': 'no-cache' };
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

export function rejectCacheEndpointMethod(): never {
  throw methodNotAllowed(CACHE_ENDPOINT_ALLOW);
}
