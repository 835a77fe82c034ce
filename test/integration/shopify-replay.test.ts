import { describe, expect, it } from 'vitest';
import { SUPPORTED_API_VERSIONS } from '../../src/shops/api-versions';
import { ADMIN_TOKEN, call, createShopWithApp, jsonInit } from '../helpers';

// Replays the requests of Shopify's `Webhook` REST reference for version 2021-07 (its examples are
// copied below, verbatim) byte for byte — method, path with version 2021-07, curl's `-d` body and
// content type — and checks that the answers have Shopify's status and shape: the same keys with
// the same value types. Ids, times and host differ; edgehook's object also has
// `metafield_identifiers` (docs/contracts.md, "The Webhook resource"), which the 2021-07 examples
// predate.

const PATH_VERSION = '2021-07';
const EXTRA_KEYS = ['metafield_identifiers'];

// ── Shopify's examples, verbatim ────────────────────────────────────────────────────────────
const CREATE_BODY =
  '{"webhook":{"topic":"orders\\/create","address":"https:\\/\\/whatever.hostname.com\\/","format":"json"}}';
const CREATE_RESPONSE = {
  webhook: {
    id: 8221591677,
    address: 'https://whatever.hostname.com/',
    topic: 'orders/create',
    created_at: '2021-09-23T22:39:05-04:00',
    updated_at: '2021-09-23T22:39:05-04:00',
    format: 'json',
    fields: [],
    metafield_namespaces: [],
    api_version: 'unstable',
    private_metafield_namespaces: [],
  },
};
const LIST_RESPONSE = {
  webhooks: [
    {
      id: 4759306,
      address: 'https://apple.com',
      topic: 'orders/create',
      created_at: '2021-09-23T22:38:09-04:00',
      updated_at: '2021-09-23T22:38:09-04:00',
      format: 'json',
      fields: [],
      metafield_namespaces: [],
      api_version: 'unstable',
      private_metafield_namespaces: [],
    },
    {
      id: 901431826,
      address: 'https://apple.com/uninstall',
      topic: 'app/uninstalled',
      created_at: '2021-09-23T22:38:09-04:00',
      updated_at: '2021-09-23T22:38:09-04:00',
      format: 'json',
      fields: [],
      metafield_namespaces: [],
      api_version: 'unstable',
      private_metafield_namespaces: [],
    },
  ],
};
const GET_RESPONSE = { webhook: LIST_RESPONSE.webhooks[0]! };
const COUNT_RESPONSE = { count: 2 };
const UPDATE_BODY = (id: number) => `{"webhook":{"id":${id},"address":"https:\\/\\/somewhere-else.com\\/"}}`;
const UPDATE_RESPONSE = {
  webhook: {
    ...LIST_RESPONSE.webhooks[0]!,
    address: 'https://somewhere-else.com/',
    updated_at: '2021-09-23T22:39:08-04:00',
  },
};
const DELETE_RESPONSE = {};

// ── Helpers ─────────────────────────────────────────────────────────────────────────────────
/** What curl sends for `-X METHOD [-d body] -H "X-Shopify-Access-Token: …"`. */
function curl(method: string, path: string, token: string, body?: string): Promise<Response> {
  const headers: Record<string, string> = { 'x-shopify-access-token': token, accept: '*/*' };
  if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  return call(`/admin/api/${PATH_VERSION}${path}`, { method, headers, body });
}

/** The shape of a JSON value: keys and value types, recursively (arrays by their items). */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !EXTRA_KEYS.includes(k))
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shapeOf(v)]),
    );
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/.test(value)) return 'time';
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 ? 'positive integer' : 'number';
  return typeof value;
}

async function expectReplay(res: Response, status: number, shopify: unknown): Promise<unknown> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('x-shopify-api-version')).toBe(SUPPORTED_API_VERSIONS[0]);
  const body = await res.json();
  expect(shapeOf(body)).toEqual(shapeOf(shopify));
  return body;
}

/** Drops what legitimately differs (ids and times) so the remaining values can be compared. */
const withoutIdsAndTimes = (w: Record<string, unknown>) => {
  const { id: _id, created_at: _c, updated_at: _u, metafield_identifiers: _m, ...rest } = w;
  return rest;
};

async function unstableApp(): Promise<string> {
  const { shopId } = await createShopWithApp();
  const res = await call(
    `/api/v1/shops/${shopId}/apps`,
    jsonInit('POST', ADMIN_TOKEN, { name: 'replay', api_version: 'unstable' }),
  );
  expect(res.status).toBe(201);
  return (await res.json<{ access_token: string }>()).access_token;
}

describe("replay of Shopify's Webhook reference examples", () => {
  it('create: POST /webhooks.json → 201 {"webhook": …}', async () => {
    const token = await unstableApp();
    const body = (await expectReplay(
      await curl('POST', '/webhooks.json', token, CREATE_BODY),
      201,
      CREATE_RESPONSE,
    )) as { webhook: Record<string, unknown> };
    expect(withoutIdsAndTimes(body.webhook)).toEqual(withoutIdsAndTimes(CREATE_RESPONSE.webhook));
    expect(body.webhook.metafield_identifiers).toEqual([]);
  });

  it('list, get, count, update and delete', async () => {
    const token = await unstableApp();
    // The two subscriptions the list example shows.
    for (const { topic, address } of LIST_RESPONSE.webhooks) {
      const res = await curl('POST', '/webhooks.json', token, JSON.stringify({ webhook: { topic, address } }));
      expect(res.status).toBe(201);
    }

    const list = (await expectReplay(
      await curl('GET', '/webhooks.json', token),
      200,
      LIST_RESPONSE,
    )) as typeof LIST_RESPONSE;
    expect(list.webhooks.map(withoutIdsAndTimes)).toEqual(LIST_RESPONSE.webhooks.map(withoutIdsAndTimes));
    const id = list.webhooks[0]!.id;

    const one = (await expectReplay(
      await curl('GET', `/webhooks/${id}.json`, token),
      200,
      GET_RESPONSE,
    )) as typeof GET_RESPONSE;
    expect(withoutIdsAndTimes(one.webhook)).toEqual(withoutIdsAndTimes(GET_RESPONSE.webhook));

    expect(await expectReplay(await curl('GET', '/webhooks/count.json', token), 200, COUNT_RESPONSE)).toEqual(
      COUNT_RESPONSE,
    );

    const updated = (await expectReplay(
      await curl('PUT', `/webhooks/${id}.json`, token, UPDATE_BODY(id)),
      200,
      UPDATE_RESPONSE,
    )) as typeof UPDATE_RESPONSE;
    expect(withoutIdsAndTimes(updated.webhook)).toEqual(withoutIdsAndTimes(UPDATE_RESPONSE.webhook));
    expect(updated.webhook.id).toBe(id);

    expect(await expectReplay(await curl('DELETE', `/webhooks/${id}.json`, token), 200, DELETE_RESPONSE)).toEqual(
      DELETE_RESPONSE,
    );
    expect(await (await curl('GET', '/webhooks/count.json', token)).json()).toEqual({ count: 1 });
  });
});
