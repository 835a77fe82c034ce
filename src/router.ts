import { Router } from 'itty-router';
import { EDGEHOOK_ERRORS, errorBoundary } from './http/boundary';
import type { RouteRequest } from './http/route';
import { shopifyAdminApiRouter } from './routers/shopify-admin-api';
import { apiV1Router } from './routers/api-v1';
import { cacheRouter } from './routers/cache';
import { ingressRouter } from './routers/ingress';
import { shopifyInboundRouter } from './routers/shopify-inbound';
import { edgehookNotFound, orNotFound } from './routers/stages';

/**
 * Every route family, mounted by prefix. Each family is a router with its own stages (`before`,
 * `catch` in its error shape, `finally`) in `src/routers/`; this router only dispatches and
 * answers paths no family owns.
 */
export const router = Router<RouteRequest, [Env, ExecutionContext]>({
  catch: errorBoundary(EDGEHOOK_ERRORS),
  finally: [orNotFound(edgehookNotFound)],
});

router
  // Ingress, the hot path, matched first.
  .all('/webhooks/*', ingressRouter.fetch)
  .all('/webhook/*', ingressRouter.fetch)
  .all('/cache/*', cacheRouter.fetch)
  .all('/shopify/*', shopifyInboundRouter.fetch)
  .all('/api/v1/*', apiV1Router.fetch)
  .all('/admin/api/*', shopifyAdminApiRouter.fetch);
