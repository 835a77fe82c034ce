import {
  COLUMNS,
  toSubscription,
  type SubscriptionFormat,
  type SubscriptionRecord,
  type SubscriptionRow,
} from '../store';

/**
 * The SQL the GraphQL surface needs beyond the REST resource's (subscriptions/store.ts): the
 * `webhookSubscriptions` connection (a topic list, keyset pages in either sort order) and the
 * `user/…` topics an app subscribes to. Same rows, same `status = 'active'` literal, so the partial
 * indexes of migrations/0005 serve these too: (app_id, id), (app_id, created_at, id), and
 * (app_id, topic, id) for a topic filter.
 */

export type ConnectionSortKey = 'ID' | 'CREATED_AT';

/** A position in the connection's sort order. */
export interface SortPosition {
  id: number;
  createdAt: string;
}

/** Columns the `query:` argument reaches. */
export type QueryColumn = 'topic' | 'address' | 'format' | 'created_at' | 'updated_at' | 'id' | 'name';

/** A parsed `query:` (graphql/query.ts), written as SQL here with bound values. */
export type QueryCondition =
  | { kind: 'and' | 'or'; items: QueryCondition[] }
  | { kind: 'not'; item: QueryCondition }
  | { kind: 'exists'; column: QueryColumn }
  | { kind: 'prefix'; column: QueryColumn; value: string }
  | { kind: 'compare'; column: QueryColumn; op: 'eq' | 'gt' | 'gte' | 'lt' | 'lte'; value: string | number };

export interface ConnectionFilter {
  /** Any of these topics (empty: no topic filter). */
  topics: string[];
  address: string | null;
  format: SubscriptionFormat | null;
  /** The `query:` argument, if any. */
  query?: QueryCondition | null;
}

const OPERATORS = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
/** Sorts after every string that starts with a given prefix (the highest code point). */
const AFTER_PREFIX = '\u{10FFFF}';

/** SQL for a condition; `name` may be NULL, so every test on it is written to be true or false. */
function conditionSql(c: QueryCondition, bind: (value: unknown) => string): string {
  switch (c.kind) {
    case 'and':
    case 'or':
      return `(${c.items.map((item) => conditionSql(item, bind)).join(c.kind === 'and' ? ' AND ' : ' OR ')})`;
    case 'not':
      return `NOT ${conditionSql(c.item, bind)}`;
    case 'exists':
      return `(${c.column} IS NOT NULL)`;
    case 'prefix':
      // A range, so the (app_id, address, id) index can serve a uri prefix.
      return `(${c.column} IS NOT NULL AND ${c.column} >= ${bind(c.value)} AND ${c.column} < ${bind(c.value + AFTER_PREFIX)})`;
    case 'compare':
      return `(${c.column} IS NOT NULL AND ${c.column} ${OPERATORS[c.op]} ${bind(c.value)})`;
  }
}

/** The WHERE terms of the app's active rows with these filters (no positions). */
function filterTerms(q: ConnectionFilter, bind: (value: unknown) => string): string[] {
  const terms = ['app_id = ?1', "status = 'active'"];
  // One bound JSON array however many topics are asked for (D1 binds at most 100 values).
  if (q.topics.length > 0) terms.push(`topic IN (SELECT value FROM json_each(${bind(JSON.stringify(q.topics))}))`);
  if (q.address !== null) terms.push(`address = ${bind(q.address)}`);
  if (q.format !== null) terms.push(`format = ${bind(q.format)}`);
  if (q.query) terms.push(conditionSql(q.query, bind));
  return terms;
}

/** The count of the app's active subscriptions with these filters; exported for the index test. */
export function connectionCountQuery(appId: string, filter: ConnectionFilter): { sql: string; binds: unknown[] } {
  const binds: unknown[] = [appId];
  const bind = (value: unknown) => {
    binds.push(value);
    return `?${binds.length}`;
  };
  return { sql: `SELECT COUNT(*) AS n FROM subscriptions WHERE ${filterTerms(filter, bind).join(' AND ')}`, binds };
}

export async function countConnectionRows(db: D1Database, appId: string, filter: ConnectionFilter): Promise<number> {
  const { sql, binds } = connectionCountQuery(appId, filter);
  const row = await db
    .prepare(sql)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export interface ConnectionQuery {
  filter: ConnectionFilter;
  sortKey: ConnectionSortKey;
  /** Walk the sort order backwards (Shopify's `reverse`). */
  descending: boolean;
  /** Only rows past this position in the walking direction. */
  after: SortPosition | null;
  /** Only rows before this position in the walking direction. */
  before: SortPosition | null;
  take: number;
}

/** The connection's SQL; exported so the index test can EXPLAIN exactly what runs. */
export function connectionQuery(appId: string, q: ConnectionQuery): { sql: string; binds: unknown[] } {
  const binds: unknown[] = [appId];
  const bind = (value: unknown) => {
    binds.push(value);
    return `?${binds.length}`;
  };
  const terms = filterTerms(q.filter, bind);
  const byCreated = q.sortKey === 'CREATED_AT';
  const key = byCreated ? '(created_at, id)' : 'id';
  const position = (p: SortPosition) => (byCreated ? `(${bind(p.createdAt)}, ${bind(p.id)})` : bind(p.id));
  const forward = q.descending ? '<' : '>';
  const backward = q.descending ? '>' : '<';
  if (q.after !== null) terms.push(`${key} ${forward} ${position(q.after)}`);
  if (q.before !== null) terms.push(`${key} ${backward} ${position(q.before)}`);
  const direction = q.descending ? 'DESC' : 'ASC';
  const order = byCreated ? `created_at ${direction}, id ${direction}` : `id ${direction}`;
  return {
    sql: `SELECT ${COLUMNS} FROM subscriptions WHERE ${terms.join(' AND ')} ORDER BY ${order} LIMIT ${bind(q.take)}`,
    binds,
  };
}

/** At most `take` of the app's active subscriptions, in the walking order. */
export async function listConnectionRows(
  db: D1Database,
  appId: string,
  q: ConnectionQuery,
): Promise<SubscriptionRecord[]> {
  const { sql, binds } = connectionQuery(appId, q);
  const { results } = await db
    .prepare(sql)
    .bind(...binds)
    .all<SubscriptionRow>();
  return results.map(toSubscription);
}

/** `user/…` as a range ('0' follows '/'), so the (app_id, topic, id) index serves it. */
export const SUBSCRIBED_USER_TOPICS_SQL = `SELECT DISTINCT topic FROM subscriptions
  WHERE app_id = ?1 AND status = 'active' AND topic >= 'user/' AND topic < 'user0'`;

/** The distinct `user/…` topics among the app's active subscriptions. */
export async function listSubscribedUserTopics(db: D1Database, appId: string): Promise<string[]> {
  const { results } = await db.prepare(SUBSCRIBED_USER_TOPICS_SQL).bind(appId).all<{ topic: string }>();
  return results.map((r) => r.topic);
}
