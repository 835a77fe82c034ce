import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '../../src/env';
import { consumeEventsBatch, eventsRetryDelaySeconds } from '../../src/pipeline/events-consumer';
import { consumeEventsDeadLetters } from '../../src/pipeline/events-dead-letter';
import { insertEvent } from '../../src/events/store';
import { instrumentedDb } from '../faults';
import { envelope, eventMessage, recordingBatch, refMessage } from '../queue';

const SHOP = 'shop-consumer-test';

async function row(id: string) {
  return env.DB.prepare('SELECT status, data, error, processed_at FROM events WHERE id = ?1')
    .bind(id)
    .first<{ status: string; data: string; error: string | null; processed_at: string | null }>();
}

/** A D1 whose batches and statements fail whenever they touch the event `poisonId`. */
function poisonedDb(poisonId: string): D1Database {
  const poisoned = new WeakSet<D1PreparedStatement>();
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (sql: string) => {
          const statement = target.prepare(sql);
          return new Proxy(statement, {
            get(st, p) {
              if (p === 'bind') {
                return (...args: unknown[]) => {
                  const bound = st.bind(...args);
                  if (args.some((a) => typeof a === 'string' && a.includes(poisonId))) poisoned.add(bound);
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
          statements.some((s) => poisoned.has(s))
            ? Promise.reject(new Error('simulated: row refused'))
            : target.batch(statements);
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('events consumer', () => {
  it('persists a batch, processes it and acks every message', async () => {
    const events = [envelope(SHOP), envelope(SHOP), envelope(SHOP)];
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, events.map(eventMessage));
    await consumeEventsBatch(batch, env);
    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    for (const e of events) expect(await row(e.id)).toMatchObject({ status: 'processed', data: e.dataJson });
  });

  it('is idempotent on event id: a redelivered message creates no duplicate and is not reprocessed', async () => {
    const event = envelope(SHOP);
    await consumeEventsBatch(recordingBatch(QUEUE_NAMES.events, [eventMessage(event)]).batch, env);
    const first = await row(event.id);

    const again = recordingBatch(QUEUE_NAMES.events, [eventMessage(event), eventMessage(event)], 2);
    await consumeEventsBatch(again.batch, env);
    expect(again.settled.every((s) => s.acked)).toBe(true);
    const { results } = await env.DB.prepare('SELECT id FROM events WHERE id = ?1').bind(event.id).all();
    expect(results).toHaveLength(1);
    expect((await row(event.id))!.processed_at).toBe(first!.processed_at);
  });

  it('moves an event stored by id (queued or pending) to processed', async () => {
    const queued = envelope(SHOP);
    const pending = envelope(SHOP);
    await insertEvent(env.DB, queued, 'queued');
    await insertEvent(env.DB, pending, 'pending');
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, [refMessage(queued.id), refMessage(pending.id)]);
    await consumeEventsBatch(batch, env);
    expect(settled.every((s) => s.acked)).toBe(true);
    expect((await row(queued.id))!.status).toBe('processed');
    expect((await row(pending.id))!.status).toBe('processed');
  });

  it('acks a reference to an event that no longer exists', async () => {
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, [refMessage(crypto.randomUUID())]);
    await consumeEventsBatch(batch, env);
    expect(settled[0]).toMatchObject({ acked: true, retried: false });
  });

  it('re-processes, on redelivery, an event a crashed attempt left received', async () => {
    const event = envelope(SHOP);
    await env.DB.prepare(
      `INSERT INTO events (id, shop_id, topic, data, source, status, created_at)
       VALUES (?1, ?2, ?3, ?4, 'webhook', 'received', ?5)`,
    )
      .bind(event.id, SHOP, event.topic, event.dataJson, event.createdAt)
      .run();

    // A first delivery that did not claim it is a concurrent duplicate: leave it alone.
    await consumeEventsBatch(recordingBatch(QUEUE_NAMES.events, [eventMessage(event)], 1).batch, env);
    expect((await row(event.id))!.status).toBe('received');
    // A redelivery (attempts > 1) finishes the work.
    await consumeEventsBatch(recordingBatch(QUEUE_NAMES.events, [eventMessage(event)], 2).batch, env);
    expect((await row(event.id))!.status).toBe('processed');
  });

  it('records a message of unknown shape as a dead letter and acks it', async () => {
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, [{ kind: 'nonsense', x: 1 }]);
    await consumeEventsBatch(batch, env);
    expect(settled[0]!.acked).toBe(true);
    const letter = await env.DB.prepare('SELECT * FROM dead_letters WHERE message_id = ?1')
      .bind(batch.messages[0]!.id)
      .first<{ queue: string; body: string; error: string }>();
    expect(letter).toMatchObject({ queue: QUEUE_NAMES.events, body: '{"kind":"nonsense","x":1}' });
  });

  it('retries every message with backoff when D1 is down', async () => {
    const events = [envelope(SHOP), envelope(SHOP)];
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, events.map(eventMessage), 3);
    await consumeEventsBatch(batch, { ...env, DB: instrumentedDb([], true) });
    expect(settled).toEqual([
      { acked: false, retried: true, delaySeconds: eventsRetryDelaySeconds(3) },
      { acked: false, retried: true, delaySeconds: eventsRetryDelaySeconds(3) },
    ]);
    for (const e of events) expect(await row(e.id)).toBeNull();
  });

  it('isolates a row D1 refuses: the rest of the batch lands, only that message is retried', async () => {
    const good = [envelope(SHOP), envelope(SHOP)];
    const bad = envelope(SHOP);
    const { batch, settled } = recordingBatch(
      QUEUE_NAMES.events,
      [good[0], bad, good[1]].map((e) => eventMessage(e!)),
    );
    await consumeEventsBatch(batch, { ...env, DB: poisonedDb(bad.id) });
    expect(settled.map((s) => (s.acked ? 'ack' : s.retried ? 'retry' : 'none'))).toEqual(['ack', 'retry', 'ack']);
    expect((await row(good[0]!.id))!.status).toBe('processed');
    expect((await row(good[1]!.id))!.status).toBe('processed');
    expect(await row(bad.id)).toBeNull();
  });

  it('backs off exponentially, capped', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 10].map(eventsRetryDelaySeconds)).toEqual([5, 10, 20, 40, 80, 160, 300, 300]);
  });
});

describe('events dead-letter consumer', () => {
  it('records an event it receives whole as dead, with the reason', async () => {
    const event = envelope(SHOP);
    const { batch, settled } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, [eventMessage(event)]);
    await consumeEventsDeadLetters(batch, env);
    expect(settled[0]!.acked).toBe(true);
    const dead = await row(event.id);
    expect(dead).toMatchObject({ status: 'dead', data: event.dataJson });
    expect(dead!.error).toContain('gave up');
  });

  it('marks a referenced stored event dead, but never one that was processed', async () => {
    const stored = envelope(SHOP);
    await insertEvent(env.DB, stored, 'queued');
    const done = envelope(SHOP);
    await consumeEventsBatch(recordingBatch(QUEUE_NAMES.events, [eventMessage(done)]).batch, env);

    const { batch } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, [refMessage(stored.id), eventMessage(done)]);
    await consumeEventsDeadLetters(batch, env);
    expect((await row(stored.id))!.status).toBe('dead');
    expect((await row(done.id))!.status).toBe('processed');
  });

  it('keeps an unreadable message in dead_letters', async () => {
    const { batch, settled } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, ['just a string']);
    await consumeEventsDeadLetters(batch, env);
    expect(settled[0]!.acked).toBe(true);
    const letter = await env.DB.prepare('SELECT body FROM dead_letters WHERE message_id = ?1')
      .bind(batch.messages[0]!.id)
      .first<{ body: string }>();
    expect(letter!.body).toBe('"just a string"');
  });

  it('retries when even D1 refuses, so nothing is acked unrecorded', async () => {
    const { batch, settled } = recordingBatch(QUEUE_NAMES.eventsDeadLetter, [eventMessage(envelope(SHOP))]);
    await consumeEventsDeadLetters(batch, { ...env, DB: instrumentedDb([], true) });
    expect(settled[0]).toMatchObject({ acked: false, retried: true });
  });
});
