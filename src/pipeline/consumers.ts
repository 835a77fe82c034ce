import { consumeDeliveriesBatch } from './deliveries-consumer';
import { consumeDeliveriesDeadLetters } from './deliveries-dead-letter';
import { QUEUE_NAMES } from '../env';
import { consumeEventsBatch } from './events-consumer';
import { consumeEventsDeadLetters } from './events-dead-letter';
import { log } from '../log';

/** Routes a batch to the consumer of the queue it came from. */
export async function consumeQueueBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  switch (batch.queue) {
    case QUEUE_NAMES.events:
      return consumeEventsBatch(batch, env);
    case QUEUE_NAMES.eventsDeadLetter:
      return consumeEventsDeadLetters(batch, env);
    case QUEUE_NAMES.deliveries:
      return consumeDeliveriesBatch(batch, env);
    case QUEUE_NAMES.deliveriesDeadLetter:
      return consumeDeliveriesDeadLetters(batch, env);
    default:
      // A queue bound in wrangler.toml without a consumer here: keep the messages for a fix.
      log.error('batch from an unknown queue; retrying', { queue: batch.queue });
      batch.retryAll({ delaySeconds: 60 });
  }
}
