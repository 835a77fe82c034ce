import { env } from 'cloudflare:workers';

/**
 * Instrumented bindings for the tests that prove durability: they record what the Worker sent to
 * the events queue and which SQL it ran, and can make either binding fail. Handed to the Worker
 * through `callWithEnv`; production code has no switch for any of this.
 */
export interface Instrumented {
  env: Env;
  /** Bodies passed to EVENTS.send / sendBatch, in order. */
  queueSends: unknown[];
  /** SQL text of every statement prepared on DB, in order. */
  sql: string[];
}

export function instrumentedEnv(options: { failQueue?: boolean; failDb?: boolean } = {}): Instrumented {
  const queueSends: unknown[] = [];
  const sql: string[] = [];
  const queueDown = () => Promise.reject(new Error('simulated: queue unavailable'));
  const events = {
    send(body: unknown, opts?: QueueSendOptions) {
      queueSends.push(body);
      return options.failQueue ? queueDown() : env.EVENTS.send(body, opts);
    },
    sendBatch(messages: Iterable<MessageSendRequest>, opts?: QueueSendBatchOptions) {
      const list = [...messages];
      for (const m of list) queueSends.push(m.body);
      return options.failQueue ? queueDown() : env.EVENTS.sendBatch(list, opts);
    },
  } as unknown as Queue;
  return {
    env: { ...env, EVENTS: events, DB: instrumentedDb(sql, options.failDb ?? false) },
    queueSends,
    sql,
  };
}

/** A D1Database that records SQL and, when `fail`, rejects every query as an outage would. */
export function instrumentedDb(sql: string[], fail: boolean): D1Database {
  const down = () => Promise.reject(new Error('simulated: D1 unavailable'));
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (query: string) => {
          sql.push(query);
          if (!fail) return target.prepare(query);
          const statement = { bind: () => statement, run: down, all: down, first: down, raw: down };
          return statement;
        };
      }
      if (prop === 'batch' || prop === 'exec') {
        return fail ? down : (target[prop] as (...a: unknown[]) => unknown).bind(target);
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** What a counting D1 saw: round trips (a `db.batch` is one) and the SQL of each statement run. */
export interface D1Trips {
  roundTrips: number;
  /** SQL per round trip, in order: a batch lists all its statements. */
  trips: string[][];
}

/**
 * A D1Database that counts round trips: each `run`/`all`/`first`/`raw` of a statement is one, and
 * a `db.batch` is one however many statements it holds. `failWhen` makes a round trip fail, as a
 * storage error would, when one of its statements was bound with an argument it matches.
 */
export function countingDb(trips: D1Trips, failWhen?: (arg: unknown) => boolean, db: D1Database = env.DB): D1Database {
  const real = new WeakMap<object, { statement: D1PreparedStatement; sql: string; args: unknown[] }>();
  const failing = (args: unknown[]) => failWhen !== undefined && args.some(failWhen);
  const wrap = (statement: D1PreparedStatement, sql: string, args: unknown[]): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...a: unknown[]) => wrap(target.bind(...a), sql, a);
        if (prop === 'run' || prop === 'all' || prop === 'first' || prop === 'raw') {
          return (...a: unknown[]) => {
            trips.roundTrips++;
            trips.trips.push([sql]);
            if (failing(args)) return Promise.reject(new Error('simulated: D1 write failed'));
            return (target[prop] as (...x: unknown[]) => unknown).apply(target, a);
          };
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...x: unknown[]) => unknown).bind(target) : value;
      },
    });
    real.set(proxy, { statement, sql, args });
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrap(target.prepare(query), query, []);
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          trips.roundTrips++;
          const inner = statements.map((s) => real.get(s)!);
          trips.trips.push(inner.map((s) => s.sql));
          if (inner.some((s) => failing(s.args))) return Promise.reject(new Error('simulated: D1 batch failed'));
          return target.batch(inner.map((s) => s.statement));
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** KV whose `put`s are recorded and, while `refuse` is true, answered like KV's `429`. */
export function recordingKv(options: { refuse: boolean }): { kv: KVNamespace; puts: { key: string; value: string }[] } {
  const puts: { key: string; value: string }[] = [];
  const kv = new Proxy(env.KV, {
    get(target, prop) {
      if (prop === 'put') {
        return (key: string, value: string, opts?: KVNamespacePutOptions) => {
          puts.push({ key, value });
          if (options.refuse) {
            return Promise.reject(new Error('KV PUT failed: 429 Too Many Requests'));
          }
          return target.put(key, value, opts);
        };
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { kv, puts };
}
