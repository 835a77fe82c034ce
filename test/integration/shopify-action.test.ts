import { env, exports } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { QUEUE_NAMES, SHOPIFY_ACTION_MAX_QUERY_CHARS } from '../../src/env';
import { consumeEventsBatch } from '../../src/pipeline/events-consumer';
import type { EventEnvelope, QueueMessage } from '../../src/queue/messages';
import { performAction } from '../../src/tasks/actions/perform';
import { SHOPIFY_ACTION_API_VERSION, shopifyGraphqlUrl } from '../../src/tasks/actions/shopify-url';
import { ADMIN_TOKEN, call, createShopWithApp, jsonInit } from '../helpers';
import { envelope, eventMessage, recordingBatch } from '../queue';
import {
  cost,
  scriptStandIn,
  setShopifyAccessToken,
  STAND_IN_BASE_URL,
  standInRequests,
  throttledAnswer,
} from '../shopify-stand-in';
import { createTask, taskRunsOf } from '../task-helpers';

// The `shopify` action against a Shopify stand-in on 127.0.0.1 (test/receiver), and end to end
// against edgehook's own GraphQL Admin API.

const SHOPIFY_TOKEN = 'shpat_test_0123456789abcdef';

interface Sent {
  body: QueueMessage;
  delaySeconds: number | undefined;
}

/** The real bindings aimed at the stand-in; the events queue records what it is sent. */
function standInEnv(baseUrl = STAND_IN_BASE_URL): { testEnv: Env; sent: Sent[] } {
  const sent: Sent[] = [];
  const queue = {
    send: async (body: QueueMessage, o?: QueueSendOptions) => void sent.push({ body, delaySeconds: o?.delaySeconds }),
    sendBatch: async (messages: Iterable<MessageSendRequest<QueueMessage>>) => {
      for (const m of messages) sent.push({ body: m.body, delaySeconds: m.delaySeconds });
    },
  } as unknown as Queue;
  // Every queue group's events queue (a shop on shard 1 sends to EVENTS_1).
  const groups = Object.keys(env).filter((name) => /^EVENTS(_\d+)?$/.test(name));
  const queues = Object.fromEntries(groups.map((name) => [name, queue]));
  return { testEnv: { ...env, ...queues, SHOPIFY_ADMIN_BASE_URL: baseUrl } as Env, sent };
}

async function consume(testEnv: Env, bodies: QueueMessage[]) {
  const { batch, settled } = recordingBatch(QUEUE_NAMES.events, bodies);
  await consumeEventsBatch(batch, testEnv);
  return settled;
}

let counter = 0;

/** A shop with an app, its Shopify token set, and a task on a fresh topic running `script`. */
async function shopWithTask(script: string) {
  const shop = await createShopWithApp();
  expect((await setShopifyAccessToken(shop.shopId, SHOPIFY_TOKEN)).status).toBe(200);
  const topic = `user/shopify/t${++counter}`;
  await createTask(shop.token, { subscriptions: topic, script });
  const event: EventEnvelope = envelope(shop.shopId, { topic, dataJson: JSON.stringify({ customer_id: 7 }) });
  return { ...shop, topic, event };
}

const METAFIELDS_SET = `mutation SetResult($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id namespace key value }
    userErrors { field message code }
  }
}`;

const metafieldsScript = `{% capture mutation %}${METAFIELDS_SET}{% endcapture %}
{% assign owner = "gid://shopify/Customer/" | append: event.data.customer_id %}
{% action "shopify" %}{"query": {{ mutation | json }}, "variables": {"metafields": [{"ownerId": {{ owner | json }}, "namespace": "edgehook", "key": "quote", "type": "json", "value": "{\\"total\\":42}"}]}}{% endaction %}`;

describe('shopify action against the stand-in', () => {
  it('performs metafieldsSet on a customer with the shop token and records data and extensions.cost', async () => {
    const shop = await shopWithTask(metafieldsScript);
    const answer = {
      data: {
        metafieldsSet: {
          metafields: [{ id: 'gid://shopify/Metafield/1', namespace: 'edgehook', key: 'quote', value: '{"total":42}' }],
          userErrors: [],
        },
      },
      extensions: cost(10, 10),
    };
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [{ status: 200, body: answer }]);
    const { testEnv } = standInEnv();
    expect((await consume(testEnv, [eventMessage(shop.event)]))[0]).toMatchObject({ acked: true });

    const [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run!.action_runs[0]).toMatchObject({
      type: 'shopify',
      status: 'succeeded',
      attempts: 1,
      result: { data: answer.data, errors: null, extensions: answer.extensions },
    });
    const [request] = await standInRequests(shop.domain);
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe(`/r/${shop.domain}/admin/api/${SHOPIFY_ACTION_API_VERSION}/graphql.json`);
    expect(request!.headers['x-shopify-access-token']).toBe(SHOPIFY_TOKEN);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({
      query: METAFIELDS_SET,
      variables: {
        metafields: [
          {
            ownerId: 'gid://shopify/Customer/7',
            namespace: 'edgehook',
            key: 'quote',
            type: 'json',
            value: '{"total":42}',
          },
        ],
      },
    });
  });

  it("runs docs/api.md's metafield read-back recipe as written", async () => {
    // The task script of "Worked example: the result in a customer metafield", verbatim.
    const recipe =
      '{% assign total = event.data.price | times: event.data.qty %}\n{% assign owner = "gid://shopify/Customer/" | append: event.data.customer_id %}\n{% capture value %}{"total":{{ total }}}{% endcapture %}\n{% action "shopify" %}{"query": "mutation($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { field message } } }", "variables": {"m": [{"ownerId": {{ owner | json }}, "namespace": "edgehook", "key": "quote", "type": "json", "value": {{ value | json }}}]}}{% endaction %}';
    const shop = await shopWithTask(recipe);
    const event = { ...shop.event, dataJson: JSON.stringify({ price: 12, qty: 3, customer_id: 7 }) };
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [
      { status: 200, body: { data: { metafieldsSet: { userErrors: [] } }, extensions: cost(10, 10) } },
    ]);
    await consume(standInEnv().testEnv, [eventMessage(event)]);
    const [run] = await taskRunsOf(shop.token, event.id);
    expect(run).toMatchObject({ status: 'succeeded' });
    const [request] = await standInRequests(shop.domain);
    expect(JSON.parse(request!.body).variables).toEqual({
      m: [
        {
          ownerId: 'gid://shopify/Customer/7',
          namespace: 'edgehook',
          key: 'quote',
          type: 'json',
          value: '{"total":36}',
        },
      ],
    });
  });

  it("fails the action with userErrors' messages, keeping Shopify's answer", async () => {
    const shop = await shopWithTask(
      `{% action "shopify" %}mutation { metafieldsSet(metafields: []) { userErrors { field message } } }{% endaction %}`,
    );
    const answer = {
      data: {
        metafieldsSet: {
          metafields: null,
          userErrors: [{ field: ['metafields', '0', 'value'], message: 'Value is invalid JSON.' }],
        },
      },
      extensions: cost(10, 10),
    };
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [{ status: 200, body: answer }]);
    await consume(standInEnv().testEnv, [eventMessage(shop.event)]);
    const [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run).toMatchObject({ status: 'failed', error: '1 of 1 actions failed.' });
    expect(run!.action_runs[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'shopify userErrors: metafields.0.value: Value is invalid JSON.',
      result: { data: answer.data },
    });
    // The block's body was the GraphQL text itself.
    const [request] = await standInRequests(shop.domain);
    expect(JSON.parse(request!.body)).toEqual({
      query: 'mutation { metafieldsSet(metafields: []) { userErrors { field message } } }',
    });
  });

  it('fails on top-level errors with their messages', async () => {
    const shop = await shopWithTask('{% action "shopify", "{ shop { nope } }" %}');
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [
      { status: 200, body: { errors: [{ message: "Field 'nope' doesn't exist on type 'Shop'" }] } },
    ]);
    await consume(standInEnv().testEnv, [eventMessage(shop.event)]);
    const [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run!.action_runs[0]).toMatchObject({
      status: 'failed',
      error: "shopify errors: Field 'nope' doesn't exist on type 'Shop'",
    });
  });

  it('retries THROTTLED by a delayed task-run message sized from throttleStatus, then succeeds', async () => {
    const shop = await shopWithTask('{% action "shopify", "{ shop { name } }" %}');
    const success = { data: { shop: { name: 'Demo' } }, extensions: cost(1, 1) };
    // 502 points asked for, 2 available, 100 restored a second: 5 seconds.
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [
      { status: 200, body: throttledAnswer(502, 2) },
      { status: 200, body: success },
    ]);
    const { testEnv, sent } = standInEnv();
    const started = Date.now();
    expect((await consume(testEnv, [eventMessage(shop.event)]))[0]).toMatchObject({ acked: true });
    // The consumer did not sleep: it scheduled the retry and acked.
    expect(Date.now() - started).toBeLessThan(4_000);
    let [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run).toMatchObject({ status: 'scheduled' });
    expect(run!.action_runs[0]).toMatchObject({
      status: 'scheduled',
      attempts: 1,
      error: 'shopify throttled the query (THROTTLED)',
    });
    expect(sent).toEqual([{ body: { kind: 'task-run', runId: run!.id, shopId: shop.shopId }, delaySeconds: 5 }]);

    expect((await consume(testEnv, [sent[0]!.body]))[0]).toMatchObject({ acked: true });
    [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run!.action_runs[0]).toMatchObject({ status: 'succeeded', attempts: 2, result: { data: success.data } });
    expect(await standInRequests(shop.domain)).toHaveLength(2);
  });

  it('retries a 429 after its Retry-After', async () => {
    const shop = await shopWithTask('{% action "shopify", "{ shop { name } }" %}');
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [
      {
        status: 429,
        body: { errors: 'Exceeded 2 calls per second for api client.' },
        headers: { 'retry-after': '2.0' },
      },
    ]);
    const { testEnv, sent } = standInEnv();
    await consume(testEnv, [eventMessage(shop.event)]);
    const [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run!.action_runs[0]).toMatchObject({ status: 'scheduled', error: 'shopify answered 429 Too Many Requests' });
    expect(sent).toEqual([{ body: { kind: 'task-run', runId: run!.id, shopId: shop.shopId }, delaySeconds: 2 }]);
  });

  it("fails at once on a 401 (a wrong token), with Shopify's message", async () => {
    const shop = await shopWithTask('{% action "shopify", "{ shop { name } }" %}');
    await scriptStandIn(shop.domain, 'shpat_some_other_token', []);
    const { testEnv, sent } = standInEnv();
    await consume(testEnv, [eventMessage(shop.event)]);
    const [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run).toMatchObject({ status: 'failed' });
    expect(run!.action_runs[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'shopify answered 401: [API] Invalid API key or access token (unrecognized login or wrong password)',
    });
    expect(sent).toEqual([]);
  });

  it('refuses queries over 50,000 characters and bad options without calling Shopify', async () => {
    const shop = await createShopWithApp();
    await setShopifyAccessToken(shop.shopId, SHOPIFY_TOKEN);
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, []);
    const ctx = { env: standInEnv().testEnv, shopId: shop.shopId, eventId: 'e', depth: 0 };
    // Shopify's limit counts the query without whitespace: padding with spaces is fine, more text is not.
    const padded = `{ shop { name } }${' '.repeat(SHOPIFY_ACTION_MAX_QUERY_CHARS)}`;
    const long = `{ shop { name } }#${'x'.repeat(SHOPIFY_ACTION_MAX_QUERY_CHARS)}`;
    expect(await performAction(ctx, 'shopify', long)).toEqual({
      ok: false,
      transient: false,
      error: `shopify query is ${long.replace(/\s+/g, '').length} characters without whitespace; the limit is ${SHOPIFY_ACTION_MAX_QUERY_CHARS}`,
    });
    for (const [options, message] of [
      [null, /query string or \{query, variables\}/],
      [{ query: '' }, /non-empty GraphQL string/],
      [{ query: '{ a }', variables: [1] }, /variables must be an object/],
      [{ query: '{ a }', path: '/x' }, /do not take path/],
      [['update', ['customer', 1], { tags: 'x' }], /REST options .* are not supported/],
    ] as const) {
      expect(await performAction(ctx, 'shopify', options)).toMatchObject({
        ok: false,
        transient: false,
        error: expect.stringMatching(message),
      });
    }
    expect(await standInRequests(shop.domain)).toEqual([]);
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [{ status: 200, body: { data: { shop: { name: 'x' } } } }]);
    expect(await performAction(ctx, 'shopify', padded)).toMatchObject({ ok: true });
  });

  it('keeps an answer too large for its record without its data, still judging its userErrors', async () => {
    const shop = await shopWithTask('{% action "shopify", "{ customers(first: 250) { nodes { id note } } }" %}');
    const nodes = Array.from({ length: 250 }, (_, i) => ({
      id: `gid://shopify/Customer/${i}`,
      note: 'x'.repeat(2_000),
    }));
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, [
      { status: 200, body: { data: { customers: { nodes } }, extensions: cost(252, 252) } },
    ]);
    await consume(standInEnv().testEnv, [eventMessage(shop.event)]);
    const [run] = await taskRunsOf(shop.token, shop.event.id);
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(run!.action_runs[0]!.result).toEqual({
      data: null,
      data_omitted: expect.stringMatching(/^the answer was \d+ characters; data is kept up to 262144$/),
      errors: null,
      extensions: cost(252, 252),
    });
  });

  it('fails with a clear message when the shop has no access token', async () => {
    const shop = await createShopWithApp();
    const ctx = { env: standInEnv().testEnv, shopId: shop.shopId, eventId: 'e', depth: 0 };
    expect(await performAction(ctx, 'shopify', '{ shop { name } }')).toMatchObject({
      ok: false,
      transient: false,
      error: expect.stringContaining('no Shopify Admin API access token is set'),
    });
  });
});

describe('the Shopify base URL', () => {
  it('is https://{myshopify_domain}, overridable only with ALLOW_INSECURE_ADDRESSES', () => {
    const version = SHOPIFY_ACTION_API_VERSION;
    const override = { ...env, SHOPIFY_ADMIN_BASE_URL: 'http://127.0.0.1:9/{shop}/' };
    expect(shopifyGraphqlUrl({ ...env, SHOPIFY_ADMIN_BASE_URL: '' }, 'a.myshopify.com')).toBe(
      `https://a.myshopify.com/admin/api/${version}/graphql.json`,
    );
    expect(shopifyGraphqlUrl(override, 'a.myshopify.com')).toBe(
      `http://127.0.0.1:9/a.myshopify.com/admin/api/${version}/graphql.json`,
    );
    expect(shopifyGraphqlUrl({ ...override, ALLOW_INSECURE_ADDRESSES: 'false' }, 'a.myshopify.com')).toBe(
      `https://a.myshopify.com/admin/api/${version}/graphql.json`,
    );
  });
});

describe('the access token', () => {
  it('is write-only: set by the operator or the app, stored encrypted, never returned', async () => {
    const shop = await createShopWithApp();
    const set = await setShopifyAccessToken(shop.shopId, SHOPIFY_TOKEN);
    expect(set.status).toBe(200);
    const text = await set.text();
    expect(text).not.toContain(SHOPIFY_TOKEN);
    expect(JSON.parse(text).shop).toMatchObject({ shopify_access_token_set: true });
    const row = await env.DB.prepare('SELECT shopify_access_token_ciphertext AS c FROM shops WHERE id = ?1')
      .bind(shop.shopId)
      .first<{ c: string }>();
    expect(row!.c).toMatch(/^v1\./);
    expect(row!.c).not.toContain(SHOPIFY_TOKEN);

    for (const res of [
      await call(`/api/v1/shops/${shop.shopId}`, jsonInit('GET', ADMIN_TOKEN)),
      await call('/api/v1/shop', jsonInit('GET', shop.token)),
    ]) {
      const body = await res.text();
      expect(body).not.toContain(SHOPIFY_TOKEN);
      expect(JSON.parse(body).shop.shopify_access_token_set).toBe(true);
    }

    const own = 'shpat_set_by_the_app';
    const put = await call('/api/v1/shop/shopify_access_token', jsonInit('PUT', shop.token, { access_token: own }));
    expect(put.status).toBe(204);
    await scriptStandIn(shop.domain, own, [{ status: 200, body: { data: { shop: { name: 'x' } } } }]);
    const ctx = { env: standInEnv().testEnv, shopId: shop.shopId, eventId: 'e', depth: 0 };
    expect(await performAction(ctx, 'shopify', '{ shop { name } }')).toMatchObject({ ok: true });

    const bad = await call('/api/v1/shop/shopify_access_token', jsonInit('PUT', shop.token, { access_token: 'a b' }));
    expect(bad.status).toBe(422);
    const del = await call('/api/v1/shop/shopify_access_token', jsonInit('DELETE', shop.token));
    expect(del.status).toBe(204);
    const after = await call('/api/v1/shop', jsonInit('GET', shop.token));
    expect((await after.json<{ shop: { shopify_access_token_set: boolean } }>()).shop.shopify_access_token_set).toBe(
      false,
    );
    const operatorOnApp = await call(
      '/api/v1/shop/shopify_access_token',
      jsonInit('PUT', ADMIN_TOKEN, { access_token: own }),
    );
    expect(operatorOnApp.status).toBe(403);
  });
});

describe('the access token in logs and answers', () => {
  afterEach(() => vi.restoreAllMocks());

  it('never appears in a log line or an API answer, whatever the action meets', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
    }
    const secret = 'shpat_never_logged_0123456789';
    const created = await call(
      '/api/v1/shops',
      jsonInit('POST', ADMIN_TOKEN, {
        myshopify_domain: `tok-${Date.now()}.myshopify.com`,
        shopify_access_token: secret,
      }),
    );
    expect(created.status).toBe(201);
    const createdText = await created.text();
    const shop = (JSON.parse(createdText) as { shop: { id: string; shopify_access_token_set: boolean } }).shop;
    expect(shop.shopify_access_token_set).toBe(true);
    const domain = (JSON.parse(createdText) as { shop: { myshopify_domain: string } }).shop.myshopify_domain;
    const ctx = (baseUrl: string) => ({ env: standInEnv(baseUrl).testEnv, shopId: shop.id, eventId: 'e', depth: 0 });
    await scriptStandIn(domain, 'shpat_other', []);
    const outcomes = [
      await performAction(ctx(STAND_IN_BASE_URL), 'shopify', '{ shop { name } }'), // 401
      await performAction(ctx('http://127.0.0.1:1/{shop}'), 'shopify', '{ shop { name } }'), // refused connection
    ];
    await scriptStandIn(domain, secret, [{ status: 200, body: throttledAnswer(100, 0) }]);
    outcomes.push(await performAction(ctx(STAND_IN_BASE_URL), 'shopify', '{ shop { name } }'));
    expect(outcomes.map((o) => o.ok)).toEqual([false, false, false]);
    const shown = await (await call(`/api/v1/shops/${shop.id}`, jsonInit('GET', ADMIN_TOKEN))).text();
    const everything = [createdText, shown, JSON.stringify(outcomes), ...lines].join('\n');
    expect(everything).not.toContain(secret);
  });
});

describe('preview', () => {
  it('shows the planned shopify action in every form and never calls Shopify', async () => {
    const shop = await createShopWithApp();
    await setShopifyAccessToken(shop.shopId, SHOPIFY_TOKEN);
    await scriptStandIn(shop.domain, SHOPIFY_TOKEN, []);
    const id = await createTask(shop.token, { script: '{% action "echo", 1 %}' });
    const script = [
      '{% action "shopify", "{ shop { name } }" %}',
      '{% assign q = "{ shop { id } }" %}{% action "shopify", query: q, variables: event.data %}',
      '{% action "shopify" %}{"query": "query($id: ID!) { customer(id: $id) { id } }", "variables": {"id": "gid://shopify/Customer/1"}}{% endaction %}',
      '{% action "shopify" %}\n  mutation { tagsAdd(id: "gid://shopify/Customer/{{ event.data.id }}", tags: ["vip"]) { userErrors { message } } }\n{% endaction %}',
    ].join('');
    const res = await call(
      `/api/v1/tasks/${id}/preview`,
      jsonInit('POST', shop.token, { script, event: { topic: 'user/test/submit', data: { id: 5 } } }),
    );
    expect(res.status).toBe(200);
    const { preview } = await res.json<{ preview: { ok: boolean; actions: unknown[] } }>();
    expect(preview.ok).toBe(true);
    expect(preview.actions).toEqual([
      { type: 'shopify', options: '{ shop { name } }', meta: null },
      { type: 'shopify', options: { query: '{ shop { id } }', variables: { id: 5 } }, meta: null },
      {
        type: 'shopify',
        options: {
          query: 'query($id: ID!) { customer(id: $id) { id } }',
          variables: { id: 'gid://shopify/Customer/1' },
        },
        meta: null,
      },
      {
        type: 'shopify',
        options: 'mutation { tagsAdd(id: "gid://shopify/Customer/5", tags: ["vip"]) { userErrors { message } } }',
        meta: null,
      },
    ]);
    expect(await standInRequests(shop.domain)).toEqual([]);
  });
});

describe("end to end against edgehook's own GraphQL Admin API", () => {
  afterEach(() => vi.restoreAllMocks());

  it('a task subscribes its own app to a topic with webhookSubscriptionCreate', async () => {
    const shop = await createShopWithApp();
    // The shop's "Shopify" is this Worker: the app's own token opens its GraphQL Admin API.
    await setShopifyAccessToken(shop.shopId, shop.token);
    const self = 'https://edgehook-self.test';
    const realFetch = globalThis.fetch;
    // The action's outbound request reaches this same Worker's fetch handler, as it would over HTTP.
    vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
      const request = new Request(input, init);
      return request.url.startsWith(self) ? exports.default.fetch(request) : realFetch(input, init);
    });
    const topic = 'user/shopify/self';
    await createTask(shop.token, {
      subscriptions: topic,
      script: `{% action "shopify" %}
mutation {
  webhookSubscriptionCreate(topic: ORDERS_CREATE, webhookSubscription: {uri: "https://hooks.example.com/{{ event.data.hook }}", format: JSON}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
{% endaction %}`,
    });
    const event = envelope(shop.shopId, { topic, dataJson: JSON.stringify({ hook: 'orders' }) });
    await consume(standInEnv(self).testEnv, [eventMessage(event)]);

    const [run] = await taskRunsOf(shop.token, event.id);
    expect(run).toMatchObject({ status: 'succeeded' });
    const result = run!.action_runs[0]!.result as {
      data: { webhookSubscriptionCreate: { webhookSubscription: { id: string; topic: string; uri: string } } };
      extensions: { cost: { requestedQueryCost: number } };
    };
    expect(result.data.webhookSubscriptionCreate.webhookSubscription).toMatchObject({
      topic: 'ORDERS_CREATE',
      uri: 'https://hooks.example.com/orders',
    });
    expect(result.extensions.cost.requestedQueryCost).toBeGreaterThan(0);

    const list = await call(`/admin/api/${SHOPIFY_ACTION_API_VERSION}/webhooks.json`, {
      headers: { 'x-shopify-access-token': shop.token },
    });
    const { webhooks } = await list.json<{ webhooks: { topic: string; address: string }[] }>();
    expect(webhooks).toEqual([
      expect.objectContaining({ topic: 'orders/create', address: 'https://hooks.example.com/orders' }),
    ]);
  });
});

beforeAll(() => {
  expect(env.ALLOW_INSECURE_ADDRESSES).toBe('true');
});
