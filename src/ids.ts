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

/**
 * The id of the child event an `event` action makes: derived from its run's id and the action's
 * position, so a run performed again (a retry after a failed commit, a redelivered message) sends
 * the same ids and the events consumer's claim on the id drops the copies. It is the run's id
 * (version 7) with position + 1 XORed into its last four random bytes: distinct per (run,
 * position), never the run's own id, and still a version-7 id of the run's time, so child events
 * keep landing at the end of the events table's indexes.
 */
export function childEventId(runId: string, position: number): string {
  const hex = runId.replace(/-/g, '');
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  for (let i = 0; i < 4; i++) bytes[15 - i]! ^= ((position + 1) >>> (8 * i)) & 0xff;
  return formatUuid(bytes, 7);
}
