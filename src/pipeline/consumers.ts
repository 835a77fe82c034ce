import { consumeDeliveriesBatch } from './deliveries-consumer';
import { consumeDeliveriesDeadLetters } from './deliveries-dead-letter';
import { QUEUE_NAMES } from '../env';
import { consumeEventsBatch } from './events-consumer';
import { consumeEventsDeadLetters } from './events-dead-letter';
import { log } from '../log';

/** Routes a batch to the consumer of the queue it came from. */
export async function consumeQueueBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  switch (queueKind(batch.queue)) {
    case 'events':
      return consumeEventsBatch(batch, env);
    case 'eventsDeadLetter':
      return consumeEventsDeadLetters(batch, env);
    case 'deliveries':
      return consumeDeliveriesBatch(batch, env);
    case 'deliveriesDeadLetter':
      return consumeDeliveriesDeadLetters(batch, env);
    default:
      // A queue bound in wrangler.toml without a consumer here: keep the messages for a fix.
      log.error('batch from an unknown queue; retrying', { queue: batch.queue });
      batch.retryAll({ delaySeconds: 60 });
  }
}

/**
 * Which consumer a queue's name asks for: group 0's queues have the plain names, group g's add
 * `-g` (`edgehook-events-1`); the dead-letter queues are shared by every group.
 */
export function queueKind(queue: string): keyof typeof QUEUE_NAMES | null {
  for (const kind of Object.keys(QUEUE_NAMES) as (keyof typeof QUEUE_NAMES)[]) {
    const name = QUEUE_NAMES[kind];
    if (queue === name) return kind;
    if ((kind === 'events' || kind === 'deliveries') && new RegExp(`^${name}-\\d+$`).test(queue)) return kind;
  }
  return null;
}
