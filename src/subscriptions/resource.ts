import { shopifyError } from '../http/shopify-errors';
import {
  DEFAULT_WEBHOOK_LIST_LIMIT,
  MAX_WEBHOOK_ADDRESS_CHARS,
  MAX_WEBHOOK_LIST_ENTRIES,
  MAX_WEBHOOK_LIST_LIMIT,
} from '../env';
import { decodeUtf8 } from '../encoding';
import { addressProblem, type AddressRules } from '../http/outbound-address';
import { parseSearch, SearchSyntaxError } from './search/parse';
import type { SubscriptionFilter, SubscriptionFormat, SubscriptionRecord, SubscriptionWrite } from './store';
import { invalidTopicMessage, isAllowedTopic } from './topics';

/**
 * The Shopify-compatible `Webhook` resource without HTTP: Shopify's error bodies, validation of a
 * `{"webhook": {…}}` body, the object as Shopify serializes it, and the list's query parameters and
 * `page_info` cursors (docs/contracts.md, "The Webhook resource").
 */

// ── Errors in Shopify's shape ────────────────────────────────────────────────────────────────
export const shopifyNotFound = () => shopifyError(404, 'Not Found', 'not_found');

export const shopifyUnauthorized = () =>
  shopifyError(401, '[API] Invalid API key or access token (unrecognized login or wrong password)', 'unauthorized');

export const missingWebhookRoot = () =>
  shopifyError(400, { webhook: 'Required parameter missing or invalid' }, 'bad_request');

export const shopifyValidationFailed = (fields: Record<string, string[]>) =>
  shopifyError(422, fields, 'validation_failed');

// ── Messages (Shopify's wording) ─────────────────────────────────────────────────────────────
export const BLANK = "can't be blank";
export const INVALID = 'is invalid';
export const TAKEN = 'for this topic has already been taken';
export const NOT_IN_LIST = 'is not included in the list';
export const ID_MISMATCH = 'does not match the id in the path';
export const NAME_TAKEN = 'has already been taken';

/** Longest subscription `name`, in characters (Shopify's limit). */
export const MAX_SUBSCRIPTION_NAME_CHARS = 50;
const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;

// ── Serialization ────────────────────────────────────────────────────────────────────────────
/** Stored `2026-11-22T10:15:00.000Z` → Shopify's `2026-11-22T10:15:00-00:00`. */
export const shopifyTime = (stored: string): string => new Date(stored).toISOString().slice(0, 19) + '-00:00';

export const WEBHOOK_PROPERTIES = [
  'id',
  'address',
  'topic',
  'created_at',
  'updated_at',
  'format',
  'fields',
  'metafield_namespaces',
  'api_version',
  'private_metafield_namespaces',
  'metafield_identifiers',
] as const;
type WebhookProperty = (typeof WEBHOOK_PROPERTIES)[number];

export function serializeWebhook(
  sub: SubscriptionRecord,
  apiVersion: string,
  only: readonly WebhookProperty[] | null = null,
): Record<string, unknown> {
  const full: Record<WebhookProperty, unknown> = {
    id: sub.id,
    address: sub.address,
    topic: sub.topic,
    created_at: shopifyTime(sub.createdAt),
    updated_at: shopifyTime(sub.updatedAt),
    format: sub.format,
    fields: sub.fields,
    metafield_namespaces: sub.metafieldNamespaces,
    api_version: apiVersion,
    private_metafield_namespaces: sub.privateMetafieldNamespaces,
    metafield_identifiers: sub.metafieldIdentifiers,
  };
  if (only !== null) return Object.fromEntries(only.map((p) => [p, full[p]]));
  // edgehook's filters (issue 24) show only on subscriptions that have one, so the object is
  // Shopify's exactly otherwise.
  if (sub.filter === null) return full;
  return { ...full, filter: sub.filter, filtered_delivery_count: sub.filteredCount };
}

/**
 * `fields=a,b`: the known properties named, in the object's order; unknown names are ignored.
 * Null (the whole object) when the parameter is absent or names no known property.
 */
export function parseFieldsParam(text: string | null): WebhookProperty[] | null {
  if (text === null) return null;
  const named = new Set(text.split(',').map((s) => s.trim()));
  const picked = WEBHOOK_PROPERTIES.filter((p) => named.has(p));
  return picked.length > 0 ? picked : null;
}

// ── Validation of create and update bodies ───────────────────────────────────────────────────
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The `webhook` object of a parsed body; anything else is Shopify's 400. */
export function webhookRoot(body: unknown): Record<string, unknown> {
  if (!isRecord(body) || !isRecord(body['webhook'])) throw missingWebhookRoot();
  return body['webhook'];
}

const isBlank = (x: unknown) => x === undefined || x === null || (typeof x === 'string' && x.trim() === '');

function stringList(value: unknown): string[] | null {
  if (value === null) return [];
  if (!Array.isArray(value) || value.length > MAX_WEBHOOK_LIST_ENTRIES) return null;
  if (!value.every((x): x is string => typeof x === 'string' && x.trim() !== '')) return null;
  return value.map((x) => x.trim());
}

/**
 * Validates a create (`current` null) or update body against the rules and returns what to store.
 * Every problem found is reported together in one 422; `taken` is asked only when topic and
 * address are otherwise valid.
 */
export async function validateWebhookWrite(
  input: Record<string, unknown>,
  current: SubscriptionRecord | null,
  rules: AddressRules,
  taken: (topic: string, address: string) => Promise<boolean>,
  pathId: number | null = null,
  nameTaken: (name: string) => Promise<boolean> = async () => false,
): Promise<SubscriptionWrite> {
  const errors: Record<string, string[]> = {};
  const fail = (field: string, message: string) => (errors[field] ??= []).push(message);
  const present = (key: string) => current === null || key in input;

  if (pathId !== null && 'id' in input && input['id'] !== null && String(input['id']) !== String(pathId)) {
    fail('id', ID_MISMATCH);
  }

  let topic = current?.topic ?? '';
  if (present('topic')) {
    const value = input['topic'];
    if (isBlank(value)) fail('topic', BLANK);
    else if (typeof value !== 'string' || !isAllowedTopic(value.trim()))
      fail('topic', invalidTopicMessage(textOf(value)));
    else topic = value.trim();
  }

  let address = current?.address ?? '';
  if (present('address')) {
    const value = input['address'];
    if (isBlank(value)) fail('address', BLANK);
    else if (
      typeof value !== 'string' ||
      value.length > MAX_WEBHOOK_ADDRESS_CHARS ||
      addressProblem(value, rules) !== null
    ) {
      fail('address', INVALID);
    } else address = value.trim();
  }

  let format: SubscriptionFormat = current?.format ?? 'json';
  if ('format' in input && input['format'] !== null && input['format'] !== undefined) {
    const value = input['format'];
    if (value === 'json' || value === 'xml') format = value;
    else fail('format', NOT_IN_LIST);
  }

  let fields = current?.fields ?? [];
  if ('fields' in input) {
    const list = stringList(input['fields']);
    if (list === null) fail('fields', INVALID);
    else fields = list;
  }

  let metafieldNamespaces = current?.metafieldNamespaces ?? [];
  if ('metafield_namespaces' in input) {
    const list = stringList(input['metafield_namespaces']);
    if (list === null) fail('metafield_namespaces', INVALID);
    else metafieldNamespaces = list;
  }

  const name = nameOf(input, current, fail);
  const filter = filterOf(input, current, fail);

  if (!errors['topic'] && !errors['address'] && (await taken(topic, address))) fail('address', TAKEN);
  if (!errors['name'] && name !== null && name !== current?.name && (await nameTaken(name))) fail('name', NAME_TAKEN);
  if (Object.keys(errors).length > 0) throw shopifyValidationFailed(errors);
  return { address, topic, format, fields, metafieldNamespaces, name, filter };
}

type Fail = (field: string, message: string) => void;

/** `name`: absent keeps the current one; null or blank clears it; otherwise 1–50 of [A-Za-z0-9_-]. */
function nameOf(input: Record<string, unknown>, current: SubscriptionRecord | null, fail: Fail): string | null {
  if (!('name' in input)) return current?.name ?? null;
  const value = input['name'];
  if (isBlank(value)) return null;
  if (typeof value !== 'string') {
    fail('name', INVALID);
  } else if (value.length > MAX_SUBSCRIPTION_NAME_CHARS) {
    fail('name', `is too long (maximum is ${MAX_SUBSCRIPTION_NAME_CHARS} characters)`);
  } else if (!NAME_PATTERN.test(value)) {
    fail('name', 'can only contain letters, numbers, underscores and hyphens');
  } else {
    return value;
  }
  return null;
}

/**
 * `filter`: absent keeps the current one; null or blank clears it; otherwise it must parse as search
 * syntax (search/parse.ts), and is stored as written.
 */
function filterOf(input: Record<string, unknown>, current: SubscriptionRecord | null, fail: Fail): string | null {
  if (!('filter' in input)) return current?.filter ?? null;
  const value = input['filter'];
  if (isBlank(value)) return null;
  if (typeof value !== 'string') {
    fail('filter', INVALID);
    return null;
  }
  try {
    parseSearch(value);
    return value;
  } catch (err) {
    if (!(err instanceof SearchSyntaxError)) throw err;
    fail('filter', `is invalid: ${err.message}`);
    return null;
  }
}

// ── List parameters and page_info ────────────────────────────────────────────────────────────
/** Parameters that may accompany `page_info` (Shopify's rule). */
const PAGE_INFO_COMPANIONS = new Set(['page_info', 'limit', 'fields']);

/** A list page position: opaque to clients (base64url JSON). */
interface PageInfo {
  filter: SubscriptionFilter;
  direction: 'next' | 'previous';
  /** next: ids above this; previous: ids below this. */
  anchor: number;
}

export interface ListRequest {
  filter: SubscriptionFilter;
  limit: number;
  fields: WebhookProperty[] | null;
  /** Null on the first page (no page_info). */
  page: PageInfo | null;
}

const base64url = (text: string) =>
  btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export const encodePageInfo = (page: PageInfo): string =>
  base64url(JSON.stringify({ f: page.filter, d: page.direction === 'next' ? 'n' : 'p', a: page.anchor }));

const FILTER_STRING_KEYS = [
  'address',
  'topic',
  'createdAtMin',
  'createdAtMax',
  'updatedAtMin',
  'updatedAtMax',
] as const;
const FILTER_ID_KEYS = ['afterId', 'beforeId'] as const;

function decodePageInfo(pageInfo: string): PageInfo | null {
  try {
    const bytes = Uint8Array.from(atob(pageInfo.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
    const text = decodeUtf8(bytes);
    if (text === null) return null;
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed) || !isRecord(parsed['f'])) return null;
    const { f, d, a } = parsed as { f: Record<string, unknown>; d: unknown; a: unknown };
    if ((d !== 'n' && d !== 'p') || !Number.isSafeInteger(a) || (a as number) < 0) return null;
    const filter: SubscriptionFilter = {};
    for (const [key, value] of Object.entries(f)) {
      if ((FILTER_STRING_KEYS as readonly string[]).includes(key) && typeof value === 'string') {
        filter[key as (typeof FILTER_STRING_KEYS)[number]] = value;
      } else if ((FILTER_ID_KEYS as readonly string[]).includes(key) && Number.isSafeInteger(value)) {
        filter[key as (typeof FILTER_ID_KEYS)[number]] = value as number;
      } else {
        return null;
      }
    }
    return { filter, direction: d === 'n' ? 'next' : 'previous', anchor: a as number };
  } catch {
    return null;
  }
}

/** ISO 8601 date-time (offset or Z; a bare date counts as midnight UTC) → stored format, or null. */
function parseIsoTime(text: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i.test(text.trim())) return null;
  const ms = Date.parse(text.trim());
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

export function parseLimit(text: string | null): number {
  if (text === null) return DEFAULT_WEBHOOK_LIST_LIMIT;
  const limit = /^\d{1,6}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!(limit >= 1 && limit <= MAX_WEBHOOK_LIST_LIMIT)) {
    throw shopifyError(400, { limit: `must be between 1 and ${MAX_WEBHOOK_LIST_LIMIT}` }, 'bad_request');
  }
  return limit;
}

/** `address` and `topic` (the count's filters, and the list's). */
export function parseAddressTopic(params: URLSearchParams): SubscriptionFilter {
  const filter: SubscriptionFilter = {};
  const address = params.get('address');
  const topic = params.get('topic');
  if (address !== null) filter.address = address.trim();
  if (topic !== null) filter.topic = topic.trim();
  return filter;
}

/** The list's query parameters; bad values → 400 `{"errors": {param: message}}`. */
export function parseListRequest(params: URLSearchParams): ListRequest {
  const limit = parseLimit(params.get('limit'));
  const fields = parseFieldsParam(params.get('fields'));
  const pageInfoText = params.get('page_info');
  if (pageInfoText !== null) {
    const extra = [...new Set(params.keys())].filter((k) => !PAGE_INFO_COMPANIONS.has(k));
    if (extra.length > 0) {
      throw shopifyError(
        400,
        { page_info: `cannot be combined with ${extra.join(', ')}; only limit and fields may accompany page_info` },
        'bad_request',
      );
    }
    const page = decodePageInfo(pageInfoText);
    if (page === null) throw shopifyError(400, { page_info: 'is invalid' }, 'bad_request');
    return { filter: page.filter, limit, fields, page };
  }

  const filter = parseAddressTopic(params);
  const errors: Record<string, string> = {};
  const times = [
    ['created_at_min', 'createdAtMin'],
    ['created_at_max', 'createdAtMax'],
    ['updated_at_min', 'updatedAtMin'],
    ['updated_at_max', 'updatedAtMax'],
  ] as const;
  for (const [param, key] of times) {
    const text = params.get(param);
    if (text === null) continue;
    const time = parseIsoTime(text);
    if (time === null) errors[param] = 'must be an ISO 8601 date and time';
    else filter[key] = time;
  }
  const sinceId = params.get('since_id');
  if (sinceId !== null) {
    // Ids reach 16 digits (below 2^53); any int64 is accepted, and one beyond every id clamps to
    // the largest safe integer, which no id exceeds.
    if (/^\d{1,19}$/.test(sinceId.trim())) filter.afterId = Math.min(Number(sinceId.trim()), Number.MAX_SAFE_INTEGER);
    else errors['since_id'] = 'must be a non-negative integer';
  }
  if (Object.keys(errors).length > 0) throw shopifyError(400, errors, 'bad_request');
  return { filter, limit, fields, page: null };
}

/** The filter of the query a page runs: the list's filters narrowed by the page position. */
export function pageFilter(request: ListRequest): SubscriptionFilter {
  const { filter, page } = request;
  if (page === null) return filter;
  if (page.direction === 'next') return { ...filter, afterId: Math.max(filter.afterId ?? 0, page.anchor) };
  return { ...filter, beforeId: Math.min(filter.beforeId ?? Number.MAX_SAFE_INTEGER, page.anchor) };
}

/**
 * From the rows fetched for a page (limit + 1 of them, in the direction of travel) to the page in id
 * order and the page_info of its neighbours (null where there is none).
 */
export function pageOfRows(
  request: ListRequest,
  fetched: SubscriptionRecord[],
): { items: SubscriptionRecord[]; next: string | null; previous: string | null } {
  const { limit, filter, page } = request;
  const more = fetched.length > limit;
  const slice = fetched.slice(0, limit);
  const backwards = page?.direction === 'previous';
  const items = backwards ? slice.reverse() : slice;
  if (items.length === 0) return { items, next: null, previous: null };
  const first = items[0]!.id;
  const last = items[items.length - 1]!.id;
  const hasNext = backwards ? true : more;
  const hasPrevious = backwards ? more : page !== null;
  return {
    items,
    next: hasNext ? encodePageInfo({ filter, direction: 'next', anchor: last }) : null,
    previous: hasPrevious ? encodePageInfo({ filter, direction: 'previous', anchor: first }) : null,
  };
}

/** A value from a JSON body as text for a message: as `String` shows it, or as JSON when an object's own `toString` is not callable. */
function textOf(value: unknown): string {
  try {
    return String(value);
  } catch {
    return JSON.stringify(value);
  }
}
