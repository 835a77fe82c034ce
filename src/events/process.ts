import { fanOutDeliveries } from '../delivery/fanout';
import type { EventRecord } from './model';

/**
 * The processing seam: called by the events consumer with events that were just persisted and
 * are due for processing (status `received`). This is where tasks run and subscriptions fan out
 * (later issues). Returns the ids whose processing failed for a transient reason; their messages
 * are retried, everything else is marked processed.
 */
export async function processEvents(env: Env, events: readonly EventRecord[]): Promise<Set<string>> {
  // Fan-out throws when D1 or the deliveries queue fails; the consumer then retries the batch,
  // and the second run creates no delivery twice.
  await fanOutDeliveries(env, events);
  return new Set();
}
