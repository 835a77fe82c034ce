import { fromBase64, toBase64, toBase64Url, toHex } from './encoding';

/** Small Web Crypto helpers shared by tokens, signatures and hashing. */

const encoder = new TextEncoder();

/** Lowercase hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text));
  return toHex(new Uint8Array(digest));
}

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/**
 * Compares two strings in time independent of where they differ: both are hashed first, so the
 * comparison also hides their lengths.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/**
 * Secrets at rest: AES-256-GCM under the `SECRETS_KEY` Worker secret (base64 of 32 bytes), as
 * `v1.<iv>.<ciphertext>` (base64url). Used for HMAC keys, which must be read back to sign or verify.
 */
const SECRET_FORMAT = 'v1';

async function secretsKey(keyBase64: string | undefined): Promise<CryptoKey> {
  const raw = keyBase64 ? fromBase64(keyBase64) : null;
  if (raw === null || raw.length !== 32) {
    throw new Error('SECRETS_KEY must be set to the base64 of 32 random bytes');
  }
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

export async function encryptSecret(keyBase64: string | undefined, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await secretsKey(keyBase64);
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(plaintext));
  return [SECRET_FORMAT, toBase64Url(iv), toBase64Url(new Uint8Array(sealed))].join('.');
}

export async function decryptSecret(keyBase64: string | undefined, sealed: string): Promise<string> {
  const [format, iv, data] = sealed.split('.');
  const ivBytes = iv === undefined ? null : fromBase64(iv);
  const dataBytes = data === undefined ? null : fromBase64(data);
  if (format !== SECRET_FORMAT || ivBytes === null || dataBytes === null) {
    throw new Error('stored secret has an unknown format');
  }
  const key = await secretsKey(keyBase64);
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: ivBytes }, key, dataBytes);
  return new TextDecoder().decode(plain);
}

/** Base64 HMAC-SHA256 of `data` keyed with `key`'s bytes. */
export async function hmacSha256Base64(key: Uint8Array, data: Uint8Array): Promise<string> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, data)));
}
