import { Router } from 'itty-router';
import { EDGEHOOK_ERRORS, errorBoundary } from '../http/boundary';
import type { RouteHandler, RouteRequest } from '../http/route';
import { API_OPERATIONS } from '../openapi/operations';
import { bearerToken, requireApp, requireOperator, resolvePrincipal, type Principal } from '../shops/auth';
import type { AppRecord } from '../shops/store';
import { applyResponseHeaders, edgehookNotFound, mountResource, orNotFound, type Method } from './stages';

/**
 * The management API, `/api/v1`. Its `before` stage resolves the bearer token once into a
 * principal; each route declares whom it serves (`operator(…)` or `app(…)`), and app handlers
 * receive their app.
 */

export type ApiRequest = RouteRequest & { principal?: Principal | null };
type OperatorHandler = (request: RouteRequest, env: Env) => Promise<Response>;
type AppHandler = (request: RouteRequest, env: Env, app: AppRecord) => Promise<Response>;

async function withPrincipal(request: ApiRequest, env: Env): Promise<undefined> {
  request.principal = await resolvePrincipal(env, bearerToken(request));
  return undefined;
}

/** A route for the operator token (ADMIN_TOKEN): none → 401, an app token → 403. */
const operator =
  (handler: OperatorHandler): RouteHandler =>
  (request: ApiRequest, env) => {
    requireOperator(request.principal ?? null);
    return handler(request, env);
  };

/** A route for an app access token: none → 401, the operator token → 403. */
const app =
  (handler: AppHandler): RouteHandler =>
  (request: ApiRequest, env) =>
    handler(request, env, requireApp(request.principal ?? null));

const API_BASE_PATH = '/api/v1';

export const apiV1Router = Router<ApiRequest, [Env, ExecutionContext]>({
  base: API_BASE_PATH,
  before: [withPrincipal],
  catch: errorBoundary(EDGEHOOK_ERRORS),
  finally: [orNotFound(edgehookNotFound), applyResponseHeaders],
});

// One route table (src/openapi/operations.ts) mounts every route and generates the OpenAPI
// document, so the two cannot drift. Each row's token check wraps its handler here.
const resources = new Map<string, Partial<Record<Method, RouteHandler>>>();
for (const [key, op] of Object.entries(API_OPERATIONS)) {
  const [method, path] = key.split(' ') as [Method, string];
  const handler = op.auth === 'operator' ? operator(op.handler) : op.auth === 'app' ? app(op.handler) : op.handler;
  const resource = resources.get(path) ?? {};
  resource[method] = handler;
  resources.set(path, resource);
}
for (const [path, handlers] of resources) mountResource(apiV1Router, path.slice(API_BASE_PATH.length), handlers);
