import { decodeUtf8, toBase64 } from '../encoding';
import { MAX_JSON_DEPTH, MAX_PARAM_COUNT } from '../env';
import { isParams, makeParams, normalizeParams, parseNestedQuery, ParamsError, type Params } from './params';
import { ExactNumber, parseExactJson } from '../json/exact';

/** A multipart file as it appears in event data (spec/ingress.md). */
export interface FileParam {
  content_base64: string;
  mime_type: string;
  name: string;
  size: number;
}

/** `type/subtype` of a Content-Type header, lowercased and without parameters; null if absent. */
export function mimeTypeOf(contentType: string | null): string | null {
  if (contentType === null) return null;
  const mime = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return mime === '' ? null : mime;
}

/**
 * Body parameters by content type (spec/ingress.md, rule 1). Returns null when the type has no
 * parser or the body does not parse; never throws.
 */
export async function parseBodyParams(
  contentType: string | null,
  bytes: Uint8Array,
): Promise<Params | null> {
  switch (mimeTypeOf(contentType)) {
    case 'application/json':
      return parseJsonParams(bytes);
    case 'application/x-www-form-urlencoded': {
      const text = decodeUtf8(bytes);
      return text === null ? null : parseNestedQuery(text);
    }
    case 'multipart/form-data':
      return parseMultipartParams(contentType!, bytes);
    default:
      return null;
  }
}

function parseJsonParams(bytes: Uint8Array): Params | null {
  const text = decodeUtf8(bytes);
  if (text === null) return null;
  let value: unknown;
  try {
    value = parseExactJson(text);
  } catch {
    return null;
  }
  if (exceedsDepth(value, MAX_JSON_DEPTH)) return null;
  if (isParams(value) && !(value instanceof ExactNumber)) return value;
  const wrapped = makeParams();
  wrapped['_json'] = value;
  return wrapped;
}

/** True when `value` nests objects/arrays deeper than `limit` (checked without recursion). */
export function exceedsDepth(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null || node instanceof ExactNumber) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

async function parseMultipartParams(contentType: string, bytes: Uint8Array): Promise<Params | null> {
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return null;
  }
  const params = makeParams();
  let count = 0;
  try {
    for (const [name, value] of form.entries()) {
      if (++count > MAX_PARAM_COUNT) return null;
      normalizeParams(params, name, typeof value === 'string' ? value : await fileParam(value), 0);
    }
  } catch (err) {
    if (err instanceof ParamsError) return null;
    throw err;
  }
  return params;
}

async function fileParam(file: File): Promise<FileParam> {
  const content = new Uint8Array(await file.arrayBuffer());
  return {
    content_base64: toBase64(content),
    mime_type: file.type || 'application/octet-stream',
    name: file.name,
    size: content.byteLength,
  };
}
