import { primaryDb } from '../shards';
import { fanOutDeliveries } from '../delivery/fanout';
import { runTasksForEvents } from '../tasks/runner';
import { coversAll, readLookups, type BatchLookups } from './lookups';
import type { EventRecord } from '../events/model';

/**
 * The processing seam: called by the events consumer with events that were just persisted and
 * are due for processing (status `received`). The shop's tasks run, then every event whose tasks
 * did not fail transiently fans out to its subscriptions. Returns the ids whose processing failed
 * for a transient reason; their messages are retried (task runs and deliveries are created once
 * per event, so a retry repeats nothing), everything else is marked processed.
 */
export async function processEvents(
  env: Env,
  events: readonly EventRecord[],
  lookups?: BatchLookups,
): Promise<Set<string>> {
  // What the consumer read with the batch's persist, or (its one-by-one fallback) one read now.
  const known = coversAll(lookups, events) ? lookups : await readLookups(primaryDb(env), events);
  const failed = await runTasksForEvents(env, events, known);
  // Throws when D1 or the deliveries queue fails; the consumer then retries the batch.
  await fanOutDeliveries(
    env,
    events.filter((e) => !failed.has(e.id)),
    known,
  );
  return failed;
}
