import { inShard } from '../shards';
import { DurableObject } from 'cloudflare:workers';
import { MAX_CACHE_WAITERS_PER_CLIENT, MAX_CACHE_WAITERS_PER_SHOP } from '../env';
import { readCacheEntry } from './cache';
import { cacheEtag, etagMatches } from './etag';
import type { CacheEntryRecord } from './store';
import type { WaitMode, WaitOutcome, WaitRefused, WaitRequest } from './wait-types';

/**
 * Holds `?wait=N` reads of one shop's cache until their key is written (docs/contracts.md,
 * "Waiting reads"). One object per shop: the write path notifies once per shop with
 * the keys it committed, and waiting costs no CPU, so one object holds thousands of idle waiters
 * (docs/decisions.md). Nothing is stored; a reset object drops its waiters, whose callers then
 * answer as without `wait`.
 *
 * Reads: a waiter costs one D1 read when it arrives (after it is registered, so a write committed
 * meanwhile is not missed) and shares one D1 read per notified key with the other waiters of that
 * key. D1 is read, not KV, because it is the truth the write path notifies after.
 */

interface Waiter {
  request: WaitRequest;
  deadline: number;
  mode: WaitMode;
  /** JSON text as of the newest read applied, and that read's sequence number. */
  json: string | null;
  readSeq: number;
  timers: ReturnType<typeof setTimeout>[];
  finish: (outcome: WaitOutcome) => void;
}

export class CacheWaiters extends DurableObject<Env> {
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** Each client's waiters, so one client cannot hold every slot of the shop. */
  private readonly byClient = new Map<string, Set<Waiter>>();
  private count = 0;
  private readSeq = 0;

  /**
   * Resolves when the key satisfies the wait or the timeout passes; at once with `busySeconds`
   * when the client already holds MAX_CACHE_WAITERS_PER_CLIENT waits here.
   */
  async wait(request: WaitRequest): Promise<WaitOutcome | WaitRefused> {
    const held = this.byClient.get(request.client);
    if (held !== undefined && held.size >= MAX_CACHE_WAITERS_PER_CLIENT) {
      const firstEnds = Math.min(...[...held].map((w) => w.deadline));
      return { busySeconds: Math.max(1, Math.ceil((firstEnds - Date.now()) / 1000)) };
    }
    if (this.count >= MAX_CACHE_WAITERS_PER_SHOP) {
      // Full: the caller answers at once with what it read before asking.
      return { json: null, read: false };
    }
    let waiter!: Waiter;
    const done = new Promise<WaitOutcome>((resolve) => {
      waiter = {
        request,
        deadline: Date.now() + request.timeoutMs,
        mode: request.mode,
        json: null,
        readSeq: -1,
        timers: [],
        finish: resolve,
      };
    });
    this.add(waiter);
    // At the deadline: the newest value read (the caller answers 304 or 404 from it).
    waiter.timers.push(
      setTimeout(() => this.settle(waiter, { json: waiter.json, read: waiter.readSeq >= 0 }), request.timeoutMs),
    );
    try {
      const { entry, seq } = await this.read(request.shopId, request.key, request.shard);
      await this.apply(waiter, entry, seq);
    } catch (err) {
      // D1 unreachable: drop the waiter; the caller answers as without `wait`.
      this.settle(waiter, { json: null, read: false });
      throw err;
    }
    return done;
  }

  /** The write path committed these keys: re-read each once and wake the waiters it satisfies. */
  async notify(shopId: string, keys: readonly string[], shard: number): Promise<void> {
    await Promise.all(
      keys.map(async (key) => {
        const waiting = this.waiters.get(key);
        if (!waiting || waiting.size === 0) return;
        const { entry, seq } = await this.read(shopId, key, shard);
        for (const waiter of [...waiting]) await this.apply(waiter, entry, seq);
      }),
    );
  }

  private async read(
    shopId: string,
    key: string,
    shard: number,
  ): Promise<{ entry: CacheEntryRecord | null; seq: number }> {
    const seq = ++this.readSeq;
    return { entry: await readCacheEntry(inShard(this.env, shard), shopId, key), seq };
  }

  /** Applies a read to a waiter unless a newer read was applied already. */
  private async apply(waiter: Waiter, entry: CacheEntryRecord | null, seq: number): Promise<void> {
    // The ETag first, so that what follows runs without yielding to another read's apply.
    const unchanged = entry !== null && etagMatches(waiter.request.ifNoneMatch, await cacheEtag(entry.valueJson));
    if (seq < waiter.readSeq || !this.has(waiter)) return;
    waiter.readSeq = seq;
    waiter.json = entry?.valueJson ?? null;
    if (waiter.mode === 'present') {
      if (entry === null) return;
      if (!unchanged) {
        this.settle(waiter, { json: entry.valueJson, read: true });
        return;
      }
      // The value exists and matches If-None-Match (KV had no copy here): now wait for a change.
      waiter.mode = 'change';
    } else if (entry === null || !unchanged) {
      // `change`: a del, an expiry or a different value ends the wait.
      this.settle(waiter, { json: entry?.valueJson ?? null, read: true });
      return;
    }
    const untilExpiry = Date.parse(entry.expiresAt) - Date.now();
    if (untilExpiry < waiter.request.timeoutMs) {
      waiter.timers.push(setTimeout(() => this.settle(waiter, { json: null, read: true }), Math.max(0, untilExpiry)));
    }
  }

  private add(waiter: Waiter): void {
    const set = this.waiters.get(waiter.request.key) ?? new Set<Waiter>();
    set.add(waiter);
    this.waiters.set(waiter.request.key, set);
    const mine = this.byClient.get(waiter.request.client) ?? new Set<Waiter>();
    mine.add(waiter);
    this.byClient.set(waiter.request.client, mine);
    this.count++;
  }

  private has(waiter: Waiter): boolean {
    return this.waiters.get(waiter.request.key)?.has(waiter) ?? false;
  }

  private settle(waiter: Waiter, outcome: WaitOutcome): void {
    const set = this.waiters.get(waiter.request.key);
    if (!set?.delete(waiter)) return;
    if (set.size === 0) this.waiters.delete(waiter.request.key);
    const mine = this.byClient.get(waiter.request.client);
    mine?.delete(waiter);
    if (mine?.size === 0) this.byClient.delete(waiter.request.client);
    this.count--;
    for (const timer of waiter.timers) clearTimeout(timer);
    waiter.finish(outcome);
  }
}
