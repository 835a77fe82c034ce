import { GraphQLError } from 'graphql';
import { MAX_WEBHOOK_LIST_LIMIT } from '../../env';
import { findActiveSubscription, type SubscriptionFormat, type SubscriptionRecord } from '../store';
import type { GraphqlContext } from './context';
import { parseSubscriptionGid } from './ids';
import { subscriptionQueryCondition } from './query';
import { countConnectionRows, listConnectionRows, type ConnectionSortKey, type SortPosition } from './store';

/**
 * The query roots: one subscription by global id, the `webhookSubscriptions` connection (cursors,
 * both directions, filters) and the count. No Request/Response here.
 */

export async function findSubscription(ctx: GraphqlContext, gid: string): Promise<SubscriptionRecord | null> {
  const id = parseSubscriptionGid(gid);
  return id === null ? null : findActiveSubscription(ctx.db, ctx.app.id, id);
}

/** Shopify's default for `webhookSubscriptionsCount(limit:)`. */
export const DEFAULT_COUNT_LIMIT = 10_000;

/** `webhookSubscriptionsCount(query:, limit:)`. */
export async function countForApp(
  ctx: GraphqlContext,
  limit: number | null,
  query: string | null = null,
): Promise<{ count: number; precision: 'EXACT' | 'AT_LEAST' }> {
  const count = await countConnectionRows(ctx.db, ctx.app.id, {
    topics: [],
    address: null,
    format: null,
    query: query === null ? null : subscriptionQueryCondition(query, ctx.topics),
  });
  if (limit !== null && count > limit) return { count: Math.max(limit, 0), precision: 'AT_LEAST' };
  return { count, precision: 'EXACT' };
}

export interface ConnectionArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
  reverse?: boolean | null;
  sortKey?: ConnectionSortKey | null;
  topics?: string[] | null;
  uri?: string | null;
  callbackUrl?: string | null;
  format?: 'JSON' | 'XML' | null;
  /** Search syntax over topic, uri, format, created_at, updated_at, id and name (query.ts). */
  query?: string | null;
}

export interface Connection {
  edges: { cursor: string; node: SubscriptionRecord }[];
  nodes: SubscriptionRecord[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } });

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

/** A cursor: the node's position in both sort orders, opaque to clients. */
export const encodeCursor = (sub: SubscriptionRecord): string =>
  base64url(JSON.stringify({ i: sub.id, c: sub.createdAt }));

function decodeCursor(cursor: string): SortPosition {
  try {
    const parsed: unknown = JSON.parse(atob(cursor.replace(/-/g, '+').replace(/_/g, '/')));
    if (typeof parsed === 'object' && parsed !== null) {
      const { i, c } = parsed as { i: unknown; c: unknown };
      if (Number.isSafeInteger(i) && (i as number) > 0 && typeof c === 'string' && !Number.isNaN(Date.parse(c))) {
        return { id: i as number, createdAt: c };
      }
    }
  } catch {
    // falls through to the error below
  }
  throw badRequest(`Invalid cursor for current pagination sort.`);
}

/** `webhookSubscriptions`: a page of the app's subscriptions, forwards (`first`) or backwards (`last`). */
export async function subscriptionConnection(ctx: GraphqlContext, args: ConnectionArgs): Promise<Connection> {
  const first = args.first ?? null;
  const last = args.last ?? null;
  if (first === null && last === null) throw badRequest('you must provide one of first or last');
  for (const [name, value] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (value !== null && (value < 0 || value > MAX_WEBHOOK_LIST_LIMIT)) {
      throw badRequest(`${name} must be between 0 and ${MAX_WEBHOOK_LIST_LIMIT}`);
    }
  }
  const uri = args.uri ?? args.callbackUrl ?? null;
  const format: SubscriptionFormat | null = args.format ? (args.format === 'XML' ? 'xml' : 'json') : null;
  const topics = (args.topics ?? []).map((name) => ctx.topics.get(name) ?? name);
  const query = args.query ? subscriptionQueryCondition(args.query, ctx.topics) : null;
  const after = args.after ? decodeCursor(args.after) : null;
  const before = args.before ? decodeCursor(args.before) : null;
  const sortKey = args.sortKey ?? 'CREATED_AT';
  const reverse = args.reverse ?? false;
  const forwards = first !== null;
  const size = (forwards ? first : last) ?? 0;

  // Backwards pages walk the opposite order from `before`, then turn the rows around.
  const rows = await listConnectionRows(ctx.db, ctx.app.id, {
    filter: { topics, address: uri, format, query },
    sortKey,
    descending: forwards ? reverse : !reverse,
    after: forwards ? after : before,
    before: forwards ? before : after,
    take: size + 1,
  });
  const more = rows.length > size;
  const page = rows.slice(0, size);
  if (!forwards) page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(node), node }));
  return {
    edges,
    nodes: page,
    pageInfo: {
      // The far side of a cursor is reported by the cursor's presence (the Relay spec allows it).
      hasNextPage: forwards ? more : before !== null,
      hasPreviousPage: forwards ? after !== null : more,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
