import * as v from 'valibot';

/**
 * Every queue message body edgehook sends, as one discriminated union on `kind`. Producers send
 * them with contentType "v8"; consumers validate with `parseEventsQueueMessage` before use, since a
 * queue may hold messages written by an older deployment.
 */

/** An event on its way to D1, carried whole (data as its JSON text). */
export const eventEnvelopeSchema = v.object({
  id: v.string(),
  shopId: v.string(),
  topic: v.string(),
  dataJson: v.string(),
  source: v.picklist(['webhook', 'task', 'shopify']),
  webhookId: v.nullable(v.string()),
  webhookRequestId: v.nullable(v.string()),
  parentId: v.nullable(v.string()),
  createdAt: v.string(),
});
export type EventEnvelope = v.InferOutput<typeof eventEnvelopeSchema>;

/** Messages on the events queue. */
const eventsMessageSchema = v.variant('kind', [
  /** A new event, small enough to travel in the message. */
  v.object({ kind: v.literal('event'), event: eventEnvelopeSchema }),
  /**
   * An event already stored in D1 (large, or swept from `pending`); only its id travels, with its
   * shop's id, which names the shard holding it (absent in messages of a deployment before shards:
   * shard 0).
   */
  v.object({ kind: v.literal('event-ref'), eventId: v.string(), shopId: v.optional(v.string()) }),
  /** A task run that is due: a delayed subscription, or an action retry after a transient failure. */
  v.object({ kind: v.literal('task-run'), runId: v.string(), shopId: v.optional(v.string()) }),
  /**
   * A cache entry's KV copy could not be written (KV allows one write per second per key): copy
   * D1's current value of this key to KV. Only shop and key travel, so a late copy never writes an
   * old value.
   */
  v.object({ kind: v.literal('cache-copy'), shopId: v.string(), key: v.string() }),
]);
export type EventsMessage = v.InferOutput<typeof eventsMessageSchema>;

/** Messages on the deliveries queue: one attempt of a delivery; `attempt` is 1-based. */
const deliveryMessageSchema = v.object({
  kind: v.literal('delivery'),
  deliveryId: v.string(),
  attempt: v.pipe(v.number(), v.integer(), v.minValue(1)),
  /** The delivery's shop, which names the shard holding it (absent before shards: shard 0). */
  shopId: v.optional(v.string()),
});
export type DeliveryMessage = v.InferOutput<typeof deliveryMessageSchema>;

export type QueueMessage = EventsMessage | DeliveryMessage;

/** An events-queue message if its body has a known shape, else null (poison: recorded, never retried). */
export function parseEventsQueueMessage(body: unknown): EventsMessage | null {
  const result = v.safeParse(eventsMessageSchema, body);
  return result.success ? result.output : null;
}

/** A deliveries-queue message if its body has a known shape, else null. */
export function parseDeliveryMessage(body: unknown): DeliveryMessage | null {
  const result = v.safeParse(deliveryMessageSchema, body);
  return result.success ? result.output : null;
}
