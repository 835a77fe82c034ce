import type { EventEnvelope } from '../queue/messages';
import { parseExactJson } from '../json/exact';

/** Where an event came from. */
export type EventSource = EventEnvelope['source'];

/** Lifecycle of a stored event (see migrations/0001_init.sql). */
export type EventStatus = 'pending' | 'queued' | 'received' | 'processed' | 'dead';

/** An event as stored in D1. `dataJson` is the JSON text of its data. */
export interface EventRecord extends EventEnvelope {
  status: EventStatus;
  error: string | null;
  receivedAt: string | null;
  processedAt: string | null;
}

/** The event as the management API shows it (docs/contracts.md, "The event", plus its status). */
export function eventToApi(event: EventRecord, withData: boolean): Record<string, unknown> {
  return {
    id: event.id,
    shop_id: event.shopId,
    topic: event.topic,
    ...(withData ? { data: parseExactJson(event.dataJson) } : {}),
    source: event.source,
    webhook_id: event.webhookId,
    webhook_request_id: event.webhookRequestId,
    parent_id: event.parentId,
    status: event.status,
    error: event.error,
    created_at: event.createdAt,
    received_at: event.receivedAt,
    processed_at: event.processedAt,
  };
}
