import { findActiveSigningSecrets } from '../shops/store';
import { decryptSecret } from '../crypto';
import {
  DELIVERY_CONCURRENCY,
  DELIVERY_ERROR_MAX_CHARS,
  DELIVERY_MAX_RETRIES,
  DELIVERY_RECORD_RETRY_DELAY_SECONDS,
  DELIVERY_RETRY_BASE_DELAY_SECONDS,
  DELIVERY_RESPONSE_DRAIN_MAX_BYTES,
  DELIVERY_TIMEOUT_MS,
  EDGEHOOK_VERSION,
} from '../env';
import { mapWithConcurrency } from '../concurrency';
import { discardBody } from '../http/body';
import { recordUnreadableMessage } from './events-dead-letter';
import { describeError, errorText, log } from '../log';
import { parseDeliveryMessage } from '../queue/messages';
import { nowIso } from '../time';
import { enqueueDeliveryAttempts } from '../delivery/fanout';
import { allowsInsecureAddresses } from '../subscriptions/address';
import { sendTimeAddressProblem } from '../delivery/guard';
import { buildPayloadFromJson } from '../delivery/payload';
import { shopifyHmac, standardWebhookSignature } from '../delivery/signatures';
import {
  loadDeliveryWork,
  recordAttempts,
  type AttemptOutcome,
  type AttemptRecord,
  type DeliveryWork,
} from '../delivery/store';

/** Delay before retry `n` (1-based): 60 s doubling, so 8 retries span about 4 h 15 min. */
export function deliveryRetryDelaySeconds(retry: number): number {
  return DELIVERY_RETRY_BASE_DELAY_SECONDS * 2 ** (retry - 1);
}

/** What happens to a subscription whose delivery failed for good (var FAILED_SUBSCRIPTION_ACTION). */
function failedSubscriptionAction(env: Env): 'removed' | 'disabled' {
  return env.FAILED_SUBSCRIPTION_ACTION === 'disable' ? 'disabled' : 'removed';
}

/**
 * The deliveries consumer. For each message (one attempt of one delivery): skip it if the delivery
 * has already moved past this attempt (a duplicate), else POST the signed payload. Then, for the
 * whole batch, schedule the next attempts (one queue send) and record every attempt and its
 * consequences (one D1 batch), and only then ack. If scheduling or recording fails, the messages
 * are retried, so no attempt goes unrecorded (a repeated attempt is a duplicate receivers dedupe).
 */
export async function consumeDeliveriesBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const messages: { message: Message<unknown>; deliveryId: string; attempt: number }[] = [];
  for (const message of batch.messages) {
    const body = parseDeliveryMessage(message.body);
    if (body === null) await recordUnreadableMessage(env, batch.queue, message, 'unknown message shape');
    else messages.push({ message, deliveryId: body.deliveryId, attempt: body.attempt });
  }
  if (messages.length === 0) return;

  let work: Map<string, DeliveryWork>;
  let secrets: Map<string, string[]>;
  try {
    work = new Map(
      (
        await loadDeliveryWork(
          env.DB,
          messages.map((m) => m.deliveryId),
        )
      ).map((w) => [w.delivery.id, w]),
    );
    secrets = await signingSecrets(env, [...new Set([...work.values()].map((w) => w.delivery.appId))]);
  } catch (err) {
    log.error('could not load deliveries; retrying the batch', describeError(err));
    for (const { message } of messages) message.retry({ delaySeconds: DELIVERY_RECORD_RETRY_DELAY_SECONDS });
    return;
  }

  const due: { message: Message<unknown>; item: DeliveryWork; attempt: number }[] = [];
  for (const { message, deliveryId, attempt } of messages) {
    const item = work.get(deliveryId);
    if (
      item === undefined ||
      item.delivery.status !== 'pending' ||
      item.delivery.attempts !== attempt - 1 ||
      due.some((d) => d.item === item)
    ) {
      message.ack(); // deleted, finished, or a duplicate of an attempt already made or in this batch
      continue;
    }
    due.push({ message, item, attempt });
  }
  if (due.length === 0) return;

  // Bodies and signatures first, all at once (no connection needed); then the requests, at most
  // DELIVERY_CONCURRENCY in flight.
  const allowInsecure = allowsInsecureAddresses(env);
  const requests = await Promise.all(
    due.map(({ item }) => prepareRequest(item, secrets.get(item.delivery.appId) ?? [], allowInsecure)),
  );
  const outcomes = await mapWithConcurrency(due, DELIVERY_CONCURRENCY, ({ item, attempt }, i) =>
    attemptDelivery(env, item, attempt, requests[i]!),
  );
  try {
    // Next attempts are scheduled before this one is recorded: if recording then fails, the
    // redelivered message repeats the attempt instead of losing the schedule.
    await enqueueDeliveryAttempts(
      env,
      outcomes.flatMap((o, i) =>
        o.status === 'pending'
          ? [
              {
                deliveryId: due[i]!.item.delivery.id,
                attempt: due[i]!.attempt + 1,
                delaySeconds: deliveryRetryDelaySeconds(due[i]!.attempt),
              },
            ]
          : [],
      ),
    );
    await recordAttempts(
      env.DB,
      due.map((d, i) => ({ delivery: d.item.delivery, outcome: outcomes[i]! })),
      nowIso(),
    );
  } catch (err) {
    log.error('delivery attempts not recorded; retrying the messages', { count: due.length, ...describeError(err) });
    for (const { message } of due) message.retry({ delaySeconds: DELIVERY_RECORD_RETRY_DELAY_SECONDS });
    return;
  }
  due.forEach(({ message, item, attempt }, i) => {
    message.ack();
    if (outcomes[i]!.status === 'failed') {
      log.warn('delivery failed', {
        deliveryId: item.delivery.id,
        subscriptionId: item.delivery.subscriptionId,
        attempt,
      });
    }
  });
}

/** Active signing secrets per app, newest first, decrypted. */
async function signingSecrets(env: Env, appIds: string[]): Promise<Map<string, string[]>> {
  const rows = await findActiveSigningSecrets(env.DB, appIds);
  const out = new Map<string, string[]>();
  for (const row of rows) {
    const secret = await decryptSecret(env.SECRETS_KEY, row.ciphertext);
    out.set(row.appId, [...(out.get(row.appId) ?? []), secret]);
  }
  return out;
}

interface SendResult {
  statusCode: number | null;
  error: string | null;
}

/** A delivery's request, signed and ready, or why it will not be sent. */
type PreparedRequest = { refused: string } | { headers: Record<string, string>; body: Uint8Array };

/** Builds the body and every header, signatures included; refuses a forbidden address or an app without secrets. */
async function prepareRequest(item: DeliveryWork, secrets: string[], allowInsecure: boolean): Promise<PreparedRequest> {
  const { delivery } = item;
  const refused = sendTimeAddressProblem(delivery.address, allowInsecure);
  if (refused !== null) return { refused };
  if (secrets.length === 0) return { refused: 'the app has no active signing secret' };
  const payload = buildPayloadFromJson(item.eventDataJson, delivery.format, delivery.fields, delivery.topic);
  const timestamp = Math.floor(Date.now() / 1000);
  const [hmac, signature] = await Promise.all([
    shopifyHmac(secrets[0]!, payload.body),
    standardWebhookSignature(secrets, delivery.id, timestamp, payload.body),
  ]);
  return {
    body: payload.body,
    headers: {
      'content-type': payload.contentType,
      'user-agent': `edgehook/${EDGEHOOK_VERSION}`,
      'x-shopify-topic': delivery.topic,
      'x-shopify-hmac-sha256': hmac,
      'x-shopify-shop-domain': item.shopDomain,
      'x-shopify-api-version': delivery.apiVersion,
      'x-shopify-webhook-id': delivery.id,
      'x-shopify-event-id': delivery.eventId,
      'x-shopify-triggered-at': item.eventCreatedAt,
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
  };
}

/** Makes one attempt (unless it was refused) and decides what follows; no side effects. */
async function attemptDelivery(
  env: Env,
  item: DeliveryWork,
  attempt: number,
  request: PreparedRequest,
): Promise<AttemptOutcome> {
  const { delivery } = item;
  const startedAt = nowIso();
  const started = Date.now();
  const result: SendResult =
    'refused' in request ? { statusCode: null, error: request.refused } : await send(delivery.address, request);
  const record: AttemptRecord = {
    deliveryId: delivery.id,
    attempt,
    startedAt,
    statusCode: result.statusCode,
    durationMs: Date.now() - started,
    error: result.error?.slice(0, DELIVERY_ERROR_MAX_CHARS) ?? null,
  };
  // A refused request and 410 Gone end the delivery at once; the rest retry while retries remain.
  const final = 'refused' in request || result.statusCode === 410 || attempt > DELIVERY_MAX_RETRIES;
  const status = result.error === null ? 'succeeded' : final ? 'failed' : 'pending';
  return {
    attempt: record,
    status,
    nextAttemptAt:
      status === 'pending' ? new Date(Date.now() + deliveryRetryDelaySeconds(attempt) * 1000).toISOString() : null,
    onFailure: failedSubscriptionAction(env),
  };
}

/** One POST; no redirects, bounded in time. */
async function send(
  address: string,
  request: { headers: Record<string, string>; body: Uint8Array },
): Promise<SendResult> {
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
