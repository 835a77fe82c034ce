import { decodeUtf8 } from '../encoding';
import { AppError, badRequest, invalidJson, payloadTooLarge } from './errors';

/**
 * Reads a request body, refusing more than `maxBytes` (413) whether or not `content-length` is
 * declared or honest. A body that breaks off mid-read is a 400.
 */
export async function readBodyBytes(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
  if (request.body === null) return new Uint8Array(0);
  try {
    // With a declared length the runtime already frames the body; one read is cheapest.
    if (declared !== null) return new Uint8Array(await request.arrayBuffer());
    return await readStreamWithLimit(request.body, maxBytes);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw badRequest('The request body could not be read.');
  }
}

async function readStreamWithLimit(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw payloadTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads and drops a response body of at most `maxBytes`, so the runtime can reuse the connection
 * for the next request; a longer body is cancelled instead (the connection then closes). Rejects
 * when reading fails (the body broke off, or the request's signal aborted it).
 */
export async function discardBody(response: Response, maxBytes: number): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    total += value.byteLength;
    if (total > maxBytes) return reader.cancel();
  }
}

/**
 * Reads a JSON request body for the management API: absent, malformed or non-UTF-8 → 400.
 * Returns `unknown`; callers validate it. `parse` lets routes that store arbitrary JSON keep big
 * integers exact (json/exact.ts).
 */
export async function readJsonBody(
  request: Request,
  maxBytes: number,
  parse: (text: string) => unknown = JSON.parse,
): Promise<unknown> {
  const bytes = await readBodyBytes(request, maxBytes);
  const text = decodeUtf8(bytes);
  if (text === null || text.trim() === '') throw invalidJson();
  try {
    return parse(text);
  } catch {
    throw invalidJson();
  }
}
