import { DELIVERY_RECORD_RETRY_DELAY_SECONDS } from '../env';
import { parseDeliveryMessage } from '../queue/messages';
import { deliverAttempts, type AttemptRef } from '../delivery/deliver';
import { recordUnreadableMessage } from './events-dead-letter';

/**
 * The deliveries consumer: parse each message (one attempt of one delivery), hand the batch's
 * attempts to delivery/ (which sends, schedules the next attempts and records everything), then
 * settle every message as it says: ack, or retry when its attempt could not be recorded.
 */
export async function consumeDeliveriesBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const messages: Message<unknown>[] = [];
  const attempts: AttemptRef[] = [];
  for (const message of batch.messages) {
    const body = parseDeliveryMessage(message.body);
    if (body === null) {
      await recordUnreadableMessage(env, batch.queue, message, 'unknown message shape');
      continue;
    }
    messages.push(message);
    attempts.push({ deliveryId: body.deliveryId, attempt: body.attempt });
  }
  const settlements = await deliverAttempts(env, attempts);
  messages.forEach((message, i) => {
    if (settlements[i] === 'retry') message.retry({ delaySeconds: DELIVERY_RECORD_RETRY_DELAY_SECONDS });
    else message.ack();
  });
}
