import { AppError } from '../http/errors';
import { formatUuid } from '../ids';

/**
 * `Idempotency-Key` on ingress: a repeat of the same request (same key, same webhook, same body
 * and query) gets the same `x-request-id` and makes no second event; the same key with another
 * body is refused with `409` and makes no event.
 *
 * Nothing in D1 is read on the hot path. The request id and the event id are derived from
 * (webhook id, key, the request's fingerprint), so only the very same request can ever be given
 * the first one's ids, and the events consumer's claim on the event id (INSERT … ON CONFLICT)
 * drops every repeat, also one still on the queue. The derivation is an HMAC under SECRETS_KEY:
 * knowing a webhook id and a key is not enough to compute a request id, which names a shopper's
 * result at a prefix cache endpoint. Which body a key was first used with is kept in KV
 * (idempotency-store.ts) for IDEMPOTENCY_KEY_TTL_SECONDS; that is how a different body is told
 * apart and answered `409`.
 */

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Shortest key accepted, in characters: short keys are guessable (a random UUID has 36). */
export const MIN_IDEMPOTENCY_KEY_CHARS = 16;
/** Longest key accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 255;
/** How long a key's first request is remembered, for telling a different body apart (24 h). */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 86_400;
const KEY_CHARACTERS = /^[A-Za-z0-9_.:-]+$/;

/** The header's key, null when absent; a 400 when present but not 16–255 of `[A-Za-z0-9_.:-]`. */
export function idempotencyKeyOf(headers: Headers): string | null {
  const key = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (key === null) return null;
  if (key.length < MIN_IDEMPOTENCY_KEY_CHARS || key.length > MAX_IDEMPOTENCY_KEY_CHARS || !KEY_CHARACTERS.test(key)) {
    throw new AppError(
      400,
      'invalid_idempotency_key',
      `Idempotency-Key must be ${MIN_IDEMPOTENCY_KEY_CHARS} to ${MAX_IDEMPOTENCY_KEY_CHARS} characters of A-Z, a-z, 0-9, "_", ".", ":" and "-"; make it with crypto.randomUUID().`,
    );
  }
  return key;
}

/** A `409` for a key already used with another body: the first request's ids are never shown. */
export const idempotencyKeyReused = () =>
  new AppError(
    409,
    'idempotency_key_reused',
    'This Idempotency-Key was already used with a different request body; use a new key for a new request.',
  );

export interface IdempotentIds {
  requestId: string;
  eventId: string;
}

/** SHA-256 (hex) of what makes an ingress request's event: its raw query string and body bytes. */
export async function requestFingerprint(queryString: string, body: Uint8Array): Promise<string> {
  const query = new TextEncoder().encode(`${queryString}\n`);
  const bytes = new Uint8Array(query.byteLength + body.byteLength);
  bytes.set(query);
  bytes.set(body, query.byteLength);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

let derivationKey: { secret: string; key: Promise<CryptoKey> } | null = null;

/** A UUID of version 8 (RFC 9562 §5.8: custom, here an HMAC under SECRETS_KEY) of `text`. */
async function derive(secret: string, text: string): Promise<string> {
  if (derivationKey?.secret !== secret) {
    const material = new TextEncoder().encode(`edgehook idempotency v2\n${secret}`);
    derivationKey = {
      secret,
      key: crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    };
  }
  const digest = await crypto.subtle.sign('HMAC', await derivationKey.key, new TextEncoder().encode(text));
  return formatUuid(new Uint8Array(digest), 8);
}

/**
 * Names the (webhook, key) pair whatever the body: where the key's first request is remembered.
 * Known before the body is read, so its record can be fetched while the body arrives.
 */
export const idempotencyClaimId = (secret: string, webhookId: string, key: string): Promise<string> =>
  derive(secret, `claim\n${webhookId}\n${key}`);

/** The ids every repeat of (webhook, key, fingerprint) gets. */
export async function idempotentIds(
  secret: string,
  webhookId: string,
  key: string,
  fingerprint: string,
): Promise<IdempotentIds> {
  const [requestId, eventId] = await Promise.all([
    derive(secret, `request\n${webhookId}\n${key}\n${fingerprint}`),
    derive(secret, `event\n${webhookId}\n${key}\n${fingerprint}`),
  ]);
  return { requestId, eventId };
}
