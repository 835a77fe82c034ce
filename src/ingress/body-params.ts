import { decodeUtf8, toBase64 } from '../encoding';
import { MAX_JSON_DEPTH, MAX_PARAM_COUNT } from '../env';
import { exceedsDepth } from '../json/depth';
import { multipartBoundary, parseMultipart, type MultipartPart } from './multipart';
import { isParams, makeParams, normalizeParams, parseNestedQuery, ParamsError, type Params } from './params';
import { ExactNumber, parseExactJson } from '../json/exact';

/** A multipart file as it appears in event data (docs/contracts.md, "Event data in auto mode"). */
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
 * Body parameters by content type (docs/contracts.md, "Event data in auto mode", rule 1). Returns
 * null when the type has no parser or the body does not parse; never throws.
 */
export async function parseBodyParams(contentType: string | null, bytes: Uint8Array): Promise<Params | null> {
  switch (mimeTypeOf(contentType)) {
    // No Content-Type on a POST is a form, as Rack's `form_data?` decides (docs/contracts.md,
    // "Event data in auto mode", rule 1); a blank body stays without parameters so that rule 4
    // gives it null.
    case null:
      return isBlankBytes(bytes) ? null : parseFormParams(bytes);
    case 'application/x-www-form-urlencoded':
      return parseFormParams(bytes);
    case 'application/json':
      return parseJsonParams(bytes);
    case 'multipart/form-data':
      return parseMultipartParams(contentType!, bytes);
    default:
      return null;
  }
}

function parseFormParams(bytes: Uint8Array): Params | null {
  const text = decodeUtf8(bytes);
  return text === null ? null : parseNestedQuery(text);
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

function isBlankBytes(bytes: Uint8Array): boolean {
  for (const b of bytes) if (!WHITESPACE.has(b)) return false;
  return true;
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

async function parseMultipartParams(contentType: string, bytes: Uint8Array): Promise<Params | null> {
  const boundary = multipartBoundary(contentType);
  const parts = boundary === null ? null : parseMultipart(bytes, boundary);
  if (parts === null) return null;
  const params = makeParams();
  let count = 0;
  try {
    for (const part of parts) {
      // A file input with no file chosen sends `filename=""`; Rack leaves it out.
      if (part.filename === '') continue;
      if (++count > MAX_PARAM_COUNT) return null;
      const value = part.filename === null ? fieldDecoder.decode(part.body) : fileParam(part);
      normalizeParams(params, part.name, value, 0);
    }
  } catch (err) {
    if (err instanceof ParamsError) return null;
    throw err;
  }
  return params;
}

/** Field values as the runtime's formData() decoded them: UTF-8, invalid bytes replaced. */
const fieldDecoder = new TextDecoder('utf-8');

function fileParam(part: MultipartPart): FileParam {
  return {
    content_base64: toBase64(part.body),
    mime_type: part.contentType || 'application/octet-stream',
    name: part.filename!,
    size: part.body.byteLength,
  };
}
