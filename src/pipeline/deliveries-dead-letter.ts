import { inShard, primaryDb } from '../shards';
import { placementOf, readShopMap } from './placement';
import { recordUnreadableMessage, waitForMove } from './events-dead-letter';
import { describeError, log } from '../log';
import { parseDeliveryMessage } from '../queue/messages';
import { nowIso } from '../time';
import { failDelivery } from '../delivery/store';

/**
 * The deliveries dead-letter consumer: a delivery whose messages kept failing to be handled (not
 * a receiver failure: those are recorded attempts) is marked `failed` with the reason, so no
 * delivery stays `pending` forever. Unreadable messages go to `dead_letters`; a shop a move has paused
 * waits (its delivery is marked on the shard the move leaves it on).
 */
export async function consumeDeliveriesDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  let shops: Awaited<ReturnType<typeof readShopMap>>;
  try {
    shops = await readShopMap(
      primaryDb(env),
      batch.messages.flatMap((m) => parseDeliveryMessage(m.body)?.shopId ?? []),
    );
  } catch (err) {
    // The primary is unreachable: nothing can be recorded now; the queue tries again.
    log.error('dead-letter batch: shops unreadable; retrying', describeError(err));
    for (const message of batch.messages) message.retry();
    return;
  }
  for (const message of batch.messages) {
    const body = parseDeliveryMessage(message.body);
    if (body === null) {
      await recordUnreadableMessage(env, batch.queue, message, 'unknown message shape');
      continue;
    }
    const placement = placementOf(shops, body.shopId);
    if (placement.paused) {
      await waitForMove(env, batch.queue, message);
      continue;
    }
    try {
      await failDelivery(
        inShard(env, placement.shard).DB,
        body.deliveryId,
        `gave up after the deliveries queue's retries (attempt ${body.attempt})`,
        nowIso(),
      );
      log.error('delivery dead-lettered', { deliveryId: body.deliveryId, attempt: body.attempt });
      message.ack();
    } catch (err) {
      log.error('could not record dead delivery; keeping the message body', {
        messageId: message.id,
        ...describeError(err),
      });
      await recordUnreadableMessage(env, batch.queue, message, 'delivery could not be marked failed');
    }
  }
}
