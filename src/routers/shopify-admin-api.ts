import { Router } from 'itty-router';
import { SHOPIFY_ERRORS, errorBoundary } from '../http/boundary';
import { jsonResponse } from '../http/json';
import type { RouteHandler, RouteRequest } from '../http/route';
import { OLDEST_SUPPORTED_API_VERSION, servedApiVersion, type ApiVersion } from '../shops/api-versions';
import { findAppByToken } from '../shops/auth';
import type { AppRecord } from '../shops/store';
import { shopifyNotFound, shopifyUnauthorized } from '../subscriptions/resource';
import {
  countWebhooksRoute,
  createWebhookRoute,
  deleteWebhookSubscriptionRoute,
  getWebhookRoute,
  listWebhooksRoute,
  updateWebhookRoute,
} from '../subscriptions/routes';
import { meterRestCall } from '../limits/rest';
import { graphqlRoute } from '../subscriptions/graphql/routes';
import { applyResponseHeaders, mountResource, orNotFound } from './stages';

/**
 * The Shopify-compatible Admin API, `/admin/api/{version}/…`, in Shopify's `{"errors": …}` shape.
 * Stages: the version (served as asked, as the oldest supported one when unknown, 404 when
 * malformed) and the app of `X-Shopify-Access-Token`; `finally` sets `X-Shopify-API-Version` on
 * every answer, 404s and 405s included.
 */

export const API_VERSION_HEADER = 'X-Shopify-API-Version';

export type ShopifyAdminApiRequest = RouteRequest & {
  /** The version served, or null when the path's version is malformed. */
  apiVersion?: ApiVersion | null;
  shopifyApp?: AppRecord | null;
};
type ShopifyHandler = (request: RouteRequest, env: Env, app: AppRecord) => Promise<Response>;

function withApiVersion(request: ShopifyAdminApiRequest): undefined {
  const segment = new URL(request.url).pathname.split('/')[3] ?? '';
  request.apiVersion = servedApiVersion(segment);
  return undefined;
}

async function withShopifyApp(request: ShopifyAdminApiRequest, env: Env): Promise<undefined> {
  const token = request.headers.get('x-shopify-access-token')?.trim();
  request.shopifyApp = token ? await findAppByToken(env, token) : null;
  return undefined;
}

/** A route for an app: a malformed version → 404, a missing or unknown token → 401. */
const authenticated =
  (handler: ShopifyHandler): RouteHandler =>
  (request: ShopifyAdminApiRequest, env) => {
    if (!request.apiVersion) throw shopifyNotFound();
    if (!request.shopifyApp) throw shopifyUnauthorized();
    return handler(request, env, request.shopifyApp);
  };

/** A REST resource route: authenticated, then metered against the app's call-limit bucket. */
const rest = (handler: ShopifyHandler): RouteHandler =>
  authenticated(async (request, env, app) => {
    await meterRestCall(request, env, app);
    return handler(request, env, app);
  });

function setApiVersionHeader(response: Response, request: ShopifyAdminApiRequest): Response {
  response.headers.set(API_VERSION_HEADER, request.apiVersion ?? OLDEST_SUPPORTED_API_VERSION);
  return response;
}

export const shopifyAdminApiRouter = Router<ShopifyAdminApiRequest, [Env, ExecutionContext]>({
  base: '/admin/api',
  before: [withApiVersion, withShopifyApp],
  catch: errorBoundary(SHOPIFY_ERRORS),
  finally: [orNotFound(() => jsonResponse({ errors: 'Not Found' }, 404)), setApiVersionHeader, applyResponseHeaders],
});

// count.json is mounted before :id.json, which would otherwise match it with id "count".
mountResource(shopifyAdminApiRouter, '/:version/webhooks.json', {
  GET: rest(listWebhooksRoute),
  POST: rest(createWebhookRoute),
});
mountResource(shopifyAdminApiRouter, '/:version/webhooks/count.json', { GET: rest(countWebhooksRoute) });
mountResource(shopifyAdminApiRouter, '/:version/webhooks/:id.json', {
  GET: rest(getWebhookRoute),
  PUT: rest(updateWebhookRoute),
  DELETE: rest(deleteWebhookSubscriptionRoute),
});
mountResource(shopifyAdminApiRouter, '/:version/graphql.json', { POST: authenticated(graphqlRoute) });
