import { inShard } from '../shards';
import { clientAddress } from '../edge-config/miss-budget';
import { CACHE_RATE_LIMIT_PERIOD_SECONDS } from '../env';
import { methodNotAllowed, tooManyRequests } from '../http/errors';
import { describeError, log } from '../log';
import { JSON_CONTENT_TYPE } from '../http/json';
import type { StorefrontRequest } from '../shops/storefront-cors';
import { readCacheJsonForEndpoint, readCacheJsonFromKv } from './cache';
import { cacheKeyForRead, findCacheEndpointConfig, type CacheEndpointConfig } from './endpoints';
import { cacheEtag, etagMatches } from './etag';
import { cacheWaitSeconds, waitForCacheKey } from './waiting';

/**
 * GET/HEAD /cache/{token} and /cache/{token}/{suffix}: browsers read a cache value
 * (docs/contracts.md, "Cache endpoints"). Unknown tokens, bad suffixes and missing or expired
 * keys answer alike (404, body `null`, and with `?wait` only after the wait); the router's CORS
 * stage has already found the endpoint and judged the origin (unknown tokens by an allow-all
 * policy, so a token's existence cannot be probed).
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
  const startedAt = Date.now();
  const endpoint = request.resource ?? null;
  request.responseHeaders = { ...request.responseHeaders, 'cache-control': 'no-cache' };
  // A bad `wait` is a 400 (before any lookup of the key).
  const waitSeconds = cacheWaitSeconds(new URL(request.url));
  const key = endpoint && cacheKeyForRead(endpoint, request.params['suffix']);
  const ifNoneMatch = request.headers.get('if-none-match');
  // The shop's shard holds the value when KV has no copy (and is where a wait reads it).
  const shard = inShard(env, endpoint?.shard ?? 0);
  let json: string | null = null;
  if (endpoint === null || key === null) {
    // Nothing can ever be written here; wait anyway, so the answer matches a missing key's.
    if (waitSeconds !== null) await sleep(waitSeconds * 1000 - (Date.now() - startedAt));
  } else if (waitSeconds === null) {
    json = await readCacheJsonForEndpoint(shard, ctx, { shopId: endpoint.shopId, key, client: clientAddress(request) });
  } else {
    json = await readWaiting(
      shard,
      ctx,
      { shopId: endpoint.shopId, client: clientAddress(request), key, ifNoneMatch },
      waitSeconds * 1000 - (Date.now() - startedAt),
    );
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
  read: { shopId: string; client: string; key: string; ifNoneMatch: string | null },
  timeoutMs: number,
): Promise<string | null> {
  const { shopId, key, ifNoneMatch } = read;
  const copy = await readCacheJsonFromKv(env, shopId, key);
  const mode = copy === null ? 'present' : etagMatches(ifNoneMatch, await cacheEtag(copy)) ? 'change' : null;
  if (mode === null) return copy;
  const outcome = await waitForCacheKey(env, { ...read, mode }, Math.max(0, timeoutMs));
  if (outcome === null) return readCacheJsonForEndpoint(env, ctx, read);
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

/**
 * The cache family's rate limit, before any lookup: per endpoint token (as the path names it,
 * known or not) and client address, as ingress limits per webhook. A broken limiter allows.
 */
export async function limitCacheReads(
  request: StorefrontRequest<CacheEndpointConfig>,
  env: Env,
  _ctx: ExecutionContext,
): Promise<undefined> {
  const key = `${request.params['token'] ?? ''}:${clientAddress(request)}`;
  let allowed = true;
  try {
    allowed = (await env.CACHE_RATE_LIMITER.limit({ key })).success;
  } catch (err) {
    log.warn('cache rate limiter failed; request allowed', describeError(err));
  }
  if (!allowed) throw tooManyRequests(CACHE_RATE_LIMIT_PERIOD_SECONDS);
  return undefined;
}

export function rejectCacheEndpointMethod(): never {
  throw methodNotAllowed(CACHE_ENDPOINT_ALLOW);
}
