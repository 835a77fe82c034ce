import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { QUEUE_NAMES, SCHEDULER_MAX_CATCH_UP_PERIODS } from '../../src/env';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import { runMaintenance } from '../../src/pipeline/maintenance';
import type { EventEnvelope, QueueMessage } from '../../src/queue/messages';
import { duePeriods, periodAt, periodAfter } from '../../src/tasks/scheduler-periods';
import { emitSchedulerEvents } from '../../src/tasks/scheduler';
import { localDate, startOfLocalDay } from '../../src/time-zones';
import { ADMIN_TOKEN, call, createShopWithApp, jsonInit } from '../helpers';
import { recordingBatch } from '../queue';
import { dbOfShop } from '../shards';
import { createTask, taskRunsOf } from '../task-helpers';

// The scheduler topics on a test clock: the cron's `now` is the only clock they read.

const at = (iso: string) => Date.parse(iso);

/** The real bindings, except that the events queue records (or refuses) what it is sent. */
function recordingEnv(options: { failQueue?: boolean } = {}): { testEnv: Env; sent: QueueMessage[] } {
  const sent: QueueMessage[] = [];
  const queue = {
    send: async (body: QueueMessage) => void sent.push(body),
    sendBatch: async (messages: Iterable<MessageSendRequest<QueueMessage>>) => {
      if (options.failQueue) throw new Error('simulated: queue unavailable');
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue;
  // Every queue group's events queue (a shop on shard 1 sends to EVENTS_1).
  const groups = Object.keys(env).filter((name) => /^EVENTS(_\d+)?$/.test(name));
  return { testEnv: { ...env, ...Object.fromEntries(groups.map((name) => [name, queue])) } as Env, sent };
}

/** The scheduler events the cron sent for one shop, in order. */
const eventsOf = (sent: QueueMessage[], shopId: string): EventEnvelope[] =>
  sent.flatMap((m) => (m.kind === 'event' && m.event.shopId === shopId ? [m.event] : []));

const dataOf = (e: EventEnvelope) => JSON.parse(e.dataJson) as Record<string, unknown>;

async function shopWithScheduledTask(topic: string, options: { timezone?: string; enabled?: boolean } = {}) {
  const shop = await createShopWithApp();
  if (options.timezone) {
    const res = await call(
      `/api/v1/shops/${shop.shopId}`,
      jsonInit('PATCH', ADMIN_TOKEN, { timezone: options.timezone }),
    );
    expect(res.status).toBe(200);
  }
  const taskId = await createTask(shop.token, {
    subscriptions: topic,
    script: '{% log event.data.scheduled_at %}',
    enabled: options.enabled ?? true,
  });
  return { ...shop, taskId };
}

describe('scheduler periods', () => {
  it('starts sub-daily periods on UTC multiples of their length', () => {
    const now = at('2026-12-04T15:47:12.345Z');
    expect(periodAt('10min', now, 'UTC').key).toBe('2026-12-04T15:40:00.000Z');
    expect(periodAt('15min', now, 'UTC').key).toBe('2026-12-04T15:45:00.000Z');
    expect(periodAt('20min', now, 'UTC').key).toBe('2026-12-04T15:40:00.000Z');
    expect(periodAt('30min', now, 'UTC').key).toBe('2026-12-04T15:30:00.000Z');
    expect(periodAt('hourly', now, 'Europe/Paris').key).toBe('2026-12-04T15:00:00.000Z');
    expect(periodAfter('hourly', '2026-12-04T23:00:00.000Z', 'UTC').key).toBe('2026-12-05T00:00:00.000Z');
  });

  it('starts daily at local midnight, through both DST changes', () => {
    const zone = 'America/New_York';
    // Spring forward on 2026-03-08: that day starts in EST (UTC−5), the next in EDT (UTC−4).
    expect(new Date(startOfLocalDay('2026-03-08', zone)).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(startOfLocalDay('2026-03-09', zone)).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    // Fall back on 2026-11-01: that day starts in EDT, the next in EST.
    expect(new Date(startOfLocalDay('2026-11-01', zone)).toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(new Date(startOfLocalDay('2026-11-02', zone)).toISOString()).toBe('2026-11-02T05:00:00.000Z');
    expect(periodAt('daily', at('2026-11-02T04:59:00Z'), zone).key).toBe('2026-11-01');
    expect(periodAt('daily', at('2026-11-02T05:00:00Z'), zone).key).toBe('2026-11-02');
    // Where the DST change skips midnight itself (Chile, 2026-09-06 00:00 → 01:00), the day
    // starts at the change.
    const start = startOfLocalDay('2026-09-06', 'America/Santiago');
    expect(localDate(start, 'America/Santiago')).toBe('2026-09-06');
    expect(localDate(start - 60_000, 'America/Santiago')).toBe('2026-09-05');
  });

  it('lists missed periods oldest first, keeping the most recent ones', () => {
    const { due, skipped } = duePeriods('hourly', '2026-12-04T10:00:00.000Z', at('2026-12-04T13:20:00Z'), 'UTC', 24);
    expect(due.map((p) => p.key)).toEqual([
      '2026-12-04T11:00:00.000Z',
      '2026-12-04T12:00:00.000Z',
      '2026-12-04T13:00:00.000Z',
    ]);
    expect(skipped).toBe(0);
    const long = duePeriods('daily', '2026-01-01', at('2026-03-01T12:00:00Z'), 'UTC', 3);
    expect(long.due.map((p) => p.key)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(long.skipped).toBe(56);
    expect(duePeriods('10min', '2026-12-04T10:00:00.000Z', at('2026-12-04T10:09:59Z'), 'UTC', 24).due).toEqual([]);
  });
});

describe('scheduler events from the cron', () => {
  it('emits one hourly event per period, only for shops with an enabled subscribed task', async () => {
    const topic = 'edgehook/scheduler/hourly';
    const on = await shopWithScheduledTask(topic);
    const off = await shopWithScheduledTask(topic, { enabled: false });
    const other = await shopWithScheduledTask('edgehook/scheduler/daily');
    const { testEnv, sent } = recordingEnv();

    // First sight: the period in progress is not emitted; the next one is.
    await runMaintenance(testEnv, at('2030-01-01T10:05:00Z'));
    await runMaintenance(testEnv, at('2030-01-01T10:59:00Z'));
    expect(eventsOf(sent, on.shopId)).toEqual([]);
    await runMaintenance(testEnv, at('2030-01-01T11:00:20Z'));
    await runMaintenance(testEnv, at('2030-01-01T11:01:20Z'));
    const [event, ...more] = eventsOf(sent, on.shopId);
    expect(more).toEqual([]);
    expect(event).toMatchObject({ topic, source: 'task', parentId: null, createdAt: '2030-01-01T11:00:20.000Z' });
    expect(dataOf(event!)).toEqual({ period: 'hourly', scheduled_at: '2030-01-01T11:00:00.000Z', timezone: 'UTC' });
    expect(eventsOf(sent, off.shopId)).toEqual([]);
    expect(eventsOf(sent, other.shopId).filter((e) => e.topic === topic)).toEqual([]);

    // The event runs the task like any other.
    const { batch } = recordingBatch(QUEUE_NAMES.events, [{ kind: 'event', event }]);
    await consumeEventsBatch(batch, testEnv);
    expect(await taskRunsOf(on.token, event!.id)).toEqual([
      expect.objectContaining({ task_id: on.taskId, status: 'succeeded', logs: ['2030-01-01T11:00:00.000Z'] }),
    ]);
  });

  it('emits exactly once when cron runs overlap or retry: same ids, one stored event, one run', async () => {
    const topic = 'edgehook/scheduler/10min';
    const shop = await shopWithScheduledTask(topic);
    const { testEnv, sent } = recordingEnv();
    await emitSchedulerEvents(testEnv, at('2030-02-01T08:05:00Z'));
    // Two invocations at once for the same minute, then a retried one.
    await Promise.all([
      emitSchedulerEvents(testEnv, at('2030-02-01T08:10:05Z')),
      emitSchedulerEvents(testEnv, at('2030-02-01T08:10:05Z')),
    ]);
    await emitSchedulerEvents(testEnv, at('2030-02-01T08:10:50Z'));
    const events = eventsOf(sent, shop.shopId);
    expect(events.length).toBeGreaterThanOrEqual(1);
    expect(new Set(events.map((e) => e.id)).size).toBe(1);

    // Every copy consumed (in one batch and again later): one event row, one task run.
    const messages = events.map((event) => ({ kind: 'event', event }) as QueueMessage);
    await consumeEventsBatch(recordingBatch(QUEUE_NAMES.events, messages).batch, testEnv);
    await consumeEventsBatch(recordingBatch(QUEUE_NAMES.events, messages).batch, testEnv);
    const db = await dbOfShop(shop.shopId);
    const stored = await db
      .prepare('SELECT count(*) AS n FROM events WHERE shop_id = ?1 AND topic = ?2')
      .bind(shop.shopId, topic)
      .first<{ n: number }>();
    expect(stored!.n).toBe(1);
    expect(await taskRunsOf(shop.token, events[0]!.id)).toHaveLength(1);
  });

  it('emits missed periods once, late, and a period whose send failed at the next run', async () => {
    const topic = 'edgehook/scheduler/30min';
    const shop = await shopWithScheduledTask(topic);
    const { testEnv, sent } = recordingEnv();
    await emitSchedulerEvents(testEnv, at('2030-03-01T09:00:30Z'));
    // No cron from 09:30 until 11:12: three periods missed.
    await emitSchedulerEvents(testEnv, at('2030-03-01T11:12:00Z'));
    await emitSchedulerEvents(testEnv, at('2030-03-01T11:13:00Z'));
    expect(eventsOf(sent, shop.shopId).map((e) => dataOf(e)['scheduled_at'])).toEqual([
      '2030-03-01T09:30:00.000Z',
      '2030-03-01T10:00:00.000Z',
      '2030-03-01T10:30:00.000Z',
      '2030-03-01T11:00:00.000Z',
    ]);

    const down = recordingEnv({ failQueue: true });
    await emitSchedulerEvents(down.testEnv, at('2030-03-01T11:30:10Z'));
    await emitSchedulerEvents(testEnv, at('2030-03-01T11:31:10Z'));
    expect(
      eventsOf(sent, shop.shopId)
        .map((e) => dataOf(e)['scheduled_at'])
        .slice(4),
    ).toEqual(['2030-03-01T11:30:00.000Z']);
  });

  it('catches up at most SCHEDULER_MAX_CATCH_UP_PERIODS periods, the most recent', async () => {
    const shop = await shopWithScheduledTask('edgehook/scheduler/10min');
    const { testEnv, sent } = recordingEnv();
    await emitSchedulerEvents(testEnv, at('2030-04-01T00:00:30Z'));
    await emitSchedulerEvents(testEnv, at('2030-04-02T00:00:30Z'));
    const events = eventsOf(sent, shop.shopId);
    expect(events).toHaveLength(SCHEDULER_MAX_CATCH_UP_PERIODS);
    expect(dataOf(events.at(-1)!)['scheduled_at']).toBe('2030-04-02T00:00:00.000Z');
  });

  it('starts afresh when a task is enabled again, without catching up on the time it was off', async () => {
    const topic = 'edgehook/scheduler/15min';
    const shop = await shopWithScheduledTask(topic);
    const { testEnv, sent } = recordingEnv();
    await emitSchedulerEvents(testEnv, at('2030-05-01T00:01:00Z'));
    await call(`/api/v1/tasks/${shop.taskId}/disable`, jsonInit('POST', shop.token));
    await emitSchedulerEvents(testEnv, at('2030-05-01T03:00:00Z'));
    await call(`/api/v1/tasks/${shop.taskId}/enable`, jsonInit('POST', shop.token));
    await emitSchedulerEvents(testEnv, at('2030-05-01T05:01:00Z'));
    await emitSchedulerEvents(testEnv, at('2030-05-01T05:15:00Z'));
    expect(eventsOf(sent, shop.shopId).map((e) => dataOf(e)['scheduled_at'])).toEqual(['2030-05-01T05:15:00.000Z']);
  });

  it("fires daily at midnight in the shop's time zone, across the autumn DST change", async () => {
    const topic = 'edgehook/scheduler/daily';
    const shop = await shopWithScheduledTask(topic, { timezone: 'America/New_York' });
    const { testEnv, sent } = recordingEnv();
    const dates = () => eventsOf(sent, shop.shopId).map((e) => dataOf(e)['date']);
    await emitSchedulerEvents(testEnv, at('2026-10-31T12:00:00Z'));
    await emitSchedulerEvents(testEnv, at('2026-11-01T03:59:00Z')); // 23:59 EDT
    expect(dates()).toEqual([]);
    await emitSchedulerEvents(testEnv, at('2026-11-01T04:00:30Z')); // 00:00 EDT
    expect(dates()).toEqual(['2026-11-01']);
    await emitSchedulerEvents(testEnv, at('2026-11-02T04:30:00Z')); // 23:30 EST, still Nov 1
    expect(dates()).toEqual(['2026-11-01']);
    await emitSchedulerEvents(testEnv, at('2026-11-02T05:00:30Z')); // 00:00 EST
    expect(dates()).toEqual(['2026-11-01', '2026-11-02']);
    expect(dataOf(eventsOf(sent, shop.shopId)[1]!)).toEqual({
      period: 'daily',
      date: '2026-11-02',
      scheduled_at: '2026-11-02T05:00:00.000Z',
      timezone: 'America/New_York',
    });
  });

  it('follows a change of time zone from the next local midnight', async () => {
    const topic = 'edgehook/scheduler/daily';
    const shop = await shopWithScheduledTask(topic);
    const { testEnv, sent } = recordingEnv();
    await emitSchedulerEvents(testEnv, at('2026-06-10T12:00:00Z')); // UTC: 2026-06-10 in progress
    const res = await call(`/api/v1/shops/${shop.shopId}`, jsonInit('PATCH', ADMIN_TOKEN, { timezone: 'Asia/Tokyo' }));
    expect(res.status).toBe(200);
    await emitSchedulerEvents(testEnv, at('2026-06-10T14:00:00Z')); // Tokyo 23:00
    expect(eventsOf(sent, shop.shopId)).toEqual([]);
    await emitSchedulerEvents(testEnv, at('2026-06-10T15:00:10Z')); // Tokyo midnight
    expect(eventsOf(sent, shop.shopId).map((e) => dataOf(e)['date'])).toEqual(['2026-06-11']);
  });
});

describe('the shop time zone', () => {
  it('defaults to UTC, takes IANA names (canonical spelling), refuses anything else with a 422', async () => {
    const shop = await createShopWithApp();
    const own = await call('/api/v1/shop', jsonInit('GET', shop.token));
    expect((await own.json<{ shop: { timezone: string } }>()).shop.timezone).toBe('UTC');
    const patch = (timezone: unknown) =>
      call(`/api/v1/shops/${shop.shopId}`, jsonInit('PATCH', ADMIN_TOKEN, { timezone }));
    const ok = await patch('europe/paris');
    expect(ok.status).toBe(200);
    expect((await ok.json<{ shop: { timezone: string } }>()).shop.timezone).toBe('Europe/Paris');
    for (const bad of ['Mars/Olympus_Mons', '', 'UTC+2', 42, 'x'.repeat(100)]) {
      const res = await patch(bad);
      expect(res.status, String(bad)).toBe(422);
      expect(JSON.stringify(await res.json())).toContain('timezone');
    }
    // Tasks read it as shop.iana_timezone (Mechanic's name).
    const taskId = await createTask(shop.token, { script: '{% log shop.iana_timezone %}' });
    const preview = await call(`/api/v1/tasks/${taskId}/preview`, jsonInit('POST', shop.token, {}));
    expect((await preview.json<{ preview: { logs: unknown[] } }>()).preview.logs).toEqual(['Europe/Paris']);
    const created = await call(
      '/api/v1/shops',
      jsonInit('POST', ADMIN_TOKEN, { myshopify_domain: `tz-${Date.now()}.myshopify.com`, timezone: 'Asia/Kolkata' }),
    );
    expect(created.status).toBe(201);
    expect((await created.json<{ shop: { timezone: string } }>()).shop.timezone).toBe('Asia/Kolkata');
  });

  it('lets tasks subscribe to the scheduler topics and to no other edgehook/ topic', async () => {
    const shop = await createShopWithApp();
    for (const period of ['10min', '15min', '20min', '30min', 'hourly', 'daily']) {
      await createTask(shop.token, { subscriptions: `edgehook/scheduler/${period}`, script: '{% log 1 %}' });
    }
    const res = await call(
      '/api/v1/tasks',
      jsonInit('POST', shop.token, { name: 't', subscriptions: 'edgehook/scheduler/5min', script: '{% log 1 %}' }),
    );
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('is not an edgehook topic');
  });
});
