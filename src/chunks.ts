/**
 * Splits items into consecutive chunks, in order, each holding at most `maxItems` items whose sizes
 * (as `sizeOf` estimates them) add up to at most `maxSize`: bulk statements that take a chunk as one
 * bound parameter, transactions within a statement limit, queue batches within the message and
 * byte limits. An item larger than `maxSize` gets a chunk of its own.
 */
export function chunkBySize<T>(
  items: readonly T[],
  sizeOf: (item: T) => number,
  maxSize: number,
  maxItems = Infinity,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let total = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (chunk.length > 0 && (chunk.length >= maxItems || total + size > maxSize)) {
      chunks.push(chunk);
      chunk = [];
      total = 0;
    }
    chunk.push(item);
    total += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
