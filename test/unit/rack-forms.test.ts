import { describe, expect, it } from 'vitest';
import { buildEventData, type IngressRequestParts } from '../../src/ingress/data';

/**
 * docs/contracts.md, "Event data in auto mode", rule 1: the rules browser forms follow because Rack
 * does (issue 12, point 6).
 */

const encoder = new TextEncoder();

function parts(contentType: string | null, text: string): IngressRequestParts {
  return {
    body: encoder.encode(text),
    contentType,
    queryString: null,
    headers: new Headers(),
    clientIp: null,
    requestId: 'req-1',
    webhookId: 'wh-1',
  };
}

const auto = async (p: IngressRequestParts) => JSON.parse(JSON.stringify(await buildEventData('auto', p))) as unknown;

/** A multipart body as a browser writes it, with each part's Content-Disposition given verbatim. */
function multipart(partsOf: { disposition: string; type?: string; content: string }[]): IngressRequestParts {
  const boundary = '----WebKitFormBoundaryX3bY';
  const lines: string[] = [];
  for (const part of partsOf) {
    lines.push(`--${boundary}`, `Content-Disposition: form-data; ${part.disposition}`);
    if (part.type) lines.push(`Content-Type: ${part.type}`);
    lines.push('', part.content);
  }
  lines.push(`--${boundary}--`, '');
  return parts(`multipart/form-data; boundary=${boundary}`, lines.join('\r\n'));
}

describe('a POST without Content-Type is a form (Rack form_data?)', () => {
  it('parses the body as urlencoded nested parameters', async () => {
    expect(await auto(parts(null, 'contact[name]=Ada&tags[]=a&tags[]=b'))).toEqual({
      contact: { name: 'Ada' },
      tags: ['a', 'b'],
    });
  });

  it('treats an empty Content-Type header the same way', async () => {
    expect(await auto(parts('', 'a=1'))).toEqual({ a: '1' });
  });

  it('in full mode: body parsed as a form, mime_type null', async () => {
    const data = (await buildEventData('full', parts(null, 'a=1'))) as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(data.body))).toEqual({ a: '1' });
    expect(data.mime_type).toBeNull();
  });

  it('still gives null for a blank body (rule 4)', async () => {
    expect(await auto(parts(null, ' \r\n'))).toBeNull();
  });
});

describe('multipart files as Rack reads them', () => {
  it('leaves out a file input with no file chosen (filename="") and keeps an empty text field', async () => {
    const data = await auto(
      multipart([
        { disposition: 'name="note"', content: '' },
        { disposition: 'name="cv"; filename=""', type: 'application/octet-stream', content: '' },
        { disposition: 'name="name"', content: 'Ada' },
      ]),
    );
    expect(data).toEqual({ note: '', name: 'Ada' });
  });

  it.each([
    ['../../etc/cv.txt', 'cv.txt'],
    ['C:\\Users\\ada\\cv.txt', 'cv.txt'],
    ['/var/tmp/cv.txt', 'cv.txt'],
    ['cv.txt', 'cv.txt'],
    ['a%22quoted%22.txt', 'a"quoted".txt'],
    ['caf%C3%A9.txt', 'café.txt'],
    ['100%.txt', '100%.txt'],
  ])('a file named %s gets the base name %s', async (sent, expected) => {
    const data = (await auto(
      multipart([{ disposition: `name="cv"; filename="${sent}"`, type: 'text/plain', content: 'hello' }]),
    )) as { cv: Record<string, unknown> };
    expect(data.cv).toEqual({ content_base64: btoa('hello'), mime_type: 'text/plain', name: expected, size: 5 });
  });

  it('takes the last segment of "dir/" and leaves out "/", whose base name is empty, as Rack does', async () => {
    expect(
      await auto(
        multipart([
          { disposition: 'name="cv"; filename="dir/"', type: 'text/plain', content: 'x' },
          { disposition: 'name="a"', content: '1' },
        ]),
      ),
    ).toEqual({ cv: { content_base64: btoa('x'), mime_type: 'text/plain', name: 'dir', size: 1 }, a: '1' });
    expect(
      await auto(
        multipart([
          { disposition: 'name="cv"; filename="/"', type: 'text/plain', content: 'x' },
          { disposition: 'name="a"', content: '1' },
        ]),
      ),
    ).toEqual({ a: '1' });
  });

  it('keeps binary file content byte for byte and nests field names', async () => {
    const data = (await auto(
      multipart([
        { disposition: 'name="order[items][][sku]"', content: 'A-1' },
        { disposition: 'name="order[items][][sku]"', content: 'B-2' },
        { disposition: 'name="files[]"; filename="a.bin"', type: 'application/octet-stream', content: '\u0001\u0002' },
      ]),
    )) as Record<string, unknown>;
    expect(data).toEqual({
      order: { items: [{ sku: 'A-1' }, { sku: 'B-2' }] },
      files: [{ content_base64: btoa('\u0001\u0002'), mime_type: 'application/octet-stream', name: 'a.bin', size: 2 }],
    });
  });
});
