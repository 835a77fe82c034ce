import type { DeliveryMessage, EventsMessage } from './messages';

/**
 * The one queue producer: every send to the events and deliveries queues goes through here, with
 * one content type and batches split to Cloudflare Queues' `sendBatch` limits.
 */

/** Queues: at most 100 messages in one `sendBatch`. */
export const QUEUE_BATCH_MAX_MESSAGES = 100;
/** Queues: at most 256 KB in one `sendBatch`, all messages together. */
export const QUEUE_BATCH_MAX_BYTES = 256 * 1024;
/** Headroom per message for what the platform adds (ids, timestamps, serialization framing). */
const QUEUE_MESSAGE_OVERHEAD_BYTES = 128;
/** Structured clone: bodies keep their types, and consumers validate them anyway. */
const CONTENT_TYPE = 'v8' as const;

/** A message to send, with an optional delay (seconds, at most the queue's 12 h). */
export interface Outgoing<M> {
  body: M;
  delaySeconds?: number;
}

/** Sends one message to the events queue (the ingress hot path: a single `send`). */
export async function sendEventMessage(env: Env, body: EventsMessage, delaySeconds = 0): Promise<void> {
  await env.EVENTS.send(body, { contentType: CONTENT_TYPE, ...(delaySeconds > 0 ? { delaySeconds } : {}) });
}

/** Sends messages to the events queue, in as many batches as the limits need. */
export function sendEventMessages(env: Env, messages: readonly Outgoing<EventsMessage>[]): Promise<void> {
  return sendInBatches(env.EVENTS, messages);
}

/** Sends messages to the deliveries queue, in as many batches as the limits need. */
export function sendDeliveryMessages(env: Env, messages: readonly Outgoing<DeliveryMessage>[]): Promise<void> {
  return sendInBatches(env.DELIVERIES, messages);
}

async function sendInBatches<M>(queue: Queue<M>, messages: readonly Outgoing<M>[]): Promise<void> {
  for (const batch of splitForSendBatch(messages)) {
    await queue.sendBatch(
      batch.map(({ body, delaySeconds = 0 }) => ({
        body,
        contentType: CONTENT_TYPE,
        ...(delaySeconds > 0 ? { delaySeconds } : {}),
      })),
    );
  }
}

/**
 * Splits messages into batches of at most QUEUE_BATCH_MAX_MESSAGES and QUEUE_BATCH_MAX_BYTES,
 * keeping their order. A body's size is estimated by its JSON's UTF-8 length, which is at least
 * its structured-clone size for the strings and numbers our messages hold.
 */
export function splitForSendBatch<M>(messages: readonly Outgoing<M>[]): Outgoing<M>[][] {
  const batches: Outgoing<M>[][] = [];
  let current: Outgoing<M>[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = utf8Length(JSON.stringify(message.body)) + QUEUE_MESSAGE_OVERHEAD_BYTES;
    if (current.length === QUEUE_BATCH_MAX_MESSAGES || (current.length > 0 && bytes + size > QUEUE_BATCH_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const encoder = new TextEncoder();
const utf8Length = (text: string): number => encoder.encode(text).byteLength;
