import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/env';
import { buildEventData, rawQueryString, type IngressRequestParts } from '../../src/ingress/data';

const encoder = new TextEncoder();

function parts(overrides: Partial<IngressRequestParts> & { text?: string } = {}): IngressRequestParts {
  const { text, ...rest } = overrides;
  return {
    body: text === undefined ? new Uint8Array(0) : encoder.encode(text),
    contentType: null,
    queryString: null,
    headers: new Headers(),
    clientIp: '203.0.113.7',
    requestId: 'req-1',
    webhookId: 'wh-1',
    ...rest,
  };
}

/** Plain-object copy of the data, as it will be stored. */
async function auto(p: IngressRequestParts): Promise<unknown> {
  return JSON.parse(JSON.stringify(await buildEventData('auto', p))) as unknown;
}

async function multipartBody(form: FormData): Promise<{ body: Uint8Array; contentType: string }> {
  const request = new Request('https://x.test', { method: 'POST', body: form });
  return {
    body: new Uint8Array(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

describe('auto mode, rule 1: body parameters by content type', () => {
  it('uses a JSON object as is', async () => {
    expect(await auto(parts({ contentType: 'application/json', text: '{"a":{"b":[1,true,null]}}' }))).toEqual({
      a: { b: [1, true, null] },
    });
  });

  it.each([
    ['[1,2]', [1, 2]],
    ['"text"', 'text'],
    ['42', 42],
    ['true', true],
    ['null', null],
  ])('wraps the JSON non-object %s as {"_json": v}', async (text, value) => {
    expect(await auto(parts({ contentType: 'application/json', text }))).toEqual({ _json: value });
  });

  it('ignores charset and other content-type parameters, and letter case', async () => {
    expect(await auto(parts({ contentType: 'Application/JSON; charset=UTF-8', text: '{"a":1}' }))).toEqual({ a: 1 });
  });

  it('parses urlencoded forms with nested parameters', async () => {
    expect(
      await auto(
        parts({
          contentType: 'application/x-www-form-urlencoded',
          text: 'contact[name]=Ada&contact[tags][]=a&contact[tags][]=b',
        }),
      ),
    ).toEqual({ contact: { name: 'Ada', tags: ['a', 'b'] } });
  });

  it('parses multipart fields as nested parameters and files as base64 objects', async () => {
    const form = new FormData();
    form.append('contact[name]', 'Ada');
    form.append('tags[]', 'x');
    form.append('tags[]', 'y');
    form.append('upload', new File([new Uint8Array([0, 1, 2, 255])], 'photo.png', { type: 'image/png' }));
    const { body, contentType } = await multipartBody(form);
    expect(await auto(parts({ body, contentType }))).toEqual({
      contact: { name: 'Ada' },
      tags: ['x', 'y'],
      upload: { content_base64: 'AAEC/w==', mime_type: 'image/png', name: 'photo.png', size: 4 },
    });
  });

  it('treats a broken multipart body as having no parameters (keeps the raw text)', async () => {
    const text = '--nope\r\ncontent-disposition: form-data; name="a"\r\n\r\n1';
    expect(await auto(parts({ contentType: 'multipart/form-data; boundary=other', text }))).toBe(text);
  });

  it('treats invalid JSON as unparsable: data is the body text', async () => {
    expect(await auto(parts({ contentType: 'application/json', text: '{"a":' }))).toBe('{"a":');
  });

  it(`treats JSON nested deeper than ${MAX_JSON_DEPTH} levels as unparsable`, async () => {
    const deep = '['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1);
    const ok = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(await auto(parts({ contentType: 'application/json', text: deep }))).toBe(deep);
    expect(await auto(parts({ contentType: 'application/json', text: ok }))).toHaveProperty('_json');
  });

  it('gives other content types no body parameters: text/plain becomes the string', async () => {
    expect(await auto(parts({ contentType: 'text/plain', text: 'hello' }))).toBe('hello');
    expect(await auto(parts({ contentType: 'text/plain', text: 'no type' }))).toBe('no type');
    expect(await auto(parts({ contentType: 'application/xml', text: '<a/>' }))).toBe('<a/>');
  });
});

describe('auto mode, rules 2–5: query parameters, merging and fallbacks', () => {
  it('parses query parameters the nested way', async () => {
    expect(await auto(parts({ queryString: 'a[b]=1&c[]=2' }))).toEqual({ a: { b: '1' }, c: ['2'] });
  });

  it('merges body and query parameters at the top level; the query wins a clash', async () => {
    expect(
      await auto(parts({ contentType: 'application/json', text: '{"a":1,"b":{"x":1}}', queryString: 'b[y]=2&c=3' })),
    ).toEqual({ a: 1, b: { y: '2' }, c: '3' });
  });

  it('falls back to the body string when both are empty', async () => {
    expect(await auto(parts({ contentType: 'application/json', text: '{}' }))).toBe('{}');
    expect(await auto(parts({ contentType: 'text/plain', text: 'plain', queryString: '' }))).toBe('plain');
  });

  it('gives {"body_base64"} for a body that is not UTF-8', async () => {
    const body = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
    expect(await auto(parts({ body, contentType: 'application/octet-stream' }))).toEqual({ body_base64: '//4AQQ==' });
  });

  it('gives null for an empty or whitespace-only body', async () => {
    expect(await auto(parts())).toBeNull();
    expect(await auto(parts({ text: ' \r\n\t ' }))).toBeNull();
    expect(await auto(parts({ contentType: 'application/json', text: '   ' }))).toBeNull();
  });

  it('never puts headers in the data', async () => {
    const headers = new Headers({ 'x-secret': 'v' });
    expect(await auto(parts({ headers, contentType: 'application/json', text: '{"a":1}' }))).toEqual({ a: 1 });
  });
});

describe('full mode', () => {
  it('describes the whole request', async () => {
    const headers = new Headers({ 'Content-Type': 'application/json; charset=utf-8', 'X-Thing': 'a' });
    headers.append('x-thing', 'b');
    const data = await buildEventData(
      'full',
      parts({
        headers,
        contentType: 'application/json; charset=utf-8',
        text: '{"a":1}',
        queryString: 'q[x]=1',
      }),
    );
    expect(data).toEqual({
      body_base64: btoa('{"a":1}'),
      body: { a: 1 },
      client_ip: '203.0.113.7',
      headers: { 'content-type': ['application/json; charset=utf-8'], 'x-thing': ['a, b'] },
      mime_type: 'application/json',
      query_string: 'q[x]=1',
      query: { q: { x: '1' } },
      request_id: 'req-1',
      webhook_id: 'wh-1',
    });
  });

  it('uses null for absent parts and unparsable bodies', async () => {
    const data = await buildEventData('full', parts({ contentType: 'text/plain', text: 'plain text', clientIp: null }));
    expect(data).toMatchObject({
      body: null,
      body_base64: btoa('plain text'),
      client_ip: null,
      mime_type: 'text/plain',
      query_string: null,
      query: null,
    });
  });

  it('shows files as in auto mode', async () => {
    const form = new FormData();
    form.append('f', new File(['hi'], 'a.txt', { type: 'text/plain' }));
    const { body, contentType } = await multipartBody(form);
    const data = (await buildEventData('full', parts({ body, contentType }))) as { body: unknown };
    expect(JSON.parse(JSON.stringify(data.body))).toEqual({
      f: { content_base64: btoa('hi'), mime_type: 'text/plain', name: 'a.txt', size: 2 },
    });
  });
});

describe('rawQueryString', () => {
  it.each([
    ['https://x.test/webhooks/1', null],
    ['https://x.test/webhooks/1?', ''],
    ['https://x.test/webhooks/1?a=1&b=%20', 'a=1&b=%20'],
    ['https://x.test/webhooks/1?a=1#frag', 'a=1'],
  ])('%s → %s', (url, expected) => {
    expect(rawQueryString(url)).toBe(expected);
  });
});
