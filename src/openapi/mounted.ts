import type { RouteEntry } from 'itty-router';

/** The prefix of the management API, the part the OpenAPI document describes. */
export const API_PREFIX = '/api/v1/';

/**
 * The management API's routes as mounted (`METHOD path`, itty syntax), read from a router's route
 * table. Catch-all entries (`ALL`, the 405 answers) are not operations. When routes move into
 * sub-routers per family, pass their route tables here.
 */
export function mountedApiRoutes(...routeTables: readonly (readonly RouteEntry[])[]): string[] {
  const routes = new Set<string>();
  for (const table of routeTables) {
    for (const [method, , , path] of table) {
      if (method !== 'ALL' && path?.startsWith(API_PREFIX)) routes.add(`${method} ${path}`);
    }
  }
  return [...routes].sort();
}
