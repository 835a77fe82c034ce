import type { DeliveryMessage, EventsMessage } from './queue/messages';

/**
 * Shards and queue groups (docs/capacity.md). A shop's per-shop tables live in one D1 database,
 * its shard: shard 0 is `DB` (which also holds every configuration table), shard n ≥ 1 is bound as
 * `SHARD_n`. Shard s sends its events and deliveries to queue group s mod M: group 0 is `EVENTS` /
 * `DELIVERIES`, group g ≥ 1 is `EVENTS_g` / `DELIVERIES_g`. Bindings are numbered consecutively;
 * the counts are what wrangler.toml binds, so adding one is configuration plus `npm run deploy`.
 */

/** Upper bound on shards or queue groups looked for (a deployment binds far fewer). */
const BINDINGS_MAX = 64;

type Bindings = Record<string, unknown>;

const counted = new WeakMap<object, { shards: D1Database[]; events: Queue[]; deliveries: Queue[] }>();
/** Where a shard scope keeps the deployment's own Env. */
const ROOT = Symbol('root env');
/** Where a consumer's shard scope keeps its work deadline (epoch ms). */
const DEADLINE = Symbol('work deadline');

/** The deployment's Env behind a shard scope (or env itself). */
const rootOf = (env: Env): Env => (env as unknown as { [ROOT]?: Env })[ROOT] ?? env;

function bindingsOf(scopedOrRoot: Env): { shards: D1Database[]; events: Queue[]; deliveries: Queue[] } {
  const env = rootOf(scopedOrRoot);
  const known = counted.get(env);
  if (known) return known;
  const all = env as unknown as Bindings;
  const numbered = <T>(first: T, prefix: string): T[] => {
    const list = [first];
    for (let n = 1; n < BINDINGS_MAX && all[`${prefix}${n}`] !== undefined; n++) list.push(all[`${prefix}${n}`] as T);
    return list;
  };
  const found = {
    shards: numbered(env.DB, 'SHARD_'),
    events: numbered(env.EVENTS as Queue, 'EVENTS_'),
    deliveries: numbered(env.DELIVERIES as Queue, 'DELIVERIES_'),
  };
  counted.set(env, found);
  return found;
}

/** How many shards this deployment binds (≥ 1). */
export const shardCount = (env: Env): number => bindingsOf(env).shards.length;

/** How many queue groups this deployment binds (≥ 1). */
export const queueGroupCount = (env: Env): number => bindingsOf(env).events.length;

/** Every shard's database, in shard order. */
export const allShards = (env: Env): readonly D1Database[] => bindingsOf(env).shards;

/** The database of shard `shard`; a shard that is not bound is a configuration error. */
export function shardDb(env: Env, shard: number): D1Database {
  const db = bindingsOf(env).shards[shard];
  if (db === undefined) throw new Error(`shard ${shard} is not bound (expected binding SHARD_${shard})`);
  return db;
}

/** The queue group of a shard. */
export const queueGroupOf = (env: Env, shard: number): number => shard % queueGroupCount(env);

/** The events queue of a shard's group. */
export const eventsQueueFor = (env: Env, shard: number): Queue<EventsMessage> =>
  bindingsOf(env).events[queueGroupOf(env, shard)] as Queue<EventsMessage>;

/** The deliveries queue of a shard's group. */
export const deliveriesQueueFor = (env: Env, shard: number): Queue<DeliveryMessage> =>
  bindingsOf(env).deliveries[queueGroupOf(env, shard)] as Queue<DeliveryMessage>;

/** Runs fn on every shard, at most `concurrency` at a time, and returns the results in shard order. */
export async function eachShard<T>(
  env: Env,
  fn: (db: D1Database, shard: number) => Promise<T>,
  concurrency = SHARD_FAN_OUT_CONCURRENCY,
): Promise<T[]> {
  const shards = allShards(env);
  const results: T[] = new Array(shards.length);
  let next = 0;
  const worker = async () => {
    while (next < shards.length) {
      const shard = next++;
      results[shard] = await fn(shards[shard]!, shard);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, shards.length) }, worker));
  return results;
}

/** Shards an operator view or a cron job reads at once (a Worker has 6 connections at a time). */
export const SHARD_FAN_OUT_CONCURRENCY = 4;

/**
 * The Env seen by code working on one shop's rows: `DB` is the shop's shard and `EVENTS` /
 * `DELIVERIES` are its queue group's, so the stores of per-shop tables (events, runs, deliveries,
 * cache values) need no shard argument; every other binding is the deployment's. Configuration
 * tables (shops, apps, tasks, subscriptions, …) are read through `primaryDb`, which is the
 * deployment's `DB` in or out of a scope. Shard 0 in group 0 is the deployment's Env itself,
 * unless a consumer gives its scope a work deadline (`pastWorkDeadline`).
 */
export function inShard(env: Env, shard: number, workDeadlineMs?: number): Env {
  const root = rootOf(env);
  if (shard === 0 && workDeadlineMs === undefined) return root;
  const scoped = Object.create(root) as Env;
  Object.defineProperties(scoped, {
    [ROOT]: { value: root },
    [DEADLINE]: { value: workDeadlineMs },
    DB: { value: shardDb(root, shard), enumerable: true },
    EVENTS: { value: eventsQueueFor(root, shard), enumerable: true },
    DELIVERIES: { value: deliveriesQueueFor(root, shard), enumerable: true },
  });
  return scoped;
}

/**
 * Whether the work deadline of a consumer's scope has passed: it then starts no new outbound
 * request (a delivery, a task action) and hands what is left back to the queue. This bounds how
 * long after reading the shop map a consumer can still write a shop's rows (MOVE_DRAIN_SECONDS).
 */
export function pastWorkDeadline(env: Env, nowMs: number = Date.now()): boolean {
  const deadline = (env as unknown as { [DEADLINE]?: number })[DEADLINE];
  return deadline !== undefined && nowMs >= deadline;
}

/** The primary database (configuration tables), from the deployment's Env or a shard scope. */
export const primaryDb = (env: Env): D1Database => rootOf(env).DB;

/** The shard number a scope was made for (0 outside any scope). */
export function shardOfScope(env: Env): number {
  const root = rootOf(env);
  return root === env ? 0 : allShards(root).indexOf(env.DB);
}
