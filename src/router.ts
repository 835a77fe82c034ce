import { Router } from 'itty-router';
import {
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
} from './admin/routes';
import { getDeliveries, getDelivery, postDeliveryRetry, postSubscriptionReplay } from './delivery/routes';
import { getEvent, getEvents } from './events/routes';
import { errorResponse } from './http/boundary';
import { methodNotAllowed } from './http/errors';
import { jsonResponse } from './http/json';
import type { RouteHandler, RouteRequest } from './http/route';
import {
  deleteWebhookRoute,
  getCors,
  getWebhook,
  getWebhooks,
  patchWebhook,
  postWebhook,
  putCors,
} from './ingress/admin-routes';
import { answerWebhookPreflight, receiveWebhookPost, rejectWebhookMethod } from './ingress/routes';
import { receiveShopifyWebhook, rejectShopifyWebhookMethod } from './shopify/routes';
import {
  API_VERSION_HEADER,
  apiVersionHeaderFor,
  countWebhooksRoute,
  createWebhookRoute,
  deleteWebhookRoute as deleteShopifyWebhook,
  getWebhookRoute,
  listWebhooksRoute,
  updateWebhookRoute,
} from './subscriptions/routes';
import { answerCacheEndpointPreflight, readCacheEndpoint, rejectCacheEndpointMethod } from './cache/public';
import {
  deleteCacheEndpointRoute,
  deleteCacheKey,
  getCacheEndpointRoute,
  getCacheEndpoints,
  getCacheKey,
  postCacheEndpoint,
  putCacheKey,
} from './cache/routes';
import {
  deleteTaskRoute,
  getEventTaskRuns,
  getTask,
  getTasks,
  patchTask,
  postTask,
  previewTask,
  setTaskEnabled,
} from './tasks/routes';

/**
 * Every route, mounted in one place, and the stages declared once: `catch` is the one error
 * boundary; `finally` answers unmatched routes and applies headers handlers asked for
 * (`request.responseHeaders`) to every response, error responses included.
 */
export const router = Router<RouteRequest, [Env, ExecutionContext]>({
  catch: errorResponse,
  finally: [finalizeResponse],
});

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Mounts a path's handlers and a 405 (with `Allow`) for every other method. */
function resource(path: string, handlers: Partial<Record<Method, RouteHandler>>): void {
  for (const [method, handler] of Object.entries(handlers)) router[method.toLowerCase()]!(path, handler);
  const allow = Object.keys(handlers).join(', ');
  router.all(path, () => {
    throw methodNotAllowed(allow);
  });
}

// Ingress, the hot path, matched first. `/webhook/{id}` is the legacy form.
for (const path of ['/webhooks/:id', '/webhook/:id']) {
  router.post(path, receiveWebhookPost).options(path, answerWebhookPreflight).all(path, rejectWebhookMethod);
}

// Inbound Shopify webhooks (HMAC-verified).
router.post('/shopify/webhooks', receiveShopifyWebhook).all('/shopify/webhooks', rejectShopifyWebhookMethod);
// Cache endpoints: browsers read task results. HEAD is served by the GET handler (no body).
// `/cache/{token}/{suffix}` reads a prefix endpoint; the suffix is checked by the handler.
for (const path of ['/cache/:token', '/cache/:token/:suffix+']) {
  router
    .get(path, readCacheEndpoint)
    .head(path, readCacheEndpoint)
    .options(path, answerCacheEndpointPreflight)
    .all(path, rejectCacheEndpointMethod);
}

// Management API: operator routes (ADMIN_TOKEN), then app routes (app access token).
resource('/api/v1/shops', { GET: getShops, POST: postShop });
resource('/api/v1/shops/:shopId', { GET: getShop, PATCH: patchShop });
resource('/api/v1/shops/:shopId/apps', { GET: getApps, POST: postApp });
resource('/api/v1/shop', { GET: getOwnShop });
resource('/api/v1/webhooks', { GET: getWebhooks, POST: postWebhook });
resource('/api/v1/webhooks/:id', { GET: getWebhook, PATCH: patchWebhook, DELETE: deleteWebhookRoute });
resource('/api/v1/cors', { GET: getCors, PUT: putCors });
resource('/api/v1/events', { GET: getEvents });
resource('/api/v1/events/:id', { GET: getEvent });
resource('/api/v1/app/signing-secrets', { GET: getSigningSecrets, POST: postSigningSecret });
resource('/api/v1/app/signing-secrets/:id', { DELETE: deleteSigningSecret });
resource('/api/v1/deliveries', { GET: getDeliveries });
resource('/api/v1/deliveries/:id', { GET: getDelivery });
resource('/api/v1/deliveries/:id/retry', { POST: postDeliveryRetry });
resource('/api/v1/subscriptions/:id/replay', { POST: postSubscriptionReplay });

// Shopify-compatible Webhook resource (app access token in X-Shopify-Access-Token). count.json is
// mounted before :id.json, which would otherwise match it with id "count".
resource('/admin/api/:version/webhooks.json', { GET: listWebhooksRoute, POST: createWebhookRoute });
resource('/admin/api/:version/webhooks/count.json', { GET: countWebhooksRoute });
resource('/admin/api/:version/webhooks/:id.json', {
  GET: getWebhookRoute,
  PUT: updateWebhookRoute,
  DELETE: deleteShopifyWebhook,
});
resource('/api/v1/events/:id/task_runs', { GET: getEventTaskRuns });
resource('/api/v1/tasks', { GET: getTasks, POST: postTask });
resource('/api/v1/tasks/:id', { GET: getTask, PATCH: patchTask, DELETE: deleteTaskRoute });
resource('/api/v1/tasks/:id/enable', { POST: setTaskEnabled(true) });
resource('/api/v1/tasks/:id/disable', { POST: setTaskEnabled(false) });
resource('/api/v1/tasks/:id/preview', { POST: previewTask });
resource('/api/v1/cache_endpoints', { GET: getCacheEndpoints, POST: postCacheEndpoint });
resource('/api/v1/cache_endpoints/:token', { GET: getCacheEndpointRoute, DELETE: deleteCacheEndpointRoute });
resource('/api/v1/cache/:key+', { GET: getCacheKey, PUT: putCacheKey, DELETE: deleteCacheKey });

function finalizeResponse(response: Response | undefined, request: RouteRequest): Response {
  const res = response ?? routeNotFound(request);
  const version = apiVersionHeaderFor(new URL(request.url).pathname);
  if (version !== null && !request.responseHeaders?.[API_VERSION_HEADER]) {
    res.headers.set(API_VERSION_HEADER, version);
  }
  for (const [name, value] of Object.entries(request.responseHeaders ?? {})) {
    res.headers.set(name, value);
  }
  return res;
}

function routeNotFound(request: RouteRequest): Response {
  const path = new URL(request.url).pathname;
  if (path.startsWith('/admin/api/')) return jsonResponse({ errors: 'Not Found' }, 404);
  return jsonResponse(
    { error: { code: 'not_found', message: `No route for ${request.method} ${path}.` } },
    404,
  );
}
