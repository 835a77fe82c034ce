import { Router } from 'itty-router';
import { EDGEHOOK_ERRORS, errorBoundary } from '../http/boundary';
import {
  assignRequestId,
  INGRESS_CORS,
  rejectWebhookMethod,
  receiveWebhookPost,
  type IngressRequest,
} from '../ingress/routes';
import { storefrontCors } from '../shops/storefront-cors';
import { applyResponseHeaders, edgehookNotFound, orNotFound } from './stages';

/**
 * Ingress, the hot path: `POST /webhooks/{id}` (and the legacy `/webhook/{id}`). Stages: a request
 * id for every answer, then the storefront CORS stage (preflights answered there).
 */
export const ingressRouter = Router<IngressRequest, [Env, ExecutionContext]>({
  catch: errorBoundary(EDGEHOOK_ERRORS),
  finally: [orNotFound(edgehookNotFound), applyResponseHeaders],
});

const cors = storefrontCors(INGRESS_CORS);
for (const path of ['/webhooks/:id', '/webhook/:id']) {
  ingressRouter
    .post<IngressRequest, [Env, ExecutionContext]>(path, assignRequestId, cors, receiveWebhookPost)
    .options(path, cors)
    .all(path, rejectWebhookMethod);
}
