import { runTasksForEvents } from '../tasks/runner';
import type { EventRecord } from './model';

/**
 * The processing seam: called by the events consumer with events that were just persisted and
 * are due for processing (status `received`). Tasks run here (subscriptions fan out in a later
 * issue). Returns the ids whose processing failed for a transient reason; their messages are
 * retried, everything else is marked processed.
 */
export async function processEvents(env: Env, events: readonly EventRecord[]): Promise<Set<string>> {
  return runTasksForEvents(env, events);
}
