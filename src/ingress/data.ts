import { decodeUtf8, toBase64 } from '../encoding';
import { mimeTypeOf, parseBodyParams } from './body-params';
import { makeParams, parseNestedQuery, type Params } from './params';

/** How a webhook turns a request into event data (docs/contracts.md, "Event data in … mode"). */
export type DataMode = 'auto' | 'full';

/** The parts of an ingress request that event data is made from. */
export interface IngressRequestParts {
  body: Uint8Array;
  contentType: string | null;
  /** Raw text after `?`, or null when the URL has no `?`. */
  queryString: string | null;
  headers: Headers;
  clientIp: string | null;
  requestId: string;
  webhookId: string;
}

/** Builds event `data` for a webhook request in the given mode. */
export function buildEventData(mode: DataMode, parts: IngressRequestParts): Promise<unknown> {
  return mode === 'full' ? buildFullData(parts) : buildAutoData(parts);
}

/** The query string of a URL as sent (without `?`), or null when there is none. */
export function rawQueryString(url: string): string | null {
  const q = url.indexOf('?');
  if (q === -1) return null;
  const hash = url.indexOf('#', q);
  return url.slice(q + 1, hash === -1 ? undefined : hash);
}

/**
 * Auto mode: body parameters merged with query parameters (query wins); when both are empty,
 * the body as a string, `{body_base64}` for non-UTF-8 bytes, or null for a blank body.
 */
async function buildAutoData(parts: IngressRequestParts): Promise<unknown> {
  const body = await parseBodyParams(parts.contentType, parts.body);
  const query = parts.queryString ? parseNestedQuery(parts.queryString) : null;
  const merged: Params = Object.assign(makeParams(), body, query);
  for (const _ in merged) return merged;

  if (isBlank(parts.body)) return null;
  const text = decodeUtf8(parts.body);
  return text !== null ? text : { body_base64: toBase64(parts.body) };
}

async function buildFullData(parts: IngressRequestParts): Promise<unknown> {
  const headers: Record<string, string[]> = makeParams() as Record<string, string[]>;
  // Headers iterates lowercased names with repeated values already joined by ", ".
  for (const [name, value] of parts.headers) headers[name] = [value];
  return {
    body_base64: toBase64(parts.body),
    body: await parseBodyParams(parts.contentType, parts.body),
    client_ip: parts.clientIp,
    headers,
    mime_type: mimeTypeOf(parts.contentType),
    query_string: parts.queryString,
    query: parts.queryString ? parseNestedQuery(parts.queryString) : null,
    request_id: parts.requestId,
    webhook_id: parts.webhookId,
  };
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

function isBlank(bytes: Uint8Array): boolean {
  for (const b of bytes) if (!WHITESPACE.has(b)) return false;
  return true;
}
