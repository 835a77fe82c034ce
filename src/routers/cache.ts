import { Router } from 'itty-router';
import { CACHE_ENDPOINT_CORS, limitCacheReads, readCacheEndpoint, rejectCacheEndpointMethod } from '../cache/public';
import type { CacheEndpointConfig } from '../cache/endpoints';
import { EDGEHOOK_ERRORS, errorBoundary } from '../http/boundary';
import { storefrontCors, type StorefrontRequest } from '../shops/storefront-cors';
import { applyResponseHeaders, edgehookNotFound, orNotFound } from './stages';

/**
 * Public cache endpoints: browsers read task results at `/cache/{token}[/{suffix}]`. HEAD is served by the
 * GET handler (no body); the storefront CORS stage is shared with ingress.
 */
export const cacheRouter = Router<StorefrontRequest<CacheEndpointConfig>, [Env, ExecutionContext]>({
  catch: errorBoundary(EDGEHOOK_ERRORS),
  finally: [orNotFound(edgehookNotFound), applyResponseHeaders],
});

const cors = storefrontCors(CACHE_ENDPOINT_CORS);
// `/cache/{token}/{suffix}` reads a prefix endpoint; the suffix is checked by the handler.
for (const path of ['/cache/:token', '/cache/:token/:suffix+']) {
  cacheRouter
    .get<StorefrontRequest<CacheEndpointConfig>, [Env, ExecutionContext]>(
      path,
      limitCacheReads,
      cors,
      readCacheEndpoint,
    )
    .head<StorefrontRequest<CacheEndpointConfig>, [Env, ExecutionContext]>(
      path,
      limitCacheReads,
      cors,
      readCacheEndpoint,
    )
    .options(path, cors)
    .all(path, rejectCacheEndpointMethod);
}
