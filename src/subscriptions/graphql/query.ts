import { GraphQLError } from 'graphql';
import { parseSearch, SearchSyntaxError, type SearchNode } from '../search/parse';
import type { QueryCondition, QueryColumn } from './store';
import { parseSubscriptionGid } from './ids';

/**
 * The `query:` argument of `webhookSubscriptions` and `webhookSubscriptionsCount`: Shopify's search
 * syntax (search/parse.ts) over a subscription's own fields, turned into a typed condition the store
 * writes as SQL with bound parameters. No Request/Response here.
 */

/** Query field → column, with the comparisons each accepts. */
const FIELDS: Record<string, { column: QueryColumn; kind: 'text' | 'time' | 'id' | 'format' | 'topic' }> = {
  topic: { column: 'topic', kind: 'topic' },
  uri: { column: 'address', kind: 'text' },
  callback_url: { column: 'address', kind: 'text' },
  address: { column: 'address', kind: 'text' },
  format: { column: 'format', kind: 'format' },
  created_at: { column: 'created_at', kind: 'time' },
  updated_at: { column: 'updated_at', kind: 'time' },
  id: { column: 'id', kind: 'id' },
  name: { column: 'name', kind: 'text' },
};
const KNOWN = Object.keys(FIELDS).join(', ');

const invalid = (message: string) =>
  new GraphQLError(`Invalid query: ${message}`, { extensions: { code: 'BAD_REQUEST' } });

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const DAY_MS = 86_400_000;
/**
 * Most terms in a `query:`. Each becomes at most two bound values, and D1 binds at most 100 per
 * statement, which the app id, `topics`, `uri`, `format`, cursors and the page size share.
 */
export const MAX_QUERY_TERMS = 20;

const termCount = (node: SearchNode): number =>
  node.kind === 'term'
    ? 1
    : node.kind === 'not'
      ? termCount(node.item)
      : node.items.reduce((n, i) => n + termCount(i), 0);

/** Parses `query` into a condition; a malformed one is a BAD_REQUEST error naming the problem. */
export function subscriptionQueryCondition(text: string, topics: ReadonlyMap<string, string>): QueryCondition | null {
  if (text.trim() === '') return null;
  let tree: SearchNode;
  try {
    tree = parseSearch(text);
  } catch (err) {
    if (err instanceof SearchSyntaxError) throw invalid(err.message);
    throw err;
  }
  if (termCount(tree) > MAX_QUERY_TERMS) throw invalid(`more than ${MAX_QUERY_TERMS} terms`);
  return conditionOf(tree, topics);
}

function conditionOf(node: SearchNode, topics: ReadonlyMap<string, string>): QueryCondition {
  switch (node.kind) {
    case 'and':
    case 'or':
      return { kind: node.kind, items: node.items.map((item) => conditionOf(item, topics)) };
    case 'not':
      return { kind: 'not', item: conditionOf(node.item, topics) };
    case 'term':
      return termCondition(node, topics);
  }
}

function termCondition(node: SearchNode & { kind: 'term' }, topics: ReadonlyMap<string, string>): QueryCondition {
  const name = node.path.join('.');
  const field = FIELDS[name];
  if (field === undefined) throw invalid(`unknown field '${name}' (known: ${KNOWN})`);
  const { column } = field;
  if (node.op === 'exists') return { kind: 'exists', column };
  const ordered = node.op === 'gt' || node.op === 'gte' || node.op === 'lt' || node.op === 'lte';
  switch (field.kind) {
    case 'topic':
    case 'text': {
      if (ordered) throw invalid(`'${name}' takes a value or a prefix, not a comparison`);
      const value = field.kind === 'topic' ? (topics.get(node.value) ?? node.value) : node.value;
      return node.op === 'prefix' ? { kind: 'prefix', column, value } : { kind: 'compare', column, op: 'eq', value };
    }
    case 'format': {
      const value = node.value.toLowerCase();
      if (node.op !== 'eq' || (value !== 'json' && value !== 'xml')) throw invalid(`'format' is JSON or XML`);
      return { kind: 'compare', column, op: 'eq', value };
    }
    case 'id': {
      const id = /^\d{1,16}$/.test(node.value)
        ? Number(node.value)
        : node.value.startsWith('gid://')
          ? parseSubscriptionGid(node.value)
          : null;
      if (id === null || node.op === 'prefix') throw invalid(`'id' takes a number or a WebhookSubscription global id`);
      return { kind: 'compare', column, op: node.op, value: id };
    }
    case 'time':
      return timeCondition(name, column, node);
  }
}

/** A time compares as an instant; `created_at:2026-01-01` (a date alone) means that whole UTC day. */
function timeCondition(name: string, column: QueryColumn, node: SearchNode & { kind: 'term' }): QueryCondition {
  const text = node.value.trim();
  const ms = DATE_TIME.test(text) ? Date.parse(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text) : Number.NaN;
  if (Number.isNaN(ms) || node.op === 'prefix') throw invalid(`'${name}' takes an ISO 8601 date or date-time`);
  const at = (t: number) => new Date(t).toISOString();
  if (!DATE_ONLY.test(text)) return { kind: 'compare', column, op: node.op as 'eq', value: at(ms) };
  const dayAfter = at(ms + DAY_MS);
  switch (node.op) {
    case 'eq':
      return {
        kind: 'and',
        items: [
          { kind: 'compare', column, op: 'gte', value: at(ms) },
          { kind: 'compare', column, op: 'lt', value: dayAfter },
        ],
      };
    case 'gt':
      return { kind: 'compare', column, op: 'gte', value: dayAfter };
    case 'lte':
      return { kind: 'compare', column, op: 'lt', value: dayAfter };
    default:
      return { kind: 'compare', column, op: node.op as 'gte' | 'lt', value: at(ms) };
  }
}
