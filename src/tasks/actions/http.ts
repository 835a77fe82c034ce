import { HTTP_ACTION_MAX_BODY_BYTES, HTTP_ACTION_TIMEOUT_MS } from '../../env';
import { errorText } from '../../log';
import { isForbiddenHost } from '../../http/outbound-address';
import { asObject, failed, failedTransiently, succeeded, type ActionOutcome } from './types';

/**
 * `http` action: `{method, url, headers?, body?}`; a JSON (non-string) body is sent as JSON with
 * its content type. The result is `{status, headers, body}` with the body as text: at most
 * HTTP_ACTION_MAX_BODY_BYTES of it are read, and `truncated: true` says when there was more.
 * A 5xx answer, a timeout or a network error is transient; any other answer succeeds. Hosts are
 * checked like subscription addresses, so a script cannot aim requests at internal addresses.
 */

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export async function performHttp(
  options: unknown,
  { allowInsecure, timeoutMs = HTTP_ACTION_TIMEOUT_MS }: { allowInsecure: boolean; timeoutMs?: number },
): Promise<ActionOutcome> {
  const object = asObject(options);
  if (!object) return failed('http options must be an object with method and url');
  const { method: rawMethod, url, headers, body, ...extra } = object;
  if (Object.keys(extra).length > 0) return failed(`http options do not take ${Object.keys(extra).join(', ')}`);
  const method = typeof rawMethod === 'string' ? rawMethod.toUpperCase() : '';
  if (!METHODS.includes(method)) return failed(`http method must be one of ${METHODS.join(', ')}`);
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url) || !URL.canParse(url)) {
    return failed('http url must be an absolute http(s) URL');
  }
  // The same host rules as subscription addresses: no loopback, private, link-local, unique-local
  // or internal hosts (loopback only with ALLOW_INSECURE_ADDRESSES, for local development).
  if (isForbiddenHost(new URL(url).hostname, allowInsecure)) {
    return failed('http url must not point to a loopback, private, link-local or internal host');
  }
  const requestHeaders = new Headers();
  if (headers !== undefined && headers !== null) {
    const h = asObject(headers);
    if (!h || !Object.values(h).every((v) => typeof v === 'string')) {
      return failed('http headers must be an object of strings');
    }
    try {
      for (const [name, value] of Object.entries(h)) requestHeaders.set(name, value as string);
    } catch (err) {
      return failed(`http headers are invalid: ${errorText(err)}`);
    }
  }
  let requestBody: string | undefined;
  if (body !== undefined && body !== null) {
    if (method === 'GET' || method === 'HEAD') return failed(`http ${method} cannot have a body`);
    if (typeof body === 'string') requestBody = body;
    else {
      requestBody = JSON.stringify(body);
      if (!requestHeaders.has('content-type')) requestHeaders.set('content-type', 'application/json');
    }
  }

  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: requestHeaders,
      body: requestBody,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return failedTransiently(
      timedOut ? `http request timed out after ${timeoutMs} ms` : `http request failed: ${errorText(err)}`,
    );
  }
  let read: BoundedText;
  try {
    read = await readBoundedText(response, HTTP_ACTION_MAX_BODY_BYTES);
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return failedTransiently(
      timedOut ? `http response timed out after ${timeoutMs} ms` : `http response broke off: ${errorText(err)}`,
    );
  }
  const result = {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: read.text,
    ...(read.truncated ? { truncated: true } : {}),
  };
  if (response.status >= 500)
    return { ok: false, error: `http ${response.status} from ${new URL(url).host}`, transient: true };
  return succeeded(result);
}

interface BoundedText {
  text: string;
  truncated: boolean;
}

/**
 * At most `maxBytes` of a response body as text. The runtime has already undone any
 * Content-Encoding, so the bytes counted are decoded ones and a compression bomb stops at the
 * bound too; the rest of the body is cancelled, never read.
 */
async function readBoundedText(response: Response, maxBytes: number): Promise<BoundedText> {
  if (response.body === null) return { text: '', truncated: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), truncated: false };
    const room = maxBytes - total;
    if (value.byteLength > room) {
      // Streaming mode holds back a character cut by the bound instead of mangling it.
      text += decoder.decode(value.subarray(0, room), { stream: true });
      await reader.cancel().catch(() => undefined);
      return { text, truncated: true };
    }
    total += value.byteLength;
    text += decoder.decode(value, { stream: true });
  }
}
