import { DELIVERY_RESPONSE_DRAIN_MAX_BYTES, DELIVERY_TIMEOUT_MS } from '../env';
import { discardBody } from '../http/body';
import { errorText } from '../log';
import type { DeliveryRequest } from './request';

/** What one POST came to: a status (if any answer came) and an error unless it was a 2xx. */
export interface SendResult {
  statusCode: number | null;
  error: string | null;
}

/** One POST; no redirects, bounded in time. Never throws. */
export async function sendDelivery(address: string, request: DeliveryRequest): Promise<SendResult> {
  try {
    const response = await fetch(address, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    // The status decides; the body is not kept. Reading a short one to its end (not cancelling
    // it) lets the next delivery reuse the connection. A body that breaks off or is still
    // arriving when the timeout aborts it does not undo a status that came in time.
    await discardBody(response, DELIVERY_RESPONSE_DRAIN_MAX_BYTES).catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { statusCode: response.status, error: null };
    const error =
      response.status >= 300 && response.status < 400
        ? `redirect to ${response.headers.get('location') ?? '(no location)'} not followed`
        : `HTTP ${response.status}`;
    return { statusCode: response.status, error };
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { statusCode: null, error: timedOut ? `no answer within ${DELIVERY_TIMEOUT_MS} ms` : errorText(err) };
  }
}
