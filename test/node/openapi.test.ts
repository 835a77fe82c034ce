import { Validator } from '@seriousme/openapi-schema-validator';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, migrateLocal, startWranglerDev } from '../../scripts/lib/local.mjs';

// The document as `wrangler dev` serves it, checked by a standard OpenAPI validator
// (@seriousme/openapi-schema-validator: the official OpenAPI 3.1 JSON Schema, run by ajv). Ajv
// compiles schemas to code, which workerd forbids, so this check runs in Node.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON document walked freely by the assertions
type Json = Record<string, any>;
// Real answers are also checked against the response schemas the document declares for them.

/** The part of ajv's API used here. */
interface SchemaChecker {
  addSchema(schema: object, key: string): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown };
}
/**
 * The ajv (draft 2020-12) that the standard validator itself runs on, so responses are checked by
 * the same engine; loaded through the validator's own dependency, whatever other ajv the project has.
 */
const { Ajv2020 } = createRequire(
  createRequire(import.meta.url).resolve('@seriousme/openapi-schema-validator/package.json'),
)('ajv/dist/2020.js') as { Ajv2020: new (options: object) => SchemaChecker };

const ADMIN_TOKEN = 'openapi-test-admin-token';
const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-openapi-'));
let dev: { stop: () => void } | undefined;
let base = '';
let document: Json;

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  migrateLocal(stateDir, { quiet: true });
  dev = await startWranglerDev({
    port,
    persistDir: stateDir,
    quiet: true,
    vars: { ADMIN_TOKEN, SECRETS_KEY: Buffer.alloc(32, 9).toString('base64') },
  });
  document = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as Json;
});

afterAll(() => {
  dev?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const validate = (doc: Json) => new Validator().validate(doc);

/** Checks a real answer against the schema the document gives for this operation and status. */
function expectDescribed(method: string, path: string, status: number, body: unknown): void {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(document, 'openapi');
  let response = document['paths'][path]?.[method.toLowerCase()]?.responses?.[String(status)];
  expect(response, `${method} ${path} ${status} is described`).toBeDefined();
  if (response.$ref) response = document['components'].responses[String(response.$ref).split('/').pop()!];
  const schema = response.content['application/json'].schema;
  const check = ajv.compile(schema.$ref ? { $ref: `openapi${schema.$ref}` } : schema);
  expect(check(body), `${method} ${path} ${status}: ${JSON.stringify(check.errors)}`).toBe(true);
}

/**
 * One API call on a connection of its own: fetch would reuse a kept-alive socket that wrangler dev
 * may close between tests ("other side closed").
 */
function request(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  return new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = httpRequest(base + path, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text === '' ? null : (JSON.parse(text) as unknown) }),
      );
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('GET /api/v1/openapi.json (served by wrangler dev)', () => {
  it('is valid OpenAPI 3.1 by the standard validator', async () => {
    expect(document['servers']).toEqual([{ url: base }]);
    const result = await validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('the validator does refuse a broken document (so the check above means something)', async () => {
    const pathParamOptional = structuredClone(document);
    pathParamOptional['paths']['/api/v1/shops/{shopId}'].get.parameters[0].required = false;
    expect((await validate(pathParamOptional)).valid).toBe(false);
    const danglingRef = structuredClone(document);
    delete danglingRef['components'].responses.Unauthorized;
    expect((await validate(danglingRef)).valid).toBe(false);
  });

  it('real answers match the response schemas it declares: success, paging, and each error', async () => {
    const shop = await request('POST', '/api/v1/shops', ADMIN_TOKEN, { myshopify_domain: 'openapi.myshopify.com' });
    expect(shop.status).toBe(201);
    expectDescribed('POST', '/api/v1/shops', 201, shop.body);
    const shopId = (shop.body as Json)['shop'].id as string;
    // The check is not vacuous: a shop is not an error, and an error is not a shop.
    expect(() => expectDescribed('POST', '/api/v1/shops', 422, shop.body)).toThrow();
    expect(() => expectDescribed('POST', '/api/v1/shops', 201, { error: { code: 'x', message: 'y' } })).toThrow();

    const app = await request('POST', `/api/v1/shops/${shopId}/apps`, ADMIN_TOKEN, { name: 'doc' });
    expectDescribed('POST', '/api/v1/shops/{shopId}/apps', 201, app.body);
    const appToken = (app.body as Json)['access_token'] as string;

    const list = await request('GET', '/api/v1/shops?limit=1', ADMIN_TOKEN);
    expectDescribed('GET', '/api/v1/shops', 200, list.body);
    const webhook = await request('POST', '/api/v1/webhooks', appToken, { name: 'doc', topic: 'user/doc/check' });
    expectDescribed('POST', '/api/v1/webhooks', 201, webhook.body);
    const events = await request('GET', '/api/v1/events', appToken);
    expectDescribed('GET', '/api/v1/events', 200, events.body);
    const cacheSet = await request('PUT', '/api/v1/cache/doc/key', appToken, { value: [1, 'two'] });
    expectDescribed('PUT', '/api/v1/cache/{key}', 200, cacheSet.body);

    const errors: [string, string, string | null, unknown, number][] = [
      ['GET', '/api/v1/webhooks', null, undefined, 401],
      ['GET', '/api/v1/shops', appToken, undefined, 403],
      ['GET', '/api/v1/webhooks/00000000-0000-0000-0000-000000000000', appToken, undefined, 404],
      ['POST', '/api/v1/webhooks', appToken, { topic: 'nope' }, 422],
      ['GET', '/api/v1/events?limit=0', appToken, undefined, 422],
      ['POST', '/api/v1/shops', ADMIN_TOKEN, { myshopify_domain: 'openapi.myshopify.com' }, 409],
    ];
    for (const [method, path, token, body, status] of errors) {
      const res = await request(method, path, token, body);
      expect(res.status, `${method} ${path}`).toBe(status);
      const template = path.split('?')[0]!.replace(/\/[0-9a-f-]{36}$/, '/{id}');
      expectDescribed(method, template, status, res.body);
    }
  });
});
