import { vi } from 'vitest';
import type { EventEnvelope, QueueMessage } from '../src/queue/messages';

/** How a consumer settled one message. */
export interface Settlement {
  acked: boolean;
  retried: boolean;
  delaySeconds: number | undefined;
}

/**
 * A MessageBatch whose messages record how they were settled (ack, or retry with its delay), for
 * unit tests of consumers. The end-to-end tests use the real local queue instead.
 */
export function recordingBatch(
  queue: string,
  bodies: unknown[],
  attempts = 1,
): { batch: MessageBatch<unknown>; settled: Settlement[] } {
  const settled: Settlement[] = bodies.map(() => ({ acked: false, retried: false, delaySeconds: undefined }));
  const messages = bodies.map((body, i) => ({
    id: `msg-${i}-${crypto.randomUUID()}`,
    timestamp: new Date(),
    body,
    attempts,
    ack: () => void (settled[i]!.acked = true),
    retry: (options?: QueueRetryOptions) => {
      settled[i]!.retried = true;
      settled[i]!.delaySeconds = options?.delaySeconds;
    },
  }));
  const batch = {
    queue,
    messages,
    ackAll: () => messages.forEach((m) => m.ack()),
    retryAll: (options?: QueueRetryOptions) => messages.forEach((m) => m.retry(options)),
  } as unknown as MessageBatch<unknown>;
  return { batch, settled };
}

/** A new event envelope for a shop, as ingress would send it. */
export function envelope(shopId: string, overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: crypto.randomUUID(),
    shopId,
    topic: 'user/test/submit',
    dataJson: JSON.stringify({ n: 1 }),
    source: 'webhook',
    webhookId: null,
    webhookRequestId: crypto.randomUUID(),
    parentId: null,
    createdAt: new Date().toISOString(),
    ...overrides,
  };
}

export const eventMessage = (event: EventEnvelope): QueueMessage => ({ kind: 'event', event });
export const refMessage = (eventId: string): QueueMessage => ({ kind: 'event-ref', eventId });

/**
 * Makes the next `Date.now()` (a consumer batch's start) an hour old, so the batch's work deadline
 * has passed from the start; undo with `vi.restoreAllMocks()`.
 */
export function batchStartedAnHourAgo(): void {
  const realNow = Date.now.bind(Date);
  let first = true;
  vi.spyOn(Date, 'now').mockImplementation(() => {
    if (!first) return realNow();
    first = false;
    return realNow() - 3_600_000;
  });
}
