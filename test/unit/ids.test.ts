import { describe, expect, it } from 'vitest';
import { formatUuid, childEventId, timeOrderedId } from '../../src/ids';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedId (UUID version 7, RFC 9562 §5.7)', () => {
  it('has version 7, the RFC variant, and the Unix milliseconds in its first 48 bits', () => {
    const ms = Date.UTC(2026, 11, 2, 6, 30, 0, 123);
    const id = timeOrderedId(ms);
    expect(id).toMatch(V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms);
  });

  it('sorts by time as text, the way D1 indexes compare it', () => {
    const times = [0, 1, 255, 256, 65_535, Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, 2 ** 48 - 1];
    const ids = times.map((t) => timeOrderedId(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is unique within one millisecond (74 random bits)', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => timeOrderedId(1_000)));
    expect(ids.size).toBe(10_000);
  });
});

describe('formatUuid', () => {
  it('sets the version nibble and the variant bits, keeping every other bit', () => {
    const bytes = new Uint8Array(16).fill(0xff);
    expect(formatUuid(bytes, 8)).toBe('ffffffff-ffff-8fff-bfff-ffffffffffff');
    expect(formatUuid(new Uint8Array(16), 7)).toBe('00000000-0000-7000-8000-000000000000');
  });
});

describe("childEventId (an event action's child, derived from its run and position)", () => {
  it('is the same for the same run and position, distinct otherwise, never the run id', () => {
    const run = timeOrderedId();
    const ids = Array.from({ length: 1000 }, (_, position) => childEventId(run, position));
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, position) => childEventId(run, position)));
    expect(new Set(ids).size).toBe(1000);
    expect(ids).not.toContain(run);
    expect(childEventId(timeOrderedId(), 0)).not.toBe(ids[0]);
  });

  it("is a version-7 id of the run's time", () => {
    const run = timeOrderedId(1_700_000_000_000);
    const child = childEventId(run, 3);
    expect(child).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(child.slice(0, 13)).toBe(run.slice(0, 13));
  });
});
