import { ROWS_PARAM_MAX_CHARS } from './env';

/**
 * Splits rows into consecutive chunks whose sizes (as `sizeOf` estimates them, in characters) add
 * up to at most `maxChars`, for bulk statements that take a chunk as one bound JSON parameter. A row
 * larger than `maxChars` gets a chunk of its own.
 */
export function chunkBySize<T>(
  rows: readonly T[],
  sizeOf: (row: T) => number,
  maxChars: number = ROWS_PARAM_MAX_CHARS,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let chars = 0;
  for (const row of rows) {
    const size = sizeOf(row);
    if (chunk.length > 0 && chars + size > maxChars) {
      chunks.push(chunk);
      chunk = [];
      chars = 0;
    }
    chunk.push(row);
    chars += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
