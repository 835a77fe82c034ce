import worker from '../../src/index';
import type { QueueMessage } from '../../src/queue/messages';

// The Durable Objects wrangler.toml binds, from the real Worker.
export { CacheWaiters, CallLimits } from '../../src/index';

/**
 * The soak's Worker: the real one with faults injected into its bindings. Test-only: it is the
 * `main` of the generated soak config (scripts/soak.mjs), never of wrangler.toml, so a deploy can
 * never run it. Probabilities come from the soak config's vars:
 * - SOAK_FAIL_QUEUE_SEND: an events-queue send from ingress throws, on every queue group's
 *   `EVENTS`/`EVENTS_g` (ingress must fall back to D1 `pending`, swept by the cron);
 * - SOAK_FAIL_DB: a D1 call made by a queue consumer throws, on every shard (`DB`, `SHARD_n`; the
 *   consumer must retry);
 * - SOAK_FAIL_KV: a KV get or put throws as KV does when rate limited (`429 Too Many Requests`), in
 *   the consumers and on the public paths (ingress, cache reads): config reads must fall back to
 *   D1, an `Idempotency-Key` whose record cannot be read or written must still never make a
 *   second event. The operator and Admin APIs keep a sound KV, so the soak can set itself up;
 * - SOAK_DROP_QUEUE_SEND: an events-queue send from ingress is silently dropped — a bug, not a
 *   fault: it exists to show that the soak notices a lost event (`SOAK_DROP_QUEUE_SEND=0.01 npm
 *   run soak` must fail).
 * GET /__soak/faults reports how many faults this isolate injected.
 */

interface SoakVars {
  SOAK_FAIL_QUEUE_SEND?: string;
  SOAK_FAIL_DB?: string;
  SOAK_FAIL_KV?: string;
  SOAK_DROP_QUEUE_SEND?: string;
}

const injected = { queueSend: 0, db: 0, kv: 0, dropped: 0 };

const roll = (probability: string | undefined) => Math.random() < Number(probability ?? 0);

/** The bindings of every queue group's events queue: EVENTS, EVENTS_1, EVENTS_2, …. */
const EVENTS_BINDING = /^EVENTS(_\d+)?$/;
/** The bindings of every shard: DB, SHARD_1, SHARD_2, …. */
const SHARD_BINDING = /^(DB|SHARD_\d+)$/;
/** Paths whose KV stays sound: the soak's own set-up and checks go through them. */
const SOUND_KV_PATHS = /^\/(api|admin)\//;

/** `env` with each binding whose name matches `pattern` replaced by `wrap(binding)`. */
function wrapBindings<T>(env: Env, pattern: RegExp, wrap: (binding: T) => T): Env {
  const wrapped: Record<string, unknown> = { ...env };
  for (const [name, value] of Object.entries(env)) if (pattern.test(name)) wrapped[name] = wrap(value as T);
  return wrapped as unknown as Env;
}

function faultyQueue(queue: Queue, probability: string | undefined, dropProbability: string | undefined): Queue {
  const fail = () => {
    injected.queueSend++;
    return Promise.reject(new Error('soak: injected queue send failure'));
  };
  const drop = () => {
    injected.dropped++;
    return Promise.resolve();
  };
  return {
    send: (body: unknown, options?: QueueSendOptions) =>
      roll(probability) ? fail() : roll(dropProbability) ? drop() : queue.send(body, options),
    sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) =>
      roll(probability) ? fail() : queue.sendBatch(messages, options),
  } as Queue;
}

function faultyDb(db: D1Database, probability: string | undefined): D1Database {
  const fail = () => {
    injected.db++;
    return Promise.reject(new Error('soak: injected D1 failure'));
  };
  const inners = new WeakMap<object, D1PreparedStatement>();
  const statement = (inner: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'bind') return (...values: unknown[]) => statement(target.bind(...values));
        if (prop === 'run' || prop === 'all' || prop === 'first' || prop === 'raw') {
          return (...args: unknown[]) =>
            roll(probability) ? fail() : (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
        }
        return Reflect.get(target, prop) as unknown;
      },
    });
    inners.set(proxy, inner);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => statement(target.prepare(sql));
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) =>
          roll(probability) ? fail() : target.batch(statements.map((s) => inners.get(s) ?? s));
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** KV whose reads and writes fail with KV's rate-limit error in a share of calls. */
function faultyKv(kv: KVNamespace, probability: string | undefined): KVNamespace {
  const FAULTY = new Set(['get', 'getWithMetadata', 'put']);
  return new Proxy(kv, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== 'function') return value;
      const method = (value as (...a: unknown[]) => unknown).bind(target);
      if (typeof prop !== 'string' || !FAULTY.has(prop)) return method;
      return (...args: unknown[]) => {
        if (!roll(probability)) return method(...args);
        injected.kv++;
        return Promise.reject(new Error(`KV ${prop === 'put' ? 'PUT' : 'GET'} failed: 429 Too Many Requests`));
      };
    },
  });
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === '/__soak/faults') return Response.json(injected);
    const vars = env as Env & SoakVars;
    let faulty = wrapBindings<Queue>(env, EVENTS_BINDING, (queue) =>
      faultyQueue(queue, vars.SOAK_FAIL_QUEUE_SEND, vars.SOAK_DROP_QUEUE_SEND),
    );
    if (!SOUND_KV_PATHS.test(path)) faulty = { ...faulty, KV: faultyKv(env.KV, vars.SOAK_FAIL_KV) };
    return worker.fetch(request, faulty, ctx);
  },
  async queue(batch, env) {
    const vars = env as Env & SoakVars;
    const faulty = wrapBindings<D1Database>(env, SHARD_BINDING, (db) => faultyDb(db, vars.SOAK_FAIL_DB));
    return worker.queue(batch, { ...faulty, KV: faultyKv(env.KV, vars.SOAK_FAIL_KV) });
  },
  async scheduled(controller, env) {
    return worker.scheduled(controller, env);
  },
} satisfies ExportedHandler<Env, QueueMessage>;
