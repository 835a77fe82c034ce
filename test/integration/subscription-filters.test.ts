import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import {
  deliveriesOfSubscription,
  fanOutOnShards,
  receiverAddress,
  recordingDeliveriesEnv,
  storeProcessedEvent,
} from '../delivery-helpers';
import { ADMIN_TOKEN, call, callWithEnv, createShopWithApp, createWebhook, jsonInit, postWebhook } from '../helpers';

// Issue 24: a subscription's `filter` (Shopify's search syntax on the payload), `name`,
// `includeFields` and `metafieldNamespaces`, over GraphQL and REST, and filtering at fan-out.

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field

const V = '2026-04';
const TOPIC = 'user/order/submit';

async function gql(token: string, query: string, variables?: Record<string, unknown>): Promise<Json> {
  const res = await callWithEnv(env, `/admin/api/${V}/graphql.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': token },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  return res.json<Json>();
}

function rest(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'x-shopify-access-token': token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return callWithEnv(env, `/admin/api/${V}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const FIELDS = 'id legacyResourceId name filter includeFields metafieldNamespaces filteredDeliveryCount';
const CREATE = `mutation ($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { ${FIELDS} }
    userErrors { field message }
  }
}`;
const UPDATE = `mutation ($id: ID!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionUpdate(id: $id, webhookSubscription: $sub) {
    webhookSubscription { ${FIELDS} }
    userErrors { field message }
  }
}`;

let n = 0;
const uniqueAddress = () => `https://hooks.example.com/filters/${++n}`;

async function createdVia(token: string, topic: string, sub: Record<string, unknown>) {
  return (await gql(token, CREATE, { topic, sub })).data.webhookSubscriptionCreate;
}

/** A second app of the same shop. */
async function secondApp(shopId: string): Promise<string> {
  const res = await call(`/api/v1/shops/${shopId}/apps`, jsonInit('POST', ADMIN_TOKEN, { name: 'second app' }));
  expect(res.status).toBe(201);
  return (await res.json<{ access_token: string }>()).access_token;
}

describe('name, filter, includeFields and metafieldNamespaces over GraphQL', () => {
  it('accepts and echoes them', async () => {
    const { token } = await createShopWithApp();
    const made = await createdVia(token, 'ORDERS_CREATE', {
      uri: uniqueAddress(),
      name: 'Big-orders_2',
      filter: 'total_price:>=100 AND line_items.sku:ABC*',
      includeFields: ['id', 'total_price', 'line_items'],
      metafieldNamespaces: ['custom', 'app'],
    });
    expect(made.userErrors).toEqual([]);
    expect(made.webhookSubscription).toMatchObject({
      name: 'Big-orders_2',
      filter: 'total_price:>=100 AND line_items.sku:ABC*',
      includeFields: ['id', 'total_price', 'line_items'],
      metafieldNamespaces: ['custom', 'app'],
      filteredDeliveryCount: 0,
    });
    const read = await gql(token, `query ($id: ID!) { webhookSubscription(id: $id) { ${FIELDS} } }`, {
      id: made.webhookSubscription.id,
    });
    expect(read.data.webhookSubscription).toEqual(made.webhookSubscription);
  });

  it('refuses a malformed filter as a user error on its field path, and stores nothing', async () => {
    const { token } = await createShopWithApp();
    for (const filter of ['status', 'a:1 AND', '(a:1', 'a:"open']) {
      const made = await createdVia(token, 'ORDERS_CREATE', { uri: uniqueAddress(), filter });
      expect(made.webhookSubscription).toBeNull();
      expect(made.userErrors).toEqual([
        { field: ['webhookSubscription', 'filter'], message: expect.stringMatching(/^Filter is invalid: .+/) },
      ]);
    }
    expect((await gql(token, '{ webhookSubscriptionsCount { count } }')).data.webhookSubscriptionsCount.count).toBe(0);
  });

  it('checks name: at most 50 of letters, digits, _ and -, unique per shop', async () => {
    const { token, shopId } = await createShopWithApp();
    const tooLong = await createdVia(token, 'ORDERS_CREATE', { uri: uniqueAddress(), name: 'x'.repeat(51) });
    expect(tooLong.userErrors).toEqual([
      { field: ['webhookSubscription', 'name'], message: 'Name is too long (maximum is 50 characters)' },
    ]);
    const badChars = await createdVia(token, 'ORDERS_CREATE', { uri: uniqueAddress(), name: 'big orders!' });
    expect(badChars.userErrors).toEqual([
      {
        field: ['webhookSubscription', 'name'],
        message: 'Name can only contain letters, numbers, underscores and hyphens',
      },
    ]);
    expect(
      (await createdVia(token, 'ORDERS_CREATE', { uri: uniqueAddress(), name: 'x'.repeat(50) })).userErrors,
    ).toEqual([]);
    const first = await createdVia(token, 'ORDERS_CREATE', { uri: uniqueAddress(), name: 'orders' });
    expect(first.userErrors).toEqual([]);
    // Another app of the same shop cannot take it; an app of another shop can.
    const taken = await createdVia(await secondApp(shopId), 'ORDERS_PAID', { uri: uniqueAddress(), name: 'orders' });
    expect(taken.userErrors).toEqual([
      { field: ['webhookSubscription', 'name'], message: 'Name has already been taken' },
    ]);
    const elsewhere = await createShopWithApp();
    expect(
      (await createdVia(elsewhere.token, 'ORDERS_PAID', { uri: uniqueAddress(), name: 'orders' })).userErrors,
    ).toEqual([]);
    // Updating a subscription to its own name is no clash; to another's is.
    const second = await createdVia(token, 'ORDERS_PAID', { uri: uniqueAddress(), name: 'paid' });
    const same = await gql(token, UPDATE, { id: first.webhookSubscription.id, sub: { name: 'orders' } });
    expect(same.data.webhookSubscriptionUpdate.userErrors).toEqual([]);
    const clash = await gql(token, UPDATE, { id: second.webhookSubscription.id, sub: { name: 'orders' } });
    expect(clash.data.webhookSubscriptionUpdate.userErrors).toEqual([
      { field: ['webhookSubscription', 'name'], message: 'Name has already been taken' },
    ]);
  });

  it('keeps name and filter on an update that leaves them out, and clears them with null', async () => {
    const { token } = await createShopWithApp();
    const made = await createdVia(token, 'ORDERS_CREATE', { uri: uniqueAddress(), name: 'keep', filter: 'id:*' });
    const id = made.webhookSubscription.id;
    const kept = await gql(token, UPDATE, { id, sub: { format: 'JSON' } });
    expect(kept.data.webhookSubscriptionUpdate.webhookSubscription).toMatchObject({ name: 'keep', filter: 'id:*' });
    const bad = await gql(token, UPDATE, { id, sub: { filter: 'NOT' } });
    expect(bad.data.webhookSubscriptionUpdate.userErrors).toEqual([
      { field: ['webhookSubscription', 'filter'], message: expect.stringMatching(/^Filter is invalid: /) },
    ]);
    const cleared = await gql(token, UPDATE, { id, sub: { name: null, filter: null } });
    expect(cleared.data.webhookSubscriptionUpdate.webhookSubscription).toMatchObject({ name: null, filter: null });
  });
});

describe('filter over REST', () => {
  it('accepts, echoes and keeps a filter; refuses a malformed one with a 422; ignores name', async () => {
    const { token } = await createShopWithApp();
    const created = await rest('POST', '/webhooks.json', token, {
      webhook: { topic: 'orders/create', address: uniqueAddress(), filter: 'status:open', name: 'ignored' },
    });
    expect(created.status).toBe(201);
    const { webhook } = await created.json<Json>();
    expect(webhook).toMatchObject({ filter: 'status:open', filtered_delivery_count: 0 });
    expect(webhook).not.toHaveProperty('name');
    const put = await rest('PUT', `/webhooks/${webhook.id}.json`, token, { webhook: { format: 'json' } });
    expect((await put.json<Json>()).webhook.filter).toBe('status:open');

    const bad = await rest('POST', '/webhooks.json', token, {
      webhook: { topic: 'orders/paid', address: uniqueAddress(), filter: 'price:>' },
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toEqual({ errors: { filter: [expect.stringMatching(/^is invalid: /)] } });
    const badPut = await rest('PUT', `/webhooks/${webhook.id}.json`, token, { webhook: { filter: 42 } });
    expect(badPut.status).toBe(422);
    expect(await badPut.json()).toEqual({ errors: { filter: ['is invalid'] } });

    const cleared = await rest('PUT', `/webhooks/${webhook.id}.json`, token, { webhook: { filter: null } });
    const after = (await cleared.json<Json>()).webhook;
    expect(after).not.toHaveProperty('filter');
    expect(after).not.toHaveProperty('filtered_delivery_count');
  });
});

describe('filters at fan-out', () => {
  it('makes only the deliveries whose payload the filter accepts, and counts the others', async () => {
    const shop = await createShopWithApp();
    await createWebhook(shop.token, { topic: TOPIC });
    const filtered = await createdVia(shop.token, 'USER_ORDER_SUBMIT', {
      uri: uniqueAddress(),
      filter: 'qty:>=2 AND line_items.sku:ABC*',
    });
    const all = await createdVia(shop.token, 'USER_ORDER_SUBMIT', { uri: uniqueAddress() });
    // A filter sees the data the delivery would carry: `secret` is not included, so never matches.
    const narrowed = await createdVia(shop.token, 'USER_ORDER_SUBMIT', {
      uri: uniqueAddress(),
      includeFields: ['qty'],
      filter: 'qty:* OR secret:*',
    });
    const hidden = await createdVia(shop.token, 'USER_ORDER_SUBMIT', {
      uri: uniqueAddress(),
      includeFields: ['qty'],
      filter: 'secret:*',
    });
    const { env: testEnv } = recordingDeliveriesEnv();
    const events = [
      await storeProcessedEvent(
        shop.shopId,
        { qty: 3, secret: 1, line_items: [{ sku: 'X' }, { sku: 'abc-1' }] },
        TOPIC,
      ),
      await storeProcessedEvent(shop.shopId, { qty: 1, line_items: [{ sku: 'ABC-2' }] }, TOPIC),
      await storeProcessedEvent(shop.shopId, { qty: 5, line_items: [] }, TOPIC),
    ];
    await fanOutOnShards(testEnv, events);

    const idOf = (made: Json) => Number(made.webhookSubscription.legacyResourceId);
    expect((await deliveriesOfSubscription(idOf(filtered))).map((d) => d.event_id)).toEqual([events[0]!.id]);
    expect(await deliveriesOfSubscription(idOf(all))).toHaveLength(3);
    expect(await deliveriesOfSubscription(idOf(narrowed))).toHaveLength(3);
    expect(await deliveriesOfSubscription(idOf(hidden))).toHaveLength(0);

    const counts = await gql(
      shop.token,
      '{ webhookSubscriptions(first: 10) { nodes { filter filteredDeliveryCount } } }',
    );
    expect(counts.data.webhookSubscriptions.nodes).toEqual([
      { filter: 'qty:>=2 AND line_items.sku:ABC*', filteredDeliveryCount: 2 },
      { filter: null, filteredDeliveryCount: 0 },
      { filter: 'qty:* OR secret:*', filteredDeliveryCount: 0 },
      { filter: 'secret:*', filteredDeliveryCount: 3 },
    ]);
  });

  it('filters events arriving through the Worker and the real queues, for REST- and GraphQL-made subscriptions', async () => {
    const shop = await createShopWithApp();
    const webhookId = await createWebhook(shop.token, { topic: TOPIC });
    const viaGraphql = await receiverAddress();
    const viaRest = await receiverAddress();
    const made = await createdVia(shop.token, 'USER_ORDER_SUBMIT', { uri: viaGraphql.address, filter: 'kind:big' });
    const restMade = await rest('POST', '/webhooks.json', shop.token, {
      webhook: { topic: TOPIC, address: viaRest.address, filter: '-kind:big' },
    });
    expect(restMade.status).toBe(201);
    const restId = (await restMade.json<Json>()).webhook.id as number;
    const graphqlId = Number(made.webhookSubscription.legacyResourceId);

    for (const kind of ['big', 'small', 'BIG']) {
      const post = await postWebhook(webhookId, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind }),
      });
      expect(post.status).toBe(204);
    }
    await vi.waitFor(
      async () => {
        expect(await deliveriesOfSubscription(graphqlId)).toHaveLength(2);
        expect(await deliveriesOfSubscription(restId)).toHaveLength(1);
        const row = await env.DB.prepare('SELECT SUM(filtered_count) AS n FROM subscriptions WHERE id IN (?1, ?2)')
          .bind(graphqlId, restId)
          .first<{ n: number }>();
        expect(row!.n).toBe(3);
      },
      { timeout: 10_000, interval: 100 },
    );
    const listed = await rest('GET', `/webhooks/${restId}.json`, shop.token);
    expect((await listed.json<Json>()).webhook).toMatchObject({ filter: '-kind:big', filtered_delivery_count: 2 });
  });
});
