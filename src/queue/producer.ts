import { chunkBySize } from '../chunks';
import type { DeliveryMessage, EventsMessage } from './messages';

/**
 * The one queue producer: every send to the events and deliveries queues goes through here, with
 * one content type and batches split to Cloudflare Queues' `sendBatch` limits.
 */

/** Queues: at most 100 messages in one `sendBatch`. */
export const QUEUE_BATCH_MAX_MESSAGES = 100;
/** Queues: at most 256 KB in one `sendBatch`, all messages together (counted as 256,000 bytes). */
export const QUEUE_BATCH_MAX_BYTES = 256_000;
/** Headroom per message for what the platform adds (ids, timestamps, serialization framing). */
const QUEUE_MESSAGE_OVERHEAD_BYTES = 512;
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

/**
 * Sends one events-queue message per item, batch by batch, and goes on past a batch the queue
 * refuses: returns the refused batches' items with the error, for callers that fall back per item
 * (store the event as pending, leave a re-copy to the next write).
 */
export async function sendEventMessagesSettled<T>(
  env: Env,
  items: readonly T[],
  toMessage: (item: T) => Outgoing<EventsMessage>,
): Promise<{ items: T[]; error: unknown }[]> {
  const refused: { items: T[]; error: unknown }[] = [];
  for (const batch of splitForSendBatch(items.map((item) => ({ ...toMessage(item), item })))) {
    try {
      await sendBatch(env.EVENTS, batch);
    } catch (error) {
      refused.push({ items: batch.map((m) => m.item), error });
    }
  }
  return refused;
}

async function sendInBatches<M>(queue: Queue<M>, messages: readonly Outgoing<M>[]): Promise<void> {
  for (const batch of splitForSendBatch(messages)) await sendBatch(queue, batch);
}

function sendBatch<M>(queue: Queue<M>, batch: readonly Outgoing<M>[]): Promise<unknown> {
  return queue.sendBatch(
    batch.map(({ body, delaySeconds = 0 }) => ({
      body,
      contentType: CONTENT_TYPE,
      ...(delaySeconds > 0 ? { delaySeconds } : {}),
    })),
  );
}

/**
 * Splits messages into batches of at most QUEUE_BATCH_MAX_MESSAGES and QUEUE_BATCH_MAX_BYTES,
 * keeping their order. A body's size is estimated as V8 serializes the strings it holds: one byte
 * per code unit, or two for a string with any character beyond Latin-1.
 */
export function splitForSendBatch<O extends Outgoing<unknown>>(messages: readonly O[]): O[][] {
  return chunkBySize(
    messages,
    (message) => serializedSize(JSON.stringify(message.body)) + QUEUE_MESSAGE_OVERHEAD_BYTES,
    QUEUE_BATCH_MAX_BYTES,
    QUEUE_BATCH_MAX_MESSAGES,
  );
}

const serializedSize = (json: string): number => (/[\u0100-\uffff]/.test(json) ? json.length * 2 : json.length);
