import { AppError } from '../http/errors';
import { formatUuid } from '../ids';

/**
 * `Idempotency-Key` on ingress (spec/ingress.md): a repeat with the same key to the same webhook
 * gets the same `x-request-id` and makes no second event. Nothing is looked up on the hot path:
 * the request id and the event id are derived from (webhook id, key), and the events consumer's
 * claim on the event id (INSERT … ON CONFLICT) drops every repeat, also one still on the queue.
 * The derivation is an HMAC under SECRETS_KEY, so knowing a webhook id and a key (often a cart
 * token) is not enough to compute the request id, which names a shopper's result at a prefix
 * cache endpoint.
 */

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Longest key accepted, in characters (spec/ingress.md: 1–255 visible ASCII characters). */
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** The header's key, null when absent; a 400 when present but not 1–255 visible ASCII characters. */
export function idempotencyKeyOf(headers: Headers): string | null {
  const key = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === null) return null;
  if (key.length > MAX_IDEMPOTENCY_KEY_CHARS || !VISIBLE_ASCII.test(key)) {
    throw new AppError(
      400,
      'invalid_idempotency_key',
      `Idempotency-Key must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters.`,
    );
  }
  return key;
}

export interface IdempotentIds {
  requestId: string;
  eventId: string;
}

let derivationKey: { secret: string; key: Promise<CryptoKey> } | null = null;

/** The request id and event id that every repeat of (webhook, key) gets. */
export async function idempotentIds(secret: string, webhookId: string, key: string): Promise<IdempotentIds> {
  if (derivationKey?.secret !== secret) {
    const material = new TextEncoder().encode(`edgehook idempotency v1\n${secret}`);
    derivationKey = {
      secret,
      key: crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    };
  }
  const cryptoKey = await derivationKey.key;
  const derive = async (purpose: string) =>
    // A UUID of version 8 (RFC 9562 §5.8: custom, here hash-based) from the digest's first 16 bytes.
    formatUuid(
      new Uint8Array(
        await crypto.subtle.sign('HMAC', cryptoKey, new TextEncoder().encode(`${purpose}\n${webhookId}\n${key}`)),
      ),
      8,
    );
  const [requestId, eventId] = await Promise.all([derive('request'), derive('event')]);
  return { requestId, eventId };
}
