import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { hmacBase64 } from '../delivery-helpers';
import { ADMIN_TOKEN, call, callWithEnv, createShopWithApp, jsonInit } from '../helpers';
import { dbOfShop } from '../shards';

// POST /shopify/webhooks (docs/contracts.md, "Inbound Shopify webhooks").

const SECRET = 'shpss_0123456789abcdef';

async function shopWithSecret() {
  const shop = await createShopWithApp();
  const res = await call(
    `/api/v1/shops/${shop.shopId}`,
    jsonInit('PATCH', ADMIN_TOKEN, { shopify_client_secret: SECRET }),
  );
  expect(res.status).toBe(200);
  return shop;
}

async function send(headers: Record<string, string>, body: string | Uint8Array) {
  return call('/shopify/webhooks', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function shopifyEvents(shopId: string) {
  const db = await dbOfShop(shopId);
  const { results } = await db
    .prepare(`SELECT id, topic, data, source, status FROM events WHERE shop_id = ?1 AND source = 'shopify'`)
    .bind(shopId)
    .all<{ id: string; topic: string; data: string; source: string; status: string }>();
  return results;
}

describe('POST /shopify/webhooks', () => {
  it('verifies the HMAC over the raw bytes and stores a shopify/<topic> event', async () => {
    const shop = await shopWithSecret();
    // Bytes that JSON.parse + stringify would change: the signature must be over these exactly.
    const body = '{ "id": 1.50,  "note": "caf\\u00e9" }';
    const res = await send(
      {
        'x-shopify-shop-domain': shop.domain,
        'x-shopify-topic': 'orders/create',
        'x-shopify-webhook-id': 'w-1',
        'x-shopify-hmac-sha256': await hmacBase64(SECRET, body),
      },
      body,
    );
    expect(res.status).toBe(200);
    const [event] = await vi.waitFor(async () => {
      const events = await shopifyEvents(shop.shopId);
      if (events[0]?.status !== 'processed') throw new Error('not yet');
      return events;
    });
    expect(event).toMatchObject({ topic: 'shopify/orders/create', source: 'shopify' });
    expect(JSON.parse(event!.data)).toEqual({ id: 1.5, note: 'café' });
  });

  it('stores one event for a webhook id seen again (answering 200 both times)', async () => {
    const shop = await shopWithSecret();
    const body = '{"id":2}';
    const headers = {
      'x-shopify-shop-domain': shop.domain,
      'x-shopify-topic': 'orders/paid',
      'x-shopify-webhook-id': 'same-id',
      'x-shopify-hmac-sha256': await hmacBase64(SECRET, body),
    };
    expect((await send(headers, body)).status).toBe(200);
    await vi.waitFor(async () => expect((await shopifyEvents(shop.shopId))[0]?.status).toBe('processed'));
    expect((await send(headers, body)).status).toBe(200);
    // Give the second message time to reach the consumer; it must not add a row.
    await new Promise((r) => setTimeout(r, 500));
    expect(await shopifyEvents(shop.shopId)).toHaveLength(1);
    // The same webhook id at another shop is another event.
    const other = await shopWithSecret();
    expect((await send({ ...headers, 'x-shopify-shop-domain': other.domain }, body)).status).toBe(200);
    await vi.waitFor(async () => expect(await shopifyEvents(other.shopId)).toHaveLength(1));
  });

  it('stores one event for an X-Shopify-Event-Id seen again, whatever its webhook id or topic (a replay)', async () => {
    const shop = await shopWithSecret();
    const body = '{"id":3}';
    const headers = {
      'x-shopify-shop-domain': shop.domain,
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'delivery-1',
      'x-shopify-event-id': 'event-77',
      'x-shopify-triggered-at': new Date().toISOString(),
      'x-shopify-hmac-sha256': await hmacBase64(SECRET, body),
    };
    expect((await send(headers, body)).status).toBe(200);
    await vi.waitFor(async () => expect((await shopifyEvents(shop.shopId))[0]?.status).toBe('processed'));
    // The captured body replayed as a new delivery, and under another topic: acknowledged, not stored.
    expect((await send({ ...headers, 'x-shopify-webhook-id': 'delivery-2' }, body)).status).toBe(200);
    expect((await send({ ...headers, 'x-shopify-topic': 'orders/cancelled' }, body)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    const stored = await shopifyEvents(shop.shopId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ topic: 'shopify/orders/create' });
  });

  it('refuses a delivery triggered longer ago than SHOPIFY_WEBHOOK_MAX_AGE_HOURS (default 48)', async () => {
    const shop = await shopWithSecret();
    const body = '{"id":4}';
    const headers = (hoursAgo: number, id: string) => ({
      'x-shopify-shop-domain': shop.domain,
      'x-shopify-topic': 'orders/create',
      'x-shopify-event-id': id,
      'x-shopify-triggered-at': new Date(Date.now() - hoursAgo * 3_600_000).toISOString(),
    });
    const signed = { 'x-shopify-hmac-sha256': await hmacBase64(SECRET, body) };
    const old = await send({ ...headers(49, 'old'), ...signed }, body);
    expect(old.status).toBe(400);
    expect(await old.json()).toEqual({
      error: { code: 'webhook_too_old', message: expect.stringMatching(/48 hours/) },
    });
    const bad = await send({ ...headers(0, 'bad'), 'x-shopify-triggered-at': 'yesterday', ...signed }, body);
    expect(bad.status).toBe(400);
    expect((await send({ ...headers(47, 'recent'), ...signed }, body)).status).toBe(200);
    await vi.waitFor(async () => expect(await shopifyEvents(shop.shopId)).toHaveLength(1));
    // The age is configurable.
    const strict = await callWithEnv({ ...env, SHOPIFY_WEBHOOK_MAX_AGE_HOURS: '1' }, '/shopify/webhooks', {
      method: 'POST',
      headers: { ...headers(2, 'strict'), ...signed },
      body,
    });
    expect(strict.status).toBe(400);
  });

  it.each([
    [
      'a wrong signature',
      async (domain: string) => ({
        'x-shopify-shop-domain': domain,
        'x-shopify-hmac-sha256': await hmacBase64('not-the-secret', '{}'),
      }),
    ],
    ['no signature', async (domain: string) => ({ 'x-shopify-shop-domain': domain })],
    [
      'a signature over other bytes',
      async (domain: string) => ({
        'x-shopify-shop-domain': domain,
        'x-shopify-hmac-sha256': await hmacBase64(SECRET, '{ }'),
      }),
    ],
    [
      'an unknown shop',
      async () => ({
        'x-shopify-shop-domain': 'nobody.myshopify.com',
        'x-shopify-hmac-sha256': await hmacBase64(SECRET, '{}'),
      }),
    ],
    ['no shop header', async () => ({ 'x-shopify-hmac-sha256': await hmacBase64(SECRET, '{}') })],
  ])('answers 401 and stores nothing for %s', async (_name, headersFor) => {
    const shop = await shopWithSecret();
    const res = await send({ 'x-shopify-topic': 'orders/create', ...(await headersFor(shop.domain)) }, '{}');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'invalid_signature', message: expect.any(String) } });
    expect(await shopifyEvents(shop.shopId)).toEqual([]);
  });

  it('answers 401 for a shop without a Shopify client secret', async () => {
    const shop = await createShopWithApp();
    const res = await send(
      {
        'x-shopify-shop-domain': shop.domain,
        'x-shopify-topic': 'orders/create',
        'x-shopify-hmac-sha256': await hmacBase64(SECRET, '{}'),
      },
      '{}',
    );
    expect(res.status).toBe(401);
  });

  it.each([
    ['a missing topic', {}, '{}'],
    ['a malformed topic', { 'x-shopify-topic': '../../etc' }, '{}'],
    ['a body that is not JSON', { 'x-shopify-topic': 'orders/create' }, 'not json'],
  ])('answers 400 for %s (signature valid)', async (_name, extra, body) => {
    const shop = await shopWithSecret();
    const res = await send(
      { 'x-shopify-shop-domain': shop.domain, 'x-shopify-hmac-sha256': await hmacBase64(SECRET, body), ...extra },
      body,
    );
    expect(res.status).toBe(400);
    expect(await shopifyEvents(shop.shopId)).toEqual([]);
  });

  it('answers 405 with Allow for other methods', async () => {
    const res = await call('/shopify/webhooks', { method: 'GET' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('stores the client secret encrypted and never shows it', async () => {
    const shop = await shopWithSecret();
    const shown = await (await call(`/api/v1/shops/${shop.shopId}`, jsonInit('GET', ADMIN_TOKEN))).text();
    expect(shown).toContain('"shopify_client_secret_set":true');
    expect(shown).not.toContain(SECRET);
    const row = await env.DB.prepare('SELECT shopify_secret_ciphertext AS c FROM shops WHERE id = ?1')
      .bind(shop.shopId)
      .first<{ c: string }>();
    expect(row!.c).toMatch(/^v1\./);
    expect(row!.c).not.toContain(SECRET);
    // Removing it: inbound webhooks for the shop are refused again.
    await call(`/api/v1/shops/${shop.shopId}`, jsonInit('PATCH', ADMIN_TOKEN, { shopify_client_secret: null }));
    const res = await send(
      {
        'x-shopify-shop-domain': shop.domain,
        'x-shopify-topic': 'orders/create',
        'x-shopify-hmac-sha256': await hmacBase64(SECRET, '{}'),
      },
      '{}',
    );
    expect(res.status).toBe(401);
  });

  it('validates the secret field (422) and keeps it operator-only (403 for an app token)', async () => {
    const shop = await createShopWithApp();
    const bad = await call(
      `/api/v1/shops/${shop.shopId}`,
      jsonInit('PATCH', ADMIN_TOKEN, { shopify_client_secret: '' }),
    );
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ error: { fields: { shopify_client_secret: [expect.any(String)] } } });
    const forbidden = await call(
      `/api/v1/shops/${shop.shopId}`,
      jsonInit('PATCH', shop.token, { shopify_client_secret: 'x' }),
    );
    expect(forbidden.status).toBe(403);
  });
});
