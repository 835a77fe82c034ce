import { methodNotAllowed } from '../http/errors';
import { jsonResponse } from '../http/json';
import type { RouteHandler, RouteRequest } from '../http/route';

/** Stages every family router shares. */

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

/** Mounts a path's handlers and a 405 (with `Allow`) for every other method. */
export function mountResource(router: object, path: string, handlers: Partial<Record<Method, RouteHandler>>): void {
  const mount = router as Record<string, (path: string, ...handlers: RouteHandler[]) => unknown>;
  for (const [method, handler] of Object.entries(handlers)) mount[method.toLowerCase()]!(path, handler);
  const allow = Object.keys(handlers).join(', ');
  mount['all']!(path, () => {
    throw methodNotAllowed(allow);
  });
}

/** `finally`: what no route of the family answered gets `answer`. */
export function orNotFound(answer: (request: RouteRequest) => Response) {
  return (response: Response | undefined, request: RouteRequest): Response => response ?? answer(request);
}

/** edgehook's own 404 for a path no route serves. */
export function edgehookNotFound(request: RouteRequest): Response {
  const path = new URL(request.url).pathname;
  return jsonResponse({ error: { code: 'not_found', message: `No route for ${request.method} ${path}.` } }, 404);
}

/**
 * `finally`: headers a stage or handler asked for (`request.responseHeaders`) go on whatever
 * response leaves the family, error responses included.
 */
export function applyResponseHeaders(response: Response, request: RouteRequest): Response {
  for (const [name, value] of Object.entries(request.responseHeaders ?? {})) response.headers.set(name, value);
  return response;
}
