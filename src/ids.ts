/** Ids the Worker makes besides `crypto.randomUUID()`'s version 4. */

/**
 * A UUID of version 7 (RFC 9562 §5.7): 48 bits of Unix time in milliseconds, then 74 random bits.
 * For rows written in bulk (events, task runs, action runs, deliveries): ids made one after
 * another sort by time, so each insert lands at the end of the row's D1 indexes instead of on a
 * random page, which more than halved the pages a consumer batch writes (issue 13, BENCHMARKS.md).
 * Never for a secret: 74 random bits are unguessable, but the id tells when it was made.
 */
export function timeOrderedId(nowMs: number = Date.now()): string {
  const time = nowMs.toString(16).padStart(12, '0');
  // A version-4 UUID's random bits after its version digit: rand_a, the variant, rand_b.
  const random = crypto.randomUUID().slice(15);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random}`;
}

/** The UUID of 16 bytes, with the version and RFC 9562's variant bits set. */
export function formatUuid(bytes: Uint8Array, version: number): string {
  const b = bytes.slice(0, 16);
  b[6] = (b[6]! & 0x0f) | (version << 4);
  b[8] = (b[8]! & 0x3f) | 0x80;
  let hex = '';
  for (const x of b) hex += x.toString(16).padStart(2, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
