import { placeShop, rowsOnAllShards } from './shards';
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { expect, vi } from 'vitest';
import worker from '../src/index';

/** Base URL of requests made to the Worker in tests. */
export const BASE = 'https://edgehook.test';
export const ADMIN_TOKEN = 'test-admin-token';

/** A request through the Worker as deployed (its own env and bindings). */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(BASE + path, init));
}

/**
 * A request through the Worker's fetch handler with a changed env — how tests inject faults
 * (a queue that throws, a D1 that throws) without any switch in production code.
 */
export async function callWithEnv(testEnv: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(BASE + path, init) as Request<unknown, IncomingRequestCfProperties>;
  const response = await worker.fetch(request, testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** JSON request options with a bearer token. */
export function jsonInit(method: string, token: string | null, body?: unknown): RequestInit {
  const headers: Record<string, string> = {};
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
}

let shopCounter = 0;

/** Creates a shop with an app through the management API; returns their ids and the app token. */
export async function createShopWithApp(
  overrides: { primary_domain?: string | null; cors_allow_all?: boolean; domain?: string; shard?: number } = {},
): Promise<{ shopId: string; appId: string; token: string; domain: string; signingSecret: string }> {
  const domain = overrides.domain ?? `shop-${Date.now()}-${++shopCounter}.myshopify.com`;
  const shopRes = await call(
    '/api/v1/shops',
    jsonInit('POST', ADMIN_TOKEN, {
      myshopify_domain: domain,
      primary_domain: overrides.primary_domain ?? null,
      cors_allow_all: overrides.cors_allow_all ?? false,
    }),
  );
  expect(shopRes.status).toBe(201);
  const { shop } = await shopRes.json<{ shop: { id: string } }>();
  if (overrides.shard !== undefined) await placeShop(shop.id, overrides.shard);
  const appRes = await call(`/api/v1/shops/${shop.id}/apps`, jsonInit('POST', ADMIN_TOKEN, { name: 'test app' }));
  expect(appRes.status).toBe(201);
  const { app, access_token, signing_secret } = await appRes.json<{
    app: { id: string };
    access_token: string;
    signing_secret: string;
  }>();
  return { shopId: shop.id, appId: app.id, token: access_token, domain, signingSecret: signing_secret };
}

/** Creates a webhook with an app token; returns its id. */
export async function createWebhook(token: string, body: Record<string, unknown> = {}): Promise<string> {
  const res = await call(
    '/api/v1/webhooks',
    jsonInit('POST', token, { name: 'test', topic: 'user/test/submit', ...body }),
  );
  expect(res.status).toBe(201);
  return (await res.json<{ webhook: { id: string } }>()).webhook.id;
}

export interface StoredEvent {
  id: string;
  shop_id: string;
  topic: string;
  data: string;
  source: string;
  webhook_id: string | null;
  webhook_request_id: string | null;
  status: string;
  created_at: string;
}

/** Events stored for a webhook request id (read straight from D1). */
export async function eventsForRequest(requestId: string): Promise<StoredEvent[]> {
  return rowsOnAllShards<StoredEvent>('SELECT * FROM events WHERE webhook_request_id = ?1', requestId);
}

/** Waits until the queue consumer has stored (and processed) the event of a request. */
export async function waitForEvent(requestId: string, status = 'processed'): Promise<StoredEvent> {
  return vi.waitFor(
    async () => {
      const [event] = await eventsForRequest(requestId);
      if (!event || event.status !== status) throw new Error(`event not ${status} yet`);
      return event;
    },
    { timeout: 10_000, interval: 50 },
  );
}

/** The parsed `data` of the event a webhook request produced. */
export async function dataOfRequest(requestId: string): Promise<unknown> {
  return JSON.parse((await waitForEvent(requestId)).data) as unknown;
}

/** Posts to a webhook; returns the response. */
export function postWebhook(id: string, init: RequestInit = {}, query = ''): Promise<Response> {
  return call(`/webhooks/${id}${query}`, { method: 'POST', ...init });
}
