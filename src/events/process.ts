import type { EventRecord } from './model';

/**
 * The processing seam: called by the events consumer with events that were just persisted and
 * are due for processing (status `received`). This is where tasks run and subscriptions fan out
 * (later issues). Returns the ids whose processing failed for a transient reason; their messages
 * are retried, everything else is marked processed.
 */
export async function processEvents(
  _env: Env,
  _events: readonly EventRecord[],
): Promise<Set<string>> {
  return new Set();
}
