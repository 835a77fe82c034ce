import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import { QUEUE_NAMES } from '../../src/env';
import { idempotentIds } from '../../src/ingress/idempotency';
import { instrumentedEnv } from '../faults';
import {
  call,
  callWithEnv,
  createShopWithApp,
  createWebhook,
  eventsForRequest,
  jsonInit,
  postWebhook,
  waitForEvent,
} from '../helpers';
import { createTask } from '../task-helpers';
import { envelope, eventMessage, recordingBatch } from '../queue';

/** docs/contracts.md, "Requests and answers", the Idempotency-Key rule (issue 12, point 4). */

let shop: { shopId: string; token: string; domain: string };
let webhookId: string;

beforeAll(async () => {
  // On shard 0: the hot-path test's failing D1 is that shard's (and the primary's).
  shop = await createShopWithApp({ shard: 0 });
  webhookId = await createWebhook(shop.token);
});

const post = (body: string, key: string | null, id = webhookId) =>
  postWebhook(id, {
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
    body,
  });

describe('POST /webhooks/{id} with Idempotency-Key', () => {
  it('answers a repeat of the same request with the same 204 and x-request-id and stores one event', async () => {
    const key = `order-${crypto.randomUUID()}`;
    const first = await post('{"attempt":1}', key);
    const second = await post('{"attempt":1}', key);
    expect(first.status).toBe(204);
    expect(second.status).toBe(204);
    const requestId = first.headers.get('x-request-id')!;
    expect(second.headers.get('x-request-id')).toBe(requestId);
    const event = await waitForEvent(requestId);
    // A third repeat after the first was processed is dropped too.
    const third = await post('{"attempt":1}', key);
    expect(third.headers.get('x-request-id')).toBe(requestId);
    await new Promise((r) => setTimeout(r, 300));
    const stored = await eventsForRequest(requestId);
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.data)).toEqual({ attempt: 1 });
    expect(stored[0]!.id).toBe(event.id);
  });

  it('refuses the same key with another body or query: 409, never the first request id, no event', async () => {
    const key = crypto.randomUUID();
    const first = await post('{"cart":"shopper"}', key);
    expect(first.status).toBe(204);
    const requestId = first.headers.get('x-request-id')!;
    const other = await post('{"cart":"stranger"}', key);
    expect(other.status).toBe(409);
    expect((await other.json<{ error: { code: string; message: string } }>()).error).toEqual({
      code: 'idempotency_key_reused',
      message: expect.stringContaining('different request body'),
    });
    const otherId = other.headers.get('x-request-id');
    expect(otherId).not.toBe(requestId);
    const query = await postWebhook(
      webhookId,
      { headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: '{"cart":"shopper"}' },
      '?x=1',
    );
    expect(query.status).toBe(409);
    expect(query.headers.get('x-request-id')).not.toBe(requestId);
    // The shopper's own repeat still gets its id; only its one event exists.
    expect((await post('{"cart":"shopper"}', key)).headers.get('x-request-id')).toBe(requestId);
    await waitForEvent(requestId);
    await new Promise((r) => setTimeout(r, 300));
    expect(await eventsForRequest(otherId!)).toHaveLength(0);
    expect(await eventsForRequest(query.headers.get('x-request-id')!)).toHaveLength(0);
    expect(await eventsForRequest(requestId)).toHaveLength(1);
  });

  it("derives ids from the body too: a stranger posting first does not take the shopper's id", async () => {
    const key = crypto.randomUUID();
    const stranger = await post('{"who":"stranger"}', key);
    const shopper = await post('{"who":"shopper"}', key);
    expect(stranger.status).toBe(204);
    expect(shopper.status).toBe(409);
    expect(shopper.headers.get('x-request-id')).not.toBe(stranger.headers.get('x-request-id'));
  });

  it('gives different keys, and the same key on another webhook, their own request ids and events', async () => {
    const other = await createWebhook(shop.token);
    const key = crypto.randomUUID();
    const a = (await post('{}', key)).headers.get('x-request-id')!;
    const b = (await post('{}', `${key}-b`)).headers.get('x-request-id')!;
    const c = (await post('{}', key, other)).headers.get('x-request-id')!;
    expect(new Set([a, b, c]).size).toBe(3);
    for (const id of [a, b, c]) expect((await waitForEvent(id)).webhook_request_id).toBe(id);
    // Without a key every POST is its own event.
    const [x, y] = await Promise.all([post('{}', null), post('{}', null)]);
    expect(x.headers.get('x-request-id')).not.toBe(y.headers.get('x-request-id'));
  });

  it('makes no D1 call on the hot path: D1 down, the repeat still answers 204 with the same id', async () => {
    const key = crypto.randomUUID();
    const first = await post('{"a":1}', key); // warms the isolate's webhook config
    const broken = instrumentedEnv({ failDb: true });
    const repeat = await callWithEnv(broken.env, `/webhooks/${webhookId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: '{"a":1}',
    });
    expect(repeat.status).toBe(204);
    expect(repeat.headers.get('x-request-id')).toBe(first.headers.get('x-request-id'));
    expect(broken.sql).toEqual([]);
  });

  it('answers unknown webhook ids alike: 204 and a request id derived from the key', async () => {
    const unknown = crypto.randomUUID();
    const a = await post('{}', 'unknown-webhook-key-1', unknown);
    const b = await post('{}', 'unknown-webhook-key-1', unknown);
    expect(a.status).toBe(204);
    expect(a.headers.get('x-request-id')).toBe(b.headers.get('x-request-id'));
  });

  it.each([
    ['empty', ''],
    ['15 characters', 'k'.repeat(15)],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'order 1234567890123'],
    ['a control character', 'order\u00071234567890123'],
    ['a slash', 'cart/1234567890123456'],
    ['punctuation outside _.:-', 'cart!1234567890123456'],
  ])('refuses a key that is %s with 400 and stores nothing', async (_, key) => {
    const res = await call(`/webhooks/${webhookId}`, {
      method: 'POST',
      headers: { 'idempotency-key': key },
      body: 'a=1',
    });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe('invalid_idempotency_key');
    await new Promise((r) => setTimeout(r, 100));
    expect(await eventsForRequest(res.headers.get('x-request-id')!)).toHaveLength(0);
  });

  it('accepts 16 and 255 characters of A-Z, a-z, 0-9, _ . : -', async () => {
    expect((await post('{}', 'aZ09_.:-aZ09_.:-')).status).toBe(204);
    expect((await post('{}', 'k'.repeat(250) + '_.:-9')).status).toBe(204);
  });

  it('the preflight allows the Idempotency-Key header', async () => {
    const res = await call(`/webhooks/${webhookId}`, {
      method: 'OPTIONS',
      headers: {
        origin: `https://${shop.domain}`,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,idempotency-key',
      },
    });
    expect(res.status).toBe(204);
    expect(
      res.headers
        .get('access-control-allow-headers')
        ?.split(',')
        .map((h) => h.trim()),
    ).toContain('idempotency-key');
  });
});

describe('events consumer: repeats still on the queue', () => {
  it('a repeat in the same batch as the first is acked and processed once; the first body wins', async () => {
    const counting = await createShopWithApp();
    await createTask(counting.token, { script: `{% action "cache", "incr", "runs" %}` });
    const { requestId, eventId } = await idempotentIds(env.SECRETS_KEY, webhookId, 'same-batch-key-0001', 'f');
    const first = envelope(counting.shopId, { id: eventId, webhookRequestId: requestId, dataJson: '{"n":1}' });
    const repeat = { ...first, dataJson: '{"n":2}' };
    const { batch, settled } = recordingBatch(QUEUE_NAMES.events, [eventMessage(first), eventMessage(repeat)]);
    await consumeEventsBatch(batch, env);
    expect(settled.every((s) => s.acked && !s.retried)).toBe(true);
    const stored = await eventsForRequest(requestId);
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]!.data)).toEqual({ n: 1 });
    expect(stored[0]!.status).toBe('processed');
    // The task ran once: a second processing of the repeat would have counted 2.
    const runs = await call('/api/v1/cache/runs', jsonInit('GET', counting.token));
    expect((await runs.json<{ value: unknown }>()).value).toBe(1);
  });
});
