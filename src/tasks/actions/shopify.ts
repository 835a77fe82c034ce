import { primaryDb } from '../../shards';
import { decryptSecret } from '../../crypto';
import {
  EDGEHOOK_VERSION,
  SHOPIFY_429_DEFAULT_RETRY_SECONDS,
  SHOPIFY_ACTION_MAX_QUERY_CHARS,
  SHOPIFY_ACTION_TIMEOUT_MS,
} from '../../env';
import { errorText } from '../../log';
import { findShopifyAdminCredentials } from '../../shops/store';
import { shopifyGraphqlUrl } from './shopify-url';
import { clip, collectUserErrors, isThrottledError, messagesOf, parseBody, recordable } from './shopify-answer';
import { throttleDelaySeconds, type ShopifyCost } from './shopify-throttle';
import {
  asObject,
  failed,
  failedTransiently,
  memoized,
  succeeded,
  type ActionContext,
  type ActionOutcome,
} from './types';

/**
 * `shopify` action: one GraphQL Admin API request with the shop's access token. Options are the
 * query text, or `{query, variables?}`. The result is Shopify's `{data, errors, extensions}`;
 * top-level `errors` or any non-empty `userErrors` fail the action with their messages (the
 * answer is still recorded). `THROTTLED` or a 429 is retried after the wait the cost bucket needs;
 * 5xx, timeouts and network errors are transient; any other status fails.
 */

export interface ShopifyRequest {
  query: string;
  variables: Record<string, unknown> | null;
}

/** Validates `shopify` options (no I/O): the request, or why it cannot be sent. */
export function planShopifyRequest(
  options: unknown,
): { ok: true; request: ShopifyRequest } | { ok: false; error: string } {
  if (Array.isArray(options)) {
    return { ok: false, error: 'shopify REST options ([operation, …]) are not supported; send a GraphQL query' };
  }
  const object = typeof options === 'string' ? { query: options } : asObject(options);
  if (!object) return { ok: false, error: 'shopify options must be a GraphQL query string or {query, variables}' };
  const { query, variables, ...extra } = object;
  if (Object.keys(extra).length > 0) {
    return { ok: false, error: `shopify options do not take ${Object.keys(extra).join(', ')}` };
  }
  if (typeof query !== 'string' || query.trim() === '') {
    return { ok: false, error: 'shopify query must be a non-empty GraphQL string' };
  }
  // Shopify counts the query without its whitespace.
  const length = query.replace(/\s+/g, '').length;
  if (length > SHOPIFY_ACTION_MAX_QUERY_CHARS) {
    return {
      ok: false,
      error: `shopify query is ${length} characters without whitespace; the limit is ${SHOPIFY_ACTION_MAX_QUERY_CHARS}`,
    };
  }
  const vars = variables === undefined || variables === null ? null : asObject(variables);
  if (variables !== undefined && variables !== null && vars === null) {
    return { ok: false, error: 'shopify variables must be an object' };
  }
  return { ok: true, request: { query, variables: vars } };
}

export async function performShopify(ctx: ActionContext, options: unknown): Promise<ActionOutcome> {
  const plan = planShopifyRequest(options);
  if (!plan.ok) return failed(plan.error);
  const credentials = await memoized(ctx, `shopify-credentials:${ctx.shopId}`, () => readCredentials(ctx));
  if (credentials === null) {
    return failed('no Shopify Admin API access token is set for this shop (PUT /api/v1/shop/shopify_access_token)');
  }
  const { token, myshopifyDomain } = credentials;
  const url = shopifyGraphqlUrl(ctx.env, myshopifyDomain);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'x-shopify-access-token': token,
        'user-agent': `edgehook/${EDGEHOOK_VERSION}`,
      },
      body: JSON.stringify(plan.request.variables === null ? { query: plan.request.query } : plan.request),
      redirect: 'manual',
      signal: AbortSignal.timeout(SHOPIFY_ACTION_TIMEOUT_MS),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return failedTransiently(
      timedOut
        ? `shopify request timed out after ${SHOPIFY_ACTION_TIMEOUT_MS} ms`
        : `shopify request failed: ${errorText(err)}`,
    );
  }
  const text = await response.text();
  const body = parseBody(text);
  if (response.status === 429) {
    const retryAfter = Number(response.headers.get('retry-after'));
    return throttled(
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : SHOPIFY_429_DEFAULT_RETRY_SECONDS,
      'shopify answered 429 Too Many Requests',
    );
  }
  if (response.status >= 500) return failedTransiently(`shopify answered ${response.status}`);
  if (response.status !== 200 || body === null) {
    const detail = body === null ? text.slice(0, 200) : messagesOf(body['errors']).join('; ');
    return failed(clip(`shopify answered ${response.status}${detail ? `: ${detail}` : ''}`));
  }
  const result = recordable({
    data: body['data'] ?? null,
    errors: body['errors'] ?? null,
    extensions: body['extensions'] ?? null,
  });
  const errors = Array.isArray(body['errors']) ? body['errors'] : body['errors'] ? [body['errors']] : [];
  if (errors.some(isThrottledError)) {
    const cost = asObject(asObject(body['extensions'])?.['cost']) as ShopifyCost | null;
    return throttled(throttleDelaySeconds(cost), 'shopify throttled the query (THROTTLED)');
  }
  if (errors.length > 0) return { ...failed(clip(`shopify errors: ${messagesOf(errors).join('; ')}`)), result };
  const userErrors = collectUserErrors(body['data']);
  if (userErrors.length > 0) {
    return { ...failed(clip(`shopify userErrors: ${userErrors.join('; ')}`)), result };
  }
  return succeeded(result);
}

/** The shop's domain and decrypted token, or null when no token is set. */
async function readCredentials(ctx: ActionContext): Promise<{ myshopifyDomain: string; token: string } | null> {
  const stored = await findShopifyAdminCredentials(primaryDb(ctx.env), ctx.shopId);
  if (stored?.ciphertext == null) return null;
  return {
    myshopifyDomain: stored.myshopifyDomain,
    token: await decryptSecret(ctx.env.SECRETS_KEY, stored.ciphertext),
  };
}

const throttled = (retryAfterSeconds: number, error: string): ActionOutcome => ({
  ok: false,
  error,
  transient: true,
  retryAfterSeconds,
});
