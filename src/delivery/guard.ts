import { isForbiddenHost } from '../http/outbound-address';

/**
 * The address check at send time (the same rules as at creation, applied again because DNS-free
 * IP literals and settings can change): `https` only, and no loopback, private, link-local or
 * unique-local IP-literal hosts, unless `ALLOW_INSECURE_ADDRESSES` is set for local development.
 * Returns why the address is refused, or null.
 */
export function sendTimeAddressProblem(address: string, allowInsecure: boolean): string | null {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return 'address refused: not a URL';
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    return `address refused: ${url.protocol} is not allowed (https only)`;
  }
  if (isForbiddenHost(url.hostname, allowInsecure)) {
    return 'address refused: loopback, private, link-local, unique-local or internal host';
  }
  return null;
}
