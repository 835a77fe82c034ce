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

const SUBSCRIBED = (shop: string, topic: string) =>
  `EXISTS (SELECT 1 FROM task_subscriptions ts JOIN tasks t ON t.id = ts.task_id AND t.enabled = 1
           WHERE ts.shop_id = ${shop} AND ts.topic = ${topic})`;

/**
 * A stored JSON column as a value of the event's data, or `{"omitted_chars": n}` when longer than
 * FOLLOW_UP_MAX_VALUE_CHARS, so an event stays far below a D1 row's size whatever the action held.
 * (The subscription check comes first in each WHERE, so nothing is built for a shop that does not listen.)
 */
const bounded = (column: string) =>
  `CASE WHEN length(${column}) > ${FOLLOW_UP_MAX_VALUE_CHARS} THEN json_object('omitted_chars', length(${column}))
        ELSE json(${column}) END`;

const RUN_FIELDS = `'task_run_id', r.id, 'task_id', r.task_id,
  'task_name', (SELECT name FROM tasks WHERE id = r.task_id), 'event_id', r.event_id, 'event_topic', e.topic`;

/**
 * Follow-ups of action runs that reached a final status and of task runs that failed, in the
 * transaction that wrote those statuses (ids of anything else are ignored). RETURNING the new ids.
 */
export function runFollowUpsStatement(
  db: D1Database,
  actionRunIds: readonly string[],
  failedTaskRunIds: readonly string[],
  now: string,
): D1PreparedStatement {
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
       RETURNING id`,
    )
    .bind(JSON.stringify(actionRunIds), JSON.stringify(failedTaskRunIds), now);
}

/**
 * The `edgehook/errors/event` event of an event the dead-letter consumer marked dead, under an id
 * derived from it (`id`), so recording it twice keeps one. RETURNING the id when inserted.
 */
export function deadEventFollowUpStatement(
  db: D1Database,
  id: string,
  eventId: string,
  now: string,
): D1PreparedStatement {
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
       RETURNING id`,
    )
    .bind(id, eventId, now);
}

/** The ids a follow-up statement inserted. */
export const followUpIdsOf = (result: D1Result<unknown> | undefined): string[] =>
  ((result?.results ?? []) as { id: string }[]).map((r) => r.id);
