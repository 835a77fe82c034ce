import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../env';
import { ALLOW_ALL_POLICY, corsHeaders, isOriginAllowed, preflightResponse, type CorsPolicy } from '../http/cors';
import { AppError, serviceUnavailable } from '../http/errors';
import { noContent } from '../http/json';
import type { RouteRequest } from '../http/route';
import { describeError, log } from '../log';
import { findCorsPolicy } from './cors-policy-read-through';
import { clientAddress } from '../edge-config/miss-budget';

/**
 * The CORS stage of the storefront families (ingress and public cache endpoints), mounted before
 * their handlers: it finds the resource the path names, answers preflights, and judges the
 * request's origin by the resource's shop policy (docs/contracts.md, "CORS"). Unknown ids are judged
 * by an allow-all policy and answer like known ones, so existence cannot be probed by origin.
 */

/** A storefront resource id: a UUID, any case. */
const STOREFRONT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id a path segment names (lower case), or null when it cannot name a resource. */
export const storefrontId = (segment: string): string | null =>
  STOREFRONT_ID.test(segment) ? segment.toLowerCase() : null;

/** What the stage found; the handler reads it instead of looking the resource up again. */
export type StorefrontRequest<R> = RouteRequest & { resource?: R | null };

export interface StorefrontCorsOptions<R extends { shopId: string }> {
  /** Methods answered at this path, for `Allow` and preflights. */
  allow: string;
  /** Response headers scripts on the page may read. */
  expose: string;
  /** The 403 message for a refused origin. */
  refusal: string;
  /** The path parameter holding the id. */
  param: string;
  /**
   * The resource an id names, or null (unknown or not serving). `client` is the caller's address,
   * whose budget of lookups KV cannot answer this spends. Throws when storage fails.
   */
  find(env: Env, ctx: ExecutionContext, id: string, client: string): Promise<R | null>;
}

export function storefrontCors<R extends { shopId: string }>(options: StorefrontCorsOptions<R>) {
  return async (request: StorefrontRequest<R>, env: Env, ctx: ExecutionContext): Promise<Response | undefined> => {
    const origin = request.headers.get('origin');
    const preflight = request.method === 'OPTIONS';
    if (preflight && origin === null) return noContent({ allow: options.allow });
    const id = storefrontId(request.params[options.param] ?? '');
    const client = clientAddress(request);
    const resource = id === null ? null : await configLookup(() => options.find(env, ctx, id, client));
    request.resource = resource;
    if (origin === null) return undefined;
    const policy: CorsPolicy = resource
      ? await configLookup(() => findCorsPolicy(env, ctx, resource.shopId))
      : ALLOW_ALL_POLICY;
    if (preflight) return preflightResponse(request, policy, options.allow, options.expose);
    if (!isOriginAllowed(policy, origin)) throw new AppError(403, 'origin_not_allowed', options.refusal);
    request.responseHeaders = { ...request.responseHeaders, ...corsHeaders(origin, options.expose) };
    return undefined;
  };
}

/** Config that neither KV nor D1 can answer for → 503, never a guess that could drop an event. */
async function configLookup<T>(lookup: () => Promise<T>): Promise<T> {
  try {
    return await lookup();
  } catch (err) {
    log.error('storefront config lookup failed', describeError(err));
    throw serviceUnavailable(UNAVAILABLE_RETRY_AFTER_SECONDS, 'Temporarily unavailable; retry later.');
  }
}
