import { Router, type RouteEntry } from 'itty-router';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAGE_LIMIT, MAX_TASK_SCRIPT_CHARS } from '../../src/env';
import { API_OPERATIONS } from '../../src/openapi/operations';
import { apiV1Router } from '../../src/routers/api-v1';
import { ADMIN_TOKEN, BASE, call, createShopWithApp, jsonInit } from '../helpers';

// GET /api/v1/openapi.json (issue 15, point 4). The document's validity against the OpenAPI 3.1
// schema is checked in Node by a standard validator: test/node/openapi.test.ts.

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON document walked freely by the assertions
type Json = Record<string, any>;

let doc: Json;
let appToken: string;

beforeAll(async () => {
  const res = await call('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  doc = await res.json<Json>();
  appToken = (await createShopWithApp()).token;
});

/** Every operation of the document as [METHOD, openapi path, operation]. */
const operations = (): [string, string, Json][] =>
  Object.entries(doc['paths'] as Json).flatMap(([path, item]) =>
    Object.entries(item as Json).map(
      ([method, op]) => [method.toUpperCase(), path, op as Json] as [string, string, Json],
    ),
  );

/** A concrete URL path for an OpenAPI path template (ids that exist nowhere). */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, (p) => (p === '{id}' ? '999999' : 'missing'));

/**
 * The management API's routes as mounted (`METHOD path`, itty syntax), read from routers' route
 * tables: what the router really serves, to compare with the route table it was mounted from.
 * Catch-all entries (`ALL`, the 405 answers) are not operations.
 */
function mountedApiRoutes(...routeTables: readonly (readonly RouteEntry[])[]): string[] {
  const routes = new Set<string>();
  for (const table of routeTables) {
    for (const [method, , , path] of table) {
      if (method !== 'ALL' && path?.startsWith('/api/v1/')) routes.add(`${method} ${path}`);
    }
  }
  return [...routes].sort();
}

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document, public, whose server is the origin it was asked on', () => {
    expect(doc['openapi']).toMatch(/^3\.1\./);
    expect(doc['servers']).toEqual([{ url: BASE }]);
    expect(doc['paths']['/api/v1/openapi.json'].get.security).toEqual([]);
  });

  it('names each operation once, so generated clients get one method per route', () => {
    const ids = operations().map(([, , op]) => op['operationId'] as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc['paths']['/api/v1/shops/{shopId}/apps'].post.operationId).toBe('postShopsShopIdApps');
    const key = doc['paths']['/api/v1/cache/{key}'].get.parameters[0];
    expect(key).toMatchObject({ name: 'key', in: 'path', required: true });
    expect(key.description).toContain('/');
  });

  it('describes every mounted /api/v1 route and nothing that is not mounted', () => {
    const mounted = mountedApiRoutes(apiV1Router.routes);
    expect(mounted.length).toBeGreaterThan(30);
    expect(Object.keys(API_OPERATIONS).sort()).toEqual(mounted);
    const documented = operations()
      .map(([m, p]) => `${m} ${p}`)
      .sort();
    expect(documented).toEqual(mounted.map((r) => r.replace(/:(\w+)\+?/g, '{$1}')).sort());
  });

  it('the route list is read from the router: a new route shows up, 405 catch-alls and other families do not', () => {
    const probe = Router();
    probe.get('/api/v1/things/:id', () => new Response()).all('/api/v1/things/:id', () => new Response());
    probe.post('/webhooks/:id', () => new Response());
    expect(mountedApiRoutes(apiV1Router.routes, probe.routes)).toContain('GET /api/v1/things/:id');
    expect(mountedApiRoutes(probe.routes)).toEqual(['GET /api/v1/things/:id']);
  });

  it("request bodies are the routes' validators: strict objects, required fields, limits, enums, defaults", () => {
    const body = (path: string, method: string) =>
      doc['paths'][path][method].requestBody.content['application/json'].schema as Json;
    const webhook = body('/api/v1/webhooks', 'post');
    expect(webhook['additionalProperties']).toBe(false);
    expect(webhook['required']).toEqual(['name', 'topic']);
    expect(webhook['properties'].data_mode).toMatchObject({ enum: ['auto', 'full'], default: 'auto' });
    expect(webhook['properties'].topic.pattern).toBe('^user\\/[A-Za-z0-9_.-]+\\/[A-Za-z0-9_.-]+$');
    expect(body('/api/v1/webhooks/{id}', 'patch')['required']).toEqual([]);
    expect(body('/api/v1/tasks', 'post')['properties'].script.maxLength).toBe(MAX_TASK_SCRIPT_CHARS);
    // Two regexes on one field: both stated.
    const shop = body('/api/v1/shops', 'post')['properties'].myshopify_domain;
    expect(shop.pattern).toMatch(/^\^\(\?=\.\{1,253\}\$\)/);
    expect(shop.allOf).toEqual([{ pattern: '\\.myshopify\\.com$' }]);
    // A rule JSON Schema cannot say is stated in words.
    expect(body('/api/v1/shops/{shopId}/apps', 'post')['properties'].api_version.description).toMatch(
      /^Checked by the server: must be one of /,
    );
    // A case-insensitive pattern is not turned into a stricter case-sensitive one.
    const key = body('/api/v1/cache_endpoints', 'post')['properties'].key;
    expect(key.pattern).toBeUndefined();
    expect(key.description).toContain('/i.');
    expect(body('/api/v1/subscriptions/{id}/replay', 'post')['properties'].since.format).toBe('date-time');
    expect(doc['paths']['/api/v1/tasks/{id}/preview'].post.requestBody.required).toBe(false);
  });

  it('a body the document calls valid is accepted by the route, one it forbids is refused with 422', async () => {
    const ok = await call('/api/v1/webhooks', jsonInit('POST', appToken, { name: 'doc', topic: 'user/doc/check' }));
    expect(ok.status).toBe(201);
    const extra = await call(
      '/api/v1/webhooks',
      jsonInit('POST', appToken, { name: 'doc', topic: 'user/doc/check', colour: 'red' }),
    );
    expect(extra.status).toBe(422);
  });

  it('describes auth: every route states its token, and the Worker enforces exactly that', async () => {
    expect(Object.keys(doc['components'].securitySchemes).sort()).toEqual(['appToken', 'operatorToken']);
    for (const [method, path, op] of operations()) {
      const scheme = Object.keys(op['security'][0] ?? {})[0];
      if (scheme === undefined) continue;
      expect(op['responses']['401'], `${method} ${path}`).toEqual({ $ref: '#/components/responses/Unauthorized' });
      const url = concrete(path);
      const none = await call(url, { method });
      expect(none.status, `${method} ${path} without a token`).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      const otherToken = scheme === 'operatorToken' ? appToken : ADMIN_TOKEN;
      const other = await call(url, jsonInit(method, otherToken));
      expect(other.status, `${method} ${path} with the other token`).toBe(403);
      expect((await other.json<Json>())['error'].code).toBe('forbidden');
    }
  });

  it('describes errors with the shape the boundary sends', async () => {
    const error = doc['components'].schemas.Error;
    expect(error.required).toEqual(['error']);
    expect(error.properties.error.required).toEqual(['code', 'message']);
    const res = await call('/api/v1/webhooks', jsonInit('POST', appToken, { topic: 'nope' }));
    expect(res.status).toBe(422);
    const body = await res.json<Json>();
    expect(Object.keys(body)).toEqual(['error']);
    expect(Object.keys(body['error']).sort()).toEqual(['code', 'fields', 'message']);
    expect(doc['paths']['/api/v1/webhooks'].post.responses['422']).toEqual({
      $ref: '#/components/responses/ValidationFailed',
    });
    expect(doc['paths']['/api/v1/shops'].post.responses['409'].description).toMatch(/exists/);
  });

  it('describes paging on every list, and the lists page as described', async () => {
    const { Limit } = doc['components'].parameters;
    expect(Limit.schema).toMatchObject({ minimum: 1, maximum: MAX_PAGE_LIMIT });
    const lists = operations().filter(([, , op]) =>
      (op['parameters'] ?? []).some((p: Json) => p['$ref'] === '#/components/parameters/Limit'),
    );
    expect(lists.map(([m, p]) => `${m} ${p}`).sort()).toEqual(
      Object.entries(API_OPERATIONS)
        .filter(([, op]) => op.list)
        .map(([key]) => key.replace(/:(\w+)/g, '{$1}'))
        .sort(),
    );
    const tooMany = await call(`/api/v1/webhooks?limit=${MAX_PAGE_LIMIT + 1}`, jsonInit('GET', appToken));
    expect(tooMany.status).toBe(422);
    const page = await call('/api/v1/webhooks?limit=1', jsonInit('GET', appToken));
    const schema = doc['paths']['/api/v1/webhooks'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(await page.json<Json>()).sort()).toEqual([...schema.required].sort());
  });
});
