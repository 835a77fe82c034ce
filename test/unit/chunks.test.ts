import { describe, expect, it } from 'vitest';
import { chunkBySize } from '../../src/chunks';

describe('chunkBySize', () => {
  const length = (s: string) => s.length;

  it('keeps rows in order, in chunks whose sizes add up to at most the limit', () => {
    const rows = ['aaaa', 'bbb', 'cc', 'd', 'eeeee', 'f'];
    const chunks = chunkBySize(rows, length, 6);
    expect(chunks).toEqual([['aaaa'], ['bbb', 'cc', 'd'], ['eeeee', 'f']]);
    expect(chunks.flat()).toEqual(rows);
    for (const chunk of chunks) expect(chunk.reduce((n, r) => n + r.length, 0)).toBeLessThanOrEqual(6);
  });

  it('gives a row larger than the limit a chunk of its own instead of dropping it', () => {
    expect(chunkBySize(['ab', 'too long', 'c'], length, 3)).toEqual([['ab'], ['too long'], ['c']]);
  });

  it('starts a new chunk after maxItems items even when the size limit is far', () => {
    expect(chunkBySize(['a', 'b', 'c', 'd', 'e'], length, 1_000, 2)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('returns no chunks for no rows', () => {
    expect(chunkBySize([], length, 10)).toEqual([]);
  });
});
