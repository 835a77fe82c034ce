import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_EVENT_DEPTH } from '../../src/env';
import { call, createShopWithApp, createWebhook, jsonInit, postWebhook, waitForEvent } from '../helpers';
import { childrenOf, createCacheEndpoint, createTask, finishedRunsOf } from '../task-helpers';

// The whole loop through the Worker, with the real local queue and consumer: a browser posts to a
// webhook, a task writes the result to the cache, the browser reads it at a cache endpoint.

let shop: { shopId: string; token: string; domain: string };

beforeAll(async () => {
  shop = await createShopWithApp();
});

const postJson = (webhookId: string, body: unknown) =>
  postWebhook(webhookId, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function readEndpoint(token: string): Promise<Response> {
  return vi.waitFor(
    async () => {
      const res = await call(`/cache/${token}`);
      if (res.status !== 200) throw new Error(`cache endpoint answered ${res.status}`);
      return res;
    },
    { timeout: 10_000, interval: 50 },
  );
}

describe('POST → task → cache setex → GET /cache/{token}', () => {
  it('returns what the task computed from the posted JSON', async () => {
    const topic = 'user/quote/request';
    const webhookId = await createWebhook(shop.token, { topic });
    await createTask(shop.token, {
      name: 'Quote',
      subscriptions: topic,
      script: `{% assign total = event.data.price | times: event.data.qty %}
{% action "cache", "setex", "quote/latest", 600, total %}`,
    });
    const endpoint = await createCacheEndpoint(shop.token, 'quote/latest');
    expect((await call(`/cache/${endpoint.token}`)).status).toBe(404);

    const post = await postJson(webhookId, { price: 12, qty: 3 });
    expect(post.status).toBe(204);
    const res = await readEndpoint(endpoint.token);
    expect(await res.json()).toBe(36);
    expect(res.headers.get('etag')).toMatch(/^"/);
  });

  it('per caller: the key carries event.webhook_request_id, read back with the x-request-id', async () => {
    const topic = 'user/quote/mine';
    const webhookId = await createWebhook(shop.token, { topic });
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% assign key = "result/" | append: event.webhook_request_id %}
{% action "cache", "setex", key, 300, event.data %}`,
    });
    const [a, b] = await Promise.all([postJson(webhookId, { who: 'a' }), postJson(webhookId, { who: 'b' })]);
    const results: Record<string, unknown> = {};
    for (const res of [a, b]) {
      const requestId = res.headers.get('x-request-id')!;
      const endpoint = await createCacheEndpoint(shop.token, `result/${requestId}`);
      results[requestId] = await (await readEndpoint(endpoint.token)).json();
    }
    expect(results).toEqual({
      [a.headers.get('x-request-id')!]: { who: 'a' },
      [b.headers.get('x-request-id')!]: { who: 'b' },
    });
  });

  it('two tasks on one event: the one that renders an error has its actions cancelled, the other succeeds', async () => {
    const topic = 'user/quote/split';
    const webhookId = await createWebhook(shop.token, { topic });
    const failing = await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "cache", "setex", "split/failing", 300, "should not exist" %}
{% if event.data.qty < 1 %}{% error "qty must be positive" %}{% endif %}`,
    });
    const working = await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "cache", "setex", "split/working", 300, "done" %}`,
    });
    const failingEndpoint = await createCacheEndpoint(shop.token, 'split/failing');
    const workingEndpoint = await createCacheEndpoint(shop.token, 'split/working');

    const post = await postJson(webhookId, { qty: 0 });
    const event = await waitForEvent(post.headers.get('x-request-id')!);
    const runs = await finishedRunsOf(shop.token, event.id, 2);
    expect(runs.find((r) => r.task_id === failing)).toMatchObject({
      status: 'failed',
      errors: ['qty must be positive'],
      action_runs: [],
    });
    expect(runs.find((r) => r.task_id === working)).toMatchObject({
      status: 'succeeded',
      action_runs: [{ type: 'cache', status: 'succeeded', result: 'done' }],
    });
    expect(await (await call(`/cache/${workingEndpoint.token}`)).json()).toBe('done');
    const cancelled = await call(`/cache/${failingEndpoint.token}`);
    expect(cancelled.status).toBe(404);
    expect(await cancelled.text()).toBe('null');
  });

  it(`a chain of child events stops at the depth limit (${MAX_EVENT_DEPTH} generations)`, async () => {
    const topic = 'user/chain/link';
    const webhookId = await createWebhook(shop.token, { topic });
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% assign n = event.data.n | plus: 1 %}
{% action "cache", "incr", "chain/links" %}
{% action "event", topic: "user/chain/link", data: n %}`,
    });
    const post = await postJson(webhookId, { n: 0 });
    const root = await waitForEvent(post.headers.get('x-request-id')!);

    // Follow the chain: generation g has g ancestors; the run at generation MAX_EVENT_DEPTH fails
    // to make a child.
    let current = root.id;
    for (let generation = 1; generation <= MAX_EVENT_DEPTH; generation++) {
      const [child] = await vi.waitFor(
        async () => {
          const children = await childrenOf(current);
          if (children.length === 0 || children[0]!.status !== 'processed') throw new Error('child not processed yet');
          return children;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(child!.topic).toBe(topic);
      current = child!.id;
    }
    const [last] = await finishedRunsOf(shop.token, current, 1);
    expect(last!.status).toBe('failed');
    expect(last!.action_runs[1]).toMatchObject({
      type: 'event',
      status: 'failed',
      error: expect.stringMatching(/event chain too deep/),
    });
    expect(await childrenOf(current)).toEqual([]);
    const count = await call('/api/v1/cache/chain/links', jsonInit('GET', shop.token));
    expect((await count.json<{ value: number }>()).value).toBe(MAX_EVENT_DEPTH + 1);
  });
});
