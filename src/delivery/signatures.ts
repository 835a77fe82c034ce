import { hmacSha256Base64 } from '../crypto';
import { fromBase64, toBase64 } from '../encoding';

/**
 * The two signatures every delivery carries.
 *
 * An app's signing secret is one string, `whsec_<base64 of 24 random bytes>`, used two ways:
 * - `X-Shopify-Hmac-Sha256`: base64 HMAC-SHA256 of the exact body bytes keyed with the secret
 *   string's UTF-8 bytes, as Shopify keys it with an app's client secret, so a receiver passes the
 *   whole string where its Shopify library asks for the API secret;
 * - `webhook-signature` (Standard Webhooks): `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`
 *   keyed with the base64-decoded part after `whsec_`, as the standard's libraries expect.
 */

export const SIGNING_SECRET_PREFIX = 'whsec_';
const SIGNING_SECRET_BYTES = 24;

const encoder = new TextEncoder();

export function newSigningSecret(): string {
  return SIGNING_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SIGNING_SECRET_BYTES)));
}

export function shopifyHmac(secret: string, body: Uint8Array): Promise<string> {
  return hmacSha256Base64(encoder.encode(secret), body);
}

/** One `v1,` signature per secret, space-separated (several during a rotation). */
export async function standardWebhookSignature(
  secrets: readonly string[],
  id: string,
  timestampSeconds: number,
  body: Uint8Array,
): Promise<string> {
  const prefix = encoder.encode(`${id}.${timestampSeconds}.`);
  const signed = new Uint8Array(prefix.length + body.length);
  signed.set(prefix);
  signed.set(body, prefix.length);
  const signatures = await Promise.all(
    secrets.map(async (secret) => `v1,${await hmacSha256Base64(standardKey(secret), signed)}`),
  );
  return signatures.join(' ');
}

function standardKey(secret: string): Uint8Array {
  const key = fromBase64(secret.startsWith(SIGNING_SECRET_PREFIX) ? secret.slice(SIGNING_SECRET_PREFIX.length) : secret);
  if (key === null) throw new Error('signing secret is not whsec_ + base64');
  return key;
}
