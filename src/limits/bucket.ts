/**
 * Leaky-bucket arithmetic for Shopify's call limits (docs/contracts.md, "Call limits"), pure
 * and clock-free: callers pass the time. Levels are kept in thousandths of a call (or of a cost
 * point) so that leaking by whole milliseconds stays integer arithmetic and never drifts.
 */

/** Thousandths per unit: a bucket level of 1 call is 1_000. */
export const MILLI_PER_UNIT = 1_000;

/** A bucket's size and how fast it empties. */
export interface BucketShape {
  /** Most units the bucket holds (calls, or cost points). */
  capacity: number;
  /** Units that leak out per second. */
  leakPerSecond: number;
}

/** A bucket's level at a moment. */
export interface BucketState {
  /** Units in the bucket, in thousandths (0 = empty, capacity × 1000 = full). */
  usedMilli: number;
  /** When `usedMilli` was true, in ms since the epoch. */
  atMs: number;
}

export const EMPTY_BUCKET: BucketState = { usedMilli: 0, atMs: 0 };

/** The bucket at `nowMs`, after leaking since its last update. A clock that went back leaks nothing. */
export function leak(state: BucketState, shape: BucketShape, nowMs: number): BucketState {
  const elapsedMs = Math.max(0, nowMs - state.atMs);
  // units/s × ms = thousandths of a unit, so the leak of whole ms is an integer.
  const usedMilli = Math.max(0, state.usedMilli - elapsedMs * shape.leakPerSecond);
  return { usedMilli, atMs: Math.max(state.atMs, nowMs) };
}

/** The outcome of pouring `cost` units in: the new state, and whether they fitted. */
export interface PourResult {
  allowed: boolean;
  state: BucketState;
}

/**
 * Pours `cost` units in at `nowMs` if they fit under the capacity; otherwise leaves the bucket as
 * it is (a refused call spends nothing, as at Shopify).
 */
export function pour(state: BucketState, shape: BucketShape, cost: number, nowMs: number): PourResult {
  assertUnits(cost);
  const current = leak(state, shape, nowMs);
  const after = current.usedMilli + cost * MILLI_PER_UNIT;
  if (after > shape.capacity * MILLI_PER_UNIT) return { allowed: false, state: current };
  return { allowed: true, state: { usedMilli: after, atMs: current.atMs } };
}

/** Takes up to `units` back out (a GraphQL query that cost less than it reserved). */
export function refund(state: BucketState, shape: BucketShape, units: number, nowMs: number): BucketState {
  assertUnits(units);
  const current = leak(state, shape, nowMs);
  return { usedMilli: Math.max(0, current.usedMilli - units * MILLI_PER_UNIT), atMs: current.atMs };
}

/** Whole units in use, rounded up so a header never shows more room than there is. */
export const usedUnits = (state: BucketState): number => Math.ceil(state.usedMilli / MILLI_PER_UNIT);

/** Whole units still free, rounded down for the same reason. */
export const availableUnits = (state: BucketState, shape: BucketShape): number =>
  Math.floor((shape.capacity * MILLI_PER_UNIT - state.usedMilli) / MILLI_PER_UNIT);

function assertUnits(units: number): void {
  if (!Number.isSafeInteger(units) || units < 0)
    throw new RangeError(`bucket units must be a non-negative integer, got ${units}`);
}
