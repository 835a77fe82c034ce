import { Webhook } from 'standardwebhooks';
import { describe, expect, it, vi } from 'vitest';
import { hmacBase64, receivedBy, receiverAddress } from '../delivery-helpers';
import { dbOfShop } from '../shards';
import { ADMIN_TOKEN, call, createShopWithApp, createWebhook, jsonInit, postWebhook, waitForEvent } from '../helpers';
import { childrenOf, createTask, finishedRunsOf } from '../task-helpers';
import type { ReceivedRequest } from '../receiver/types';

// docs/contracts.md, "Exact numbers" and "Ids and numbers": integers of any size
// keep their digits through ingress, inbound Shopify webhooks, D1, the management API, Liquid
// output and deliveries (JSON and XML); a shopify/* delivery without fields carries Shopify's bytes.

const ORDER_ID = '820982911946154508';
const LINE_ITEM_ID = '866550311766439020';
const CUSTOMER_ID = '115310627314723954';

/** Shopify's sample orders/create payload (shortened), spaced as sent: ids above 2^53. */
const SHOPIFY_ORDER = `{
  "id": ${ORDER_ID},
  "admin_graphql_api_id": "gid://shopify/Order/${ORDER_ID}",
  "app_id": null,
  "buyer_accepts_marketing": true,
  "current_total_price": "398.00",
  "total_weight": 0,
  "customer": { "id": ${CUSTOMER_ID}, "email": "john@example.com" },
  "line_items": [
    { "id": ${LINE_ITEM_ID}, "price": "199.00", "product_id": 632910392, "quantity": 2, "tax_rate": 0.10 }
  ]
}`;

const SECRET = 'shpss_exact_numbers';

async function shopWithShopifySecret() {
  const shop = await createShopWithApp();
  const res = await call(
    `/api/v1/shops/${shop.shopId}`,
    jsonInit('PATCH', ADMIN_TOKEN, { shopify_client_secret: SECRET }),
  );
  expect(res.status).toBe(200);
  return shop;
}

async function subscribe(token: string, webhook: Record<string, unknown>): Promise<void> {
  const res = await call('/admin/api/2026-04/webhooks.json', {
    method: 'POST',
    headers: { 'x-shopify-access-token': token, 'content-type': 'application/json' },
    body: JSON.stringify({ webhook }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

async function oneDelivery(key: string): Promise<ReceivedRequest> {
  return vi.waitFor(
    async () => {
      const [first] = await receivedBy(key);
      if (!first) throw new Error('not delivered yet');
      return first;
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe('an inbound Shopify webhook with ids above 2^53', () => {
  it('keeps every digit in D1, the events API, Liquid output and JSON/XML deliveries', async () => {
    const shop = await shopWithShopifySecret();
    const whole = await receiverAddress({ shopifySecret: shop.signingSecret });
    const some = await receiverAddress();
    const xml = await receiverAddress();
    await subscribe(shop.token, { topic: 'orders/create', address: whole.address });
    await subscribe(shop.token, { topic: 'orders/create', address: some.address, fields: ['id', 'line_items'] });
    await subscribe(shop.token, { topic: 'orders/create', address: xml.address, format: 'xml' });
    await createTask(shop.token, {
      name: 'copy ids',
      subscriptions: 'shopify/orders/create',
      script: `{% log event.data.id %}
{"log": "order {{ event.data.id }}, item {{ event.data.line_items[0].id }}"}
{% action "event", topic: "user/order/copied", data: event.data.customer %}
{"action": {"type": "event", "options": {"topic": "user/order/ids", "data": {"order": {{ event.data.id }}, "items": {{ event.data.line_items | map: "id" | json }}}}}}`,
    });

    const res = await call('/shopify/webhooks', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-shopify-shop-domain': shop.domain,
        'x-shopify-topic': 'orders/create',
        'x-shopify-webhook-id': 'exact-1',
        'x-shopify-hmac-sha256': await hmacBase64(SECRET, SHOPIFY_ORDER),
      },
      body: SHOPIFY_ORDER,
    });
    expect(res.status).toBe(200);

    // JSON, no fields: Shopify's bytes, signed as they are.
    const delivered = await oneDelivery(whole.key);
    expect(delivered.body).toBe(SHOPIFY_ORDER);
    expect(delivered.shopifyHmacValid).toBe(true);

    // JSON with fields: re-serialized, digits kept.
    expect((await oneDelivery(some.key)).body).toBe(
      `{"id":${ORDER_ID},"line_items":[{"id":${LINE_ITEM_ID},"price":"199.00","product_id":632910392,"quantity":2,"tax_rate":0.10}]}`,
    );

    // XML: integer elements with the exact digits.
    const xmlDelivery = await oneDelivery(xml.key);
    const xmlBody = xmlDelivery.body;
    // docs/api.md's verification snippet: standardwebhooks parses the body as JSON unless told not
    // to, which throws on XML after the signature matched; with jsonParse: false both formats verify.
    expect(() => new Webhook(shop.signingSecret).verify(xmlBody, xmlDelivery.headers)).toThrow(SyntaxError);
    expect(new Webhook(shop.signingSecret).verify(xmlBody, xmlDelivery.headers, { jsonParse: false })).toBeUndefined();
    expect(
      new Webhook(shop.signingSecret).verify(delivered.body, delivered.headers, { jsonParse: false }),
    ).toBeUndefined();
    expect(xmlBody).toContain(`<id type="integer">${ORDER_ID}</id>`);
    expect(xmlBody).toContain(`<id type="integer">${LINE_ITEM_ID}</id>`);
    expect(xmlBody).toContain(`<id type="integer">${CUSTOMER_ID}</id>`);
    expect(xmlBody).toContain('<tax-rate type="decimal">0.10</tax-rate>');
    expect(xmlBody).toContain('<product-id type="integer">632910392</product-id>');

    // D1 holds the text as sent; the management API answers the digits.
    const row = await (
      await dbOfShop(shop.shopId)
    )
      .prepare("SELECT id, data FROM events WHERE shop_id = ?1 AND topic = 'shopify/orders/create'")
      .bind(shop.shopId)
      .first<{ id: string; data: string }>();
    expect(row!.data).toBe(SHOPIFY_ORDER);
    const api = await call(`/api/v1/events/${row!.id}`, jsonInit('GET', shop.token));
    expect(api.status).toBe(200);
    const apiText = await api.text();
    expect(apiText).toContain(`"id":${ORDER_ID},`);
    expect(apiText).toContain(`"customer":{"id":${CUSTOMER_ID},`);

    // Liquid output: printed ids, ids in action JSON, and values passed through tags.
    const [run] = await finishedRunsOf(shop.token, row!.id, 1);
    expect(run!.status, JSON.stringify(run)).toBe('succeeded');
    const runsText = await (await call(`/api/v1/events/${row!.id}/task_runs`, jsonInit('GET', shop.token))).text();
    expect(runsText).toContain(`"logs":[${ORDER_ID},"order ${ORDER_ID}, item ${LINE_ITEM_ID}"]`);
    const children = await vi.waitFor(async () => {
      const found = await childrenOf(row!.id);
      if (found.length < 2) throw new Error('children not yet');
      return found;
    });
    const byTopic = Object.fromEntries(children.map((c) => [c.topic, c.data]));
    expect(byTopic['user/order/copied']).toBe(`{"id":${CUSTOMER_ID},"email":"john@example.com"}`);
    expect(byTopic['user/order/ids']).toBe(`{"order":${ORDER_ID},"items":[${LINE_ITEM_ID}]}`);
  });
});

describe('ingress JSON bodies with ids above 2^53', () => {
  it('keep their digits in the event data, D1 and the events API', async () => {
    const shop = await createShopWithApp();
    const webhookId = await createWebhook(shop.token, { topic: 'user/order/sync' });
    const body = `{"order":{"id":${ORDER_ID},"total":12345678901234567890.50,"count":3},"ids":[${LINE_ITEM_ID},1]}`;
    const res = await postWebhook(webhookId, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(204);
    const stored = await waitForEvent(res.headers.get('x-request-id')!);
    const row = await (
      await dbOfShop(shop.shopId)
    )
      .prepare('SELECT data FROM events WHERE id = ?1')
      .bind(stored.id)
      .first<{ data: string }>();
    expect(row!.data).toBe(body);
    const apiText = await (await call(`/api/v1/events/${stored.id}`, jsonInit('GET', shop.token))).text();
    expect(apiText).toContain(`"data":${body}`);
  });

  it('keep their digits in full mode, and as a bare number body', async () => {
    const shop = await createShopWithApp();
    const full = await createWebhook(shop.token, { topic: 'user/order/full', data_mode: 'full' });
    const res = await postWebhook(full, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"id":${ORDER_ID}}`,
    });
    expect(res.status).toBe(204);
    const stored = await waitForEvent(res.headers.get('x-request-id')!);
    const row = await (
      await dbOfShop(shop.shopId)
    )
      .prepare('SELECT data FROM events WHERE id = ?1')
      .bind(stored.id)
      .first<{ data: string }>();
    expect(row!.data).toContain(`"body":{"id":${ORDER_ID}}`);

    const auto = await createWebhook(shop.token, { topic: 'user/order/bare' });
    const bare = await postWebhook(auto, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: ORDER_ID,
    });
    expect(bare.status).toBe(204);
    const bareEvent = await waitForEvent(bare.headers.get('x-request-id')!);
    const bareRow = await (
      await dbOfShop(shop.shopId)
    )
      .prepare('SELECT data FROM events WHERE id = ?1')
      .bind(bareEvent.id)
      .first<{ data: string }>();
    expect(bareRow!.data).toBe(`{"_json":${ORDER_ID}}`);
  });
});

describe('hostile number-bearing JSON', () => {
  it('a body nested far past the depth limit around a big number is unparsable, never a 5xx', async () => {
    const shop = await createShopWithApp();
    const webhookId = await createWebhook(shop.token, { topic: 'user/order/deep' });
    const depth = 100_000;
    const body = '['.repeat(depth) + ORDER_ID + ']'.repeat(depth);
    const res = await postWebhook(webhookId, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.status).toBe(204);
    const stored = await waitForEvent(res.headers.get('x-request-id')!);
    const row = await (
      await dbOfShop(shop.shopId)
    )
      .prepare('SELECT data FROM events WHERE id = ?1')
      .bind(stored.id)
      .first<{ data: string }>();
    // Unparsable bodies are kept as their text (docs/contracts.md, "Event data in auto mode" rule 1).
    expect(JSON.parse(row!.data)).toBe(body);
  });
});

describe('management API input with ids above 2^53', () => {
  it('PUT /api/v1/cache/{key} keeps the digits of the value (and 60.0 still reads as seconds)', async () => {
    const shop = await createShopWithApp();
    const body = `{"value":{"order_id":${ORDER_ID},"ids":[${LINE_ITEM_ID}]},"ttl":60.0}`;
    const put = await call('/api/v1/cache/orders/last', {
      ...jsonInit('PUT', shop.token),
      headers: { authorization: `Bearer ${shop.token}`, 'content-type': 'application/json' },
      body,
    });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(await put.text()).toContain(`"value":{"order_id":${ORDER_ID},"ids":[${LINE_ITEM_ID}]}`);
    const get = await call('/api/v1/cache/orders/last', jsonInit('GET', shop.token));
    expect(await get.text()).toContain(`"value":{"order_id":${ORDER_ID},"ids":[${LINE_ITEM_ID}]}`);
  });

  it('Liquid compares ids above 2^53 exactly with each other and with numbers', async () => {
    const shop = await createShopWithApp();
    const taskId = await createTask(shop.token, {
      name: 'compare ids',
      subscriptions: 'user/order/sync',
      // Doubles would call a and b equal (both round to 820982911946154496).
      script: `{% if event.data.a > event.data.b %}{% log "a>b" %}{% endif %}
{% if event.data.a == event.data.b %}{% log "a==b" %}{% endif %}
{% if event.data.b == event.data.b2 %}{% log "b==b2" %}{% endif %}
{% if event.data.b > 5 %}{% log "b>5" %}{% endif %}
{% if event.data.b == "${ORDER_ID}" %}{% log "b==text" %}{% endif %}
{% assign text = event.data.b | append: "" %}{% if text == "${ORDER_ID}" %}{% log "text==text" %}{% endif %}`,
    });
    const res = await call(`/api/v1/tasks/${taskId}/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${shop.token}`, 'content-type': 'application/json' },
      body: `{"event":{"data":{"a":820982911946154509,"b":${ORDER_ID},"b2":${ORDER_ID}}}}`,
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text).toContain('["a>b","b==b2","b>5","text==text"]');
  });

  it('a task preview renders the digits of the sample event and of its options', async () => {
    const shop = await createShopWithApp();
    const taskId = await createTask(shop.token, {
      name: 'preview ids',
      subscriptions: 'user/order/sync',
      options: { fallback: Number.MAX_SAFE_INTEGER },
      script: '{% log event.data.id %}{"log": {{ options.pinned }}}',
    });
    const res = await call(`/api/v1/tasks/${taskId}/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${shop.token}`, 'content-type': 'application/json' },
      body: `{"event":{"data":{"id":${ORDER_ID}}},"options":{"pinned":${CUSTOMER_ID}}}`,
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text).toContain(`[${ORDER_ID},${CUSTOMER_ID}]`);
  });
});
