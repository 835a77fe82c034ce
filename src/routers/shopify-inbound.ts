import { Router } from 'itty-router';
import { EDGEHOOK_ERRORS, errorBoundary } from '../http/boundary';
import type { RouteRequest } from '../http/route';
import { receiveShopifyWebhook, rejectShopifyWebhookMethod } from '../shopify/routes';
import { applyResponseHeaders, edgehookNotFound, orNotFound } from './stages';

/** Inbound Shopify webhooks: `POST /shopify/webhooks`, authenticated by the shop's HMAC. */
export const shopifyInboundRouter = Router<RouteRequest, [Env, ExecutionContext]>({
  catch: errorBoundary(EDGEHOOK_ERRORS),
  finally: [orNotFound(edgehookNotFound), applyResponseHeaders],
});

shopifyInboundRouter
  .post('/shopify/webhooks', receiveShopifyWebhook)
  .all('/shopify/webhooks', rejectShopifyWebhookMethod);
