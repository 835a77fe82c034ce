import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { callWithEnv, createShopWithApp } from '../helpers';

// Issue 24, point 4: `webhookSubscriptions(query:)` and `webhookSubscriptionsCount(query:)` in
// Shopify's search syntax, with sortKey, reverse and the other filters, and pagination that stays
// correct with each (docs/api.md, "Subscription filters, names and list queries").

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field

let token: string;
let appId: string;

async function gql(query: string, variables?: Record<string, unknown>): Promise<Json> {
  const res = await callWithEnv(env, '/admin/api/2026-04/graphql.json', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  return res.json<Json>();
}

/** The subscriptions made below: [topic enum, uri, format, created_at, name]. */
const ROWS: [string, string, 'JSON' | 'XML', string, string | null][] = [
  // The first two were made in one order and dated in the other, so the sort keys disagree.
  ['ORDERS_CREATE', 'https://a.example.com/orders/1', 'JSON', '2026-01-02T00:00:00.000Z', 'first'],
  ['ORDERS_PAID', 'https://a.example.com/orders/2', 'XML', '2026-01-01T10:00:00.000Z', null],
  ['ORDERS_CREATE', 'https://b.example.com/x', 'XML', '2026-01-02T23:59:59.000Z', 'third'],
  ['PRODUCTS_UPDATE', 'https://a.example.com/products', 'JSON', '2026-01-03T00:00:00.000Z', null],
  ['ORDERS_CREATE', 'https://c.example.com/y', 'JSON', '2026-01-04T12:00:00.000Z', 'fifth'],
  ['ORDERS_CANCELLED', 'https://a.example.com/orders/6', 'JSON', '2026-01-05T12:00:00.000Z', null],
];
/** legacyResourceId of each row, in ROWS order. */
const ids: string[] = [];

beforeAll(async () => {
  ({ token, appId } = await createShopWithApp());
  for (const [topic, uri, format, createdAt, name] of ROWS) {
    const made = await gql(
      `mutation ($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
        webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { legacyResourceId } userErrors { message } }
      }`,
      { topic, sub: { uri, format, name } },
    );
    expect(made.data.webhookSubscriptionCreate.userErrors).toEqual([]);
    const id = made.data.webhookSubscriptionCreate.webhookSubscription.legacyResourceId as string;
    ids.push(id);
    await env.DB.prepare('UPDATE subscriptions SET created_at = ?1 WHERE id = ?2 AND app_id = ?3')
      .bind(createdAt, Number(id), appId)
      .run();
  }
});

const LIST = `query ($query: String, $first: Int, $last: Int, $after: String, $before: String, $sortKey: WebhookSubscriptionSortKeys, $reverse: Boolean, $topics: [WebhookSubscriptionTopic!], $format: WebhookSubscriptionFormat, $uri: String) {
  webhookSubscriptions(query: $query, first: $first, last: $last, after: $after, before: $before, sortKey: $sortKey, reverse: $reverse, topics: $topics, format: $format, uri: $uri) {
    nodes { legacyResourceId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/** The row numbers (1-based, ROWS order) a query returns, on one page of up to 50 (by id unless asked). */
async function rowsOf(args: Record<string, unknown>): Promise<number[]> {
  const body = await gql(LIST, { first: 50, sortKey: 'ID', ...args });
  expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
  return body.data.webhookSubscriptions.nodes.map((n: Json) => ids.indexOf(n.legacyResourceId) + 1);
}

async function countOf(query: string): Promise<number> {
  const body = await gql('query ($q: String) { webhookSubscriptionsCount(query: $q) { count precision } }', {
    q: query,
  });
  expect(body.errors).toBeUndefined();
  return body.data.webhookSubscriptionsCount.count;
}

describe('webhookSubscriptions(topics:)', () => {
  it('takes a list longer than D1 binds values in one statement (here 150 entries)', async () => {
    const topics = [...Array.from({ length: 149 }, () => 'PRODUCTS_UPDATE'), 'ORDERS_PAID'];
    expect(await rowsOf({ topics })).toEqual([2, 4]);
  });
});

describe('webhookSubscriptions(query:)', () => {
  it('filters by topic (as written or as enum), uri, format, created_at, id and name', async () => {
    expect(await rowsOf({ query: 'topic:orders/create' })).toEqual([1, 3, 5]);
    expect(await rowsOf({ query: 'topic:ORDERS_CREATE' })).toEqual([1, 3, 5]);
    expect(await rowsOf({ query: 'topic:orders*' })).toEqual([1, 2, 3, 5, 6]);
    expect(await rowsOf({ query: 'uri:https://a.example.com/orders*' })).toEqual([1, 2, 6]);
    expect(await rowsOf({ query: 'uri:"https://b.example.com/x"' })).toEqual([3]);
    expect(await rowsOf({ query: 'format:xml' })).toEqual([2, 3]);
    expect(await rowsOf({ query: 'format:JSON' })).toEqual([1, 4, 5, 6]);
    expect(await rowsOf({ query: 'created_at:>2026-01-03' })).toEqual([5, 6]);
    expect(await rowsOf({ query: 'created_at:>=2026-01-03' })).toEqual([4, 5, 6]);
    expect(await rowsOf({ query: 'created_at:<2026-01-02' })).toEqual([2]);
    expect(await rowsOf({ query: 'created_at:<=2026-01-02' })).toEqual([1, 2, 3]);
    expect(await rowsOf({ query: 'created_at:2026-01-02' })).toEqual([1, 3]);
    expect(await rowsOf({ query: 'created_at:>2026-01-02T00:00:00Z' })).toEqual([3, 4, 5, 6]);
    expect(await rowsOf({ query: 'created_at:2026-01-02T00:00:00Z' })).toEqual([1]);
    expect(await rowsOf({ query: `id:${ids[3]}` })).toEqual([4]);
    expect(await rowsOf({ query: `id:>=${ids[4]}` })).toEqual([5, 6]);
    expect(await rowsOf({ query: `id:gid://shopify/WebhookSubscription/${ids[1]}` })).toEqual([2]);
    expect(await rowsOf({ query: 'name:first' })).toEqual([1]);
    expect(await rowsOf({ query: 'name:*' })).toEqual([1, 3, 5]);
    expect(await rowsOf({ query: '-name:*' })).toEqual([2, 4, 6]);
    expect(await rowsOf({ query: 'NOT name:first' })).toEqual([2, 3, 4, 5, 6]);
  });

  it('combines terms with AND, OR, NOT and parentheses, and with the other arguments', async () => {
    expect(await rowsOf({ query: 'topic:orders/create format:json' })).toEqual([1, 5]);
    expect(await rowsOf({ query: 'format:xml OR topic:products/update' })).toEqual([2, 3, 4]);
    expect(await rowsOf({ query: '(format:xml OR topic:products/update) AND -uri:https://b*' })).toEqual([2, 4]);
    expect(await rowsOf({ query: 'topic:orders*', topics: ['ORDERS_PAID', 'ORDERS_CANCELLED'] })).toEqual([2, 6]);
    expect(await rowsOf({ query: 'topic:orders*', format: 'JSON' })).toEqual([1, 5, 6]);
    expect(await rowsOf({ query: 'format:xml', uri: 'https://b.example.com/x' })).toEqual([3]);
    expect(await rowsOf({ query: 'format:json', sortKey: 'ID', reverse: true })).toEqual([6, 5, 4, 1]);
    expect(await rowsOf({ query: '' })).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts with the same query', async () => {
    expect(await countOf('topic:orders/create')).toBe(3);
    expect(await countOf('created_at:2026-01-02 OR name:fifth')).toBe(3);
    expect(await countOf('')).toBe(6);
    const limited = await gql('{ webhookSubscriptionsCount(query: "format:json", limit: 2) { count precision } }');
    expect(limited.data.webhookSubscriptionsCount).toEqual({ count: 2, precision: 'AT_LEAST' });
  });

  it('pages forwards and backwards through a query in every sort order', async () => {
    const query = 'NOT topic:products/update';
    for (const sortKey of ['CREATED_AT', 'ID']) {
      for (const reverse of [false, true]) {
        const whole = await rowsOf({ query, sortKey, reverse });
        const ascending = sortKey === 'ID' ? [1, 2, 3, 5, 6] : [2, 1, 3, 5, 6];
        expect(whole).toEqual(reverse ? [...ascending].reverse() : ascending);
        // Forwards, two at a time.
        const forwards: number[] = [];
        let after: string | null = null;
        for (;;) {
          const page: Json = (await gql(LIST, { query, sortKey, reverse, first: 2, after })).data.webhookSubscriptions;
          forwards.push(...page.nodes.map((n: Json) => ids.indexOf(n.legacyResourceId) + 1));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor;
        }
        expect(forwards).toEqual(whole);
        // Backwards from the end, two at a time.
        const backwards: number[] = [];
        let before: string | null = null;
        for (;;) {
          const page: Json = (await gql(LIST, { query, sortKey, reverse, last: 2, before })).data.webhookSubscriptions;
          backwards.unshift(...page.nodes.map((n: Json) => ids.indexOf(n.legacyResourceId) + 1));
          if (!page.pageInfo.hasPreviousPage) break;
          before = page.pageInfo.startCursor;
        }
        expect(backwards).toEqual(whole);
      }
    }
  });

  it('answers the most terms a query may have, each bound as a parameter', async () => {
    const query = Array.from({ length: 20 }, (_, i) => `uri:https://x.example.com/${i}*`).join(' OR ');
    expect(await rowsOf({ query, topics: ['ORDERS_CREATE', 'ORDERS_PAID'], format: 'JSON', uri: 'https://x' })).toEqual(
      [],
    );
    const nineteen = Array.from({ length: 19 }, (_, i) => `uri:https://x.example.com/${i}*`).join(' OR ');
    expect(await countOf(`${nineteen} OR uri:https://a*`)).toBe(4);
  });

  it('refuses a malformed query, an unknown field or a bad value with a clear error', async () => {
    for (const [query, message] of [
      ['topic:', "Invalid query: missing value for 'topic' at position 1"],
      [
        'colour:red',
        "Invalid query: unknown field 'colour' (known: topic, uri, callback_url, address, format, created_at, updated_at, id, name)",
      ],
      ['created_at:yesterday', "Invalid query: 'created_at' takes an ISO 8601 date or date-time"],
      ['format:yaml', "Invalid query: 'format' is JSON or XML"],
      ['topic:>orders', "Invalid query: 'topic' takes a value or a prefix, not a comparison"],
      ['id:abc', "Invalid query: 'id' takes a number or a WebhookSubscription global id"],
      [
        Array.from({ length: 21 }, (_, i) => `uri:https://x.example.com/${i}*`).join(' OR '),
        'Invalid query: more than 20 terms',
      ],
    ]) {
      const list = await gql(LIST, { first: 5, query });
      expect(list.errors, query).toEqual([expect.objectContaining({ message, extensions: { code: 'BAD_REQUEST' } })]);
      const count = await gql('query ($q: String) { webhookSubscriptionsCount(query: $q) { count } }', { q: query });
      expect(count.errors, query).toEqual([expect.objectContaining({ message, extensions: { code: 'BAD_REQUEST' } })]);
    }
  });
});
