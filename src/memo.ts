import { CONFIG_MEMO_MAX_ENTRIES } from './env';

/**
 * An isolate-local map whose entries expire. Used for config read on the hot path, so a warm isolate
 * answers from memory; bounded, dropping the oldest entry when full.
 */
export class TtlMemo<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(private readonly maxEntries = CONFIG_MEMO_MAX_ENTRIES) {}

  /** The entry for `key` if it has not expired; `undefined` when absent or stale. */
  get(key: string, now = Date.now()): { value: V } | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: now + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
