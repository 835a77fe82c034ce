import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { countQuery, listQuery, type SubscriptionFilter } from '../../src/subscriptions/store';
import { call, createShopWithApp } from '../helpers';

// D1 indexes cover every filter of the Webhook resource: with 10,000 subscriptions, each list and
// count query is one indexed SEARCH (never a full `SCAN subscriptions`), and a page of 250 comes back.

const ROWS = 10_000;
let appId: string;
let token: string;

beforeAll(async () => {
  ({ appId, token } = await createShopWithApp());
  const { shopId: otherShop, appId: otherApp } = await createShopWithApp();
  const { shopId } =
    (await env.DB.prepare('SELECT shop_id AS shopId FROM apps WHERE id = ?1')
      .bind(appId)
      .first<{ shopId: string }>()) ?? {};
  // 10,000 rows in one statement: 9,000 of this app (several topics, distinct addresses, spread
  // times, a tenth of them deleted) and 1,000 of another app.
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO subscriptions (shop_id, app_id, address, topic, format, status, created_at, updated_at)
     SELECT CASE WHEN i % 10 = 0 THEN ?4 ELSE ?2 END,
            CASE WHEN i % 10 = 0 THEN ?5 ELSE ?3 END,
            'https://bulk.example.com/' || i,
            CASE i % 4 WHEN 0 THEN 'orders/create' WHEN 1 THEN 'orders/paid' WHEN 2 THEN 'products/update' ELSE 'user/quote/request' END,
            'json',
            CASE WHEN i % 9 = 0 THEN 'deleted' ELSE 'active' END,
            strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' minutes'),
            strftime('%Y-%m-%dT%H:%M:%fZ', '2026-03-01', '+' || i || ' minutes')
     FROM n`,
  )
    .bind(ROWS, shopId, appId, otherShop, otherApp)
    .run();
});

const FILTERS: Record<string, SubscriptionFilter> = {
  none: {},
  address: { address: 'https://bulk.example.com/77' },
  topic: { topic: 'orders/paid' },
  'address+topic': { address: 'https://bulk.example.com/77', topic: 'orders/paid' },
  created_at_min: { createdAtMin: '2026-01-03T00:00:00.000Z' },
  created_at_max: { createdAtMax: '2026-01-03T00:00:00.000Z' },
  'created_at range': { createdAtMin: '2026-01-02T00:00:00.000Z', createdAtMax: '2026-01-03T00:00:00.000Z' },
  updated_at_min: { updatedAtMin: '2026-03-03T00:00:00.000Z' },
  updated_at_max: { updatedAtMax: '2026-03-03T00:00:00.000Z' },
  'updated_at range': { updatedAtMin: '2026-03-02T00:00:00.000Z', updatedAtMax: '2026-03-03T00:00:00.000Z' },
  since_id: { afterId: 5_000 },
  'page_info previous': { beforeId: 5_000 },
  'topic+since_id': { topic: 'orders/create', afterId: 5_000 },
};

async function plan(sql: string, binds: unknown[]): Promise<string[]> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...binds)
    .all<{ detail: string }>();
  return results.map((r) => r.detail);
}

function expectIndexed(details: string[]): void {
  const onTable = details.filter((d) => /\bsubscriptions\b/.test(d));
  expect(onTable.length).toBeGreaterThan(0);
  for (const detail of onTable) {
    expect(detail).not.toMatch(/^SCAN subscriptions$/);
    expect(detail).toMatch(/^SEARCH subscriptions USING (COVERING )?INDEX subscriptions_app_/);
  }
}

describe('indexes with 10,000 subscriptions', () => {
  it('has the rows', async () => {
    const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM subscriptions').first<{ n: number }>();
    expect(row!.n).toBeGreaterThanOrEqual(ROWS);
  });

  for (const [name, filter] of Object.entries(FILTERS)) {
    it(`list by ${name} is one indexed search`, async () => {
      const { sql, binds } = listQuery(appId, filter, 251);
      expectIndexed(await plan(sql, binds));
      const desc = listQuery(appId, filter, 251, true);
      expectIndexed(await plan(desc.sql, desc.binds));
    });
  }

  for (const name of ['none', 'address', 'topic', 'address+topic']) {
    it(`count by ${name} is one indexed search`, async () => {
      const { sql, binds } = countQuery(appId, FILTERS[name]!);
      expectIndexed(await plan(sql, binds));
    });
  }

  it('get, update and delete by id use the app index', async () => {
    const details = await plan("SELECT id FROM subscriptions WHERE app_id = ?1 AND status = 'active' AND id = ?2", [
      appId,
      1,
    ]);
    expect(details.join('\n')).toMatch(/SEARCH subscriptions USING (INTEGER PRIMARY KEY|(COVERING )?INDEX)/);
  });

  it('serves a page of 250 through the Worker, with a next link', async () => {
    const res = await call('/admin/api/2026-10/webhooks.json?limit=250&topic=orders/paid', {
      headers: { 'x-shopify-access-token': token },
    });
    expect(res.status).toBe(200);
    const { webhooks } = await res.json<{ webhooks: { id: number; topic: string }[] }>();
    expect(webhooks).toHaveLength(250);
    expect(webhooks.every((w) => w.topic === 'orders/paid')).toBe(true);
    expect(res.headers.get('link')).toMatch(/rel="next"$/);
  });
});
