import { Router } from 'itty-router';
import {
  deleteShopifyAccessToken,
  deleteSigningSecret,
  getApps,
  getOwnShop,
  getShop,
  getShops,
  getSigningSecrets,
  patchShop,
  postApp,
  postShop,
  postSigningSecret,
  putShopifyAccessToken,
} from '../admin/routes';
import {
  deleteCacheEndpointRoute,
  deleteCacheKey,
  getCacheEndpointRoute,
  getCacheEndpoints,
  getCacheKey,
  postCacheEndpoint,
  putCacheKey,
} from '../cache/routes';
import {
  getDeliveries,
  getDelivery,
  getDeliveryLimit,
  getDestinations,
  postDeliveryRetry,
  putDeliveryLimit,
  postSubscriptionReplay,
} from '../delivery/routes';
import { getEvent, getEvents } from '../events/routes';
import { EDGEHOOK_ERRORS, errorBoundary } from '../http/boundary';
import type { RouteHandler, RouteRequest } from '../http/route';
import {
  deleteWebhookRoute,
  getCors,
  getWebhook,
  getWebhooks,
  patchWebhook,
  postWebhook,
  putCors,
} from '../ingress/admin-routes';
import { getOpenApiDocument } from '../openapi/routes';
import { bearerToken, requireApp, requireOperator, resolvePrincipal, type Principal } from '../shops/auth';
import type { AppRecord } from '../shops/store';
import {
  deleteTaskRoute,
  getEventTaskRuns,
  getTask,
  getTasks,
  patchTask,
  postTask,
  previewTask,
  setTaskEnabled,
} from '../tasks/routes';
import { applyResponseHeaders, edgehookNotFound, mountResource, orNotFound } from './stages';

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

export const apiV1Router = Router<ApiRequest, [Env, ExecutionContext]>({
  base: '/api/v1',
  before: [withPrincipal],
  catch: errorBoundary(EDGEHOOK_ERRORS),
  finally: [orNotFound(edgehookNotFound), applyResponseHeaders],
});

const mount = (path: string, handlers: Parameters<typeof mountResource>[2]) =>
  mountResource(apiV1Router, path, handlers);

// The API's own description: public, like any API reference (it holds no data).
mount('/openapi.json', { GET: getOpenApiDocument });

// Shops and apps: the operator manages them; an app reads its own shop.
mount('/shops', { GET: operator(getShops), POST: operator(postShop) });
mount('/shops/:shopId', { GET: operator(getShop), PATCH: operator(patchShop) });
mount('/shops/:shopId/apps', { GET: operator(getApps), POST: operator(postApp) });
mount('/shop', { GET: app(getOwnShop) });
mount('/shop/shopify_access_token', { PUT: app(putShopifyAccessToken), DELETE: app(deleteShopifyAccessToken) });
mount('/app/signing-secrets', { GET: app(getSigningSecrets), POST: app(postSigningSecret) });
mount('/app/signing-secrets/:id', { DELETE: app(deleteSigningSecret) });

// Webhooks (ingress URLs) and the shop's CORS origins.
mount('/webhooks', { GET: app(getWebhooks), POST: app(postWebhook) });
mount('/webhooks/:id', { GET: app(getWebhook), PATCH: app(patchWebhook), DELETE: app(deleteWebhookRoute) });
mount('/cors', { GET: app(getCors), PUT: app(putCors) });

// Events, their task runs, and deliveries to subscribers.
mount('/events', { GET: app(getEvents) });
mount('/events/:id', { GET: app(getEvent) });
mount('/events/:id/task_runs', { GET: app(getEventTaskRuns) });
mount('/deliveries', { GET: app(getDeliveries) });
mount('/deliveries/:id', { GET: app(getDelivery) });
mount('/deliveries/:id/retry', { POST: app(postDeliveryRetry) });
mount('/subscriptions/:id/replay', { POST: app(postSubscriptionReplay) });
mount('/subscriptions/:id/delivery_limit', { GET: app(getDeliveryLimit), PUT: app(putDeliveryLimit) });
mount('/destinations', { GET: app(getDestinations) });

// Tasks.
mount('/tasks', { GET: app(getTasks), POST: app(postTask) });
mount('/tasks/:id', { GET: app(getTask), PATCH: app(patchTask), DELETE: app(deleteTaskRoute) });
mount('/tasks/:id/enable', { POST: app(setTaskEnabled(true)) });
mount('/tasks/:id/disable', { POST: app(setTaskEnabled(false)) });
mount('/tasks/:id/preview', { POST: app(previewTask) });

// The cache and its public endpoints.
mount('/cache_endpoints', { GET: app(getCacheEndpoints), POST: app(postCacheEndpoint) });
mount('/cache_endpoints/:token', { GET: app(getCacheEndpointRoute), DELETE: app(deleteCacheEndpointRoute) });
mount('/cache/:key+', { GET: app(getCacheKey), PUT: app(putCacheKey), DELETE: app(deleteCacheKey) });
