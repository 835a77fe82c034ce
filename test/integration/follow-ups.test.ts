import { env } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { QUEUE_NAMES } from '../../src/env';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import { consumeEventsDeadLetters } from '../../src/pipeline/events-dead-letter';
import type { EventEnvelope, QueueMessage } from '../../src/queue/messages';
import { call, createShopWithApp, jsonInit } from '../helpers';
import { envelope, eventMessage, recordingBatch } from '../queue';
import { dbOfShop } from '../shards';
import { createTask, taskRunsOf } from '../task-helpers';

// Issue 23, points 3 and 4: edgehook/actions/perform and edgehook/errors/{task,action,event}.

const receiver = `http://127.0.0.1:${inject('receiverPort')}`;

interface Sent {
  body: QueueMessage;
  delaySeconds: number | undefined;
}

function recordingEnv(): { testEnv: Env; sent: Sent[] } {
  const sent: Sent[] = [];
  const queue = {
    send: async (body: QueueMessage, o?: QueueSendOptions) => void sent.push({ body, delaySeconds: o?.delaySeconds }),
    sendBatch: async (messages: Iterable<MessageSendRequest<QueueMessage>>) => {
      for (const m of messages) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue;
  // Every queue group's events queue (a shop on shard 1 sends to EVENTS_1).
  const groups = Object.keys(env).filter((name) => /^EVENTS(_\d+)?$/.test(name));
  return { testEnv: { ...env, ...Object.fromEntries(groups.map((name) => [name, queue])) } as Env, sent };
}

async function consume(testEnv: Env, bodies: QueueMessage[]) {
  const { batch, settled } = recordingBatch(QUEUE_NAMES.events, bodies);
  await consumeEventsBatch(batch, testEnv);
  return settled;
}

interface StoredEvent {
  id: string;
  topic: string;
  data: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- checked field by field
  parent_id: string | null;
  status: string;
}

async function eventsOf(shopId: string, topicPrefix: string): Promise<StoredEvent[]> {
  const db = await dbOfShop(shopId);
  const { results } = await db
    .prepare(
      `SELECT id, topic, data, parent_id, status FROM events WHERE shop_id = ?1 AND topic LIKE ?2 ORDER BY topic, id`,
    )
    .bind(shopId, `${topicPrefix}%`)
    .all<Omit<StoredEvent, 'data'> & { data: string }>();
  return results.map((r) => ({ ...r, data: JSON.parse(r.data) as StoredEvent['data'] }));
}

const refsIn = (sent: Sent[]) => sent.flatMap((s) => (s.body.kind === 'event-ref' ? [s.body.eventId] : []));

/** A shop whose task on `topic` runs `script`, with listeners on the follow-up topics given. */
async function shopWith(script: string, listeners: string[], topic = 'user/fu/go') {
  const shop = await createShopWithApp();
  const taskId = await createTask(shop.token, { name: 'worker', subscriptions: topic, script });
  const listenerIds: string[] = [];
  for (const subscriptions of listeners) {
    listenerIds.push(
      await createTask(shop.token, {
        name: `listener ${subscriptions}`,
        subscriptions,
        // A listener performs an action that fails, so a loop would show at once.
        script: '{% log event.topic %}{% action "echo", __error: "listener failure" %}',
      }),
    );
  }
  return { ...shop, taskId, listenerIds, event: envelope(shop.shopId, { topic }) as EventEnvelope };
}

describe('edgehook/actions/perform', () => {
  it('follows every performed action (success and failure) with its type, options, result or error and ids', async () => {
    const shop = await shopWith(
      `{% action "echo", "hello" %}{% action "echo", __error: "boom" %}{% action "http", method: "GET", url: "${receiver}/status/404" %}`,
      ['edgehook/actions/perform'],
    );
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(shop.event)]);

    const [run] = await taskRunsOf(shop.token, shop.event.id);
    const follow = await eventsOf(shop.shopId, 'edgehook/actions/perform');
    expect(follow).toHaveLength(3);
    const byType = (type: string, ok: boolean) =>
      follow.find((e) => e.data.action.type === type && (e.data.action.status === 'succeeded') === ok)!;
    expect(byType('echo', true).data).toEqual({
      action: expect.objectContaining({
        type: 'echo',
        options: 'hello',
        status: 'succeeded',
        result: 'hello',
        error: null,
      }),
      task_run_id: run!.id,
      task_id: shop.taskId,
      task_name: 'worker',
      event_id: shop.event.id,
      event_topic: 'user/fu/go',
    });
    expect(byType('echo', false).data.action).toMatchObject({
      options: { __error: 'boom' },
      status: 'failed',
      result: null,
      error: 'boom',
    });
    // The http action was performed after the batch's transaction: the same follow-up.
    expect(byType('http', true).data.action).toMatchObject({ status: 'succeeded', result: { status: 404 } });
    expect(follow.every((e) => e.parent_id === shop.event.id)).toBe(true);
    // Put on the queue at once, by id.
    expect(refsIn(sent).sort()).toEqual(follow.map((e) => e.id).sort());

    // The listener runs on each; its own (failing) actions make no further follow-ups: no loop.
    await consume(
      testEnv,
      follow.map((e) => ({ kind: 'event-ref', eventId: e.id, shopId: shop.shopId }) as QueueMessage),
    );
    for (const e of follow) {
      expect(await taskRunsOf(shop.token, e.id)).toEqual([
        expect.objectContaining({ task_id: shop.listenerIds[0], status: 'failed', logs: ['edgehook/actions/perform'] }),
      ]);
    }
    expect(await eventsOf(shop.shopId, 'edgehook/')).toHaveLength(3);
  });

  it('replaces options or results too long to copy by their length', async () => {
    const shop = await shopWith('{% action "echo", event.data.big %}', ['edgehook/actions/perform']);
    const big = 'x'.repeat(300_000);
    const event = { ...shop.event, dataJson: JSON.stringify({ big }) };
    const { testEnv } = recordingEnv();
    await consume(testEnv, [eventMessage(event)]);
    const [follow] = await eventsOf(shop.shopId, 'edgehook/actions/perform');
    expect(follow!.data.action).toMatchObject({
      type: 'echo',
      status: 'succeeded',
      options: { omitted_chars: big.length + 2 },
      result: { omitted_chars: big.length + 2 },
    });
  });

  it('costs nothing for a shop whose tasks do not subscribe (or only disabled ones do)', async () => {
    const shop = await shopWith('{% action "echo", 1 %}{% action "echo", __error: "x" %}{% error "no" %}', []);
    const disabled = await createTask(shop.token, {
      subscriptions: 'edgehook/actions/perform\nedgehook/errors/task',
      script: '{% log 1 %}',
    });
    await call(`/api/v1/tasks/${disabled}/disable`, jsonInit('POST', shop.token));
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(shop.event)]);
    expect((await taskRunsOf(shop.token, shop.event.id))[0]).toMatchObject({ status: 'failed' });
    expect(await eventsOf(shop.shopId, 'edgehook/')).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe('edgehook/errors/*', () => {
  it('reports a failed action and the run it failed, but not successes', async () => {
    const shop = await shopWith('{% action "echo", "fine" %}{% action "echo", __error: "broken" %}', [
      'edgehook/errors/action\nedgehook/errors/task',
    ]);
    const { testEnv } = recordingEnv();
    await consume(testEnv, [eventMessage(shop.event)]);
    const [run] = await taskRunsOf(shop.token, shop.event.id);
    const errors = await eventsOf(shop.shopId, 'edgehook/errors/');
    expect(errors.map((e) => e.topic)).toEqual(['edgehook/errors/action', 'edgehook/errors/task']);
    expect(errors[0]!.data.action).toMatchObject({ type: 'echo', status: 'failed', error: 'broken' });
    expect(errors[1]!.data).toMatchObject({
      task_run: { id: run!.id, status: 'failed', error: '1 of 2 actions failed.' },
      task_id: shop.taskId,
      event_id: shop.event.id,
      event_topic: 'user/fu/go',
    });

    // The listener's own failing action and failed run report nothing (no loop).
    await consume(
      testEnv,
      errors.map((e) => ({ kind: 'event-ref', eventId: e.id, shopId: shop.shopId }) as QueueMessage),
    );
    expect(await eventsOf(shop.shopId, 'edgehook/errors/')).toHaveLength(2);
  });

  it('reports a run that rendered an error, and one failed when it came due', async () => {
    const shop = await shopWith('{% error "refused" %}', ['edgehook/errors/task']);
    const { testEnv, sent } = recordingEnv();
    await consume(testEnv, [eventMessage(shop.event)]);
    const [rendered] = await eventsOf(shop.shopId, 'edgehook/errors/task');
    expect(rendered!.data.task_run).toMatchObject({ status: 'failed', errors: ['refused'] });

    // A delayed run whose task was disabled before it was due fails then, and is reported too.
    const delayedTask = await createTask(shop.token, {
      subscriptions: 'user/fu/later +1.minute',
      script: '{% log 1 %}',
    });
    const later = envelope(shop.shopId, { topic: 'user/fu/later' });
    await consume(testEnv, [eventMessage(later)]);
    await call(`/api/v1/tasks/${delayedTask}/disable`, jsonInit('POST', shop.token));
    const wake = sent.find((s) => s.body.kind === 'task-run')!;
    await consume(testEnv, [wake.body]);
    const reports = await eventsOf(shop.shopId, 'edgehook/errors/task');
    expect(reports).toHaveLength(2);
    expect(reports.find((e) => e.data.event_id === later.id)!.data.task_run).toMatchObject({
      status: 'failed',
      error: 'The task was disabled before this run was due.',
    });
  });

  it('reports an event that could not be processed, once however often its death is recorded', async () => {
    const shop = await shopWith('{% log 1 %}', ['edgehook/errors/event']);
    const { testEnv, sent } = recordingEnv();
    for (let i = 0; i < 2; i++) {
      const { batch, settled } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, [eventMessage(shop.event)]);
      await consumeEventsDeadLetters(batch, testEnv);
      expect(settled[0]).toMatchObject({ acked: true });
    }
    const reports = await eventsOf(shop.shopId, 'edgehook/errors/event');
    expect(reports).toHaveLength(1);
    expect(reports[0]!.data).toMatchObject({
      event: { id: shop.event.id, topic: 'user/fu/go', status: 'dead', error: expect.stringContaining('gave up') },
      event_id: shop.event.id,
    });
    expect(refsIn(sent)).toEqual([reports[0]!.id]);

    // An edgehook/errors/event event that dies itself is not reported again.
    const { batch } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, [
      { kind: 'event-ref', eventId: reports[0]!.id, shopId: shop.shopId },
    ]);
    await consumeEventsDeadLetters(batch, testEnv);
    expect(await eventsOf(shop.shopId, 'edgehook/errors/event')).toHaveLength(1);
  });
});
