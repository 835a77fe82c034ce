import type { IRequest } from 'itty-router';

/**
 * A request as handlers see it: itty's params and query, plus headers a handler wants on whatever
 * response goes out — including error responses built by the boundary (the router's `finally`
 * stage applies them).
 */
export type RouteRequest = IRequest & { responseHeaders?: Record<string, string> };

export type RouteHandler = (request: RouteRequest, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** The origin (scheme://host) of the request, for URLs in responses. */
export const requestOrigin = (request: Request): string => new URL(request.url).origin;
