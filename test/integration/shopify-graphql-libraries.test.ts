import '@shopify/shopify-api/adapters/web-api';
import { createAdminApiClient } from '@shopify/admin-api-client';
import {
  ApiVersion,
  DeliveryMethod,
  LogSeverity,
  Session,
  shopifyApi,
  type AddHandlersParams,
} from '@shopify/shopify-api';
import { setAbstractFetchFunc } from '@shopify/shopify-api/runtime';
import { exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { receivedBy, receiverAddress } from '../delivery-helpers';
import { BASE, call, createShopWithApp, createWebhook, postWebhook } from '../helpers';

// Shopify's own libraries against this Worker (docs/contracts.md, "GraphQL Admin API";
// issue 14, "Proven with Shopify's libraries"). Both build `https://{shop}/admin/api/…` URLs and
// insist on https, so each is given a fetch through its documented hook: for @shopify/shopify-api
// a custom runtime adapter's fetch (`setAbstractFetchFunc` from `@shopify/shopify-api/runtime`, its
// guide "Adding custom runtimes"; Shopify's own adapters wrap fetch the same way), for
// @shopify/admin-api-client `customFetchApi`. That fetch hands the request to the Worker unchanged
// but for the origin.

const VERSION = ApiVersion.April26;

/** Sends a request the library built for `https://{shop}` to the Worker; logs what went where. */
const sent: string[] = [];
async function toWorker(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const original = new Request(input, init);
  const url = new URL(original.url);
  sent.push(`${original.method} ${url.host}${url.pathname}`);
  return exports.default.fetch(new Request(BASE + url.pathname + url.search, original));
}

beforeAll(() => {
  setAbstractFetchFunc(toWorker as typeof fetch);
});

function shopifyWith(
  handlers: AddHandlersParams,
  app: { secret: string; host: string; scheme: 'http' | 'https' } = {
    secret: 'edgehook-test-secret',
    host: 'app.example.com',
    scheme: 'https',
  },
) {
  const shopify = shopifyApi({
    apiKey: 'edgehook-test-app',
    apiSecretKey: app.secret,
    apiVersion: VERSION,
    isEmbeddedApp: false,
    hostName: app.host,
    hostScheme: app.scheme,
    logger: { level: LogSeverity.Error },
  });
  shopify.webhooks.addHandlers(handlers);
  return shopify;
}

interface RestWebhook {
  id: number;
  topic: string;
  address: string;
  fields: string[];
}

async function restWebhooks(token: string): Promise<RestWebhook[]> {
  const res = await call(`/admin/api/${VERSION}/webhooks.json`, { headers: { 'x-shopify-access-token': token } });
  expect(res.status).toBe(200);
  const { webhooks } = await res.json<{ webhooks: RestWebhook[] }>();
  return webhooks.sort((a, b) => a.topic.localeCompare(b.topic));
}

const noop = async () => {};
const http = (path: string, extra: { includeFields?: string[] } = {}) => ({
  deliveryMethod: DeliveryMethod.Http as const,
  callbackUrl: path,
  callback: noop,
  ...extra,
});

describe('@shopify/shopify-api shopify.webhooks.register()', () => {
  it('creates, leaves alone, updates a changed handler and deletes a removed one, each a success', async () => {
    const { token, domain } = await createShopWithApp();
    // A user/… topic is an enum value once the shop has a webhook that emits it.
    await createWebhook(token, { topic: 'user/quote/request' });
    const session = new Session({
      id: `offline_${domain}`,
      shop: domain,
      state: 'state',
      isOnline: false,
      accessToken: token,
    });

    const handlers = {
      ORDERS_CREATE: http('/webhooks/orders'),
      'products/update': http('/webhooks/products'),
      'user/quote/request': http('/webhooks/quotes'),
    };
    sent.length = 0;
    const created = await shopifyWith(handlers).webhooks.register({ session });
    expect(sent.every((s) => s === `POST ${domain}/admin/api/${VERSION}/graphql.json`)).toBe(true);
    expect(Object.keys(created).sort()).toEqual(['ORDERS_CREATE', 'PRODUCTS_UPDATE', 'USER_QUOTE_REQUEST']);
    for (const results of Object.values(created)) {
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ success: true, operation: 'create' });
    }
    // Made through GraphQL, visible through REST.
    const afterCreate = await restWebhooks(token);
    expect(afterCreate.map((w) => [w.topic, w.address])).toEqual([
      ['orders/create', 'https://app.example.com/webhooks/orders'],
      ['products/update', 'https://app.example.com/webhooks/products'],
      ['user/quote/request', 'https://app.example.com/webhooks/quotes'],
    ]);

    const again = await shopifyWith(handlers).webhooks.register({ session });
    expect(again).toEqual({ ORDERS_CREATE: [], PRODUCTS_UPDATE: [], USER_QUOTE_REQUEST: [] });
    expect(await restWebhooks(token)).toEqual(afterCreate);

    const changed = await shopifyWith({
      ...handlers,
      ORDERS_CREATE: http('/webhooks/orders', { includeFields: ['id', 'note'] }),
    }).webhooks.register({ session });
    expect(changed['ORDERS_CREATE']).toEqual([expect.objectContaining({ success: true, operation: 'update' })]);
    expect(changed['PRODUCTS_UPDATE']).toEqual([]);
    const orders = (await restWebhooks(token)).find((w) => w.topic === 'orders/create')!;
    expect(orders.id).toBe(afterCreate[0]!.id);
    expect(orders.fields).toEqual(['id', 'note']);

    const removed = await shopifyWith({
      ORDERS_CREATE: http('/webhooks/orders', { includeFields: ['id', 'note'] }),
      'user/quote/request': http('/webhooks/quotes'),
    }).webhooks.register({ session });
    expect(removed['PRODUCTS_UPDATE']).toEqual([expect.objectContaining({ success: true, operation: 'delete' })]);
    expect(removed['ORDERS_CREATE']).toEqual([]);
    expect(removed['USER_QUOTE_REQUEST']).toEqual([]);
    expect((await restWebhooks(token)).map((w) => w.topic)).toEqual(['orders/create', 'user/quote/request']);
  });

  it('sees subscriptions made through REST as existing handlers', async () => {
    const { token, domain } = await createShopWithApp();
    const res = await call(`/admin/api/${VERSION}/webhooks.json`, {
      method: 'POST',
      headers: { 'x-shopify-access-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook: { topic: 'orders/paid', address: 'https://app.example.com/webhooks/paid' } }),
    });
    expect(res.status).toBe(201);
    const session = new Session({
      id: `offline_${domain}`,
      shop: domain,
      state: 'state',
      isOnline: false,
      accessToken: token,
    });
    const result = await shopifyWith({ ORDERS_PAID: http('/webhooks/paid') }).webhooks.register({ session });
    expect(result).toEqual({ ORDERS_PAID: [] });
  });
});

describe('an app registered through GraphQL', () => {
  it('receives the deliveries of its subscription, and shopify.webhooks.validate() accepts them', async () => {
    const shop = await createShopWithApp();
    const webhookId = await createWebhook(shop.token, { topic: 'user/quote/request' });
    const target = await receiverAddress({ shopifySecret: shop.signingSecret });
    const receiver = new URL(target.address); // the test receiver on http://127.0.0.1 (admitted in tests)
    const shopify = shopifyWith(
      { 'user/quote/request': http(receiver.pathname) },
      { secret: shop.signingSecret, host: receiver.host, scheme: 'http' },
    );
    const session = new Session({
      id: `offline_${shop.domain}`,
      shop: shop.domain,
      state: 'state',
      isOnline: false,
      accessToken: shop.token,
    });
    const registered = await shopify.webhooks.register({ session });
    expect(registered['USER_QUOTE_REQUEST']).toEqual([expect.objectContaining({ success: true, operation: 'create' })]);

    const post = await postWebhook(webhookId, {
      headers: { 'content-type': 'application/json' },
      body: '{"quote":"Q-1"}',
    });
    expect(post.status).toBe(204);
    const [delivery] = await vi.waitFor(
      async () => {
        const got = await receivedBy(target.key);
        if (got.length === 0) throw new Error('not delivered yet');
        return got;
      },
      { timeout: 10_000, interval: 100 },
    );
    const rawRequest = new Request(target.address, {
      method: 'POST',
      headers: delivery!.headers,
      body: delivery!.body,
    });
    const check = await shopify.webhooks.validate({ rawBody: delivery!.body, rawRequest });
    expect(check).toMatchObject({ valid: true, topic: 'USER_QUOTE_REQUEST', domain: shop.domain });
  });
});

describe('@shopify/admin-api-client', () => {
  it('queries and mutates with variables and reads extensions.cost', async () => {
    const { token, domain } = await createShopWithApp();
    const client = createAdminApiClient({
      storeDomain: domain,
      apiVersion: VERSION,
      accessToken: token,
      customFetchApi: toWorker,
    });
    const create = await client.request(
      `mutation Create($topic: WebhookSubscriptionTopic!, $input: WebhookSubscriptionInput!) {
        webhookSubscriptionCreate(topic: $topic, webhookSubscription: $input) {
          webhookSubscription { id legacyResourceId topic uri format includeFields }
          userErrors { field message }
        }
      }`,
      {
        variables: {
          topic: 'ORDERS_PAID',
          input: { uri: 'https://hooks.example.com/paid', format: 'XML', includeFields: ['id'] },
        },
      },
    );
    expect(create.errors).toBeUndefined();
    const sub = create.data.webhookSubscriptionCreate.webhookSubscription;
    expect(sub).toEqual({
      id: `gid://shopify/WebhookSubscription/${sub.legacyResourceId}`,
      legacyResourceId: expect.stringMatching(/^[1-9]\d*$/),
      topic: 'ORDERS_PAID',
      uri: 'https://hooks.example.com/paid',
      format: 'XML',
      includeFields: ['id'],
    });
    expect(create.extensions?.['cost']).toMatchObject({ requestedQueryCost: 10, actualQueryCost: 10 });

    const read = await client.request(
      `query One($id: ID!) { webhookSubscription(id: $id) { id topic } webhookSubscriptionsCount { count precision } }`,
      { variables: { id: sub.id } },
    );
    expect(read.data).toEqual({
      webhookSubscription: { id: sub.id, topic: 'ORDERS_PAID' },
      webhookSubscriptionsCount: { count: 1, precision: 'EXACT' },
    });

    const invalid = await client.request(`{ webhookSubscriptions(first: 1) { nodes { colour } } }`);
    expect(invalid.errors?.graphQLErrors).toEqual([
      expect.objectContaining({
        message: "Field 'colour' doesn't exist on type 'WebhookSubscription'",
        extensions: { code: 'undefinedField', typeName: 'WebhookSubscription', fieldName: 'colour' },
      }),
    ]);
  });
});
