import { describe, expect, it } from 'vitest';
import { QUEUE_BATCH_MAX_BYTES, splitForSendBatch } from '../../src/queue/producer';

describe('splitForSendBatch', () => {
  it('splits at 100 messages and keeps the order', () => {
    const messages = Array.from({ length: 250 }, (_, i) => ({ body: { kind: 'task-run', runId: String(i) } }));
    const batches = splitForSendBatch(messages);
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat()).toEqual(messages);
  });

  it('splits before a batch would pass 256 KB', () => {
    const big = 'x'.repeat(100 * 1024);
    const messages = Array.from({ length: 5 }, (_, i) => ({ body: { id: i, big }, delaySeconds: i }));
    const batches = splitForSendBatch(messages);
    expect(batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(batches.flat()).toEqual(messages);
    for (const batch of batches) {
      const bytes = batch.reduce((n, m) => n + JSON.stringify(m.body).length, 0);
      expect(bytes).toBeLessThanOrEqual(QUEUE_BATCH_MAX_BYTES);
    }
  });

  it('counts a string with any character beyond Latin-1 at two bytes per code unit, as V8 stores it', () => {
    const mixed = 'a'.repeat(61_000) + '€'; // 61 KB of UTF-8, but 122 KB as a two-byte string
    const batches = splitForSendBatch(Array.from({ length: 3 }, () => ({ body: mixed })));
    expect(batches.map((b) => b.length)).toEqual([2, 1]);
  });

  it('sends nothing for no messages', () => {
    expect(splitForSendBatch([])).toEqual([]);
  });
});
