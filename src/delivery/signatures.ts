import { fromBase64, toBase64 } from '../encoding';
import { SIGNING_SECRET_PREFIX } from '../shops/signing-secrets';

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

const encoder = new TextEncoder();

export async function shopifyHmac(secret: string, body: Uint8Array): Promise<string> {
  return sign(await hmacKey(`shopify:${secret}`, () => encoder.encode(secret)), body);
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
    secrets.map(
      async (secret) => `v1,${await sign(await hmacKey(`standard:${secret}`, () => standardKey(secret)), signed)}`,
    ),
  );
  return signatures.join(' ');
}

function standardKey(secret: string): Uint8Array {
  const key = fromBase64(
    secret.startsWith(SIGNING_SECRET_PREFIX) ? secret.slice(SIGNING_SECRET_PREFIX.length) : secret,
  );
  if (key === null) throw new Error('signing secret is not whsec_ + base64');
  return key;
}

/** Imported HMAC keys, so a batch's deliveries of one app import each secret once. */
const importedKeys = new Map<string, Promise<CryptoKey>>();
/** Bound on `importedKeys`; it is emptied when full. */
const MAX_IMPORTED_KEYS = 1_000;

function hmacKey(id: string, raw: () => Uint8Array): Promise<CryptoKey> {
  let key = importedKeys.get(id);
  if (key === undefined) {
    if (importedKeys.size >= MAX_IMPORTED_KEYS) importedKeys.clear();
    key = crypto.subtle.importKey('raw', raw(), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    importedKeys.set(id, key);
    key.catch(() => importedKeys.delete(id));
  }
  return key;
}

async function sign(key: CryptoKey, data: Uint8Array): Promise<string> {
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, data)));
}
