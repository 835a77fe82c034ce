/**
 * Shopify Admin API versions this server answers to. Shopify supports each quarterly version for
 * at least twelve months; a well-formed version outside this list is served as the oldest one.
 */
export const SUPPORTED_API_VERSIONS = ['2026-01', '2026-04', '2026-07', '2026-10', 'unstable'] as const;
export type ApiVersion = (typeof SUPPORTED_API_VERSIONS)[number];

/** The newest stable version: the default for new apps. */
export const LATEST_STABLE_API_VERSION: ApiVersion = '2026-10';

/** `YYYY-MM` or `unstable`. */
export const API_VERSION_PATTERN = /^(\d{4}-(0[1-9]|1[0-2])|unstable)$/;

export const isSupportedApiVersion = (version: string): version is ApiVersion =>
  (SUPPORTED_API_VERSIONS as readonly string[]).includes(version);

/** The oldest supported version: what a well-formed but unknown or retired version is served as. */
export const OLDEST_SUPPORTED_API_VERSION: ApiVersion = SUPPORTED_API_VERSIONS[0];

/**
 * The version a request for `requested` is served with, or null when `requested` is malformed
 * (not `YYYY-MM` or `unstable`).
 */
export function servedApiVersion(requested: string): ApiVersion | null {
  if (!API_VERSION_PATTERN.test(requested)) return null;
  return isSupportedApiVersion(requested) ? requested : OLDEST_SUPPORTED_API_VERSION;
}
