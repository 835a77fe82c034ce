import { describe, expect, it } from 'vitest';
import { TtlMemo } from '../../src/memo';

describe('TtlMemo', () => {
  it('returns entries until their TTL passes, null values included', () => {
    const memo = new TtlMemo<string | null>();
    memo.set('a', 'x', 1_000, 0);
    memo.set('b', null, 100, 0);
    expect(memo.get('a', 999)?.value).toBe('x');
    expect(memo.get('b', 50)).toHaveProperty('value', null);
    expect(memo.get('b', 100)).toBeUndefined();
    expect(memo.get('a', 1_000)).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const memo = new TtlMemo<number>(2);
    memo.set('a', 1, 1_000, 0);
    memo.set('b', 2, 1_000, 0);
    memo.set('c', 3, 1_000, 0);
    expect(memo.get('a', 1)).toBeUndefined();
    expect(memo.get('b', 1)?.value).toBe(2);
    expect(memo.get('c', 1)?.value).toBe(3);
  });

  it('forgets on delete and clear', () => {
    const memo = new TtlMemo<number>();
    memo.set('a', 1, 1_000, 0);
    memo.delete('a');
    expect(memo.get('a', 1)).toBeUndefined();
    memo.set('b', 1, 1_000, 0);
    memo.clear();
    expect(memo.get('b', 1)).toBeUndefined();
  });
});
