import { inShard, primaryDb } from '../shards';
import { findShopifySecretByDomain } from '../shops/store';
import { decryptSecret, hmacSha256Base64, sha256Hex, timingSafeEqualStrings } from '../crypto';
import { decodeUtf8 } from '../encoding';
import { SHOPIFY_EVENT_PREFIX, SHOPIFY_TOPIC_PATTERN } from '../topics';
import { DEFAULT_SHOPIFY_WEBHOOK_MAX_AGE_HOURS, MAX_BODY_BYTES } from '../env';
import { enqueueEvent, newEventEnvelope } from '../events/producer';
import { readBodyBytes } from '../http/body';
import { AppError, badRequest, methodNotAllowed } from '../http/errors';
import { jsonResponse } from '../http/json';
import type { RouteRequest } from '../http/route';

/**
 * POST /shopify/webhooks: Shopify's own deliveries for shops that route their app's webhooks here
 * (docs/contracts.md, "Inbound Shopify webhooks"). The shop is found by its myshopify
 * domain, the HMAC is checked in constant time over the raw bytes with the shop's Shopify client
 * secret, and the body becomes an event `shopify/<topic>`. The event id is derived from the shop
 * and `X-Shopify-Event-Id` (or `X-Shopify-Webhook-Id`), so a resent or replayed delivery maps to
 * the same event and is stored once; one triggered too long ago is refused.
 */

export const SHOPIFY_INBOUND_ALLOW = 'POST';

const unauthorizedWebhook = () =>
  new AppError(401, 'invalid_signature', 'Unknown shop or invalid X-Shopify-Hmac-Sha256 signature.');

export async function receiveShopifyWebhook(request: RouteRequest, env: Env): Promise<Response> {
  const body = await readBodyBytes(request, MAX_BODY_BYTES);
  const domain = request.headers.get('x-shopify-shop-domain')?.trim().toLowerCase() ?? '';
  const signature = request.headers.get('x-shopify-hmac-sha256') ?? '';
  const shop = domain === '' ? null : await findShopifySecretByDomain(primaryDb(env), domain);
  if (shop === null || shop.ciphertext === null || signature === '') throw unauthorizedWebhook();
  const secret = await decryptSecret(env.SECRETS_KEY, shop.ciphertext);
  const expected = await hmacSha256Base64(new TextEncoder().encode(secret), body);
  if (!(await timingSafeEqualStrings(expected, signature))) throw unauthorizedWebhook();

  const topic = request.headers.get('x-shopify-topic')?.trim() ?? '';
  if (!SHOPIFY_TOPIC_PATTERN.test(topic)) throw badRequest('X-Shopify-Topic must be a topic such as orders/create.');
  const text = decodeUtf8(body);
  if (text === null || !isJson(text)) throw badRequest('The body must be JSON.');

  const triggeredAt = request.headers.get('x-shopify-triggered-at')?.trim();
  if (triggeredAt) checkTriggeredAt(triggeredAt, maxAgeHours(env), Date.now());
  const dedupeKey = dedupeKeyOf(request.headers);
  const event = newEventEnvelope({
    id: dedupeKey ? await eventIdFor(shop.shopId, dedupeKey) : undefined,
    shopId: shop.shopId,
    topic: `${SHOPIFY_EVENT_PREFIX}${topic}`,
    // Stored as sent: deliveries without a fields filter carry Shopify's bytes, and no number is
    // ever rounded through a double (docs/contracts.md, "Ids and numbers").
    data: undefined,
    dataJson: text,
    source: 'shopify',
  });
  await enqueueEvent(inShard(env, shop.shard), event);
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

/**
 * What makes a delivery a repeat: Shopify's `X-Shopify-Event-Id` (the same for every delivery of
 * one event, whatever the subscription or topic), else `X-Shopify-Webhook-Id` (the same for every
 * retry of one delivery). The topic is left out on purpose, so a captured body replayed under
 * another topic with its original ids is the same event and is dropped.
 */
function dedupeKeyOf(headers: Headers): string | null {
  const eventId = headers.get('x-shopify-event-id')?.trim();
  if (eventId) return `event\n${eventId}`;
  const webhookId = headers.get('x-shopify-webhook-id')?.trim();
  return webhookId ? webhookId : null;
}

/** SHOPIFY_WEBHOOK_MAX_AGE_HOURS, or its default when unset or not a positive number. */
function maxAgeHours(env: Env): number {
  const hours = Number(env.SHOPIFY_WEBHOOK_MAX_AGE_HOURS);
  return Number.isFinite(hours) && hours > 0 ? hours : DEFAULT_SHOPIFY_WEBHOOK_MAX_AGE_HOURS;
}

/**
 * Refuses a delivery whose `X-Shopify-Triggered-At` is older than the allowed age: Shopify retries
 * a delivery for about 4 hours, so an older one is a replay of a captured request.
 */
function checkTriggeredAt(value: string, hours: number, nowMs: number): void {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw badRequest('X-Shopify-Triggered-At must be an ISO 8601 time.');
  if (nowMs - at > hours * 3_600_000) {
    throw new AppError(
      400,
      'webhook_too_old',
      `X-Shopify-Triggered-At is more than ${hours} hours ago; the delivery is refused as a replay.`,
    );
  }
}

/** A UUID-shaped id fixed by (shop, the delivery's dedupe key). */
async function eventIdFor(shopId: string, webhookId: string): Promise<string> {
  const hex = await sha256Hex(`shopify-webhook\n${shopId}\n${webhookId}`);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
