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
