import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { insertSubscription } from '../../src/subscriptions/store';
import { SHOPIFY_TOPICS } from '../../src/subscriptions/topics';
import { SUPPORTED_API_VERSIONS } from '../../src/shops/api-versions';
import { ADMIN_TOKEN, call, callWithEnv, createShopWithApp, jsonInit } from '../helpers';
import { backdateSubscription } from '../fixtures';

// One test (at least) per sentence of docs/contracts.md, "The Webhook resource", through the Worker.

const V = '2026-04';
const OLDEST = SUPPORTED_API_VERSIONS[0];
const UNAUTHORIZED = { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' };
const NOT_FOUND = { errors: 'Not Found' };
const MISSING_ROOT = { errors: { webhook: 'Required parameter missing or invalid' } };
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-00:00$/;

type Webhook = Record<string, unknown> & { id: number };

/** The test env admits http:// for the delivery receiver; the resource is tested as deployed. */
const DEPLOYED_ENV: Env = { ...env, ALLOW_INSECURE_ADDRESSES: 'false' };

function shopify(method: string, path: string, token: string | null, body?: unknown, version = V): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== null) headers['x-shopify-access-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return callWithEnv(DEPLOYED_ENV, `/admin/api/${version}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function create(token: string, webhook: Record<string, unknown>): Promise<Webhook> {
  const res = await shopify('POST', '/webhooks.json', token, { webhook });
  expect(res.status).toBe(201);
  return (await res.json<{ webhook: Webhook }>()).webhook;
}

let n = 0;
const uniqueAddress = () => `https://hooks.example.com/${++n}`;

describe('auth', () => {
  it("answers 401 with Shopify's body when the token is missing", async () => {
    const res = await shopify('GET', '/webhooks.json', null);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(UNAUTHORIZED);
    expect(res.headers.get('x-shopify-api-version')).toBe(V);
  });

  it('answers 401 for a wrong token, the operator token and a Bearer header', async () => {
    expect(await (await shopify('GET', '/webhooks.json', 'nope')).json()).toEqual(UNAUTHORIZED);
    expect((await shopify('GET', '/webhooks/count.json', ADMIN_TOKEN)).status).toBe(401);
    const { token } = await createShopWithApp();
    const bearer = await call(`/admin/api/${V}/webhooks.json`, jsonInit('GET', token));
    expect(bearer.status).toBe(401);
    expect(await bearer.json()).toEqual(UNAUTHORIZED);
  });

  it('names an app of a shop with X-Shopify-Access-Token', async () => {
    const { token } = await createShopWithApp();
    const res = await shopify('GET', '/webhooks.json', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ webhooks: [] });
  });
});

describe('visibility', () => {
  it("answers 404 Not Found for another app's id (get, put, delete) and hides it from list and count", async () => {
    const owner = await createShopWithApp();
    const other = await createShopWithApp();
    const hook = await create(owner.token, { topic: 'orders/create', address: uniqueAddress() });
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await shopify(
        method,
        `/webhooks/${hook.id}.json`,
        other.token,
        method === 'PUT' ? { webhook: { format: 'xml' } } : undefined,
      );
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(NOT_FOUND);
    }
    expect(await (await shopify('GET', '/webhooks.json', other.token)).json()).toEqual({ webhooks: [] });
    expect(await (await shopify('GET', '/webhooks/count.json', other.token)).json()).toEqual({ count: 0 });
    expect((await shopify('GET', `/webhooks/${hook.id}.json`, owner.token)).status).toBe(200);
  });

  it("hides another app's subscription of the same shop too", async () => {
    const owner = await createShopWithApp();
    const appRes = await call(`/api/v1/shops/${owner.shopId}/apps`, jsonInit('POST', ADMIN_TOKEN, { name: 'second' }));
    const { access_token: sibling } = await appRes.json<{ access_token: string }>();
    const hook = await create(owner.token, { topic: 'orders/create', address: uniqueAddress() });
    expect((await shopify('GET', `/webhooks/${hook.id}.json`, sibling)).status).toBe(404);
  });

  it('answers 404 Not Found for an unknown or non-numeric id', async () => {
    const { token } = await createShopWithApp();
    for (const id of ['999999999', 'abc', '0', '-1', '1.5']) {
      const res = await shopify('GET', `/webhooks/${id}.json`, token);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(NOT_FOUND);
    }
  });
});

describe('API version', () => {
  it('serves a well-formed unknown or retired version as the oldest supported one', async () => {
    const { token } = await createShopWithApp();
    for (const version of ['2019-10', '2021-07', '2099-01']) {
      const res = await shopify('GET', '/webhooks.json', token, undefined, version);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-shopify-api-version')).toBe(OLDEST);
    }
  });

  it('carries X-Shopify-API-Version with the version served on every response, errors included', async () => {
    const { token } = await createShopWithApp();
    for (const version of SUPPORTED_API_VERSIONS) {
      expect(
        (await shopify('GET', '/webhooks/count.json', token, undefined, version)).headers.get('x-shopify-api-version'),
      ).toBe(version);
    }
    const errors = [
      await shopify('POST', '/webhooks.json', token, { webhook: {} }),
      await shopify('POST', '/webhooks.json', token, 'not json'),
      await shopify('GET', '/webhooks/424242.json', token),
      await shopify('PATCH', '/webhooks.json', token),
      await shopify('GET', '/webhooks.json?limit=0', token),
      await shopify('GET', '/products.json', token),
      await shopify('GET', '/webhooks.json', 'wrong'),
    ];
    expect(errors.map((r) => r.status)).toEqual([422, 400, 404, 405, 400, 404, 401]);
    for (const res of errors) expect(res.headers.get('x-shopify-api-version')).toBe(V);
  });

  it('answers 404 Not Found for a malformed version', async () => {
    const { token } = await createShopWithApp();
    for (const version of ['2026-13', 'latest', '26-01', '2026-1']) {
      const res = await shopify('GET', '/webhooks.json', token, undefined, version);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(NOT_FOUND);
      expect(res.headers.get('x-shopify-api-version')).toBe(OLDEST);
    }
  });
});

describe('create: body and validation', () => {
  it('answers 400 for a missing or non-JSON body, or no webhook object', async () => {
    const { token } = await createShopWithApp();
    for (const body of [
      undefined,
      '',
      'not json',
      '[]',
      '{"topic":"orders/create"}',
      '{"webhook":"x"}',
      '{"webhook":null}',
    ]) {
      const res = await shopify('POST', '/webhooks.json', token, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(MISSING_ROOT);
    }
  });

  it('answers 400 on update too', async () => {
    const { token } = await createShopWithApp();
    const hook = await create(token, { topic: 'orders/create', address: uniqueAddress() });
    const res = await shopify('PUT', `/webhooks/${hook.id}.json`, token, '{oops');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(MISSING_ROOT);
  });

  it("reports a missing topic and address as can't be blank, together", async () => {
    const { token } = await createShopWithApp();
    const res = await shopify('POST', '/webhooks.json', token, { webhook: { topic: ' ' } });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { topic: ["can't be blank"], address: ["can't be blank"] } });
  });

  it('reports an unknown topic with the list of allowed topics', async () => {
    const { token } = await createShopWithApp();
    const res = await shopify('POST', '/webhooks.json', token, {
      webhook: { topic: 'orders/exploded', address: uniqueAddress() },
    });
    expect(res.status).toBe(422);
    const { errors } = await res.json<{ errors: { topic: string[] } }>();
    expect(Object.keys(errors)).toEqual(['topic']);
    expect(errors.topic[0]).toBe(
      `Invalid topic specified: orders/exploded. Does it exist? Is there a missing access scope? Topics allowed: ${[...SHOPIFY_TOPICS, 'user/<subject>/<verb>'].join(', ')}`,
    );
  });

  it('reports an unacceptable address as is invalid', async () => {
    const { token, domain } = await createShopWithApp({ primary_domain: 'shop.example.org' });
    for (const address of [
      'http://example.com/',
      'https://localhost/',
      'https://127.0.0.1/',
      'https://10.0.0.1/',
      'https://[fd00::1]/',
      'https://169.254.169.254/',
      'https://metadata.google.internal/',
      `https://${domain}/x`,
      'https://shop.example.org/x',
      'pubsub://project:topic',
      'arn:aws:events:us-east-1::event-source/aws.partner/shopify.com/1/x',
      'nonsense',
      42,
    ]) {
      const res = await shopify('POST', '/webhooks.json', token, { webhook: { topic: 'orders/create', address } });
      expect(res.status, String(address)).toBe(422);
      expect(await res.json()).toEqual({ errors: { address: ['is invalid'] } });
    }
  });

  it('reports the same topic and address already subscribed by this app as taken', async () => {
    const { token } = await createShopWithApp();
    const address = uniqueAddress();
    await create(token, { topic: 'orders/create', address });
    const res = await shopify('POST', '/webhooks.json', token, { webhook: { topic: 'orders/create', address } });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { address: ['for this topic has already been taken'] } });
    // Another topic, or another app, is not taken.
    await create(token, { topic: 'orders/paid', address });
    await create((await createShopWithApp()).token, { topic: 'orders/create', address });
  });

  it('lets only one of two racing identical creates win (the unique index decides)', async () => {
    const { token } = await createShopWithApp();
    const webhook = { topic: 'orders/create', address: uniqueAddress() };
    const answers = await Promise.all([1, 2, 3].map(() => shopify('POST', '/webhooks.json', token, { webhook })));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 422, 422]);
    for (const res of answers.filter((r) => r.status === 422)) {
      expect(await res.json()).toEqual({ errors: { address: ['for this topic has already been taken'] } });
    }
  });

  it('has the database refuse a second active row with the same app, topic and address', async () => {
    const { shopId, appId } = await createShopWithApp();
    const write = {
      topic: 'orders/create',
      address: uniqueAddress(),
      format: 'json' as const,
      fields: [],
      metafieldNamespaces: [],
    };
    const now = new Date().toISOString();
    expect(await insertSubscription(env.DB, { shopId, appId }, write, now)).not.toBeNull();
    expect(await insertSubscription(env.DB, { shopId, appId }, write, now)).toBeNull();
  });

  it('allows the same topic and address again once the first is deleted', async () => {
    const { token } = await createShopWithApp();
    const address = uniqueAddress();
    const first = await create(token, { topic: 'orders/create', address });
    expect((await shopify('DELETE', `/webhooks/${first.id}.json`, token)).status).toBe(200);
    const second = await create(token, { topic: 'orders/create', address });
    expect(second.id).toBeGreaterThan(first.id);
  });

  it('reports a format other than json or xml as is not included in the list', async () => {
    const { token } = await createShopWithApp();
    const res = await shopify('POST', '/webhooks.json', token, {
      webhook: { topic: 'orders/create', address: uniqueAddress(), format: 'yaml' },
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { format: ['is not included in the list'] } });
  });

  it('reports several errors together', async () => {
    const { token } = await createShopWithApp();
    const address = uniqueAddress();
    await create(token, { topic: 'orders/create', address });
    const taken = await shopify('POST', '/webhooks.json', token, {
      webhook: { topic: 'orders/create', address, format: 'csv', fields: 'id' },
    });
    expect(await taken.json()).toEqual({
      errors: {
        address: ['for this topic has already been taken'],
        format: ['is not included in the list'],
        fields: ['is invalid'],
      },
    });
    const res = await shopify('POST', '/webhooks.json', token, {
      webhook: { topic: 'nope/nope', address: 'http://x.example/', format: 'csv' },
    });
    expect(res.status).toBe(422);
    const { errors } = await res.json<{ errors: Record<string, string[]> }>();
    expect(Object.keys(errors).sort()).toEqual(['address', 'format', 'topic']);
  });

  it('accepts user/<subject>/<verb> topics and rejects malformed ones', async () => {
    const { token } = await createShopWithApp();
    const hook = await create(token, { topic: 'user/quote/request', address: uniqueAddress() });
    expect(hook.topic).toBe('user/quote/request');
    for (const topic of ['user/quote', 'user/a b/c', 'user/quote/request/x']) {
      const res = await shopify('POST', '/webhooks.json', token, { webhook: { topic, address: uniqueAddress() } });
      expect(res.status).toBe(422);
    }
  });

  it('admits http:// and loopback addresses only with ALLOW_INSECURE_ADDRESSES=true', async () => {
    const { token } = await createShopWithApp();
    const body = { webhook: { topic: 'orders/create', address: 'http://localhost:3000/hooks' } };
    expect((await shopify('POST', '/webhooks.json', token, body)).status).toBe(422);
    const init = { method: 'POST', headers: { 'x-shopify-access-token': token }, body: JSON.stringify(body) };
    const insecure = { ...env, ALLOW_INSECURE_ADDRESSES: 'true' };
    const res = await callWithEnv(insecure, `/admin/api/${V}/webhooks.json`, init);
    expect(res.status).toBe(201);
    const still = {
      ...init,
      body: JSON.stringify({ webhook: { topic: 'orders/paid', address: 'https://10.0.0.1/' } }),
    };
    expect((await callWithEnv(insecure, `/admin/api/${V}/webhooks.json`, still)).status).toBe(422);
  });
});

describe('the object', () => {
  it('is created with 201 and every property, defaults filled in, times with offset', async () => {
    const { token } = await createShopWithApp();
    const address = uniqueAddress();
    const res = await shopify('POST', '/webhooks.json', token, { webhook: { topic: 'orders/create', address } });
    expect(res.status).toBe(201);
    const { webhook } = await res.json<{ webhook: Webhook }>();
    expect(Object.keys(webhook).sort()).toEqual([
      'address',
      'api_version',
      'created_at',
      'fields',
      'format',
      'id',
      'metafield_identifiers',
      'metafield_namespaces',
      'private_metafield_namespaces',
      'topic',
      'updated_at',
    ]);
    expect(webhook).toMatchObject({
      address,
      topic: 'orders/create',
      format: 'json',
      fields: [],
      metafield_namespaces: [],
      private_metafield_namespaces: [],
      metafield_identifiers: [],
      api_version: '2026-10',
    });
    expect(Number.isInteger(webhook.id) && webhook.id > 0).toBe(true);
    expect(webhook['created_at']).toMatch(ISO_WITH_OFFSET);
    expect(webhook['updated_at']).toMatch(ISO_WITH_OFFSET);
    const row = await env.DB.prepare('SELECT created_at, status FROM subscriptions WHERE id = ?1')
      .bind(webhook.id)
      .first<{ created_at: string; status: string }>();
    expect(row!.status).toBe('active');
    expect(row!.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(webhook['created_at']).toBe(row!.created_at.slice(0, 19) + '-00:00');
  });

  it("carries the app's configured api_version, not the version in the path", async () => {
    const shop = await createShopWithApp();
    const appRes = await call(
      `/api/v1/shops/${shop.shopId}/apps`,
      jsonInit('POST', ADMIN_TOKEN, { name: 'old', api_version: '2026-01' }),
    );
    const { access_token } = await appRes.json<{ access_token: string }>();
    const hook = await create(access_token, {
      topic: 'orders/create',
      address: uniqueAddress(),
      format: 'xml',
      fields: ['id', 'note'],
      metafield_namespaces: ['custom'],
    });
    expect(hook).toMatchObject({
      api_version: '2026-01',
      format: 'xml',
      fields: ['id', 'note'],
      metafield_namespaces: ['custom'],
    });
  });

  it('gets one (200 {"webhook"}) and honours fields', async () => {
    const { token } = await createShopWithApp();
    const hook = await create(token, { topic: 'orders/create', address: uniqueAddress() });
    const res = await shopify('GET', `/webhooks/${hook.id}.json`, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ webhook: hook });
    const some = await shopify('GET', `/webhooks/${hook.id}.json?fields=id,topic,bogus`, token);
    expect(await some.json()).toEqual({ webhook: { id: hook.id, topic: 'orders/create' } });
  });

  it('deletes with 200 {} and keeps the row as deleted', async () => {
    const { token } = await createShopWithApp();
    const hook = await create(token, { topic: 'orders/create', address: uniqueAddress() });
    const res = await shopify('DELETE', `/webhooks/${hook.id}.json`, token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({});
    expect((await shopify('GET', `/webhooks/${hook.id}.json`, token)).status).toBe(404);
    expect((await shopify('DELETE', `/webhooks/${hook.id}.json`, token)).status).toBe(404);
    const row = await env.DB.prepare('SELECT status, updated_at FROM subscriptions WHERE id = ?1')
      .bind(hook.id)
      .first<{ status: string }>();
    expect(row!.status).toBe('deleted');
  });
});

describe('list, filters and pagination', () => {
  let token: string;
  let hooks: Webhook[];
  beforeAll(async () => {
    ({ token } = await createShopWithApp());
    hooks = [];
    const topics = ['orders/create', 'orders/paid', 'orders/create', 'products/update', 'orders/create'];
    for (const topic of topics)
      hooks.push(await create(token, { topic, address: `https://list.example.com/${hooks.length}` }));
    // Spread the times out so the time filters have something to tell apart.
    for (const [i, hook] of hooks.entries()) {
      await backdateSubscription(hook.id, `2026-01-0${i + 1}T10:00:00.000Z`, `2026-02-0${i + 1}T10:00:00.000Z`);
    }
  });
  const ids = async (query: string) => {
    const res = await shopify('GET', `/webhooks.json${query}`, token);
    expect(res.status).toBe(200);
    return (await res.json<{ webhooks: Webhook[] }>()).webhooks.map((w) => w.id);
  };

  it('answers 400 for a limit outside 1–250', async () => {
    for (const limit of ['0', '251', '-1', 'ten', '']) {
      const res = await shopify('GET', `/webhooks.json?limit=${limit}`, token);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: { limit: 'must be between 1 and 250' } });
    }
  });

  it('answers 400 for malformed times and since_id', async () => {
    const res = await shopify('GET', '/webhooks.json?created_at_min=yesterday&since_id=x', token);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      errors: { created_at_min: 'must be an ISO 8601 date and time', since_id: 'must be a non-negative integer' },
    });
  });

  it('lists 200 {"webhooks"} ordered by id ascending', async () => {
    const listed = await ids('');
    expect(listed).toEqual(hooks.map((h) => h.id));
    expect([...listed].sort((a, b) => a - b)).toEqual(listed);
  });

  it('filters by address and topic', async () => {
    expect(await ids('?topic=orders/create')).toEqual([hooks[0]!.id, hooks[2]!.id, hooks[4]!.id]);
    expect(await ids(`?address=${encodeURIComponent('https://list.example.com/3')}`)).toEqual([hooks[3]!.id]);
    expect(await ids(`?topic=orders/paid&address=${encodeURIComponent('https://list.example.com/3')}`)).toEqual([]);
  });

  it('filters by created_at_min/max and updated_at_min/max (ISO 8601, offsets honoured, inclusive)', async () => {
    expect(await ids('?created_at_min=2026-01-02T10:00:00-00:00&created_at_max=2026-01-04T10:00:00Z')).toEqual([
      hooks[1]!.id,
      hooks[2]!.id,
      hooks[3]!.id,
    ]);
    expect(await ids(`?updated_at_min=${encodeURIComponent('2026-02-04T12:00:00+02:00')}`)).toEqual([
      hooks[3]!.id,
      hooks[4]!.id,
    ]);
    expect(await ids('?updated_at_max=2026-02-01T10:00:00-00:00')).toEqual([hooks[0]!.id]);
  });

  it('filters by since_id and limit (default 50)', async () => {
    expect(await ids(`?since_id=${hooks[2]!.id}`)).toEqual([hooks[3]!.id, hooks[4]!.id]);
    expect(await ids('?limit=2')).toEqual([hooks[0]!.id, hooks[1]!.id]);
    // Ids run up to 16 digits: the largest safe integer, and any int64 past it, name no later id.
    expect(await ids('?since_id=9007199254740991')).toEqual([]);
    expect(await ids('?since_id=9007199254740992')).toEqual([]);
  });

  it('returns only the properties named in fields', async () => {
    const res = await shopify('GET', '/webhooks.json?fields=id,address&limit=1', token);
    expect(await res.json()).toEqual({ webhooks: [{ id: hooks[0]!.id, address: 'https://list.example.com/0' }] });
  });

  it('pages with a Link header: next, then previous and next, back again', async () => {
    const linkOf = (res: Response) => {
      const links: Record<string, string> = {};
      for (const part of (res.headers.get('link') ?? '').split(', ').filter(Boolean)) {
        const m = /^<([^>]+)>; rel="(next|previous)"$/.exec(part);
        expect(m, part).not.toBeNull();
        links[m![2]!] = m![1]!;
      }
      return links;
    };
    const first = await shopify('GET', '/webhooks.json?limit=2&topic=orders/create&fields=id', token);
    expect(await first.json()).toEqual({ webhooks: [{ id: hooks[0]!.id }, { id: hooks[2]!.id }] });
    const firstLinks = linkOf(first);
    expect(Object.keys(firstLinks)).toEqual(['next']);
    const next = new URL(firstLinks['next']!);
    expect(next.origin + next.pathname).toBe(`https://edgehook.test/admin/api/${V}/webhooks.json`);
    expect([...next.searchParams.keys()].sort()).toEqual(['fields', 'limit', 'page_info']);

    const second = await call(next.pathname + next.search, { headers: { 'x-shopify-access-token': token } });
    expect(await second.json()).toEqual({ webhooks: [{ id: hooks[4]!.id }] });
    const secondLinks = linkOf(second);
    expect(Object.keys(secondLinks)).toEqual(['previous']);

    const back = new URL(secondLinks['previous']!);
    const again = await call(back.pathname + back.search, { headers: { 'x-shopify-access-token': token } });
    expect(await again.json()).toEqual({ webhooks: [{ id: hooks[0]!.id }, { id: hooks[2]!.id }] });
    expect(Object.keys(linkOf(again))).toEqual(['next']);
  });

  it('shows previous and next in the middle of a list', async () => {
    const first = await shopify('GET', '/webhooks.json?limit=1', token);
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link')!)![1]!;
    const middle = await call(new URL(next).pathname + new URL(next).search, {
      headers: { 'x-shopify-access-token': token },
    });
    expect((await middle.json<{ webhooks: Webhook[] }>()).webhooks.map((w) => w.id)).toEqual([hooks[1]!.id]);
    expect(middle.headers.get('link')).toMatch(/rel="previous", <[^>]+>; rel="next"$/);
  });

  it('admits only limit and fields beside page_info, and refuses a forged page_info', async () => {
    const first = await shopify('GET', '/webhooks.json?limit=1', token);
    const pageInfo = new URL(/<([^>]+)>; rel="next"/.exec(first.headers.get('link')!)![1]!).searchParams.get(
      'page_info',
    )!;
    const mixed = await shopify('GET', `/webhooks.json?page_info=${pageInfo}&topic=orders/create&since_id=1`, token);
    expect(mixed.status).toBe(400);
    expect(await mixed.json()).toEqual({
      errors: { page_info: 'cannot be combined with topic, since_id; only limit and fields may accompany page_info' },
    });
    const ok = await shopify('GET', `/webhooks.json?page_info=${pageInfo}&limit=3&fields=id`, token);
    expect(ok.status).toBe(200);
    const forged = await shopify('GET', '/webhooks.json?page_info=bm90LWEtY3Vyc29y', token);
    expect(forged.status).toBe(400);
    expect(await forged.json()).toEqual({ errors: { page_info: 'is invalid' } });
  });

  it('counts with 200 {"count": N}, filtered by address and topic', async () => {
    const count = async (query: string) => {
      const res = await shopify('GET', `/webhooks/count.json${query}`, token);
      expect(res.status).toBe(200);
      return res.json();
    };
    expect(await count('')).toEqual({ count: 5 });
    expect(await count('?topic=orders/create')).toEqual({ count: 3 });
    expect(await count(`?address=${encodeURIComponent('https://list.example.com/1')}`)).toEqual({ count: 1 });
    expect(await count(`?address=${encodeURIComponent('https://list.example.com/1')}&topic=orders/create`)).toEqual({
      count: 0,
    });
  });
});

describe('update', () => {
  it('answers 422 for a body id different from the path id', async () => {
    const { token } = await createShopWithApp();
    const hook = await create(token, { topic: 'orders/create', address: uniqueAddress() });
    const res = await shopify('PUT', `/webhooks/${hook.id}.json`, token, {
      webhook: { id: hook.id + 1, format: 'xml' },
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ errors: { id: ['does not match the id in the path'] } });
    const same = await shopify('PUT', `/webhooks/${hook.id}.json`, token, {
      webhook: { id: String(hook.id), format: 'xml' },
    });
    expect(same.status).toBe(200);
  });

  it('validates like create: blank, unknown topic, invalid address, format, taken', async () => {
    const { token } = await createShopWithApp();
    const a = await create(token, { topic: 'orders/create', address: uniqueAddress() });
    const b = await create(token, { topic: 'orders/create', address: uniqueAddress() });
    const put = (webhook: Record<string, unknown>) => shopify('PUT', `/webhooks/${b.id}.json`, token, { webhook });
    expect(await (await put({ topic: '', address: null })).json()).toEqual({
      errors: { topic: ["can't be blank"], address: ["can't be blank"] },
    });
    expect(Object.keys((await (await put({ topic: 'x/y' })).json<{ errors: object }>()).errors)).toEqual(['topic']);
    expect(await (await put({ address: 'https://192.168.0.1/' })).json()).toEqual({
      errors: { address: ['is invalid'] },
    });
    expect(await (await put({ format: 'XML' })).json()).toEqual({
      errors: { format: ['is not included in the list'] },
    });
    const taken = await put({ address: a.address });
    expect(taken.status).toBe(422);
    expect(await taken.json()).toEqual({ errors: { address: ['for this topic has already been taken'] } });
  });

  it('changes address, topic, format, fields and metafield_namespaces and bumps updated_at', async () => {
    const { token } = await createShopWithApp();
    const hook = await create(token, { topic: 'orders/create', address: uniqueAddress() });
    await backdateSubscription(hook.id, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
    const address = uniqueAddress();
    const res = await shopify('PUT', `/webhooks/${hook.id}.json`, token, {
      webhook: {
        address,
        topic: 'user/quote/request',
        format: 'xml',
        fields: ['id'],
        metafield_namespaces: ['ns'],
        api_version: '1999-01',
        created_at: 'x',
      },
    });
    expect(res.status).toBe(200);
    const { webhook } = await res.json<{ webhook: Webhook }>();
    expect(webhook).toMatchObject({
      id: hook.id,
      address,
      topic: 'user/quote/request',
      format: 'xml',
      fields: ['id'],
      metafield_namespaces: ['ns'],
      api_version: '2026-10',
    });
    expect(webhook['created_at']).toBe('2026-01-01T00:00:00-00:00');
    expect(webhook['updated_at']).not.toBe('2026-01-01T00:00:00-00:00');
    expect(webhook['updated_at']).toMatch(ISO_WITH_OFFSET);
    // An address-only change keeps the rest.
    const again = await shopify('PUT', `/webhooks/${hook.id}.json`, token, { webhook: { address: hook.address } });
    expect(await again.json()).toMatchObject({
      webhook: { address: hook.address, topic: 'user/quote/request', format: 'xml', fields: ['id'] },
    });
  });
});

describe('methods and paths', () => {
  it('answers 405 for any other method on the resource paths', async () => {
    const { token } = await createShopWithApp();
    const cases: [string, string][] = [
      ['PUT', '/webhooks.json'],
      ['DELETE', '/webhooks.json'],
      ['PATCH', '/webhooks.json'],
      ['POST', '/webhooks/count.json'],
      ['DELETE', '/webhooks/count.json'],
      ['POST', '/webhooks/1.json'],
      ['PATCH', '/webhooks/1.json'],
    ];
    for (const [method, path] of cases) {
      const res = await shopify(method, path, token);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.headers.get('allow')).toBeTruthy();
      expect(await res.json()).toHaveProperty('errors');
    }
  });

  it('answers 404 Not Found for any other path under /admin/api/', async () => {
    const { token } = await createShopWithApp();
    for (const path of [
      `/admin/api/${V}/webhook.json`,
      `/admin/api/${V}/webhooks`,
      `/admin/api/${V}/webhooks/1/2.json`,
      '/admin/api/',
      `/admin/api/${V}/shop.json`,
    ]) {
      const res = await call(path, { headers: { 'x-shopify-access-token': token } });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toEqual(NOT_FOUND);
    }
  });
});
