import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/env';
import { instrumentedEnv } from '../faults';
import {
  ADMIN_TOKEN,
  call,
  callWithEnv,
  createShopWithApp,
  createWebhook,
  dataOfRequest,
  eventsForRequest,
  jsonInit,
  postWebhook,
  waitForEvent,
} from '../helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const json = (body: unknown): RequestInit => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** True when the request put nothing on the queue and wrote nothing to D1. */
function createdNoEvent(calls: { queueSends: unknown[]; sql: string[] }): boolean {
  return calls.queueSends.length === 0 && !calls.sql.some((s) => /^\s*(INSERT|UPDATE|DELETE)\b/i.test(s));
}

describe('POST /webhooks/{id} — docs/contracts.md, "Requests and answers"', () => {
  it('answers an enabled webhook with 204, an x-request-id, and creates the event', async () => {
    const { shopId, token } = await createShopWithApp();
    const id = await createWebhook(token, { topic: 'user/quote/request' });
    const res = await postWebhook(id, json({ quote: { qty: 2 } }));

    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const requestId = res.headers.get('x-request-id')!;
    expect(requestId).toMatch(UUID);

    const stored = await waitForEvent(requestId);
    const apiRes = await call(`/api/v1/events/${stored.id}`, jsonInit('GET', token));
    const { event } = await apiRes.json<{ event: Record<string, unknown> }>();
    expect(event).toMatchObject({
      id: stored.id,
      shop_id: shopId,
      topic: 'user/quote/request',
      data: { quote: { qty: 2 } },
      source: 'webhook',
      webhook_id: id,
      webhook_request_id: requestId,
      parent_id: null,
    });
    // Time-ordered (UUID version 7, issue 13), so events append to their D1 indexes.
    expect(event['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event['created_at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('answers the legacy /webhook/{id} path the same way', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    const res = await call(`/webhook/${id}`, { method: 'POST', ...json({ legacy: true }) });
    expect(res.status).toBe(204);
    expect(await dataOfRequest(res.headers.get('x-request-id')!)).toEqual({ legacy: true });
  });

  it('answers an unknown id exactly like a real one, and creates no event', async () => {
    const calls = instrumentedEnv();
    const res = await callWithEnv(calls.env, `/webhooks/${crypto.randomUUID()}`, {
      method: 'POST',
      ...json({ a: 1 }),
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(await res.text()).toBe('');
    expect(createdNoEvent(calls)).toBe(true);
  });

  it('answers a disabled webhook like an unknown one, and creates no event', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token, { enabled: false });
    const calls = instrumentedEnv();
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, { method: 'POST', ...json({ a: 1 }) });
    expect(res.status).toBe(204);
    expect(res.headers.get('x-request-id')).toMatch(UUID);
    expect(createdNoEvent(calls)).toBe(true);
  });

  it('answers ids that are not UUIDs like unknown ones, without reading D1', async () => {
    const calls = instrumentedEnv();
    const res = await callWithEnv(calls.env, `/webhooks/not-a-uuid'%20OR%201=1`, { method: 'POST' });
    expect(res.status).toBe(204);
    expect(calls.sql).toEqual([]);
    expect(calls.queueSends).toEqual([]);
  });

  it.each(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE'])(
    'answers %s with 405, Allow: POST, OPTIONS and a JSON error',
    async (method) => {
      const { token } = await createShopWithApp();
      const id = await createWebhook(token);
      for (const path of [`/webhooks/${id}`, `/webhook/${id}`, `/webhooks/${crypto.randomUUID()}`]) {
        const res = await call(path, { method });
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toBe('POST, OPTIONS');
        expect(res.headers.get('content-type')).toContain('application/json');
        if (method !== 'HEAD') {
          expect(await res.json()).toEqual({
            error: { code: 'method_not_allowed', message: expect.any(String) },
          });
        }
      }
    },
  );

  it('refuses a body over MAX_BODY_BYTES with 413 and a JSON error; no event', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    const calls = instrumentedEnv();
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(createdNoEvent(calls)).toBe(true);
  });

  it('refuses an oversized body sent without content-length (streamed) with 413', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const calls = instrumentedEnv();
    const request = new Request(`https://edgehook.test/webhooks/${id}`, { method: 'POST', body: stream });
    expect(request.headers.get('content-length')).toBeNull();
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, request);
    expect(res.status).toBe(413);
    expect(createdNoEvent(calls)).toBe(true);
  });

  it('accepts a body of exactly MAX_BODY_BYTES', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    const body = 'y'.repeat(MAX_BODY_BYTES);
    const res = await postWebhook(id, { headers: { 'content-type': 'text/plain' }, body });
    expect(res.status).toBe(204);
    expect(await dataOfRequest(res.headers.get('x-request-id')!)).toBe(body);
  });

  it('limits the rate per webhook and client IP: 429 with Retry-After, no event', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    const calls = instrumentedEnv();
    const tight = { ...calls.env, INGRESS_RATE_LIMITER: env.TEST_TIGHT_RATE_LIMITER };
    const from = (ip: string) => ({ method: 'POST', headers: { 'cf-connecting-ip': ip } });

    expect((await callWithEnv(tight, `/webhooks/${id}`, from('198.51.100.1'))).status).toBe(204);
    expect((await callWithEnv(tight, `/webhooks/${id}`, from('198.51.100.1'))).status).toBe(204);
    const sendsBefore = calls.queueSends.length;
    const limited = await callWithEnv(tight, `/webhooks/${id}`, from('198.51.100.1'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect(calls.queueSends.length).toBe(sendsBefore);

    // Another client IP, or another webhook, has its own budget.
    expect((await callWithEnv(tight, `/webhooks/${id}`, from('198.51.100.2'))).status).toBe(204);
    const other = await createWebhook(token);
    expect((await callWithEnv(tight, `/webhooks/${other}`, from('198.51.100.1'))).status).toBe(204);
  });

  it('answers 503 with Retry-After when the queue and D1 both fail, and never 204', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    const calls = instrumentedEnv({ failQueue: true, failDb: true });
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, { method: 'POST', ...json({ a: 1 }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
  });
});

describe('CORS on webhooks — docs/contracts.md, "CORS"', () => {
  async function shopWebhook(overrides: Parameters<typeof createShopWithApp>[0] = {}) {
    const shop = await createShopWithApp({ primary_domain: 'shop.example.com', ...overrides });
    return { ...shop, webhookId: await createWebhook(shop.token) };
  }

  it('allows the myshopify domain, the primary domain and additional origins', async () => {
    const { token, domain, webhookId } = await shopWebhook();
    const put = await call('/api/v1/cors', jsonInit('PUT', token, { origins: ['https://partner.example.org'] }));
    expect(put.status).toBe(200);
    for (const origin of [`https://${domain}`, 'https://shop.example.com', 'https://partner.example.org']) {
      const res = await postWebhook(webhookId, { headers: { origin } });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(res.headers.get('vary')).toBe('Origin');
      expect(res.headers.get('access-control-expose-headers')).toBe('x-request-id');
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });

  it('answers an allowed preflight with 204 and the preflight headers', async () => {
    const { domain, webhookId } = await shopWebhook();
    const res = await call(`/webhooks/${webhookId}`, {
      method: 'OPTIONS',
      headers: {
        origin: `https://${domain}`,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, idempotency-key, x-custom',
      },
    });
    expect(res.status).toBe(204);
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'access-control-allow-origin': `https://${domain}`,
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'content-type, idempotency-key, x-custom',
      'access-control-max-age': '7200',
      'access-control-expose-headers': 'x-request-id',
      'access-control-allow-credentials': 'true',
    });
    expect(res.headers.get('vary')).toContain('Origin');
  });

  it('refuses a disallowed origin: preflight 403 and POST 403 with no CORS headers and no event', async () => {
    const { webhookId } = await shopWebhook();
    const origin = 'https://evil.example.net';
    const preflight = await call(`/webhooks/${webhookId}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect([...preflight.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);

    const calls = instrumentedEnv();
    const res = await callWithEnv(calls.env, `/webhooks/${webhookId}`, {
      method: 'POST',
      headers: { origin, 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'origin_not_allowed' } });
    expect([...res.headers.keys()].filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(createdNoEvent(calls)).toBe(true);
  });

  it('sends no CORS headers without an Origin (server-to-server); OPTIONS gives Allow', async () => {
    const { webhookId } = await shopWebhook();
    const res = await postWebhook(webhookId);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const options = await call(`/webhooks/${webhookId}`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, OPTIONS');
  });

  it('reflects any origin for an allow-all shop', async () => {
    const { webhookId } = await shopWebhook({ cors_allow_all: true });
    const res = await postWebhook(webhookId, { headers: { origin: 'https://anywhere.example' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://anywhere.example');
    // Credentialed requests need the exact origin, never `*`, also under allow-all.
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('answers unknown and disabled ids exactly as an allow-all webhook would', async () => {
    const { token } = await createShopWithApp();
    const disabled = await createWebhook(token, { enabled: false });
    for (const id of [crypto.randomUUID(), disabled]) {
      const origin = 'https://whoever.example';
      const post = await postWebhook(id, { headers: { origin } });
      expect(post.status).toBe(204);
      expect(post.headers.get('access-control-allow-origin')).toBe(origin);
      expect(post.headers.get('access-control-expose-headers')).toBe('x-request-id');
      const preflight = await call(`/webhooks/${id}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    }
  });

  it('carries CORS headers on errors for allowed origins, so the page can read them', async () => {
    const { domain, webhookId } = await shopWebhook();
    const res = await postWebhook(webhookId, {
      headers: { origin: `https://${domain}`, 'content-type': 'text/plain' },
      body: 'x'.repeat(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(res.headers.get('access-control-allow-origin')).toBe(`https://${domain}`);
    expect(res.headers.get('x-request-id')).toMatch(UUID);
  });

  it('follows the shop when its settings change: allow-all on and off, origins added', async () => {
    const { shopId, token, webhookId } = await shopWebhook();
    const origin = 'https://later.example.com';
    expect((await postWebhook(webhookId, { headers: { origin } })).status).toBe(403);

    await call('/api/v1/cors', jsonInit('PUT', token, { allow_all: true }));
    expect((await postWebhook(webhookId, { headers: { origin } })).status).toBe(204);

    await call(`/api/v1/shops/${shopId}`, jsonInit('PATCH', ADMIN_TOKEN, { cors_allow_all: false }));
    expect((await postWebhook(webhookId, { headers: { origin } })).status).toBe(403);

    await call('/api/v1/cors', jsonInit('PUT', token, { origins: [origin] }));
    expect((await postWebhook(webhookId, { headers: { origin } })).status).toBe(204);
  });
});

describe('event data through the Worker', () => {
  it('auto mode: urlencoded form with the query string merged (query wins)', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    const res = await postWebhook(
      id,
      { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&items[][id]=1&items[][id]=2' },
      '?a=from-query&b[c]=2',
    );
    expect(await dataOfRequest(res.headers.get('x-request-id')!)).toEqual({
      a: 'from-query',
      items: [{ id: '1' }, { id: '2' }],
      b: { c: '2' },
    });
  });

  it('auto mode: multipart with a file', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    const form = new FormData();
    form.append('note', 'hi');
    form.append('file', new File(['file body'], 'notes.txt', { type: 'text/plain' }));
    const res = await postWebhook(id, { body: form });
    expect(await dataOfRequest(res.headers.get('x-request-id')!)).toEqual({
      note: 'hi',
      file: { content_base64: btoa('file body'), mime_type: 'text/plain', name: 'notes.txt', size: 9 },
    });
  });

  it('auto mode: a blank body gives null and non-UTF-8 gives body_base64', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    const blank = await postWebhook(id, { body: '  \n' });
    expect(await dataOfRequest(blank.headers.get('x-request-id')!)).toBeNull();
    const binary = await postWebhook(id, { body: new Uint8Array([0xc3, 0x28]) });
    expect(await dataOfRequest(binary.headers.get('x-request-id')!)).toEqual({ body_base64: 'wyg=' });
  });

  it('full mode: the request described, request_id equal to x-request-id', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token, { data_mode: 'full' });
    const res = await postWebhook(
      id,
      {
        headers: { 'content-type': 'application/json', 'x-trace': 't1', 'cf-connecting-ip': '192.0.2.9' },
        body: '[1]',
      },
      '?q=1',
    );
    const requestId = res.headers.get('x-request-id')!;
    expect(await dataOfRequest(requestId)).toMatchObject({
      body_base64: btoa('[1]'),
      body: { _json: [1] },
      client_ip: '192.0.2.9',
      headers: { 'x-trace': ['t1'], 'content-type': ['application/json'] },
      mime_type: 'application/json',
      query_string: 'q=1',
      query: { q: '1' },
      request_id: requestId,
      webhook_id: id,
    });
  });

  it('keeps no event for requests refused before durability', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    const res = await postWebhook(id, { method: 'POST', headers: { origin: 'https://nope.example' } });
    expect(res.status).toBe(403);
    expect(await eventsForRequest(res.headers.get('x-request-id')!)).toEqual([]);
  });
});
