import { LATEST_STABLE_API_VERSION } from '../../shops/api-versions';
import { allowsInsecureAddresses } from '../../http/outbound-address';

/** The Admin API version every `shopify` action is sent with. */
export const SHOPIFY_ACTION_API_VERSION = LATEST_STABLE_API_VERSION;

/**
 * `https://{myshopify_domain}/admin/api/{version}/graphql.json`. For local development and tests
 * only, SHOPIFY_ADMIN_BASE_URL (honoured only with ALLOW_INSECURE_ADDRESSES, like loopback
 * subscription addresses) replaces `https://{myshopify_domain}`, with `{shop}` standing for the
 * domain, so a stand-in on 127.0.0.1 can answer in Shopify's place.
 */
export function shopifyGraphqlUrl(env: Env, myshopifyDomain: string): string {
  const override = env.SHOPIFY_ADMIN_BASE_URL?.trim() ?? '';
  const base =
    override !== '' && allowsInsecureAddresses(env)
      ? override.replaceAll('{shop}', encodeURIComponent(myshopifyDomain)).replace(/\/+$/, '')
      : `https://${myshopifyDomain}`;
  return `${base}/admin/api/${SHOPIFY_ACTION_API_VERSION}/graphql.json`;
}
