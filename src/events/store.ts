import { chunkBySize } from '../chunks';
import { ROWS_PARAM_MAX_CHARS } from '../env';
import type { Cursor } from '../http/pagination';
import type { EventEnvelope } from '../queue/messages';
import type { EventRecord, EventStatus } from './model';

/** Every SQL statement on `events` and `dead_letters`. */

interface EventRow {
  id: string;
  shop_id: string;
  topic: string;
  data: string;
  source: EventEnvelope['source'];
  webhook_id: string | null;
  webhook_request_id: string | null;
  parent_id: string | null;
  status: EventStatus;
  error: string | null;
  created_at: string;
  received_at: string | null;
  processed_at: string | null;
}

const EVENT_COLUMNS =
  'id, shop_id, topic, data, source, webhook_id, webhook_request_id, parent_id, status, error, ' +
  'created_at, received_at, processed_at';

const toEvent = (row: EventRow): EventRecord => ({
  id: row.id,
  shopId: row.shop_id,
  topic: row.topic,
  dataJson: row.data,
  source: row.source,
  webhookId: row.webhook_id,
  webhookRequestId: row.webhook_request_id,
  parentId: row.parent_id,
  status: row.status,
  error: row.error,
  createdAt: row.created_at,
  receivedAt: row.received_at,
  processedAt: row.processed_at,
});

/** The columns an envelope fills, in the order of `envelopeValues`. */
const ENVELOPE_COLUMNS = 'id, shop_id, topic, data, source, webhook_id, webhook_request_id, parent_id, created_at';

const envelopeValues = (e: EventEnvelope) =>
  [e.id, e.shopId, e.topic, e.dataJson, e.source, e.webhookId, e.webhookRequestId, e.parentId, e.createdAt] as const;

function insertStatement(
  db: D1Database,
  event: EventEnvelope,
  status: EventStatus,
  receivedAt: string | null,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO events (${ENVELOPE_COLUMNS}, status, received_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(...envelopeValues(event), status, receivedAt);
}

/**
 * Stores an event that is not (yet) on the queue: `pending` for the sweep, or `queued` by id. An
 * event whose id is already stored (a resent inbound webhook) is left as it is: it is durable.
 */
export async function insertEvent(db: D1Database, event: EventEnvelope, status: 'pending' | 'queued'): Promise<void> {
  await insertStatement(db, event, status, null).run();
}

/** The statement of `insertEvent(…, 'pending')`, for a batch's transaction. */
export function insertPendingEventStatement(db: D1Database, event: EventEnvelope): D1PreparedStatement {
  return insertStatement(db, event, 'pending', null);
}

/** Turns a `queued` event back into `pending` when its queue message could not be sent. */
export async function markEventPending(db: D1Database, eventId: string): Promise<void> {
  await db.prepare(`UPDATE events SET status = 'pending' WHERE id = ?1 AND status = 'queued'`).bind(eventId).run();
}

/** One message's worth of persisting: a whole event, or the id of one already in D1. */
export type ReceiveItem = { event: EventEnvelope } | { eventId: string };

export const receiveItemId = (item: ReceiveItem): string => ('event' in item ? item.event.id : item.eventId);

/**
 * Claims a batch's events: inline ones are inserted as `received` (or, stored earlier as `pending`
 * or `queued`, moved to `received`), referenced ones moved to `received`; an event already
 * `received` or beyond is not claimed again. Returns each event's claim and status after the call.
 * Events travel as JSON rows of one bulk statement per ROWS_PARAM_MAX_CHARS, so the statement
 * count does not grow with the batch.
 *
 * `options.settle` turns on settling: of the inline events, the ones this call claims and that
 * nothing acts on are marked `processed` in the same transaction, since processing them would do
 * nothing else; their status in the outcome is then `processed`. Nothing acting on an event is
 * known either as ids (the consumer asked the configuration first) or as a SQL rule (on the
 * database that holds the configuration, in this very transaction).
 *
 * `options.only` (a SQL condition over an event's shop id) claims only the events it holds for:
 * the others are neither inserted nor claimed and are absent from the outcome unless already
 * stored. `options.extra` are read-only statements run in the same round trip after the claim
 * (the consumer's lookups); their results come back in order.
 */
export async function receiveEvents(
  db: D1Database,
  items: readonly ReceiveItem[],
  now: string,
  options: {
    settle?: SettleRule | ReadonlySet<string>;
    only?: (shopExpr: string) => string;
    extra?: readonly D1PreparedStatement[];
  } = {},
): Promise<{ outcome: Map<string, { claimed: boolean; status: EventStatus }>; extra: D1Result[] }> {
  const { settle, only, extra = [] } = options;
  const refs: string[] = [];
  const inline: EventEnvelope[] = [];
  const rows: string[] = [];
  for (const item of items) {
    if (!('event' in item)) {
      refs.push(item.eventId);
      continue;
    }
    inline.push(item.event);
    rows.push(JSON.stringify(envelopeValues(item.event)));
  }
  const insertOnly = only ? `AND ${only("json_extract(value, '$[1]')")}` : '';
  const statements = chunkBySize(rows, (row) => row.length, ROWS_PARAM_MAX_CHARS).map((chunk) =>
    db
      .prepare(
        `INSERT INTO events (${ENVELOPE_COLUMNS}, status, received_at)
         SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
                json_extract(value, '$[3]'), json_extract(value, '$[4]'), json_extract(value, '$[5]'),
                json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'),
                'received', ?2
         FROM json_each(?1) WHERE true ${insertOnly}
         ON CONFLICT (id) DO UPDATE SET status = 'received', received_at = excluded.received_at
         WHERE events.status IN ('pending', 'queued')
         RETURNING id`,
      )
      .bind(`[${chunk.join(',')}]`, now),
  );
  if (refs.length > 0) {
    statements.push(
      db
        .prepare(
          `UPDATE events SET status = 'received', received_at = ?2
           WHERE id IN (SELECT value FROM json_each(?1)) AND status IN ('pending', 'queued')
             ${only ? `AND ${only('events.shop_id')}` : ''}
           RETURNING id`,
        )
        .bind(JSON.stringify(refs), now),
    );
  }
  const claimStatements = statements.length;
  if (settle !== undefined && inline.length > 0) statements.push(settleStatement(db, inline, settle, now));
  const ids = items.map(receiveItemId);
  const statusQuery = db
    .prepare(`SELECT id, status FROM events WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(ids));
  const results = await db.batch<{ id: string; status?: EventStatus }>([...statements, statusQuery, ...extra]);

  const claimed = new Set<string>();
  for (const result of results.slice(0, claimStatements)) for (const row of result.results) claimed.add(row.id);
  const outcome = new Map<string, { claimed: boolean; status: EventStatus }>();
  for (const row of results[statements.length]!.results) {
    outcome.set(row.id, { claimed: claimed.has(row.id), status: row.status! });
  }
  return { outcome, extra: results.slice(statements.length + 1) };
}

/**
 * How to tell in SQL the events nothing acts on: the topic an event's subscriptions are on (null
 * when it can have none), and the condition, over an event's shop, topic and subscription topic
 * (as SQL expressions), that something does act on it. The pipeline asks that question
 * (pipeline/lookups.ts); this store only applies the answer.
 */
export interface SettleRule {
  subscriptionTopicOf: (eventTopic: string) => string | null;
  actedOnSql: (shopExpr: string, topicExpr: string, subscriptionTopicExpr: string) => string;
}

/** Marks `processed` the events claimed at `now` that nothing acts on (by ids, or by a SQL rule). */
function settleStatement(
  db: D1Database,
  events: readonly EventEnvelope[],
  settle: SettleRule | ReadonlySet<string>,
  now: string,
): D1PreparedStatement {
  if (!('actedOnSql' in settle)) {
    return db
      .prepare(
        `UPDATE events SET status = 'processed', processed_at = ?2
         WHERE status = 'received' AND received_at = ?2 AND id IN (SELECT value FROM json_each(?1))`,
      )
      .bind(JSON.stringify(events.filter((e) => settle.has(e.id)).map((e) => e.id)), now);
  }
  const field = (i: number) => `json_extract(c.value, '$[${i}]')`;
  return db
    .prepare(
      `UPDATE events SET status = 'processed', processed_at = ?2
       WHERE status = 'received' AND received_at = ?2 AND id IN (
         SELECT ${field(0)} FROM json_each(?1) c WHERE NOT ${settle.actedOnSql(field(1), field(2), field(3))})`,
    )
    .bind(JSON.stringify(events.map((e) => [e.id, e.shopId, e.topic, settle.subscriptionTopicOf(e.topic)])), now);
}

/** Full rows of the given events (any shop). */
export async function loadEvents(db: D1Database, ids: readonly string[]): Promise<EventRecord[]> {
  if (ids.length === 0) return [];
  const { results } = await db
    .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE id IN (SELECT value FROM json_each(?1))`)
    .bind(JSON.stringify(ids))
    .all<EventRow>();
  return results.map(toEvent);
}

/** Marks received events processed. */
export async function markEventsProcessed(db: D1Database, ids: readonly string[], now: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .prepare(
      `UPDATE events SET status = 'processed', processed_at = ?2
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'received'`,
    )
    .bind(JSON.stringify(ids), now)
    .run();
}

/** Ids of the oldest `pending` events, for the cron sweep. */
export async function listPendingEventIds(db: D1Database, limit: number): Promise<{ id: string; shopId: string }[]> {
  const { results } = await db
    .prepare(`SELECT id, shop_id FROM events WHERE status = 'pending' ORDER BY created_at LIMIT ?1`)
    .bind(limit)
    .all<{ id: string; shop_id: string }>();
  return results.map((row) => ({ id: row.id, shopId: row.shop_id }));
}

/** Marks swept events as queued (their reference messages were sent). */
export async function markEventsQueued(db: D1Database, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .prepare(
      `UPDATE events SET status = 'queued'
       WHERE id IN (SELECT value FROM json_each(?1)) AND status = 'pending'`,
    )
    .bind(JSON.stringify(ids))
    .run();
}

/**
 * Records an event the dead-letter consumer gave up on: stored (or kept) with status `dead` and
 * the reason, unless it was processed after all.
 */
export async function recordDeadEvent(db: D1Database, item: ReceiveItem, error: string, now: string): Promise<boolean> {
  if ('event' in item) {
    const e = item.event;
    await db
      .prepare(
        `INSERT INTO events (${ENVELOPE_COLUMNS}, status, error, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'dead', ?10, ?11)
         ON CONFLICT (id) DO UPDATE SET status = 'dead', error = excluded.error
         WHERE events.status <> 'processed'`,
      )
      .bind(...envelopeValues(e), error, now)
      .run();
    return true;
  }
  const result = await db
    .prepare(`UPDATE events SET status = 'dead', error = ?2 WHERE id = ?1 AND status <> 'processed'`)
    .bind(item.eventId, error)
    .run();
  return result.meta.changes > 0;
}

export async function insertDeadLetter(
  db: D1Database,
  letter: { queue: string; messageId: string; body: string; error: string; createdAt: string },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO dead_letters (queue, message_id, body, error, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5)`,
    )
    .bind(letter.queue, letter.messageId, letter.body, letter.error, letter.createdAt)
    .run();
}

/**
 * Deletes up to `limit` events created before `cutoff`; returns how many went. An event a task run
 * still waits for (a delay longer than retention) is kept until that run has finished.
 */
export async function deleteEventsCreatedBefore(db: D1Database, cutoff: string, limit: number): Promise<number> {
  const result = await db
    .prepare(
      `DELETE FROM events WHERE id IN (
         SELECT e.id FROM events e WHERE e.created_at < ?1 AND e.status IN ('processed', 'dead')
           AND NOT EXISTS (SELECT 1 FROM task_runs r
                           WHERE r.event_id = e.id AND r.status IN ('scheduled', 'running'))
         LIMIT ?2)`,
    )
    .bind(cutoff, limit)
    .run();
  return result.meta.changes;
}

export interface EventFilters {
  topic?: string | undefined;
  status?: EventStatus | undefined;
  createdAtMin?: string | undefined;
  createdAtMax?: string | undefined;
  webhookRequestId?: string | undefined;
}

/**
 * A shop's events, newest first, strictly before `cursor`. Each filter maps to an indexed column
 * (events_shop_topic_created, events_shop_status_created, events_shop_created).
 */
export async function listShopEvents(
  db: D1Database,
  shopId: string | null,
  filters: EventFilters,
  limit: number,
  cursor: Cursor | null,
  withData: boolean,
): Promise<EventRecord[]> {
  // A null shop: every shop's events on this database (the operator's view, one shard at a time).
  const where = shopId === null ? ['true'] : ['shop_id = ?1'];
  const binds: unknown[] = shopId === null ? [] : [shopId];
  const add = (sql: string, value: unknown) => {
    binds.push(value);
    where.push(sql.replace('?', `?${binds.length}`));
  };
  if (filters.topic !== undefined) add('topic = ?', filters.topic);
  if (filters.status !== undefined) add('status = ?', filters.status);
  if (filters.webhookRequestId !== undefined) add('webhook_request_id = ?', filters.webhookRequestId);
  if (filters.createdAtMin !== undefined) add('created_at >= ?', filters.createdAtMin);
  if (filters.createdAtMax !== undefined) add('created_at <= ?', filters.createdAtMax);
  if (cursor !== null) {
    binds.push(cursor.createdAt, cursor.id);
    where.push(`(created_at < ?${binds.length - 1} OR (created_at = ?${binds.length - 1} AND id < ?${binds.length}))`);
  }
  binds.push(limit);
  const columns = withData ? EVENT_COLUMNS : EVENT_COLUMNS.replace('data, ', "'null' AS data, ");
  const { results } = await db
    .prepare(
      `SELECT ${columns} FROM events WHERE ${where.join(' AND ')}
       ORDER BY created_at DESC, id DESC LIMIT ?${binds.length}`,
    )
    .bind(...binds)
    .all<EventRow>();
  return results.map(toEvent);
}

/** One event of a shop, with its data; another shop's id reads as absent. */
export async function findShopEvent(db: D1Database, shopId: string, id: string): Promise<EventRecord | null> {
  const row = await db
    .prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?1 AND shop_id = ?2`)
    .bind(id, shopId)
    .first<EventRow>();
  return row && toEvent(row);
}

/**
 * How many ancestors each event has (0 for none), counting at most `limit` generations, for many
 * events in one query; events with no row are left out.
 */
export async function loadEventDepths(
  db: D1Database,
  ids: readonly string[],
  limit: number,
): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const { results } = await db
    .prepare(
      `WITH RECURSIVE chain (start, parent_id, n) AS (
         SELECT id, parent_id, 0 FROM events WHERE id IN (SELECT value FROM json_each(?1))
         UNION ALL
         SELECT chain.start, e.parent_id, chain.n + 1 FROM events e JOIN chain ON e.id = chain.parent_id
         WHERE chain.n < ?2)
       SELECT start, max(n) AS depth FROM chain GROUP BY start`,
    )
    .bind(JSON.stringify(ids), limit)
    .all<{ start: string; depth: number }>();
  return new Map(results.map((r) => [r.start, r.depth]));
}

/**
 * The ancestors of an event whose parent is `parentId`: parent first, at most `limit` generations,
 * following parent_id by primary key.
 */
export async function loadEventAncestors(db: D1Database, parentId: string, limit: number): Promise<EventRecord[]> {
  const { results } = await db
    .prepare(
      `WITH RECURSIVE chain (id, parent_id, n) AS (
         SELECT id, parent_id, 1 FROM events WHERE id = ?1
         UNION ALL
         SELECT e.id, e.parent_id, chain.n + 1 FROM events e JOIN chain ON e.id = chain.parent_id
         WHERE chain.n < ?2)
       SELECT ${EVENT_COLUMNS.split(', ')
         .map((c) => `events.${c}`)
         .join(', ')}
       FROM chain JOIN events ON events.id = chain.id ORDER BY chain.n`,
    )
    .bind(parentId, limit)
    .all<EventRow>();
  return results.map(toEvent);
}
