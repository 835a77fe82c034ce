import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { readCacheEntry } from '../../src/cache/cache';
import { ACTION_RETRY_DELAYS_SECONDS, MAX_ACTION_ATTEMPTS, QUEUE_NAMES } from '../../src/env';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import { consumeEventsDeadLetters } from '../../src/pipeline/events-dead-letter';
import { runMaintenance } from '../../src/pipeline/maintenance';
import type { EventEnvelope, QueueMessage } from '../../src/queue/messages';
import { call, createShopWithApp, jsonInit } from '../helpers';
import { batchStartedAnHourAgo, envelope, eventMessage, recordingBatch } from '../queue';
import { createTask, taskRunsOf } from '../task-helpers';

const receiver = `http://127.0.0.1:${inject('receiverPort')}`;
let shop: { shopId: string; token: string };

beforeAll(async () => {
  // On shard 0 (queue group 0): recordingEnv and the faults below replace that shard's EVENTS and DB.
  shop = await createShopWithApp({ shard: 0 });
});

interface Sent {
  body: QueueMessage;
  delaySeconds: number | undefined;
}

/** The real bindings, except that the events queue records what it is sent instead of sending. */
function recordingEnv(db: D1Database = env.DB): { testEnv: Env; sent: Sent[] } {
  const sent: Sent[] = [];
  const queue = {
    send: async (body: QueueMessage, o?: QueueSendOptions) => void sent.push({ body, delaySeconds: o?.delaySeconds }),
    sendBatch: async (messages: Iterable<MessageSendRequest<QueueMessage>>) => {
      for (const m of messages) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue;
  return { testEnv: { ...env, EVENTS: queue, DB: db } as Env, sent };
}

async function consume(testEnv: Env, bodies: QueueMessage[], attempts = 1) {
  const { batch, settled } = recordingBatch(QUEUE_NAMES.events, bodies, attempts);
  await consumeEventsBatch(batch, testEnv);
  return settled;
}

const newEvent = (topic: string, data: unknown = {}, overrides: Partial<EventEnvelope> = {}) =>
  envelope(shop.shopId, { topic, dataJson: JSON.stringify(data), ...overrides });

async function eventStatus(id: string) {
  return (await env.DB.prepare('SELECT status FROM events WHERE id = ?1').bind(id).first<{ status: string }>())?.status;
}

describe('events consumer → task runs', () => {
  it('gives every enabled task of the shop subscribed to the topic one run, and no other task', async () => {
    const topic = 'user/runner/pick';
    const a = await createTask(shop.token, { name: 'a', subscriptions: topic, script: '{% log "a" %}' });
    const b = await createTask(shop.token, {
      name: 'b',
      subscriptions: `user/other/x\n${topic}`,
      script: '{% log "b" %}',
    });
    const disabled = await createTask(shop.token, { subscriptions: topic, script: '{% log 1 %}', enabled: false });
    await createTask(shop.token, { subscriptions: 'user/runner/else', script: '{% log 1 %}' });
    const { token: otherToken } = await createShopWithApp();
    const foreign = await createTask(otherToken, { subscriptions: topic, script: '{% log 1 %}' });

    const event = newEvent(topic);
    const { testEnv } = recordingEnv();
    const settled = await consume(testEnv, [eventMessage(event)]);
    expect(settled[0]).toMatchObject({ acked: true, retried: false });
    const runs = await taskRunsOf(shop.token, event.id);
    expect(runs.map((r) => r.task_id).sort()).toEqual([a, b].sort());
    expect(runs.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
    expect(runs.find((r) => r.task_id === a)!.logs).toEqual(['a']);
    expect(runs.map((r) => r.task_id)).not.toContain(disabled);
    expect(runs.map((r) => r.task_id)).not.toContain(foreign);
    expect(await eventStatus(event.id)).toBe('processed');
  });

  it('gives the script event (with parent), shop, task, options and cache', async () => {
    const topic = 'user/runner/vars';
    await env.DB.prepare(
      `INSERT INTO cache_entries (shop_id, key, value, expires_at, updated_at) VALUES (?1, 'hits', '7', '2999-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')`,
    )
      .bind(shop.shopId)
      .run();
    await createTask(shop.token, {
      name: 'vars',
      subscriptions: topic,
      options: { label: 'L' },
      script:
        '{% log event.topic %}{% log event.data.q %}{% log event.webhook_request_id %}{% log event.parent.topic %}' +
        '{% log shop.id %}{% log task.name %}{% log options.label %}{% log cache.hits %}{% log cache["missing"] %}',
    });
    const { testEnv } = recordingEnv();
    const parent = newEvent('user/runner/parent-topic');
    await consume(testEnv, [eventMessage(parent)]);
    const child = newEvent(topic, { q: 3 }, { parentId: parent.id, webhookRequestId: 'req-1' });
    await consume(testEnv, [eventMessage(child)]);
    const [run] = await taskRunsOf(shop.token, child.id);
    expect(run!.logs).toEqual([topic, 3, 'req-1', 'user/runner/parent-topic', shop.shopId, 'vars', 'L', 7, null]);
  });

  it('an error object fails that run and cancels its actions; the other task succeeds', async () => {
    const topic = 'user/runner/two';
    const bad = await createTask(shop.token, {
      subscriptions: topic,
      script: '{% action "cache", "set", "cancelled", 1 %}{% log "before" %}{% error message: "stop", code: 3 %}',
    });
    const good = await createTask(shop.token, {
      subscriptions: topic,
      script: '{% action "cache", "set", "kept", 2 %}',
    });
    const event = newEvent(topic);
    const { testEnv } = recordingEnv();
    expect((await consume(testEnv, [eventMessage(event)]))[0]!.acked).toBe(true);
    const runs = await taskRunsOf(shop.token, event.id);
    expect(runs.find((r) => r.task_id === bad)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/rendered an error/),
      errors: [{ message: 'stop', code: 3 }],
      logs: ['before'],
      action_runs: [],
    });
    expect(runs.find((r) => r.task_id === good)).toMatchObject({
      status: 'succeeded',
      action_runs: [{ type: 'cache', status: 'succeeded', result: 2, attempts: 1 }],
    });
    expect(await readCacheEntry(env, shop.shopId, 'cancelled')).toBeNull();
    expect(await readCacheEntry(env, shop.shopId, 'kept')).not.toBeNull();
  });

  it('a script that throws or writes bad output fails only its own run; the batch goes on', async () => {
    const topic = 'user/runner/isolated';
    const throws = await createTask(shop.token, { subscriptions: topic, script: '{% include "nope" %}' });
    const junk = await createTask(shop.token, { subscriptions: topic, script: 'not json' });
    const loops = await createTask(shop.token, {
      subscriptions: topic,
      script: '{% for i in (1..100000) %}{% for j in (1..100) %}{% endfor %}{% endfor %}',
    });
    const fine = await createTask(shop.token, { subscriptions: topic, script: '{% action "echo", 1 %}' });
    const events = [newEvent(topic), newEvent(topic)];
    const { testEnv } = recordingEnv();
    const settled = await consume(testEnv, events.map(eventMessage));
    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    for (const event of events) {
      const runs = await taskRunsOf(shop.token, event.id);
      const byTask = (id: string) => runs.find((r) => r.task_id === id)!;
      expect(byTask(throws)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^Render failed/) });
      expect(byTask(junk)).toMatchObject({ status: 'failed', error: expect.stringMatching(/"not json"/) });
      expect(byTask(loops)).toMatchObject({ status: 'failed', error: expect.stringMatching(/limit exceeded/) });
      expect(byTask(fine)).toMatchObject({ status: 'succeeded' });
    }
  });

  it('performs actions in order and records each result; a failing action fails the run but not the others', async () => {
    const topic = 'user/runner/order';
    await createTask(shop.token, {
      subscriptions: topic,
      script:
        '{% action "cache", "incr", "order" %}{% action "echo", __error: "boom" %}{% action "cache", "incrby", "order", 10 %}',
    });
    const event = newEvent(topic);
    const { testEnv } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    const [run] = await taskRunsOf(shop.token, event.id);
    expect(run).toMatchObject({ status: 'failed', error: '1 of 3 actions failed.' });
    expect(run!.action_runs.map((a) => [a.position, a.status, a.result, a.error])).toEqual([
      [0, 'succeeded', 1, null],
      [1, 'failed', null, 'boom'],
      [2, 'succeeded', 11, null],
    ]);
    expect(run!.action_runs.every((a) => a.attempts === 1)).toBe(true);
  });

  it('is idempotent on redelivery: no second run and no action performed twice', async () => {
    const topic = 'user/runner/again';
    await createTask(shop.token, { subscriptions: topic, script: '{% action "cache", "incr", "again" %}' });
    const event = newEvent(topic);
    const { testEnv } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    await consume(testEnv, [eventMessage(event)], 2);
    expect(await taskRunsOf(shop.token, event.id)).toHaveLength(1);
    expect(JSON.parse((await readCacheEntry(env, shop.shopId, 'again'))!.valueJson)).toBe(1);
  });
});

describe('delayed subscriptions', () => {
  it('a delay within 12 h is scheduled on the queue with delaySeconds, then runs from its message', async () => {
    const topic = 'user/runner/delayed';
    await createTask(shop.token, { subscriptions: `${topic} +5.minutes`, script: '{% log "late" %}' });
    const event = newEvent(topic);
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    const [run] = await taskRunsOf(shop.token, event.id);
    expect(run).toMatchObject({ status: 'scheduled', delay_seconds: 300, attempts: 0 });
    expect(Date.parse(run!.run_at) - Date.parse(event.createdAt)).toBe(300_000);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body).toEqual({ kind: 'task-run', runId: run!.id, shopId: shop.shopId });
    expect(sent[0]!.delaySeconds).toBeGreaterThanOrEqual(299);
    expect(sent[0]!.delaySeconds).toBeLessThanOrEqual(300);

    const settled = await consume(testEnv, [sent[0]!.body]);
    expect(settled[0]!.acked).toBe(true);
    expect((await taskRunsOf(shop.token, event.id))[0]).toMatchObject({
      status: 'succeeded',
      logs: ['late'],
      attempts: 1,
    });
    // A duplicate message finds the run finished and changes nothing.
    expect((await consume(testEnv, [sent[0]!.body]))[0]!.acked).toBe(true);
    expect((await taskRunsOf(shop.token, event.id))[0]!.attempts).toBe(1);
  });

  it('a delay beyond the queue limit waits for the cron sweep', async () => {
    const topic = 'user/runner/tomorrow';
    await createTask(shop.token, { subscriptions: `${topic} +1.day`, script: '{% log "next day" %}' });
    const event = newEvent(topic);
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    expect(sent).toHaveLength(0);
    const [run] = await taskRunsOf(shop.token, event.id);
    expect(run!.status).toBe('scheduled');

    await runMaintenance(testEnv, Date.now());
    expect(sent).toHaveLength(0);
    await runMaintenance(testEnv, Date.parse(event.createdAt) + 86_400_000 + 1_000);
    expect(sent.map((s) => s.body)).toEqual([{ kind: 'task-run', runId: run!.id, shopId: shop.shopId }]);
    await runMaintenance(testEnv, Date.parse(event.createdAt) + 86_400_000 + 61_000);
    expect(sent).toHaveLength(1);
    await consume(testEnv, [sent[0]!.body]);
    expect((await taskRunsOf(shop.token, event.id))[0]).toMatchObject({ status: 'succeeded', logs: ['next day'] });
  });
});

describe('retention and delayed runs (issue 20, point 5)', () => {
  it('keeps an event past EVENT_RETENTION_DAYS while a run delayed 40 days still waits for it', async () => {
    const topic = 'user/runner/forty-days';
    await createTask(shop.token, { subscriptions: `${topic} +40.days`, script: '{% log event.data.n %}' });
    const event = newEvent(topic, { n: 1 });
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    const created = Date.parse(event.createdAt);
    const day = 86_400_000;
    const retained = { ...testEnv, EVENT_RETENTION_DAYS: '30' };
    const stored = () => env.DB.prepare('SELECT id FROM events WHERE id = ?1').bind(event.id).first();

    await runMaintenance(retained, created + 31 * day);
    await runMaintenance(retained, created + 39 * day);
    expect(await stored()).not.toBeNull();
    await runMaintenance(retained, created + 40 * day + 1_000);
    expect(sent.map((s) => s.body)).toEqual([{ kind: 'task-run', runId: expect.any(String), shopId: shop.shopId }]);
    await consume(testEnv, [sent[0]!.body]);
    expect((await taskRunsOf(shop.token, event.id))[0]).toMatchObject({ status: 'succeeded', logs: [1] });
    // Once no run waits for it, retention takes it at its next pass.
    await runMaintenance(retained, created + 41 * day);
    expect(await stored()).toBeNull();
  });
});

describe('many delayed runs from one batch', () => {
  it('a batch whose events schedule 250 delayed runs puts all 250 on the queue, in sendBatch calls of at most 100', async () => {
    // The platform's limit, which one unsplit sendBatch would hit.
    const tooMany = Array.from({ length: 101 }, () => ({ body: { kind: 'task-run', runId: 'x' } as QueueMessage }));
    await expect(env.EVENTS.sendBatch(tooMany)).rejects.toThrow();

    const topic = 'user/runner/many-delayed';
    for (let i = 0; i < 5; i++) {
      await createTask(shop.token, { subscriptions: `${topic} +10.minutes`, script: `{% log "late ${i}" %}` });
    }
    const events = Array.from({ length: 50 }, () => newEvent(topic));
    const batchSizes: number[] = [];
    const forwarded: QueueMessage[] = [];
    const countingQueue = {
      send: (body: QueueMessage, o?: QueueSendOptions) => env.EVENTS.send(body, o),
      sendBatch: async (messages: Iterable<MessageSendRequest<QueueMessage>>, o?: QueueSendBatchOptions) => {
        const list = [...messages];
        batchSizes.push(list.length);
        await env.EVENTS.sendBatch(list, o);
        forwarded.push(...list.map((m) => m.body));
      },
    } as unknown as Queue;
    const settled = await consume({ ...env, EVENTS: countingQueue } as Env, events.map(eventMessage));
    expect(settled.every((m) => m.acked)).toBe(true);
    const runIds = new Set<string>();
    for (const event of events) {
      for (const run of await taskRunsOf(shop.token, event.id)) {
        expect(run.status).toBe('scheduled');
        runIds.add(run.id);
      }
    }
    expect(runIds.size).toBe(250);
    expect(new Set(forwarded.map((m) => (m.kind === 'task-run' ? m.runId : '')))).toEqual(runIds);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(100);
  }, 60_000);
});

describe('runs that cannot go ahead', () => {
  it('a delayed run whose task was disabled or deleted meanwhile fails with the reason', async () => {
    const topic = 'user/runner/gone';
    const disabled = await createTask(shop.token, { subscriptions: `${topic} +1.minute`, script: '{% log 1 %}' });
    const deleted = await createTask(shop.token, { subscriptions: `${topic} +1.minute`, script: '{% log 1 %}' });
    const event = newEvent(topic);
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    await call(`/api/v1/tasks/${disabled}/disable`, jsonInit('POST', shop.token));
    await call(`/api/v1/tasks/${deleted}`, jsonInit('DELETE', shop.token));
    await consume(
      testEnv,
      sent.map((m) => m.body),
    );
    const runs = await taskRunsOf(shop.token, event.id);
    expect(runs.find((r) => r.task_id === disabled)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/disabled/),
    });
    expect(runs.find((r) => r.task_id === deleted)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/deleted/),
    });
  });

  it('a task-run message the queue gave up on marks its run failed and is acked', async () => {
    const topic = 'user/runner/dead';
    await createTask(shop.token, { subscriptions: `${topic} +1.minute`, script: '{% log 1 %}' });
    const event = newEvent(topic);
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    const { batch, settled } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, [sent[0]!.body]);
    await consumeEventsDeadLetters(batch, env);
    expect(settled[0]!.acked).toBe(true);
    expect((await taskRunsOf(shop.token, event.id))[0]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/gave up/),
    });
  });
});

describe('queue unavailable for a delayed run', () => {
  it('leaves the run to the cron sweep, which queues it once due', async () => {
    const topic = 'user/runner/no-queue';
    await createTask(shop.token, { subscriptions: `${topic} +2.minutes`, script: '{% log "swept" %}' });
    const event = newEvent(topic);
    const down = recordingEnv();
    const queueDown = {
      send: () => Promise.reject(new Error('simulated: queue unavailable')),
      sendBatch: () => Promise.reject(new Error('simulated: queue unavailable')),
    } as unknown as Queue;
    const settled = await consume({ ...down.testEnv, EVENTS: queueDown }, [eventMessage(event)]);
    expect(settled[0]!.acked).toBe(true);

    const { testEnv, sent } = recordingEnv();
    await runMaintenance(testEnv, Date.parse(event.createdAt) + 60_000);
    expect(sent).toHaveLength(0);
    await runMaintenance(testEnv, Date.parse(event.createdAt) + 121_000);
    const [run] = await taskRunsOf(shop.token, event.id);
    expect(sent.map((m) => m.body)).toEqual([{ kind: 'task-run', runId: run!.id, shopId: shop.shopId }]);
    await consume(testEnv, [sent[0]!.body]);
    expect((await taskRunsOf(shop.token, event.id))[0]).toMatchObject({ status: 'succeeded', logs: ['swept'] });
  });
});

describe('transient action failures', () => {
  it('retry with the spec backoff, keep later actions waiting in order, and fail after the last attempt', async () => {
    const topic = 'user/runner/flaky';
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "http", method: "GET", url: "${receiver}/status/503" %}{% action "echo", "after" %}`,
    });
    const event = newEvent(topic);
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);

    for (let attempt = 1; attempt < MAX_ACTION_ATTEMPTS; attempt++) {
      const [run] = await taskRunsOf(shop.token, event.id);
      const [http, echo] = run!.action_runs;
      expect(run!.status).toBe('scheduled');
      expect(http).toMatchObject({ status: 'scheduled', attempts: attempt, error: expect.stringMatching(/^http 503/) });
      const delay = ACTION_RETRY_DELAYS_SECONDS[attempt - 1]!;
      expect(Math.round((Date.parse(http!.next_attempt_at!) - Date.now()) / 1000)).toBeGreaterThan(delay - 3);
      expect(echo).toMatchObject({ status: 'scheduled', attempts: 0 });
      const message = sent.at(-1)!;
      expect(message.body).toEqual({ kind: 'task-run', runId: run!.id, shopId: shop.shopId });
      expect(message.delaySeconds).toBeGreaterThanOrEqual(delay - 1);
      expect(message.delaySeconds).toBeLessThanOrEqual(delay);
      expect((await consume(testEnv, [message.body]))[0]!.acked).toBe(true);
    }
    const [run] = await taskRunsOf(shop.token, event.id);
    expect(run).toMatchObject({ status: 'failed', error: '1 of 2 actions failed.' });
    expect(run!.action_runs[0]).toMatchObject({
      status: 'failed',
      attempts: MAX_ACTION_ATTEMPTS,
      next_attempt_at: null,
    });
    expect(run!.action_runs[1]).toMatchObject({ status: 'succeeded', attempts: 1, result: 'after' });
    expect(sent).toHaveLength(MAX_ACTION_ATTEMPTS - 1);
  });
});

describe('the consumer work deadline', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('starts no action after it: the run goes back to scheduled and a task-run message carries it on, once each', async () => {
    const topic = 'user/runner/deadline';
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "http", method: "GET", url: "${receiver}/status/200" %}{% action "echo", "after" %}`,
    });
    const event = newEvent(topic);
    const { testEnv, sent } = recordingEnv();
    batchStartedAnHourAgo();
    const settled = await consume(testEnv, [eventMessage(event)]);
    vi.restoreAllMocks();
    expect(settled[0]).toMatchObject({ acked: true, retried: false });
    const [run] = await taskRunsOf(shop.token, event.id);
    expect(run!.status).toBe('scheduled');
    expect(run!.action_runs.map((a) => [a.status, a.attempts])).toEqual([
      ['scheduled', 0],
      ['scheduled', 0],
    ]);
    expect(sent.map((m) => m.body)).toEqual([{ kind: 'task-run', runId: run!.id, shopId: shop.shopId }]);
    expect(sent[0]!.delaySeconds ?? 0).toBe(0);
    expect(await eventStatus(event.id)).toBe('processed');

    // A task-run message met past the deadline goes back to the queue as it is; the run is not touched.
    const message = sent.splice(0)[0]!.body;
    batchStartedAnHourAgo();
    expect((await consume(testEnv, [message]))[0]).toMatchObject({ acked: true, retried: false });
    vi.restoreAllMocks();
    expect(sent.map((m) => m.body)).toEqual([message]);
    expect(sent[0]!.delaySeconds ?? 0).toBe(0);
    const [untouched] = await taskRunsOf(shop.token, event.id);
    expect(untouched).toEqual(run);

    expect((await consume(testEnv, [sent[0]!.body]))[0]).toMatchObject({ acked: true, retried: false });
    const [done] = await taskRunsOf(shop.token, event.id);
    expect(done!.status).toBe('succeeded');
    expect(done!.action_runs.map((a) => [a.status, a.attempts])).toEqual([
      ['succeeded', 1],
      ['succeeded', 1],
    ]);
  });
});

describe('recording before acking', () => {
  /** D1 that refuses any batch inserting action runs, as an outage in the middle of a run would. */
  function failingActionRunsDb(): D1Database {
    const marked = new WeakSet<object>();
    return new Proxy(env.DB, {
      get(target, prop) {
        if (prop === 'prepare') {
          return (sql: string) => {
            const statement = target.prepare(sql);
            if (!sql.includes('INSERT INTO action_runs')) return statement;
            return new Proxy(statement, {
              get(st, p) {
                if (p === 'bind') {
                  return (...args: unknown[]) => {
                    const bound = st.bind(...args);
                    marked.add(bound);
                    return bound;
                  };
                }
                const value = Reflect.get(st, p) as unknown;
                return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(st) : value;
              },
            });
          };
        }
        if (prop === 'batch') {
          return (statements: D1PreparedStatement[]) =>
            statements.some((s) => marked.has(s))
              ? Promise.reject(new Error('simulated: D1 unavailable'))
              : target.batch(statements);
        }
        const value = Reflect.get(target, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('retries the message when a run cannot be recorded, and resumes the same run on redelivery', async () => {
    const topic = 'user/runner/outage';
    await createTask(shop.token, { subscriptions: topic, script: '{% action "cache", "incr", "outage" %}' });
    const event = newEvent(topic);
    const broken = recordingEnv(failingActionRunsDb());
    const first = await consume(broken.testEnv, [eventMessage(event)]);
    expect(first[0]).toMatchObject({ acked: false, retried: true });
    expect(await eventStatus(event.id)).toBe('received');
    expect((await taskRunsOf(shop.token, event.id))[0]!.status).toBe('running');

    const { testEnv } = recordingEnv();
    const second = await consume(testEnv, [eventMessage(event)], 2);
    expect(second[0]).toMatchObject({ acked: true, retried: false });
    const runs = await taskRunsOf(shop.token, event.id);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'succeeded', attempts: 2, action_runs: [{ result: 1 }] });
    expect(await eventStatus(event.id)).toBe('processed');
  });
});
