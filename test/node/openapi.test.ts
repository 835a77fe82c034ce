import { Validator } from '@seriousme/openapi-schema-validator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startWranglerDev } from '../../scripts/lib/local.mjs';

// The document as `wrangler dev` serves it, checked by a standard OpenAPI validator
// (@seriousme/openapi-schema-validator: the official OpenAPI 3.1 JSON Schema, run by ajv). Ajv
// compiles schemas to code, which workerd forbids, so this check runs in Node.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed JSON document walked freely by the assertions
type Json = Record<string, any>;

const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-openapi-'));
let dev: { stop: () => void } | undefined;
let base = '';

beforeAll(async () => {
  const port = await freePort();
  base = `http://localhost:${port}`;
  dev = await startWranglerDev({ port, persistDir: stateDir, quiet: true });
});

afterAll(() => {
  dev?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function validate(document: Json) {
  return new Validator().validate(document);
}

describe('GET /api/v1/openapi.json (served by wrangler dev)', () => {
  it('is valid OpenAPI 3.1 by the standard validator', async () => {
    const res = await fetch(`${base}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as Json;
    expect(document['servers']).toEqual([{ url: base }]);
    const result = await validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('the validator does refuse a broken document (so the check above means something)', async () => {
    const fresh = async () => (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as Json;
    const pathParamOptional = await fresh();
    pathParamOptional['paths']['/api/v1/shops/{shopId}'].get.parameters[0].required = false;
    expect((await validate(pathParamOptional)).valid).toBe(false);
    const danglingRef = await fresh();
    delete danglingRef['components'].responses.Unauthorized;
    expect((await validate(danglingRef)).valid).toBe(false);
  });
});
