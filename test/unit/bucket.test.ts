import { describe, expect, it } from 'vitest';
import { availableUnits, EMPTY_BUCKET, leak, pour, refund, usedUnits, type BucketState } from '../../src/limits/bucket';
import { GRAPHQL_BUCKET, REST_BUCKET } from '../../src/limits/shapes';

// The leaky bucket of docs/contracts.md, "Call limits", driven by a clock the test owns.

const T0 = 1_800_000_000_000;

/** Pours `n` one-unit calls at the same instant; returns the state and how many fitted. */
function burst(state: BucketState, n: number, at: number) {
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    const r = pour(state, REST_BUCKET, 1, at);
    state = r.state;
    if (r.allowed) allowed++;
  }
  return { state, allowed };
}

describe('REST bucket (40 calls, leaks 2 a second)', () => {
  it('admits 40 calls at one instant and refuses the 41st without spending it', () => {
    const { state, allowed } = burst(EMPTY_BUCKET, 41, T0);
    expect(allowed).toBe(40);
    expect(usedUnits(state)).toBe(40);
    const refused = pour(state, REST_BUCKET, 1, T0);
    expect(refused.allowed).toBe(false);
    expect(refused.state).toEqual(state);
  });

  it('leaks 2 calls a second: one call of room after 500 ms, not after 499 ms', () => {
    const full = burst(EMPTY_BUCKET, 40, T0).state;
    expect(pour(full, REST_BUCKET, 1, T0 + 499).allowed).toBe(false);
    const after = pour(full, REST_BUCKET, 1, T0 + 500);
    expect(after.allowed).toBe(true);
    expect(usedUnits(after.state)).toBe(40);
  });

  it('has 4 calls of room after waiting out Retry-After (2.0 s)', () => {
    const full = burst(EMPTY_BUCKET, 40, T0).state;
    expect(burst(full, 10, T0 + 2_000).allowed).toBe(4);
  });

  it('empties completely after 20 s and never goes below empty', () => {
    const full = burst(EMPTY_BUCKET, 40, T0).state;
    expect(leak(full, REST_BUCKET, T0 + 20_000).usedMilli).toBe(0);
    expect(leak(full, REST_BUCKET, T0 + 3_600_000).usedMilli).toBe(0);
  });

  it('shows a part-leaked call as in use (header rounds up)', () => {
    const one = pour(EMPTY_BUCKET, REST_BUCKET, 1, T0).state;
    expect(usedUnits(leak(one, REST_BUCKET, T0 + 250))).toBe(1);
    expect(usedUnits(leak(one, REST_BUCKET, T0 + 500))).toBe(0);
  });

  it('leaks nothing when the clock goes back', () => {
    const one = pour(EMPTY_BUCKET, REST_BUCKET, 1, T0).state;
    expect(leak(one, REST_BUCKET, T0 - 10_000)).toEqual(one);
  });

  it('stays exact over many small steps (integer thousandths, no drift)', () => {
    let state = burst(EMPTY_BUCKET, 40, T0).state;
    for (let ms = 1; ms <= 20_000; ms++) state = leak(state, REST_BUCKET, T0 + ms);
    expect(state.usedMilli).toBe(0);
    expect(Number.isInteger(state.usedMilli)).toBe(true);
  });
});

describe('GraphQL bucket (2000 points, restores 100 a second)', () => {
  it('spends a query cost when it fits and refuses one that does not', () => {
    let state = pour(EMPTY_BUCKET, GRAPHQL_BUCKET, 1_990, T0).state;
    expect(availableUnits(state, GRAPHQL_BUCKET)).toBe(10);
    expect(pour(state, GRAPHQL_BUCKET, 11, T0).allowed).toBe(false);
    state = pour(state, GRAPHQL_BUCKET, 10, T0).state;
    expect(availableUnits(state, GRAPHQL_BUCKET)).toBe(0);
  });

  it('restores 100 points a second', () => {
    const spent = pour(EMPTY_BUCKET, GRAPHQL_BUCKET, 2_000, T0).state;
    expect(availableUnits(leak(spent, GRAPHQL_BUCKET, T0 + 1_000), GRAPHQL_BUCKET)).toBe(100);
    expect(availableUnits(leak(spent, GRAPHQL_BUCKET, T0 + 1_005), GRAPHQL_BUCKET)).toBe(100);
    expect(availableUnits(leak(spent, GRAPHQL_BUCKET, T0 + 1_010), GRAPHQL_BUCKET)).toBe(101);
  });

  it('gives back unused points, never more than were spent', () => {
    const spent = pour(EMPTY_BUCKET, GRAPHQL_BUCKET, 50, T0).state;
    expect(availableUnits(refund(spent, GRAPHQL_BUCKET, 40, T0), GRAPHQL_BUCKET)).toBe(1_990);
    expect(refund(spent, GRAPHQL_BUCKET, 500, T0).usedMilli).toBe(0);
  });

  it('a query larger than the bucket never fits', () => {
    expect(pour(EMPTY_BUCKET, GRAPHQL_BUCKET, 2_001, T0).allowed).toBe(false);
  });

  it('refuses costs that are not non-negative integers', () => {
    expect(() => pour(EMPTY_BUCKET, GRAPHQL_BUCKET, 1.5, T0)).toThrow(RangeError);
    expect(() => pour(EMPTY_BUCKET, GRAPHQL_BUCKET, -1, T0)).toThrow(RangeError);
  });
});
