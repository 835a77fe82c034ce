import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  connectionCountQuery,
  connectionQuery,
  SUBSCRIBED_USER_TOPICS_SQL,
  type ConnectionQuery,
  type QueryCondition,
} from '../../src/subscriptions/graphql/store';
import { callWithEnv, createShopWithApp } from '../helpers';

// The GraphQL connection's queries are indexed searches too (docs/contracts.md, "GraphQL
// Admin API"; STYLE: an index for every filter the API offers): with 10,000 subscriptions, every
// sort order, filter and cursor direction is one SEARCH on an app index, and a page of 250 returns.

const ROWS = 10_000;
let appId: string;
let token: string;

beforeAll(async () => {
  ({ appId, token } = await createShopWithApp());
  const { shopId: otherShop, appId: otherApp } = await createShopWithApp();
  const owner = await env.DB.prepare('SELECT shop_id AS shopId FROM apps WHERE id = ?1')
    .bind(appId)
    .first<{ shopId: string }>();
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO subscriptions (shop_id, app_id, address, topic, format, status, created_at, updated_at)
     SELECT CASE WHEN i % 10 = 0 THEN ?4 ELSE ?2 END,
            CASE WHEN i % 10 = 0 THEN ?5 ELSE ?3 END,
            'https://bulk.example.com/' || i,
            CASE i % 4 WHEN 0 THEN 'orders/create' WHEN 1 THEN 'orders/paid' WHEN 2 THEN 'products/update' ELSE 'user/quote/request' END,
            CASE WHEN i % 3 = 0 THEN 'xml' ELSE 'json' END,
            CASE WHEN i % 9 = 0 THEN 'deleted' ELSE 'active' END,
            strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' minutes'),
            strftime('%Y-%m-%dT%H:%M:%fZ', '2026-03-01', '+' || i || ' minutes')
     FROM n`,
  )
    .bind(ROWS, owner!.shopId, appId, otherShop, otherApp)
    .run();
});

async function plan(sql: string, binds: unknown[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...binds)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

function expectIndexed(details: string[]): void {
  const onTable = details.filter((d) => /\bsubscriptions\b/.test(d));
  expect(onTable.length).toBeGreaterThan(0);
  for (const detail of onTable)
    expect(detail).toMatch(/^SEARCH subscriptions USING (COVERING )?INDEX subscriptions_app_/);
}

const base: ConnectionQuery = {
  filter: { topics: [], address: null, format: null },
  sortKey: 'CREATED_AT',
  descending: false,
  after: null,
  before: null,
  take: 251,
};
const at = { id: 5_000, createdAt: '2026-01-04T11:20:00.000Z' };
const QUERIES: Record<string, Partial<ConnectionQuery>> = {
  'first page': {},
  reverse: { descending: true },
  'sortKey ID': { sortKey: 'ID' },
  after: { after: at },
  before: { before: at },
  'after, sortKey ID': { sortKey: 'ID', after: at },
  'one topic': { filter: { topics: ['orders/paid'], address: null, format: null } },
  'two topics': { filter: { topics: ['orders/paid', 'products/update'], address: null, format: null } },
  uri: { filter: { topics: [], address: 'https://bulk.example.com/77', format: null } },
  format: { filter: { topics: [], address: null, format: 'xml' } },
  ...Object.fromEntries(
    Object.entries(searchQueries()).map(([name, query]) => [
      `query ${name}`,
      { filter: { topics: [], address: null, format: null, query } },
    ]),
  ),
  'query with reverse, sortKey ID and a cursor': {
    sortKey: 'ID',
    descending: true,
    after: at,
    filter: { topics: [], address: null, format: null, query: { kind: 'exists', column: 'name' } },
  },
};

/** The `query:` conditions issue 24 offers (graphql/query.ts builds these from search syntax). */
function searchQueries(): Record<string, QueryCondition> {
  return {
    'topic:orders/paid': { kind: 'compare', column: 'topic', op: 'eq', value: 'orders/paid' },
    'uri:https://bulk.example.com/7*': { kind: 'prefix', column: 'address', value: 'https://bulk.example.com/7' },
    'format:xml': { kind: 'compare', column: 'format', op: 'eq', value: 'xml' },
    'created_at:>2026-01-03': { kind: 'compare', column: 'created_at', op: 'gte', value: '2026-01-04T00:00:00.000Z' },
    'topic:orders/paid OR -format:xml': {
      kind: 'or',
      items: [
        { kind: 'compare', column: 'topic', op: 'eq', value: 'orders/paid' },
        { kind: 'not', item: { kind: 'compare', column: 'format', op: 'eq', value: 'xml' } },
      ],
    },
  };
}

describe('GraphQL connection indexes with 10,000 subscriptions', () => {
  for (const [name, change] of Object.entries(QUERIES)) {
    it(`${name} is one indexed search`, async () => {
      const { sql, binds } = connectionQuery(appId, { ...base, ...change });
      expectIndexed(await plan(sql, binds));
    });
  }

  for (const [name, query] of Object.entries(searchQueries())) {
    it(`the count with query ${name} is one indexed search`, async () => {
      const { sql, binds } = connectionCountQuery(appId, { topics: [], address: null, format: null, query });
      expectIndexed(await plan(sql, binds));
    });
  }

  it('the user-topic lookup is an indexed search', async () => {
    expectIndexed(await plan(SUBSCRIBED_USER_TOPICS_SQL, [appId]));
  });

  it('serves a page of 250 through the Worker', async () => {
    const res = await callWithEnv(env, '/admin/api/2026-10/graphql.json', {
      method: 'POST',
      headers: { 'x-shopify-access-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({
        query:
          '{ webhookSubscriptions(first: 250, topics: [ORDERS_PAID]) { nodes { topic } pageInfo { hasNextPage } } }',
      }),
    });
    const body = await res.json<{
      data: { webhookSubscriptions: { nodes: { topic: string }[]; pageInfo: { hasNextPage: boolean } } };
    }>();
    expect(body.data.webhookSubscriptions.nodes).toHaveLength(250);
    expect(body.data.webhookSubscriptions.nodes.every((x) => x.topic === 'ORDERS_PAID')).toBe(true);
    expect(body.data.webhookSubscriptions.pageInfo.hasNextPage).toBe(true);
  });
});
