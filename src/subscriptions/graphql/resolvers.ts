import { GraphQLError, type FieldNode } from 'graphql';
import type { AppRecord } from '../../admin/store';
import { MAX_WEBHOOK_LIST_LIMIT } from '../../env';
import { AppError } from '../../http/errors';
import { addressProblem, type AddressRules } from '../address';
import { BLANK, INVALID, TAKEN, validateWebhookWrite } from '../resource';
import {
  countSubscriptions,
  findActiveSubscription,
  insertSubscription,
  isTaken,
  markSubscriptionDeleted,
  updateSubscription,
  type SubscriptionFormat,
  type SubscriptionRecord,
} from '../store';
import { listConnectionRows, type ConnectionSortKey, type SortPosition } from './store';

/**
 * The logic behind the GraphQL fields (schema.ts wires them): ids, cursors, the connection, and the
 * three mutations over the same store and validation as the REST resource, with Shopify's GraphQL
 * wording for user errors. No Request/Response here.
 */

export interface GraphqlContext {
  db: D1Database;
  app: AppRecord;
  /** The shop's address rules, read once when a mutation first needs them. */
  addressRules: () => Promise<AddressRules>;
  /** Enum name → topic, for this request's `WebhookSubscriptionTopic`. */
  topics: ReadonlyMap<string, string>;
  /** Nodes each connection field returned, for the actual query cost. */
  returned: Map<FieldNode, number>;
  now: () => string;
}

export interface UserError {
  field: string[] | null;
  message: string;
}

// ── Global ids ───────────────────────────────────────────────────────────────────────────────
const GID_PATTERN = /^gid:\/\/shopify\/([A-Za-z]+)\/([^/?#\s]+)$/;
const SUBSCRIPTION_TYPE = 'WebhookSubscription';

export const subscriptionGid = (id: number): string => `gid://shopify/${SUBSCRIPTION_TYPE}/${id}`;

/** Shopify's top-level error for an ID argument that is no global id. */
const invalidGlobalId = (text: string) =>
  new GraphQLError(`Invalid global id '${text}'`, {
    extensions: { code: 'argumentLiteralsIncompatible', typeName: 'CoercionError' },
  });

/** The subscription id a global id names; null when it names something else (reads as absent). */
export function parseSubscriptionGid(text: string): number | null {
  const match = GID_PATTERN.exec(text.trim());
  if (!match) throw invalidGlobalId(text);
  if (match[1] !== SUBSCRIPTION_TYPE || !/^[1-9]\d{0,15}$/.test(match[2]!)) return null;
  const id = Number(match[2]);
  return Number.isSafeInteger(id) ? id : null;
}

// ── Reads ────────────────────────────────────────────────────────────────────────────────────
export async function findSubscription(ctx: GraphqlContext, gid: string): Promise<SubscriptionRecord | null> {
  const id = parseSubscriptionGid(gid);
  return id === null ? null : findActiveSubscription(ctx.db, ctx.app.id, id);
}

/** Shopify's default for `webhookSubscriptionsCount(limit:)`. */
export const DEFAULT_COUNT_LIMIT = 10_000;

export async function countForApp(
  ctx: GraphqlContext,
  limit: number | null,
): Promise<{ count: number; precision: 'EXACT' | 'AT_LEAST' }> {
  const count = await countSubscriptions(ctx.db, ctx.app.id, {});
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
}

export interface Connection {
  edges: { cursor: string; node: SubscriptionRecord }[];
  nodes: SubscriptionRecord[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_REQUEST' } });

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

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
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value !== null && (value < 0 || value > MAX_WEBHOOK_LIST_LIMIT)) {
      throw badRequest(`${name} must be between 0 and ${MAX_WEBHOOK_LIST_LIMIT}`);
    }
  }
  const uri = args.uri ?? args.callbackUrl ?? null;
  const format: SubscriptionFormat | null = args.format ? (args.format === 'XML' ? 'xml' : 'json') : null;
  const topics = (args.topics ?? []).map((name) => ctx.topics.get(name) ?? name);
  const after = args.after ? decodeCursor(args.after) : null;
  const before = args.before ? decodeCursor(args.before) : null;
  const sortKey = args.sortKey ?? 'CREATED_AT';
  const reverse = args.reverse ?? false;
  const forwards = first !== null;
  const size = (forwards ? first : last) ?? 0;

  // Backwards pages walk the opposite order from `before`, then turn the rows around.
  const rows = await listConnectionRows(ctx.db, ctx.app.id, {
    filter: { topics, address: uri, format },
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

// ── Mutations ────────────────────────────────────────────────────────────────────────────────
export interface SubscriptionInput {
  uri?: string | null;
  callbackUrl?: string | null;
  format?: 'JSON' | 'XML' | null;
  includeFields?: string[] | null;
  metafieldNamespaces?: string[] | null;
  filter?: string | null;
}

export interface SubscriptionPayload {
  webhookSubscription: SubscriptionRecord | null;
  userErrors: UserError[];
}

const ADDRESS_FIELD = ['webhookSubscription', 'callbackUrl'];
const NOT_FOUND: UserError = { field: ['id'], message: 'Webhook subscription does not exist' };
const ADDRESS_MESSAGES: Record<string, string> = {
  [BLANK]: "Address can't be blank",
  [INVALID]: 'Address is invalid',
  [TAKEN]: 'Address for this topic has already been taken',
};
/** REST property → GraphQL input path and the attribute name Shopify's messages start with. */
const INPUT_FIELDS: Record<string, { path: string[]; label: string }> = {
  fields: { path: ['webhookSubscription', 'includeFields'], label: 'Include fields' },
  metafield_namespaces: { path: ['webhookSubscription', 'metafieldNamespaces'], label: 'Metafield namespaces' },
  format: { path: ['webhookSubscription', 'format'], label: 'Format' },
  topic: { path: ['topic'], label: 'Topic' },
};

/** The REST body the shared validation reads, from the GraphQL input (only the keys given). */
function restInput(input: SubscriptionInput, topic: string | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (topic !== null) body['topic'] = topic;
  const address = input.uri ?? input.callbackUrl;
  if (address !== undefined) body['address'] = address;
  if (input.format) body['format'] = input.format.toLowerCase();
  if (input.includeFields !== undefined) body['fields'] = input.includeFields;
  if (input.metafieldNamespaces !== undefined) body['metafield_namespaces'] = input.metafieldNamespaces;
  return body;
}

/** An address refused for its scheme gets Shopify's protocol message; others "is invalid". */
function addressMessage(message: string, address: unknown, rules: AddressRules): string {
  if (message === INVALID && typeof address === 'string' && addressProblem(address, rules) === 'not https') {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(address.trim())?.[1]?.toLowerCase();
    if (scheme) return `Address protocol ${scheme}:// is not supported`;
  }
  return ADDRESS_MESSAGES[message] ?? `Address ${message}`;
}

/** The REST 422's `{property: [messages]}` as GraphQL user errors. */
function userErrorsOf(fields: Record<string, string[]>, body: Record<string, unknown>, rules: AddressRules): UserError[] {
  return Object.entries(fields).flatMap(([property, messages]) =>
    messages.map((message) =>
      property === 'address'
        ? { field: ADDRESS_FIELD, message: addressMessage(message, body['address'], rules) }
        : {
            field: INPUT_FIELDS[property]?.path ?? ['webhookSubscription', property],
            message: `${INPUT_FIELDS[property]?.label ?? property} ${message}`,
          },
    ),
  );
}

/** Runs the shared validation; a 422 becomes user errors, anything else propagates. */
async function validated(
  ctx: GraphqlContext,
  input: SubscriptionInput,
  topic: string | null,
  current: SubscriptionRecord | null,
): Promise<{ write: Awaited<ReturnType<typeof validateWebhookWrite>> } | { userErrors: UserError[] }> {
  const body = restInput(input, topic);
  const rules = await ctx.addressRules();
  const problems: UserError[] = [];
  if (typeof input.filter === 'string' && input.filter.trim() !== '') {
    problems.push({ field: ['webhookSubscription', 'filter'], message: 'Filter is not supported by this server' });
  }
  try {
    const write = await validateWebhookWrite(body, current, rules, (t, a) =>
      isTaken(ctx.db, ctx.app.id, t, a, current?.id ?? null),
    );
    return problems.length > 0 ? { userErrors: problems } : { write };
  } catch (err) {
    const fields = restValidationFields(err);
    if (fields === null) throw err;
    return { userErrors: [...userErrorsOf(fields, body, rules), ...problems] };
  }
}

function restValidationFields(err: unknown): Record<string, string[]> | null {
  if (!(err instanceof AppError) || err.status !== 422) return null;
  const body = err.options.body as { errors?: Record<string, string[]> } | undefined;
  return body?.errors ?? null;
}

/** `webhookSubscriptionCreate(topic:, webhookSubscription:)`. */
export async function createSubscription(
  ctx: GraphqlContext,
  topicName: string,
  input: SubscriptionInput,
): Promise<SubscriptionPayload> {
  const topic = ctx.topics.get(topicName) ?? topicName;
  const result = await validated(ctx, input, topic, null);
  if ('userErrors' in result) return { webhookSubscription: null, userErrors: result.userErrors };
  const created = await insertSubscription(ctx.db, { shopId: ctx.app.shopId, appId: ctx.app.id }, result.write, ctx.now());
  if (created === null) {
    return { webhookSubscription: null, userErrors: [{ field: ADDRESS_FIELD, message: ADDRESS_MESSAGES[TAKEN]! }] };
  }
  return { webhookSubscription: created, userErrors: [] };
}

/** `webhookSubscriptionUpdate(id:, webhookSubscription:)`: only the input fields given change. */
export async function updateSubscriptionByGid(
  ctx: GraphqlContext,
  gid: string,
  input: SubscriptionInput,
): Promise<SubscriptionPayload> {
  const current = await findSubscription(ctx, gid);
  if (current === null) return { webhookSubscription: null, userErrors: [NOT_FOUND] };
  const result = await validated(ctx, input, null, current);
  if ('userErrors' in result) return { webhookSubscription: null, userErrors: result.userErrors };
  const updated = await updateSubscription(ctx.db, ctx.app.id, current.id, result.write, ctx.now());
  if (updated === 'taken') {
    return { webhookSubscription: null, userErrors: [{ field: ADDRESS_FIELD, message: ADDRESS_MESSAGES[TAKEN]! }] };
  }
  if (updated === null) return { webhookSubscription: null, userErrors: [NOT_FOUND] };
  return { webhookSubscription: updated, userErrors: [] };
}

/** `webhookSubscriptionDelete(id:)`. */
export async function deleteSubscriptionByGid(
  ctx: GraphqlContext,
  gid: string,
): Promise<{ deletedWebhookSubscriptionId: string | null; userErrors: UserError[] }> {
  const id = parseSubscriptionGid(gid);
  const deleted = id !== null && (await markSubscriptionDeleted(ctx.db, ctx.app.id, id, ctx.now()));
  if (!deleted) return { deletedWebhookSubscriptionId: null, userErrors: [NOT_FOUND] };
  return { deletedWebhookSubscriptionId: subscriptionGid(id), userErrors: [] };
}
