import {
  CONSUMER_WORK_DEADLINE_SECONDS,
  DELIVERY_RECORD_RETRY_DELAY_SECONDS,
  PAUSED_SHOP_RESEND_DELAY_SECONDS,
} from '../env';
import { describeError, log } from '../log';
import { parseDeliveryMessage, type DeliveryMessage } from '../queue/messages';
import { sendDeliveryMessages } from '../queue/producer';
import { inShard, primaryDb } from '../shards';
import { deliverAttempts } from '../delivery/deliver';
import { recordUnreadableMessage } from './events-dead-letter';
import { groupByShard } from './placement';
import { loadShopsAndShardZeroWork, type DeliveryWork } from '../delivery/store';
import type { ShopRecord } from '../shops/store';

interface Parsed {
  message: Message<unknown>;
  body: DeliveryMessage;
}

/**
 * The deliveries consumer: parse each message (one attempt of one delivery), read the shops of the
 * batch from the primary (their shards, and whether a move has paused them), hand each shard's
 * attempts to delivery/ on that shard (which sends, schedules the next attempts and records
 * everything), then settle every message as it says: ack, or retry when its attempt could not be
 * recorded. A paused shop's messages are sent again a little later, and attempts not started by
 * the work deadline (CONSUMER_WORK_DEADLINE_SECONDS after the batch began) at once.
 */
export async function consumeDeliveriesBatch(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const deadlineMs = Date.now() + CONSUMER_WORK_DEADLINE_SECONDS * 1000;
  const parsed: Parsed[] = [];
  for (const message of batch.messages) {
    const body = parseDeliveryMessage(message.body);
    if (body === null) {
      await recordUnreadableMessage(env, batch.queue, message, 'unknown message shape');
      continue;
    }
    parsed.push({ message, body });
  }
  if (parsed.length === 0) return;
  // One primary round trip: the batch's shops and, since the primary is shard 0, the work of the
  // deliveries there (the other shards load theirs on their own database).
  let shops: Map<string, ShopRecord>;
  let shardZeroWork: DeliveryWork[];
  try {
    const read = await loadShopsAndShardZeroWork(
      primaryDb(env),
      parsed.flatMap((p) => (p.body.shopId === undefined ? [] : [p.body.shopId])),
      parsed.map((p) => p.body.deliveryId),
    );
    shops = new Map(read.shops.map((s) => [s.id, s]));
    shardZeroWork = read.work;
  } catch (err) {
    log.error('could not read the shops of a deliveries batch; retrying it', describeError(err));
    for (const p of parsed) p.message.retry({ delaySeconds: DELIVERY_RECORD_RETRY_DELAY_SECONDS });
    return;
  }
  const { byShard, paused } = groupByShard(shops, parsed, (p) => p.body.shopId);
  await Promise.all([
    resendLater(env, paused, PAUSED_SHOP_RESEND_DELAY_SECONDS),
    ...[...byShard].map(async ([shard, group]) => {
      const scope = inShard(env, shard, deadlineMs);
      const settlements = await deliverAttempts(
        scope,
        group.map((p) => ({ deliveryId: p.body.deliveryId, attempt: p.body.attempt })),
        shard === 0 ? { loaded: shardZeroWork } : {},
      );
      const later: Parsed[] = [];
      group.forEach((p, i) => {
        if (settlements[i] === 'retry') p.message.retry({ delaySeconds: DELIVERY_RECORD_RETRY_DELAY_SECONDS });
        else if (settlements[i] === 'later') later.push(p);
        else p.message.ack();
      });
      await resendLater(scope, later, 0);
    }),
  ]);
}

/**
 * Attempts not made now (a paused shop's, or those past the work deadline): sent again as new
 * messages (no retry used up), then acked; if the queue refuses, the messages are retried.
 */
async function resendLater(env: Env, items: readonly Parsed[], delaySeconds: number): Promise<void> {
  if (items.length === 0) return;
  try {
    await sendDeliveryMessages(
      env,
      items.map((p) => ({ body: p.body, delaySeconds })),
    );
  } catch (err) {
    log.warn('attempts not made now could not be sent again; retrying them', describeError(err));
    for (const p of items) p.message.retry({ delaySeconds: DELIVERY_RECORD_RETRY_DELAY_SECONDS });
    return;
  }
  for (const p of items) p.message.ack();
}
