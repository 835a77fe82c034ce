import { CORS_MAX_AGE_SECONDS } from '../env';
import { noContent } from './json';
import { AppError } from './errors';

/** A shop's effective CORS policy, as stored in KV under `cors:{shopId}`. */
export interface CorsPolicy {
  allowAll: boolean;
  /** Exact origins (`scheme://host[:port]`), already normalized. */
  origins: readonly string[];
}

/** What unknown or disabled webhook ids answer with, so they cannot be told apart (docs/contracts.md, "CORS"). */
export const ALLOW_ALL_POLICY: CorsPolicy = { allowAll: true, origins: [] };

export function isOriginAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.allowAll || policy.origins.includes(origin.toLowerCase());
}

/**
 * Normalizes an origin entered by a user (`https://Example.com:443/` → `https://example.com`).
 * Returns null for anything that is not exactly scheme + host [+ port] over http(s).
 */
export function normalizeOrigin(input: string): string | null {
  if (input === '*') return '*';
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (!/^([a-z0-9-]+\.)*[a-z0-9-]+$|^\[[0-9a-f:.]+\]$/.test(url.hostname)) return null;
  if (url.pathname !== '/' || /^[a-z]+:\/\/[^/]+\/./i.test(input)) return null;
  return url.origin;
}

/**
 * Headers for a response to an allowed origin. The exact origin is echoed (never `*`, also under
 * allow-all) with `Allow-Credentials: true`, so `fetch(…, {credentials: 'include'})`, XHR
 * `withCredentials` and `sendBeacon` see success (docs/contracts.md, "CORS"); edgehook sets and reads
 * no cookie, so this grants nothing.
 */
export function corsHeaders(origin: string, exposeHeaders?: string): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
  if (exposeHeaders) headers['access-control-expose-headers'] = exposeHeaders;
  return headers;
}

/**
 * Answers an OPTIONS request under `policy`: no Origin → 204 with `Allow` (CORS does not apply);
 * allowed → 204 with the preflight headers; disallowed → 403 without any CORS header.
 */
export function preflightResponse(
  request: Request,
  policy: CorsPolicy,
  allowMethods: string,
  exposeHeaders?: string,
): Response {
  const origin = request.headers.get('origin');
  if (origin === null) return noContent({ allow: allowMethods });
  if (!isOriginAllowed(policy, origin)) {
    throw new AppError(403, 'origin_not_allowed', 'This origin is not allowed for this shop.');
  }
  const headers = {
    ...corsHeaders(origin, exposeHeaders),
    vary: 'Origin, Access-Control-Request-Headers',
    'access-control-allow-methods': allowMethods,
    'access-control-max-age': String(CORS_MAX_AGE_SECONDS),
  };
  const requested = request.headers.get('access-control-request-headers');
  if (requested) Object.assign(headers, { 'access-control-allow-headers': requested });
  return noContent(headers);
}
