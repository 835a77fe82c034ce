import { timeOrderedId } from '../ids';
import { MAX_EVENT_DATA_BYTES, MAX_INLINE_EVENT_CHARS, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../env';
import { AppError, serviceUnavailable } from '../http/errors';
import { describeError, log } from '../log';
import type { EventEnvelope } from '../queue/messages';
import { sendEventMessage } from '../queue/producer';
import { nowIso } from '../time';
import type { EventSource } from './model';
import { insertEvent, markEventPending } from './store';

export interface NewEventInput {
  shopId: string;
  topic: string;
  data: unknown;
  /**
   * The data as JSON text to keep byte for byte (an inbound Shopify webhook's body), when the
   * caller has it; `data` is then not serialized again.
   */
  dataJson?: string;
  source: EventSource;
  webhookId?: string | null;
  webhookRequestId?: string | null;
  parentId?: string | null;
  /** A caller-chosen id, for sources that dedupe by id (inbound Shopify webhooks); else random. */
  id?: string;
}

/** Serializes a new event; 413 when its data is larger than a D1 row can hold. */
export function newEventEnvelope(input: NewEventInput): EventEnvelope {
  const dataJson = input.dataJson ?? JSON.stringify(input.data ?? null);
  if (utf8Length(dataJson) > MAX_EVENT_DATA_BYTES) {
    throw new AppError(
      413,
      'event_too_large',
      `The event data made from this request exceeds ${MAX_EVENT_DATA_BYTES} bytes.`,
    );
  }
  return {
    id: input.id ?? timeOrderedId(),
    shopId: input.shopId,
    topic: input.topic,
    dataJson,
    source: input.source,
    webhookId: input.webhookId ?? null,
    webhookRequestId: input.webhookRequestId ?? null,
    parentId: input.parentId ?? null,
    createdAt: nowIso(),
  };
}

/** UTF-8 byte length, computed only when the quick bound (3 bytes per code unit) is not enough. */
function utf8Length(text: string): number {
  if (text.length * 3 <= MAX_EVENT_DATA_BYTES) return text.length;
  return new TextEncoder().encode(text).byteLength;
}

/**
 * Makes an event durable: on the events queue, or — when the send fails — in D1 as `pending` for
 * the cron sweep. Large events go to D1 first and travel by id. Resolves only once the event is
 * durable; throws a 503 (with Retry-After) when neither the queue nor D1 took it. `delaySeconds`
 * (events made by tasks with `run_at`) delays the queue message; the D1 fallback does not wait.
 */
export async function enqueueEvent(env: Env, event: EventEnvelope, delaySeconds = 0): Promise<'queued' | 'pending'> {
  if (event.dataJson.length <= MAX_INLINE_EVENT_CHARS) {
    try {
      await sendEventMessage(env, { kind: 'event', event }, delaySeconds);
      return 'queued';
    } catch (err) {
      log.warn('events queue send failed; storing event as pending', {
        eventId: event.id,
        ...describeError(err),
      });
    }
    try {
      await insertEvent(env.DB, event, 'pending');
      return 'pending';
    } catch (err) {
      throw unavailable(event, err);
    }
  }

  try {
    await insertEvent(env.DB, event, 'queued');
  } catch (err) {
    throw unavailable(event, err);
  }
  try {
    await sendEventMessage(env, { kind: 'event-ref', eventId: event.id, shopId: event.shopId }, delaySeconds);
    return 'queued';
  } catch (err) {
    log.warn('events queue send failed for a stored event; marking it pending', {
      eventId: event.id,
      ...describeError(err),
    });
  }
  try {
    await markEventPending(env.DB, event.id);
    return 'pending';
  } catch (err) {
    throw unavailable(event, err);
  }
}

function unavailable(event: EventEnvelope, err: unknown): AppError {
  log.error('event not durable: queue and D1 both failed', {
    eventId: event.id,
    ...describeError(err),
  });
  return serviceUnavailable(UNAVAILABLE_RETRY_AFTER_SECONDS, 'The event could not be stored; retry later.');
}
