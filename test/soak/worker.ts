import worker from '../../src/index';
import type { QueueMessage } from '../../src/queue/messages';

/**
 * The soak's Worker: the real one with faults injected into its bindings. Test-only: it is the
 * `main` of the generated soak config (scripts/soak.mjs), never of wrangler.toml, so a deploy can
 * never run it. Probabilities come from the soak config's vars:
 * - SOAK_FAIL_QUEUE_SEND: an events-queue send from ingress throws (ingress must fall back to D1
 *   `pending`, swept by the cron);
 * - SOAK_FAIL_DB: a D1 call made by a queue consumer throws (the consumer must retry);
 * - SOAK_DROP_QUEUE_SEND: an events-queue send from ingress is silently dropped — a bug, not a
 *   fault: it exists to show that the soak notices a lost event (`SOAK_DROP_QUEUE_SEND=0.01 npm
 *   run soak` must fail).
 * GET /__soak/faults reports how many faults this isolate injected.
 */

interface SoakVars {
  SOAK_FAIL_QUEUE_SEND?: string;
  SOAK_FAIL_DB?: string;
  SOAK_DROP_QUEUE_SEND?: string;
}

const injected = { queueSend: 0, db: 0, dropped: 0 };

const roll = (probability: string | undefined) => Math.random() < Number(probability ?? 0);

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

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === '/__soak/faults') return Response.json(injected);
    const vars = env as Env & SoakVars;
    return worker.fetch(
      request,
      { ...env, EVENTS: faultyQueue(env.EVENTS, vars.SOAK_FAIL_QUEUE_SEND, vars.SOAK_DROP_QUEUE_SEND) },
      ctx,
    );
  },
  async queue(batch, env) {
    const vars = env as Env & SoakVars;
    return worker.queue(batch, { ...env, DB: faultyDb(env.DB, vars.SOAK_FAIL_DB) });
  },
  async scheduled(controller, env) {
    return worker.scheduled(controller, env);
  },
} satisfies ExportedHandler<Env, QueueMessage>;
