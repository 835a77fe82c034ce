import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { readFileSync } from 'node:fs';

// Deployment settings issue 12 depends on, read as wrangler reads them.
const config = unstable_readConfig({ config: './wrangler.toml' });

describe('wrangler.toml', () => {
  it('the events consumer waits at most 50 ms to fill a batch (not a second), up to 100 per batch', () => {
    const events = config.queues.consumers?.find((c: { queue: string }) => c.queue === 'edgehook-events');
    expect(events?.max_batch_timeout).toBe(0.05);
    // What wrangler deploys: the Queues API's max_wait_time_ms, a whole number of milliseconds.
    expect(1000 * (events?.max_batch_timeout ?? NaN)).toBe(50);
    expect(events?.max_batch_size).toBe(100);
  });

  it('bundles without esbuild keep_names, whose __name() calls cost the consumer CPU', () => {
    expect(config.keep_names).toBe(false);
  });

  it('binds the CacheWaiters Durable Object as CACHE_WAITERS, declared by migration v1 as a SQLite class', () => {
    expect(config.durable_objects.bindings).toContainEqual(
      expect.objectContaining({ name: 'CACHE_WAITERS', class_name: 'CacheWaiters' }),
    );
    expect(config.migrations).toContainEqual(
      expect.objectContaining({ tag: 'v1', new_sqlite_classes: ['CacheWaiters'] }),
    );
  });

  it('every dead-letter queue consumer retries as many times as the code counts on (a moving shop waits that long)', () => {
    // src/env.ts is Worker code (not this project's module graph): its constant is read as written.
    const declared = /export const DEAD_LETTER_MAX_RETRIES = (\d+);/.exec(readFileSync('src/env.ts', 'utf8'));
    expect(declared).not.toBeNull();
    const DEAD_LETTER_MAX_RETRIES = Number(declared![1]);
    const dlqs = (config.queues.consumers ?? []).filter((c: { queue: string }) => c.queue.endsWith('-dlq'));
    expect(dlqs.length).toBe(2);
    for (const c of dlqs) expect(c.max_retries).toBe(DEAD_LETTER_MAX_RETRIES);
  });
});
