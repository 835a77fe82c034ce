import { toBase64 } from '../encoding';

/**
 * The form of an app's signing secret: `whsec_<base64 of 24 random bytes>`. Made here, on the
 * shop ground, so creating an app needs nothing from delivery; delivery reads the prefix to find
 * the Standard Webhooks key inside the string.
 */

export const SIGNING_SECRET_PREFIX = 'whsec_';
const SIGNING_SECRET_BYTES = 24;

/** A new random signing secret. */
export function newSigningSecret(): string {
  return SIGNING_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SIGNING_SECRET_BYTES)));
}
