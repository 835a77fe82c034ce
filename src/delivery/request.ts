import { EDGEHOOK_VERSION } from '../env';
import { errorText } from '../log';
import { sendTimeAddressProblem } from './guard';
import { buildPayloadFromJson } from './payload';
import { shopifyHmac, standardWebhookSignature } from './signatures';
import type { DeliveryWork } from './store';

/** A delivery's request, signed and ready to POST. */
export interface DeliveryRequest {
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Why an attempt ends its delivery without a request, and whether the subscription is to blame. */
export interface Refusal {
  reason: string;
  /** false for a fault of one event's data (a payload that cannot be built): the subscription stays. */
  blamesSubscription: boolean;
}

/**
 * A request, or why this delivery can never be sent (a refused address, an app without secrets,
 * a payload that cannot be built from the event's data): a reason that ends the delivery at once.
 */
export type PreparedRequest = { request: DeliveryRequest } | { refused: Refusal };

/**
 * Builds the body and every header, signatures included. Never throws: whatever goes wrong with
 * this one delivery's own data is its refusal, so it fails alone and never the rest of a batch.
 */
export async function prepareDeliveryRequest(
  item: DeliveryWork,
  secrets: readonly string[],
  allowInsecure: boolean,
): Promise<PreparedRequest> {
  const { delivery } = item;
  const refused = sendTimeAddressProblem(delivery.address, allowInsecure);
  if (refused !== null) return { refused: { reason: refused, blamesSubscription: true } };
  if (secrets.length === 0) {
    return { refused: { reason: 'the app has no active signing secret', blamesSubscription: true } };
  }
  let payload;
  try {
    payload = buildPayloadFromJson(item.eventDataJson, delivery.format, delivery.fields, delivery.topic);
  } catch (err) {
    // One event's data, not the subscription: the delivery fails, the subscription stays.
    return { refused: { reason: payloadProblem(delivery.format, err), blamesSubscription: false } };
  }
  try {
    const timestamp = Math.floor(Date.now() / 1000);
    const [hmac, signature] = await Promise.all([
      shopifyHmac(secrets[0]!, payload.body),
      standardWebhookSignature(secrets, delivery.id, timestamp, payload.body),
    ]);
    return {
      request: {
        body: payload.body,
        headers: {
          'content-type': payload.contentType,
          'user-agent': `edgehook/${EDGEHOOK_VERSION}`,
          'x-shopify-topic': delivery.topic,
          'x-shopify-hmac-sha256': hmac,
          'x-shopify-shop-domain': item.shopDomain,
          'x-shopify-api-version': delivery.apiVersion,
          // One id per delivery (the same on its retries), one per event (the same for every
          // subscription that receives it), and the event's time: what receivers dedupe and order by.
          'x-shopify-webhook-id': delivery.id,
          'x-shopify-event-id': delivery.eventId,
          'x-shopify-triggered-at': item.eventCreatedAt,
          ...(item.subscriptionName === null ? {} : { 'x-shopify-name': item.subscriptionName }),
          'webhook-id': delivery.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
      },
    };
  } catch (err) {
    return { refused: { reason: `the delivery could not be signed: ${errorText(err)}`, blamesSubscription: true } };
  }
}

/** A readable reason for a body that cannot be built; the builder's own words follow. */
function payloadProblem(format: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const hint = /nested/i.test(message) ? ' (the event data is nested too deeply for XML)' : '';
  return `the ${format.toUpperCase()} payload cannot be built from the event's data${hint}: ${message}`;
}
