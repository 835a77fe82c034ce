import { FOLLOW_UP_MAX_VALUE_CHARS } from '../env';

/**
 * Every SQL statement of follow-up and error events (`edgehook/actions/perform`,
 * `edgehook/errors/…`). Each inserts the events as `pending` rows, only for shops with an enabled
 * task subscribed to the topic, and never for what a run on one of these topics did (no loops).
 * They ride in the transaction that records the outcome, so an outcome gets its event exactly once.
 */

export const ACTIONS_PERFORM_TOPIC = 'edgehook/actions/perform';
export const TASK_ERROR_TOPIC = 'edgehook/errors/task';
export const ACTION_ERROR_TOPIC = 'edgehook/errors/action';
export const EVENT_ERROR_TOPIC = 'edgehook/errors/event';
export const FOLLOW_UP_TOPICS: readonly string[] = [
  ACTIONS_PERFORM_TOPIC,
  TASK_ERROR_TOPIC,
  ACTION_ERROR_TOPIC,
  EVENT_ERROR_TOPIC,
];

/** A random version-4 UUID made by SQLite, for rows inserted by a statement. */
const SQL_UUID = `lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2)
  || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

/** True for an event topic whose runs make no follow-ups (NULL when the event is gone: reported). */
const FOLLOW_UP_EVENT = `(e.topic LIKE 'edgehook/actions/%' OR e.topic LIKE 'edgehook/errors/%')`;

/**
 * What the statements need from the configuration tables: which shops have an enabled task
 * subscribed to which follow-up topic, and the names of their tasks. On shard 0, which holds those
 * tables, null: the statements read them in SQL. On another shard they are read from the primary
 * first (`followUpContextStatements`) and bound as JSON (?4: `shop\ntopic` keys, ?5: [id, name]).
 */
export interface FollowUpContext {
  subscribed: string[];
  taskNames: [string, string][];
}

const SUBSCRIBED_SQL = (shop: string, topic: string) =>
  `EXISTS (SELECT 1 FROM task_subscriptions ts JOIN tasks t ON t.id = ts.task_id AND t.enabled = 1
           WHERE ts.shop_id = ${shop} AND ts.topic = ${topic})`;
const SUBSCRIBED_JSON = (shop: string, topic: string) =>
  `EXISTS (SELECT 1 FROM json_each(?4) WHERE value = ${shop} || char(10) || ${topic})`;
const TASK_NAME_SQL = `(SELECT name FROM tasks WHERE id = r.task_id)`;
const TASK_NAME_JSON = `(SELECT n.value ->> '$[1]' FROM json_each(?5) n WHERE n.value ->> '$[0]' = r.task_id)`;

/** The primary's statements whose results `followUpContextOf` reads, for the given shops. */
export function followUpContextStatements(primary: D1Database, shopIds: readonly string[]): D1PreparedStatement[] {
  const shops = JSON.stringify([...new Set(shopIds)]);
  return [
    primary
      .prepare(
        `SELECT DISTINCT ts.shop_id, ts.topic FROM task_subscriptions ts JOIN tasks t ON t.id = ts.task_id AND t.enabled = 1
         WHERE ts.shop_id IN (SELECT value FROM json_each(?1)) AND ts.topic IN (SELECT value FROM json_each(?2))`,
      )
      .bind(shops, JSON.stringify(FOLLOW_UP_TOPICS)),
    primary.prepare(`SELECT id, name FROM tasks WHERE shop_id IN (SELECT value FROM json_each(?1))`).bind(shops),
  ];
}

export function followUpContextOf([subscribed, names]: D1Result<unknown>[]): FollowUpContext {
  return {
    subscribed: (subscribed!.results as { shop_id: string; topic: string }[]).map((r) => `${r.shop_id}\n${r.topic}`),
    taskNames: (names!.results as { id: string; name: string }[]).map((r) => [r.id, r.name]),
  };
}

/** A statement's binds for the context: none on shard 0, the JSON on another shard. */
const contextBinds = (context: FollowUpContext | null): string[] =>
  context === null ? [] : [JSON.stringify(context.subscribed), JSON.stringify(context.taskNames)];

/**
 * A stored JSON column as a value of the event's data, or `{"omitted_chars": n}` when longer than
 * FOLLOW_UP_MAX_VALUE_CHARS, so an event stays far below a D1 row's size whatever the action held.
 * (The subscription check comes first in each WHERE, so nothing is built for a shop that does not listen.)
 */
const bounded = (column: string) =>
  `CASE WHEN length(${column}) > ${FOLLOW_UP_MAX_VALUE_CHARS} THEN json_object('omitted_chars', length(${column}))
        ELSE json(${column}) END`;

const runFields = (taskName: string) => `'task_run_id', r.id, 'task_id', r.task_id,
  'task_name', ${taskName}, 'event_id', r.event_id, 'event_topic', e.topic`;

/**
 * Follow-ups of action runs that reached a final status and of task runs that failed, in the
 * transaction that wrote those statuses (ids of anything else are ignored). RETURNING the new ids.
 */
export function runFollowUpsStatement(
  db: D1Database,
  context: FollowUpContext | null,
  actionRunIds: readonly string[],
  failedTaskRunIds: readonly string[],
  now: string,
): D1PreparedStatement {
  const SUBSCRIBED = context === null ? SUBSCRIBED_SQL : SUBSCRIBED_JSON;
  const RUN_FIELDS = runFields(context === null ? TASK_NAME_SQL : TASK_NAME_JSON);
  return db
    .prepare(
      `INSERT INTO events (id, shop_id, topic, data, source, webhook_id, webhook_request_id, parent_id,
                           created_at, status, received_at)
       SELECT ${SQL_UUID}, x.shop_id, x.topic, x.data, 'task', NULL, NULL, x.event_id, ?3, 'pending', NULL
       FROM (
         SELECT r.shop_id, r.event_id, k.topic,
                json_object('action', json_object('id', a.id, 'type', a.type, 'options', ${bounded('a.options')},
                              'meta', json(a.meta), 'status', a.status, 'attempts', a.attempts,
                              'result', ${bounded('a.result')}, 'error', a.error, 'started_at', a.started_at,
                              'finished_at', a.finished_at), ${RUN_FIELDS}) AS data
         FROM action_runs a
         JOIN task_runs r ON r.id = a.task_run_id
         LEFT JOIN events e ON e.id = r.event_id
         JOIN (SELECT '${ACTIONS_PERFORM_TOPIC}' AS topic UNION ALL SELECT '${ACTION_ERROR_TOPIC}') k
           ON k.topic = '${ACTIONS_PERFORM_TOPIC}' OR a.status = 'failed'
         WHERE a.id IN (SELECT value FROM json_each(?1)) AND a.status IN ('succeeded', 'failed')
           AND NOT coalesce(${FOLLOW_UP_EVENT}, 0) AND ${SUBSCRIBED('r.shop_id', 'k.topic')}
         UNION ALL
         SELECT r.shop_id, r.event_id, '${TASK_ERROR_TOPIC}',
                json_object('task_run', json_object('id', r.id, 'status', r.status, 'error', r.error,
                              'errors', json(r.errors), 'logs', json(r.logs), 'attempts', r.attempts,
                              'run_at', r.run_at, 'started_at', r.started_at, 'finished_at', r.finished_at),
                            ${RUN_FIELDS})
         FROM task_runs r
         LEFT JOIN events e ON e.id = r.event_id
         WHERE r.id IN (SELECT value FROM json_each(?2)) AND r.status = 'failed'
           AND NOT coalesce(${FOLLOW_UP_EVENT}, 0) AND ${SUBSCRIBED('r.shop_id', `'${TASK_ERROR_TOPIC}'`)}
       ) x
       RETURNING id, shop_id`,
    )
    .bind(JSON.stringify(actionRunIds), JSON.stringify(failedTaskRunIds), now, ...contextBinds(context));
}

/**
 * The `edgehook/errors/event` event of an event the dead-letter consumer marked dead, under an id
 * derived from it (`id`), so recording it twice keeps one. RETURNING the id when inserted.
 */
export function deadEventFollowUpStatement(
  db: D1Database,
  context: FollowUpContext | null,
  id: string,
  eventId: string,
  now: string,
): D1PreparedStatement {
  const SUBSCRIBED = context === null ? SUBSCRIBED_SQL : SUBSCRIBED_JSON;
  return db
    .prepare(
      `INSERT INTO events (id, shop_id, topic, data, source, webhook_id, webhook_request_id, parent_id,
                           created_at, status, received_at)
       SELECT ?1, e.shop_id, '${EVENT_ERROR_TOPIC}',
              json_object('event', json_object('id', e.id, 'topic', e.topic, 'source', e.source,
                            'status', e.status, 'error', e.error, 'created_at', e.created_at,
                            'webhook_id', e.webhook_id, 'webhook_request_id', e.webhook_request_id),
                          'event_id', e.id, 'event_topic', e.topic),
              'task', NULL, NULL, NULL, ?3, 'pending', NULL
       FROM events e
       WHERE e.id = ?2 AND e.status = 'dead' AND NOT ${FOLLOW_UP_EVENT}
         AND ${SUBSCRIBED('e.shop_id', `'${EVENT_ERROR_TOPIC}'`)}
       ON CONFLICT (id) DO NOTHING
       RETURNING id, shop_id`,
    )
    .bind(id, eventId, now, ...contextBinds(context).slice(0, 1));
}

/** The ids a follow-up statement inserted. */
export const followUpIdsOf = (result: D1Result<unknown> | undefined): { id: string; shopId: string }[] =>
  ((result?.results ?? []) as { id: string; shop_id: string }[]).map((r) => ({ id: r.id, shopId: r.shop_id }));
