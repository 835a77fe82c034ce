import { findShopifySecretByDomain } from '../shops/store';
import { decryptSecret, hmacSha256Base64, sha256Hex, timingSafeEqualStrings } from '../crypto';
import { decodeUtf8 } from '../encoding';
import { MAX_BODY_BYTES } from '../env';
import { enqueueEvent, newEventEnvelope } from '../events/producer';
import { readBodyBytes } from '../http/body';
import { AppError, badRequest, methodNotAllowed } from '../http/errors';
import { jsonResponse } from '../http/json';
import type { RouteRequest } from '../http/route';

/**
 * POST /shopify/webhooks: Shopify's own deliveries for shops that route their app's webhooks here
 * (spec/shopify-webhooks.md, "Inbound Shopify webhooks"). The shop is found by its myshopify
 * domain, the HMAC is checked in constant time over the raw bytes with the shop's Shopify client
 * secret, and the body becomes an event `shopify/<topic>`. The event id is derived from the shop
 * and `X-Shopify-Webhook-Id`, so a resent webhook maps to the same event and is stored once.
 */

export const SHOPIFY_INBOUND_ALLOW = 'POST';
const TOPIC = /^[a-z0-9_]+(\/[a-z0-9_]+)+$/;

const unauthorizedWebhook = () =>
  new AppError(401, 'invalid_signature', 'Unknown shop or invalid X-Shopify-Hmac-Sha256 signature.');

export async function receiveShopifyWebhook(request: RouteRequest, env: Env): Promise<Response> {
  const body = await readBodyBytes(request, MAX_BODY_BYTES);
  const domain = request.headers.get('x-shopify-shop-domain')?.trim().toLowerCase() ?? '';
  const signature = request.headers.get('x-shopify-hmac-sha256') ?? '';
  const shop = domain === '' ? null : await findShopifySecretByDomain(env.DB, domain);
  if (shop === null || shop.ciphertext === null || signature === '') throw unauthorizedWebhook();
  const secret = await decryptSecret(env.SECRETS_KEY, shop.ciphertext);
  const expected = await hmacSha256Base64(new TextEncoder().encode(secret), body);
  if (!(await timingSafeEqualStrings(expected, signature))) throw unauthorizedWebhook();

  const topic = request.headers.get('x-shopify-topic')?.trim() ?? '';
  if (!TOPIC.test(topic)) throw badRequest('X-Shopify-Topic must be a topic such as orders/create.');
  const text = decodeUtf8(body);
  if (text === null || !isJson(text)) throw badRequest('The body must be JSON.');

  const webhookId = request.headers.get('x-shopify-webhook-id')?.trim();
  const event = newEventEnvelope({
    id: webhookId ? await eventIdFor(shop.shopId, webhookId) : undefined,
    shopId: shop.shopId,
    topic: `shopify/${topic}`,
    // Stored as sent: deliveries without a fields filter carry Shopify's bytes, and no number is
    // ever rounded through a double (spec/shopify-webhooks.md, "Ids and numbers").
    data: undefined,
    dataJson: text,
    source: 'shopify',
  });
  await enqueueEvent(env, event);
  return jsonResponse({ ok: true }, 200);
}

export function rejectShopifyWebhookMethod(): never {
  throw methodNotAllowed(SHOPIFY_INBOUND_ALLOW);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A UUID-shaped id fixed by (shop, X-Shopify-Webhook-Id). */
async function eventIdFor(shopId: string, webhookId: string): Promise<string> {
  const hex = await sha256Hex(`shopify-webhook\n${shopId}\n${webhookId}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
