import { createScheduledController } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, MAX_INLINE_EVENT_CHARS } from '../../src/env';
import { clearConfigMemos } from '../../src/ingress/config';
import { webhookKvKey } from '../../src/kv-keys';
import worker from '../../src/index';
import { instrumentedEnv } from '../faults';
import { callWithEnv, createShopWithApp, createWebhook, eventsForRequest, waitForEvent } from '../helpers';

const post = (body: string, headers: Record<string, string> = { 'content-type': 'text/plain' }): RequestInit => ({
  method: 'POST',
  headers,
  body,
});

async function runCron(): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env);
}

describe('durability: 204 only once the event is durable', () => {
  it('stores the event in D1 as pending when the queue send fails; the cron sweep enqueues it', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    const calls = instrumentedEnv({ failQueue: true });
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, post('kept'));
    expect(res.status).toBe(204);
    const requestId = res.headers.get('x-request-id')!;

    const [pending] = await eventsForRequest(requestId);
    expect(pending).toMatchObject({ status: 'pending', data: '"kept"' });

    await runCron();
    const processed = await waitForEvent(requestId);
    expect(processed.id).toBe(pending!.id);
    expect(await eventsForRequest(requestId)).toHaveLength(1);
  });

  it('does not touch D1 on the normal hot path (webhook and CORS policy come from KV)', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token, domain } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    clearConfigMemos();
    const calls = instrumentedEnv({ failDb: true });
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, {
      ...post('{"a":1}', { 'content-type': 'application/json', origin: `https://${domain}` }),
    });
    expect(res.status).toBe(204);
    expect(calls.sql).toEqual([]);
    expect(calls.queueSends).toHaveLength(1);
    await waitForEvent(res.headers.get('x-request-id')!);
  });

  it('falls back to D1 once on a KV miss, memoises the answer and repairs KV', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    await env.KV.delete(webhookKvKey(id));
    clearConfigMemos();

    const calls = instrumentedEnv();
    const first = await callWithEnv(calls.env, `/webhooks/${id}`, post('one'));
    expect(first.status).toBe(204);
    expect(calls.sql.filter((s) => s.includes('FROM webhooks'))).toHaveLength(1);
    await waitForEvent(first.headers.get('x-request-id')!);
    expect(await env.KV.get(webhookKvKey(id), 'json')).toMatchObject({ enabled: true, mode: 'auto' });

    const second = await callWithEnv(calls.env, `/webhooks/${id}`, post('two'));
    expect(second.status).toBe(204);
    expect(calls.sql.filter((s) => s.includes('FROM webhooks'))).toHaveLength(1);
  });

  it('memoises "no such webhook" too, so unknown ids do not hit D1 on every request', async () => {
    clearConfigMemos();
    const calls = instrumentedEnv();
    const unknown = crypto.randomUUID();
    for (let i = 0; i < 3; i++) {
      expect((await callWithEnv(calls.env, `/webhooks/${unknown}`, post('x'))).status).toBe(204);
    }
    expect(calls.sql.filter((s) => s.includes('FROM webhooks'))).toHaveLength(1);
  });

  it('answers 503 when KV has no copy and D1 cannot be read, instead of dropping the event', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token);
    await env.KV.delete(webhookKvKey(id));
    clearConfigMemos();
    const calls = instrumentedEnv({ failDb: true });
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, post('x'));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
  });

  it('stores a large event in D1 first and queues only its id', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { shopId, token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    const body = 'L'.repeat(MAX_INLINE_EVENT_CHARS + 10);
    const calls = instrumentedEnv();
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, post(body));
    expect(res.status).toBe(204);
    const requestId = res.headers.get('x-request-id')!;
    const [event] = await eventsForRequest(requestId);
    expect(calls.queueSends).toEqual([{ kind: 'event-ref', eventId: event!.id, shopId }]);
    const processed = await waitForEvent(requestId);
    expect(JSON.parse(processed.data)).toBe(body);
  });

  it('leaves a large event pending when its reference cannot be queued; the sweep sends it', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    const calls = instrumentedEnv({ failQueue: true });
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, post('P'.repeat(MAX_INLINE_EVENT_CHARS + 1)));
    expect(res.status).toBe(204);
    const requestId = res.headers.get('x-request-id')!;
    expect((await eventsForRequest(requestId))[0]!.status).toBe('pending');
    await runCron();
    await waitForEvent(requestId);
  });

  it('answers 503 for a large event when D1 is down, even though the queue works', async () => {
    // On shard 0 (queue group 0): the instrumented env's EVENTS and DB are that shard's.
    const { token } = await createShopWithApp({ shard: 0 });
    const id = await createWebhook(token);
    // Warm the memo so the webhook lookup itself does not need D1.
    expect((await callWithEnv(env, `/webhooks/${id}`, post('warm'))).status).toBe(204);
    const calls = instrumentedEnv({ failDb: true });
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, post('B'.repeat(MAX_INLINE_EVENT_CHARS + 1)));
    expect(res.status).toBe(503);
    expect(calls.queueSends).toEqual([]);
  });

  it('refuses with 413 a request whose event data would not fit a D1 row (full mode, 1 MiB)', async () => {
    const { token } = await createShopWithApp();
    const id = await createWebhook(token, { data_mode: 'full' });
    const body = JSON.stringify({ text: 'z'.repeat(MAX_BODY_BYTES - 20) });
    const calls = instrumentedEnv();
    const res = await callWithEnv(calls.env, `/webhooks/${id}`, post(body, { 'content-type': 'application/json' }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: { code: 'event_too_large' } });
    expect(calls.queueSends).toEqual([]);
  });
});
