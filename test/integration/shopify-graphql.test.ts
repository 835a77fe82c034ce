import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { SHOPIFY_TOPICS } from '../../src/subscriptions/topics';
import { SUPPORTED_API_VERSIONS } from '../../src/shops/api-versions';
import { instrumentedDb } from '../faults';
import { callWithEnv, createShopWithApp, createWebhook } from '../helpers';

// One test (at least) per sentence of docs/contracts.md, "GraphQL Admin API", through the
// Worker. Shopify's own libraries are exercised in shopify-graphql-libraries.test.ts.

const V = '2026-04';
const OLDEST = SUPPORTED_API_VERSIONS[0];
const UNAUTHORIZED = { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' };
/** The test env admits http:// for the delivery receiver; the API is tested as deployed. */
const DEPLOYED_ENV: Env = { ...env, ALLOW_INSECURE_ADDRESSES: 'false' };

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- GraphQL answers are checked field by field

function post(
  token: string | null,
  body: string,
  init: { version?: string; contentType?: string; testEnv?: Env } = {},
) {
  const headers: Record<string, string> = { 'content-type': init.contentType ?? 'application/json' };
  if (token !== null) headers['x-shopify-access-token'] = token;
  return callWithEnv(init.testEnv ?? DEPLOYED_ENV, `/admin/api/${init.version ?? V}/graphql.json`, {
    method: 'POST',
    headers,
    body,
  });
}

async function gql(
  token: string | null,
  query: string,
  variables?: Record<string, unknown>,
  version = V,
): Promise<Json> {
  const res = await post(token, JSON.stringify({ query, variables }), { version });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.json<Json>();
}

function rest(method: string, path: string, token: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { 'x-shopify-access-token': token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return callWithEnv(DEPLOYED_ENV, `/admin/api/${V}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

const CREATE = `mutation Create($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) {
    webhookSubscription { id legacyResourceId topic uri format includeFields metafieldNamespaces }
    userErrors { field message }
  }
}`;

async function create(token: string, topic: string, sub: Record<string, unknown>): Promise<Json> {
  const body = await gql(token, CREATE, { topic, sub });
  expect(body.data.webhookSubscriptionCreate.userErrors).toEqual([]);
  return body.data.webhookSubscriptionCreate.webhookSubscription;
}

let n = 0;
const uniqueAddress = () => `https://hooks.example.com/gql/${++n}`;

describe('transport, auth and versions', () => {
  it("answers a missing or wrong token with REST's 401", async () => {
    for (const token of [null, 'nope']) {
      const res = await post(token, JSON.stringify({ query: '{ webhookSubscriptionsCount { count } }' }));
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(UNAUTHORIZED);
      expect(res.headers.get('x-shopify-api-version')).toBe(V);
    }
  });

  it('serves an unknown version as the oldest supported and a malformed one as 404', async () => {
    const { token } = await createShopWithApp();
    const old = await post(token, JSON.stringify({ query: '{ webhookSubscriptionsCount { count } }' }), {
      version: '2019-04',
    });
    expect(old.status).toBe(200);
    expect(old.headers.get('x-shopify-api-version')).toBe(OLDEST);
    const bad = await post(token, JSON.stringify({ query: '{ webhookSubscriptionsCount { count } }' }), {
      version: 'latest',
    });
    expect(bad.status).toBe(404);
    expect(await bad.json()).toEqual({ errors: 'Not Found' });
  });

  it('answers a body that is no GraphQL request with 400, other methods with 405', async () => {
    const { token } = await createShopWithApp();
    for (const body of ['', 'not json', '[]', '{"query": 3}', '{"query": "{ a }", "variables": [1]}']) {
      const res = await post(token, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: { query: 'Required parameter missing or invalid' } });
    }
    const get = await callWithEnv(DEPLOYED_ENV, `/admin/api/${V}/graphql.json`, {
      headers: { 'x-shopify-access-token': token },
    });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers a body over 64 KiB with 413', async () => {
    const { token } = await createShopWithApp();
    const res = await post(token, JSON.stringify({ query: `{ __typename } # ${'x'.repeat(65_536)}` }));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ errors: 'The request body exceeds 65536 bytes.' });
  });

  it('takes an application/graphql body', async () => {
    const { token } = await createShopWithApp();
    const res = await post(token, '{ webhookSubscriptionsCount { count } }', { contentType: 'application/graphql' });
    expect((await res.json<Json>()).data).toEqual({ webhookSubscriptionsCount: { count: 0 } });
  });
});

describe('one store with REST', () => {
  it('shows a REST-made subscription in GraphQL with every object field', async () => {
    const { token } = await createShopWithApp();
    const made = await rest('POST', '/webhooks.json', token, {
      webhook: {
        topic: 'orders/create',
        address: uniqueAddress(),
        format: 'xml',
        fields: ['id', 'note'],
        metafield_namespaces: ['custom'],
      },
    });
    expect(made.status).toBe(201);
    const { webhook } = await made.json<{ webhook: Json }>();
    const body = await gql(
      token,
      `query ($id: ID!) { webhookSubscription(id: $id) {
        id legacyResourceId topic uri callbackUrl format includeFields metafieldNamespaces createdAt updatedAt filter
        apiVersion { handle displayName supported }
        endpoint { __typename ... on WebhookHttpEndpoint { callbackUrl } ... on WebhookEventBridgeEndpoint { arn }
                   ... on WebhookPubSubEndpoint { pubSubProject pubSubTopic } }
      } }`,
      { id: `gid://shopify/WebhookSubscription/${webhook.id}` },
    );
    const stamp = (rest: string) => rest.replace('-00:00', 'Z');
    expect(body.data.webhookSubscription).toEqual({
      id: `gid://shopify/WebhookSubscription/${webhook.id}`,
      legacyResourceId: String(webhook.id),
      topic: 'ORDERS_CREATE',
      uri: webhook.address,
      callbackUrl: webhook.address,
      format: 'XML',
      includeFields: ['id', 'note'],
      metafieldNamespaces: ['custom'],
      createdAt: stamp(webhook.created_at),
      updatedAt: stamp(webhook.updated_at),
      filter: null,
      apiVersion: { handle: webhook.api_version, displayName: `${webhook.api_version} (Latest)`, supported: true },
      endpoint: { __typename: 'WebhookHttpEndpoint', callbackUrl: webhook.address },
    });
  });

  it('shows GraphQL creates, updates and deletes in REST', async () => {
    const { token } = await createShopWithApp();
    const sub = await create(token, 'PRODUCTS_UPDATE', { uri: uniqueAddress() });
    const got = await rest('GET', `/webhooks/${sub.legacyResourceId}.json`, token);
    expect((await got.json<Json>()).webhook).toMatchObject({
      id: Number(sub.legacyResourceId),
      topic: 'products/update',
      address: sub.uri,
      format: 'json',
    });

    const address = uniqueAddress();
    const updated = await gql(
      token,
      `mutation ($id: ID!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: {callbackUrl: "${address}", format: XML}) {
        webhookSubscription { id uri format includeFields } userErrors { field message } } }`,
      { id: sub.id },
    );
    expect(updated.data.webhookSubscriptionUpdate).toEqual({
      webhookSubscription: { id: sub.id, uri: address, format: 'XML', includeFields: [] },
      userErrors: [],
    });
    expect(
      (await (await rest('GET', `/webhooks/${sub.legacyResourceId}.json`, token)).json<Json>()).webhook,
    ).toMatchObject({
      address,
      format: 'xml',
      topic: 'products/update',
    });

    const deleted = await gql(
      token,
      `mutation ($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`,
      { id: sub.id },
    );
    expect(deleted.data.webhookSubscriptionDelete).toEqual({ deletedWebhookSubscriptionId: sub.id, userErrors: [] });
    expect((await rest('GET', `/webhooks/${sub.legacyResourceId}.json`, token)).status).toBe(404);
  });

  it("treats another app's subscription as absent", async () => {
    const owner = await createShopWithApp();
    const other = await createShopWithApp();
    const sub = await create(owner.token, 'ORDERS_PAID', { uri: uniqueAddress() });
    const read = await gql(
      other.token,
      `query ($id: ID!) { webhookSubscription(id: $id) { id } webhookSubscriptionsCount { count } }`,
      { id: sub.id },
    );
    expect(read.data).toEqual({ webhookSubscription: null, webhookSubscriptionsCount: { count: 0 } });
    const notFound = [{ field: ['id'], message: 'Webhook subscription does not exist' }];
    const update = await gql(
      other.token,
      `mutation ($id: ID!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: {format: XML}) { webhookSubscription { id } userErrors { field message } } }`,
      { id: sub.id },
    );
    expect(update.data.webhookSubscriptionUpdate).toEqual({ webhookSubscription: null, userErrors: notFound });
    const del = await gql(
      other.token,
      `mutation ($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`,
      { id: sub.id },
    );
    expect(del.data.webhookSubscriptionDelete).toEqual({ deletedWebhookSubscriptionId: null, userErrors: notFound });
    expect((await rest('GET', `/webhooks/${sub.legacyResourceId}.json`, owner.token)).status).toBe(200);
  });
});

describe('webhookSubscriptions', () => {
  async function appWithFive() {
    const { token } = await createShopWithApp();
    const subs = [];
    for (const [topic, format] of [
      ['ORDERS_CREATE', 'JSON'],
      ['ORDERS_PAID', 'XML'],
      ['ORDERS_CREATE', 'XML'],
      ['PRODUCTS_UPDATE', 'JSON'],
      ['ORDERS_PAID', 'JSON'],
    ]) {
      subs.push(await create(token, topic!, { uri: uniqueAddress(), format }));
    }
    return { token, ids: subs.map((s) => s.id as string), subs };
  }

  it('pages forwards with first/after and backwards with last/before, with cursors, nodes and pageInfo', async () => {
    const { token, ids } = await appWithFive();
    const page = `query ($first: Int, $after: String, $last: Int, $before: String) {
      webhookSubscriptions(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`;
    const one = (await gql(token, page, { first: 2 })).data.webhookSubscriptions;
    expect(one.nodes.map((x: Json) => x.id)).toEqual(ids.slice(0, 2));
    expect(one.edges.map((e: Json) => e.node.id)).toEqual(ids.slice(0, 2));
    expect(one.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: one.edges[0].cursor,
      endCursor: one.edges[1].cursor,
    });
    const two = (await gql(token, page, { first: 2, after: one.pageInfo.endCursor })).data.webhookSubscriptions;
    expect(two.nodes.map((x: Json) => x.id)).toEqual(ids.slice(2, 4));
    expect(two.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const three = (await gql(token, page, { first: 2, after: two.pageInfo.endCursor })).data.webhookSubscriptions;
    expect(three.nodes.map((x: Json) => x.id)).toEqual(ids.slice(4));
    expect(three.pageInfo.hasNextPage).toBe(false);

    const last = (await gql(token, page, { last: 2 })).data.webhookSubscriptions;
    expect(last.nodes.map((x: Json) => x.id)).toEqual(ids.slice(3));
    expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const before = (await gql(token, page, { last: 2, before: last.pageInfo.startCursor })).data.webhookSubscriptions;
    expect(before.nodes.map((x: Json) => x.id)).toEqual(ids.slice(1, 3));
    expect(before.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
  });

  it('filters by topics, uri or callbackUrl and format; reverses and sorts by ID', async () => {
    const { token, ids, subs } = await appWithFive();
    const list = async (args: string) =>
      (
        await gql(token, `{ webhookSubscriptions(first: 10, ${args}) { nodes { id } } }`)
      ).data.webhookSubscriptions.nodes.map((x: Json) => x.id);
    expect(await list('topics: [ORDERS_PAID]')).toEqual([ids[1], ids[4]]);
    expect(await list('topics: [ORDERS_PAID, PRODUCTS_UPDATE]')).toEqual([ids[1], ids[3], ids[4]]);
    expect(await list(`uri: "${subs[2].uri}"`)).toEqual([ids[2]]);
    expect(await list(`callbackUrl: "${subs[3].uri}"`)).toEqual([ids[3]]);
    expect(await list('format: XML')).toEqual([ids[1], ids[2]]);
    expect(await list('topics: [ORDERS_CREATE], format: JSON')).toEqual([ids[0]]);
    expect(await list('reverse: true')).toEqual([...ids].reverse());
    expect(await list('sortKey: ID, reverse: true')).toEqual([...ids].reverse());
  });

  it('answers a request without first or last, an oversized page and a bad cursor with errors', async () => {
    const { token } = await createShopWithApp();
    const none = await gql(token, '{ webhookSubscriptions { nodes { id } } }');
    expect(none.data).toBeNull();
    expect(none.errors).toEqual([
      expect.objectContaining({ message: 'you must provide one of first or last', path: ['webhookSubscriptions'] }),
    ]);
    const big = await gql(token, '{ webhookSubscriptions(first: 251) { nodes { id } } }');
    expect(big.errors[0].message).toBe('first must be between 0 and 250');
    const cursor = await gql(token, '{ webhookSubscriptions(first: 1, after: "nope") { nodes { id } } }');
    expect(cursor.errors[0]).toMatchObject({
      message: 'Invalid cursor for current pagination sort.',
      extensions: { code: 'BAD_REQUEST' },
    });
  });
});

describe('webhookSubscriptionsCount', () => {
  it("counts the app's subscriptions, AT_LEAST past the limit", async () => {
    const { token } = await createShopWithApp();
    for (let i = 0; i < 3; i++) await create(token, 'ORDERS_CREATE', { uri: uniqueAddress() });
    const body = await gql(
      token,
      '{ all: webhookSubscriptionsCount { count precision } capped: webhookSubscriptionsCount(limit: 2) { count precision } }',
    );
    expect(body.data).toEqual({ all: { count: 3, precision: 'EXACT' }, capped: { count: 2, precision: 'AT_LEAST' } });
  });
});

describe("mutations: user errors in Shopify's words", () => {
  const createWith = async (token: string, topic: string, sub: Record<string, unknown>) =>
    (await gql(token, CREATE, { topic, sub })).data.webhookSubscriptionCreate;

  it('refuses a blank, invalid, http:// or taken address', async () => {
    const { token } = await createShopWithApp();
    const field = ['webhookSubscription', 'callbackUrl'];
    expect(await createWith(token, 'ORDERS_CREATE', {})).toEqual({
      webhookSubscription: null,
      userErrors: [{ field, message: "Address can't be blank" }],
    });
    expect((await createWith(token, 'ORDERS_CREATE', { uri: 'https://localhost/x' })).userErrors).toEqual([
      { field, message: 'Address is invalid' },
    ]);
    expect((await createWith(token, 'ORDERS_CREATE', { uri: 'http://hooks.example.com/x' })).userErrors).toEqual([
      { field, message: 'Address protocol http:// is not supported' },
    ]);
    expect((await createWith(token, 'ORDERS_CREATE', { uri: 'pubsub://project:topic' })).userErrors).toEqual([
      { field, message: 'Address is invalid' },
    ]);
    const address = uniqueAddress();
    await create(token, 'ORDERS_CREATE', { uri: address });
    expect((await createWith(token, 'ORDERS_CREATE', { callbackUrl: address })).userErrors).toEqual([
      { field, message: 'Address for this topic has already been taken' },
    ]);
    // The same address on another topic is fine.
    await create(token, 'ORDERS_PAID', { uri: address });
  });

  it('refuses a malformed filter, naming it (issue 24: filters are supported)', async () => {
    const { token } = await createShopWithApp();
    expect(await createWith(token, 'ORDERS_CREATE', { uri: uniqueAddress(), filter: 'status paid' })).toEqual({
      webhookSubscription: null,
      userErrors: [
        {
          field: ['webhookSubscription', 'filter'],
          message: "Filter is invalid: expected field:value at position 1, found 'status'",
        },
      ],
    });
    await create(token, 'ORDERS_CREATE', { uri: uniqueAddress(), filter: '' });
    await create(token, 'ORDERS_CREATE', { uri: uniqueAddress(), filter: 'status:paid' });
  });

  it('refuses an update to a taken address and an empty includeFields entry', async () => {
    const { token } = await createShopWithApp();
    const a = await create(token, 'ORDERS_CREATE', { uri: uniqueAddress() });
    const b = await create(token, 'ORDERS_CREATE', { uri: uniqueAddress() });
    const update = async (sub: string) =>
      (
        await gql(
          token,
          `mutation ($id: ID!) { webhookSubscriptionUpdate(id: $id, webhookSubscription: ${sub}) { webhookSubscription { id } userErrors { field message } } }`,
          { id: b.id },
        )
      ).data.webhookSubscriptionUpdate;
    expect(await update(`{uri: "${a.uri}"}`)).toEqual({
      webhookSubscription: null,
      userErrors: [
        { field: ['webhookSubscription', 'callbackUrl'], message: 'Address for this topic has already been taken' },
      ],
    });
    expect((await update('{includeFields: ["id", " "]}')).userErrors).toEqual([
      { field: ['webhookSubscription', 'includeFields'], message: 'Include fields is invalid' },
    ]);
  });

  it('answers a malformed id with a top-level error and a deleted one as not existing', async () => {
    const { token } = await createShopWithApp();
    const bad = await gql(token, '{ webhookSubscription(id: "42") { id } }');
    expect(bad.data).toEqual({ webhookSubscription: null });
    expect(bad.errors).toEqual([
      expect.objectContaining({
        message: "Invalid global id '42'",
        path: ['webhookSubscription'],
        extensions: { code: 'argumentLiteralsIncompatible', typeName: 'CoercionError' },
      }),
    ]);
    const product = await gql(token, '{ webhookSubscription(id: "gid://shopify/Product/1") { id } }');
    expect(product).toMatchObject({ data: { webhookSubscription: null } });
    expect(product.errors).toBeUndefined();
    const sub = await create(token, 'ORDERS_CREATE', { uri: uniqueAddress() });
    const del = `mutation ($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }`;
    await gql(token, del, { id: sub.id });
    expect((await gql(token, del, { id: sub.id })).data.webhookSubscriptionDelete.userErrors).toEqual([
      { field: ['id'], message: 'Webhook subscription does not exist' },
    ]);
  });
});

describe('topics as enum values', () => {
  it("lists Shopify's topics in the enum form, ORDERS_CREATE for orders/create", async () => {
    const { token } = await createShopWithApp();
    const body = await gql(token, '{ __type(name: "WebhookSubscriptionTopic") { kind enumValues { name } } }');
    expect(body.data.__type.kind).toBe('ENUM');
    const names = body.data.__type.enumValues.map((v: Json) => v.name);
    expect(names).toEqual(SHOPIFY_TOPICS.map((t) => t.toUpperCase().replace('/', '_')));
    expect(names).toContain('ORDERS_CREATE');
  });

  it('refuses a topic that is no enum value as a validation error', async () => {
    const { token } = await createShopWithApp();
    const body = await gql(
      token,
      'mutation { webhookSubscriptionCreate(topic: ORDERS_EXPLODE, webhookSubscription: {uri: "https://a.example.com"}) { userErrors { message } } }',
    );
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      expect.objectContaining({
        message:
          "Argument 'topic' on Field 'webhookSubscriptionCreate' has an invalid value (ORDERS_EXPLODE). Expected type 'WebhookSubscriptionTopic!'.",
        locations: [{ line: 1, column: 45 }],
        extensions: { code: 'argumentLiteralsIncompatible', typeName: 'Field', argumentName: 'topic' },
      }),
    ]);
    const variable = await gql(token, CREATE, { topic: 'orders/create', sub: { uri: uniqueAddress() } });
    expect(variable.errors[0]).toMatchObject({ extensions: { code: 'INVALID_VARIABLE' } });
    expect(variable.errors[0].message).toContain(
      'Value "orders/create" does not exist in "WebhookSubscriptionTopic" enum.',
    );
  });

  it('names user/… topics USER_<SUBJECT>_<VERB> once a webhook emits them or the app subscribes to them', async () => {
    const { token } = await createShopWithApp();
    const before = await gql(token, CREATE, { topic: 'USER_QUOTE_REQUEST', sub: { uri: uniqueAddress() } });
    expect(before.errors[0].extensions.code).toBe('INVALID_VARIABLE');

    await createWebhook(token, { topic: 'user/quote/request' });
    const sub = await create(token, 'USER_QUOTE_REQUEST', { uri: uniqueAddress() });
    expect(sub.topic).toBe('USER_QUOTE_REQUEST');
    expect(
      (await (await rest('GET', `/webhooks/${sub.legacyResourceId}.json`, token)).json<Json>()).webhook.topic,
    ).toBe('user/quote/request');

    // Subscribed through REST with no webhook behind it: still shown, with `.` and `-` as `_`.
    const made = await rest('POST', '/webhooks.json', token, {
      webhook: { topic: 'user/contact-form.v2/submit', address: uniqueAddress() },
    });
    expect(made.status).toBe(201);
    const listed = await gql(
      token,
      '{ webhookSubscriptions(first: 5, topics: [USER_CONTACT_FORM_V2_SUBMIT]) { nodes { topic legacyResourceId } } }',
    );
    expect(listed.data.webhookSubscriptions.nodes).toEqual([
      { topic: 'USER_CONTACT_FORM_V2_SUBMIT', legacyResourceId: String((await made.json<Json>()).webhook.id) },
    ]);
  });
});

describe('errors as Shopify answers them', () => {
  it('answers a syntax error with 200, message, locations and a code', async () => {
    const { token } = await createShopWithApp();
    const body = await gql(token, '{ webhookSubscriptions(first: 1) { nodes { id }');
    expect(body).toEqual({
      errors: [
        {
          message: 'Syntax Error: Expected Name, found <EOF>.',
          locations: [{ line: 1, column: 48 }],
          extensions: { code: 'parseError' },
        },
      ],
      extensions: {
        cost: {
          requestedQueryCost: 0,
          actualQueryCost: 0,
          throttleStatus: { maximumAvailable: 2000, currentlyAvailable: 2000, restoreRate: 100 },
        },
      },
    });
  });

  it('names the type of an unknown field and reports missing arguments', async () => {
    const { token } = await createShopWithApp();
    const body = await gql(token, '{ webhookSubscription { id colour } }');
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: "Field 'colour' doesn't exist on type 'WebhookSubscription'",
        extensions: { code: 'undefinedField', typeName: 'WebhookSubscription', fieldName: 'colour' },
      }),
      expect.objectContaining({
        message: "Field 'webhookSubscription' is missing required arguments: id",
        extensions: {
          code: 'missingRequiredArguments',
          className: 'Field',
          name: 'webhookSubscription',
          arguments: 'id',
        },
      }),
    ]);
    expect(body.extensions.cost.requestedQueryCost).toBe(0);
  });

  it('answers a store failure with a generic error that reveals nothing', async () => {
    const { token } = await createShopWithApp();
    const sql: string[] = [];
    const broken = { ...DEPLOYED_ENV };
    // Auth and the topic lookups work; the count query fails.
    const failing = instrumentedDb(sql, true);
    broken.DB = new Proxy(env.DB, {
      get(target, prop) {
        if (prop !== 'prepare') return Reflect.get(target, prop);
        return (query: string) => (query.includes('COUNT(*)') ? failing.prepare(query) : target.prepare(query));
      },
    });
    const res = await post(token, JSON.stringify({ query: '{ webhookSubscriptionsCount { count } }' }), {
      testEnv: broken,
    });
    expect(res.status).toBe(200);
    const body = await res.json<Json>();
    expect(body.data).toEqual({ webhookSubscriptionsCount: null });
    expect(body.errors).toEqual([
      {
        message: 'Internal error. Looks like something went wrong on our end.',
        locations: [{ line: 1, column: 3 }],
        path: ['webhookSubscriptionsCount'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(JSON.stringify(body)).not.toContain('simulated');
  });
});

describe('extensions.cost', () => {
  it('prices objects 1, scalars 0, connections 2 + size × node, and mutations 10', async () => {
    const { token } = await createShopWithApp();
    for (let i = 0; i < 3; i++) await create(token, 'ORDERS_CREATE', { uri: uniqueAddress() });
    // Requested: connection 2 + 10 × (node 1 + apiVersion 1 + endpoint 1) = 32, count 1 → 33.
    // Actual: 2 + 3 × 3 = 11, count 1 → 12.
    const body = await gql(
      token,
      `{ webhookSubscriptions(first: 10) { edges { cursor node { id apiVersion { handle } endpoint { __typename } } } pageInfo { hasNextPage } }
         webhookSubscriptionsCount { count } }`,
    );
    expect(body.extensions.cost).toMatchObject({
      requestedQueryCost: 33,
      actualQueryCost: 12,
      throttleStatus: { maximumAvailable: 2000, restoreRate: 100 },
    });
    // The app's shared bucket (exact arithmetic: call-limits.test.ts): this and the test's earlier
    // queries spent from it, and it restored 100 points a second meanwhile.
    expect(body.extensions.cost.throttleStatus.currentlyAvailable).toBeGreaterThanOrEqual(1900);
    expect(body.extensions.cost.throttleStatus.currentlyAvailable).toBeLessThanOrEqual(2000);
    const two = await gql(
      token,
      `mutation { a: webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { userErrors { message } } b: webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/2") { userErrors { message } } }`,
    );
    expect(two.extensions.cost).toMatchObject({ requestedQueryCost: 20, actualQueryCost: 20 });
  });

  it('prices a connection on the coerced variables: a default applies when the variable is not sent', async () => {
    const { token } = await createShopWithApp();
    const QUERY = 'query($n: Int = 250) { webhookSubscriptions(first: $n) { nodes { id } } }';
    // 2 for the connection + 250 × 1 per node: priced as the page it may return, not as 0 nodes.
    expect((await gql(token, QUERY)).extensions.cost.requestedQueryCost).toBe(252);
    expect((await gql(token, QUERY, { n: 5 })).extensions.cost.requestedQueryCost).toBe(7);
    const over = await gql(
      token,
      'query($n: Int = 250) { a: webhookSubscriptions(first: $n) { nodes { id apiVersion { handle } } } b: webhookSubscriptions(first: $n) { nodes { id apiVersion { handle } } } }',
    );
    expect(over.data).toBeUndefined();
    expect(over.errors[0].extensions.code).toBe('MAX_COST_EXCEEDED');
  });

  it('refuses a query whose requested cost exceeds 1000 before running it', async () => {
    const { token } = await createShopWithApp();
    const page = (alias: string) => `${alias}: webhookSubscriptions(first: 250) { nodes { id apiVersion { handle } } }`;
    const body = await gql(token, `{ ${page('a')} ${page('b')} }`);
    expect(body.data).toBeUndefined();
    expect(body.errors).toEqual([
      {
        message: 'Query cost is 1004, which exceeds the single query max cost limit (1000).',
        extensions: { code: 'MAX_COST_EXCEEDED', cost: 1004, maxCost: 1000 },
      },
    ]);
  });
});
