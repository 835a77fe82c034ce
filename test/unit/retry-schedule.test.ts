import { describe, expect, it } from 'vitest';
import { DELIVERY_MAX_RETRIES } from '../../src/env';
import { retryDelayCapSeconds, retryDelaySeconds } from '../../src/delivery/schedule';

/** A seeded generator (mulberry32), so the spread is checked on the same draws every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('retryDelaySeconds (full jitter)', () => {
  it('caps double from 60 s, and the 8 caps add up to about 4 hours (Shopify: 8 retries over about 4 h)', () => {
    const caps = Array.from({ length: DELIVERY_MAX_RETRIES }, (_, i) => retryDelayCapSeconds(i + 1));
    expect(caps).toEqual([60, 120, 240, 480, 960, 1920, 3840, 7680]);
    expect(caps.reduce((a, b) => a + b, 0)).toBe(15_300); // 4 h 15 min: the latest a last retry can come
  });

  it('draws 0 at the smallest random number and the cap at the largest', () => {
    for (let retry = 1; retry <= DELIVERY_MAX_RETRIES; retry++) {
      expect(retryDelaySeconds(retry, () => 0)).toBe(0);
      expect(retryDelaySeconds(retry, () => 0.999_999_9)).toBe(retryDelayCapSeconds(retry));
    }
  });

  it('never leaves [0, cap], even for a source that misbehaves', () => {
    expect(retryDelaySeconds(3, () => 1)).toBe(240);
    expect(retryDelaySeconds(3, () => -0.5)).toBe(0);
  });

  it('spreads draws over the whole window, whole seconds, uniformly', () => {
    const random = seeded(42);
    for (const retry of [1, 4, 8]) {
      const cap = retryDelayCapSeconds(retry);
      const draws = Array.from({ length: 20_000 }, () => retryDelaySeconds(retry, random));
      for (const d of draws) {
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(cap);
      }
      expect(Math.min(...draws)).toBeLessThanOrEqual(cap * 0.01);
      expect(Math.max(...draws)).toBeGreaterThanOrEqual(cap * 0.99);
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      expect(Math.abs(mean - cap / 2)).toBeLessThan(cap * 0.02);
      // Ten slices of the window each get their share of the draws (by the whole seconds they
      // hold, each second 1 / (cap + 1) of them): no part of the window is crowded or empty.
      const slice = (d: number) => Math.floor((d * 10) / (cap + 1));
      const got = new Array<number>(10).fill(0);
      const expected = new Array<number>(10).fill(0);
      for (const d of draws) got[slice(d)]!++;
      for (let s = 0; s <= cap; s++) expected[slice(s)]! += draws.length / (cap + 1);
      got.forEach((n, i) => expect(Math.abs(n - expected[i]!)).toBeLessThan(expected[i]! * 0.1));
    }
  });

  it('1,000 deliveries failing in one second come back spread, not together', () => {
    const random = seeded(7);
    const delays = Array.from({ length: 1_000 }, () => retryDelaySeconds(1, random));
    const perSecond = new Map<number, number>();
    for (const d of delays) perSecond.set(d, (perSecond.get(d) ?? 0) + 1);
    expect(perSecond.size).toBeGreaterThan(55); // of the 61 possible seconds
    expect(Math.max(...perSecond.values())).toBeLessThan(40); // unjittered: all 1,000 in one second
  });
});
