/**
 * Which subscription addresses edgehook will deliver to (docs/contracts.md, "Addresses").
 * Used when a subscription is created or changed, and again by delivery at send time.
 *
 * Accepted: `https://` URLs with a host. Refused: `localhost`, IP literals in loopback, private,
 * shared (CGNAT), link-local, unique-local, unspecified, broadcast or multicast ranges (IPv4, IPv6,
 * IPv4-mapped and NAT64 forms, and the 6to4 and Teredo tunnel prefixes; the URL parser has already turned odd IPv4 spellings such as
 * `0x7f.1` or `2130706433` into dotted decimal), hosts ending in `internal`, the shop's own domains,
 * `pubsub://` and `arn:aws:events:` addresses. `ALLOW_INSECURE_ADDRESSES` (local development only)
 * also admits `http://` and loopback hosts.
 */

export interface AddressRules {
  /** The shop's myshopify and primary domains, lowercase. */
  shopDomains: readonly string[];
  allowInsecure: boolean;
}

/** Why the address is not acceptable (a short reason for logs), or null when it is. */
export function addressProblem(address: string, rules: AddressRules): string | null {
  const trimmed = address.trim();
  if (/^pubsub:\/\//i.test(trimmed) || /^arn:aws:events:/i.test(trimmed)) {
    return 'Pub/Sub and EventBridge addresses are not supported';
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'https:' && !(rules.allowInsecure && url.protocol === 'http:')) {
    return 'not https';
  }
  if (url.hostname === '') return 'no host';
  if (url.username !== '' || url.password !== '') return 'credentials in the URL';
  if (isForbiddenHost(url.hostname, rules.allowInsecure)) return 'forbidden host';
  const host = url.hostname.replace(/\.$/, '');
  if (rules.shopDomains.includes(host)) return "the shop's own domain";
  return null;
}

/** True for hosts edgehook never sends to (see the module comment); `hostname` as URL gives it. */
export function isForbiddenHost(hostname: string, allowInsecure: boolean): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return !allowInsecure;
  if (host.endsWith('internal')) return true;
  if (host.startsWith('[') && host.endsWith(']')) return isForbiddenIpv6(host.slice(1, -1), allowInsecure);
  const v4 = parseIpv4(host);
  return v4 !== null && isForbiddenIpv4(v4, allowInsecure);
}

function parseIpv4(host: string): number[] | null {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

function isForbiddenIpv4([a, b]: number[], allowInsecure: boolean): boolean {
  if (a === undefined || b === undefined) return true;
  if (a === 127) return !allowInsecure; // loopback
  return (
    a === 0 || // "this network", unspecified
    a === 10 || // private
    (a === 100 && b >= 64 && b <= 127) || // shared address space (CGNAT)
    (a === 169 && b === 254) || // link-local (cloud metadata lives here)
    (a === 172 && b >= 16 && b <= 31) || // private
    (a === 192 && b === 168) || // private
    (a === 192 && b === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

function isForbiddenIpv6(text: string, allowInsecure: boolean): boolean {
  const words = expandIpv6(text);
  if (words === null) return true;
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = words;
  const zeroPrefix = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0;
  const embeddedV4 = [w6 >> 8, w6 & 255, w7 >> 8, w7 & 255];
  if (zeroPrefix && w5 === 0 && w6 === 0 && w7 === 1) return !allowInsecure; // ::1 loopback
  if (zeroPrefix && w5 === 0 && w6 === 0 && w7 === 0) return true; // :: unspecified
  if (zeroPrefix && (w5 === 0xffff || w5 === 0)) return isForbiddenIpv4(embeddedV4, allowInsecure); // ::ffff:a.b.c.d, ::a.b.c.d
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return isForbiddenIpv4(embeddedV4, allowInsecure); // NAT64 64:ff9b::a.b.c.d
  }
  return (
    (w0 & 0xfe00) === 0xfc00 || // fc00::/7 unique-local
    (w0 & 0xffc0) === 0xfe80 || // fe80::/10 link-local
    (w0 & 0xffc0) === 0xfec0 || // fec0::/10 site-local (deprecated)
    (w0 & 0xff00) === 0xff00 || // multicast
    // Tunnels that carry IPv4 inside IPv6, so a relay could forward to any IPv4 address, private
    // ranges included: 6to4 (2002::/16, RFC 3056) and Teredo (2001::/32, RFC 4380).
    w0 === 0x2002 ||
    (w0 === 0x2001 && w1 === 0)
  );
}

/** Eight 16-bit words of an IPv6 address (as URL serializes it: compressed hex), or null. */
function expandIpv6(text: string): number[] | null {
  let head = text;
  const tail: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const octets = parseIpv4(v4[1]!);
    if (octets === null) return null;
    tail.push((octets[0]! << 8) | octets[1]!, (octets[2]! << 8) | octets[3]!);
    head = text.slice(0, -v4[1]!.length).replace(/:$/, '') || ':';
    if (head === ':') head = '::';
  }
  const [left = '', right] = head.split('::');
  const parse = (s: string) =>
    s === '' ? [] : s.split(':').map((w) => (/^[0-9a-f]{1,4}$/.test(w) ? parseInt(w, 16) : NaN));
  const l = parse(left);
  const r = right === undefined ? [] : parse(right);
  const missing = 8 - tail.length - l.length - r.length;
  if (right === undefined ? missing !== 0 : missing < 0) return null;
  const words = [...l, ...Array<number>(right === undefined ? 0 : missing).fill(0), ...r, ...tail];
  return words.length === 8 && words.every((w) => Number.isInteger(w)) ? words : null;
}

/** The local-development switch (var ALLOW_INSECURE_ADDRESSES). */
export const allowsInsecureAddresses = (env: Env): boolean => env.ALLOW_INSECURE_ADDRESSES === 'true';
