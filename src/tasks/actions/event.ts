import { MAX_EVENT_DEPTH, MAX_QUEUE_DELAY_SECONDS } from '../../env';
import { enqueueEvent, newEventEnvelope } from '../../events/producer';
import { AppError } from '../../http/errors';
import { USER_TOPIC_PATTERN } from '../../ingress/webhooks';
import { asObject, failed, failedTransiently, succeeded, type ActionContext, type ActionOutcome } from './types';

/**
 * `event` action: `{topic: "user/…/…", data, run_at?}` makes a child event whose parent is the
 * current event; the result is its id. A chain deeper than MAX_EVENT_DEPTH generations fails, so
 * tasks that trigger each other cannot loop forever.
 */
export async function performEvent(ctx: ActionContext, options: unknown): Promise<ActionOutcome> {
  const object = asObject(options);
  if (!object) return failed('event options must be an object with topic and data');
  const { topic, data, run_at: runAt, ...extra } = object;
  if (Object.keys(extra).length > 0) return failed(`event options do not take ${Object.keys(extra).join(', ')}`);
  if (typeof topic !== 'string' || !USER_TOPIC_PATTERN.test(topic)) {
    return failed(`event topic must be user/<subject>/<verb>, got ${JSON.stringify(topic ?? null)}`);
  }
  if (ctx.depth + 1 > MAX_EVENT_DEPTH) {
    return failed(`event chain too deep: a child of this event would be generation ${ctx.depth + 1}; the limit is ${MAX_EVENT_DEPTH}`);
  }
  let delaySeconds = 0;
  if (runAt !== undefined && runAt !== null) {
    const at = typeof runAt === 'string' ? Date.parse(runAt) : Number.NaN;
    if (Number.isNaN(at)) return failed('event run_at must be an ISO 8601 timestamp');
    delaySeconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
    if (delaySeconds > MAX_QUEUE_DELAY_SECONDS) {
      return failed(`event run_at may be at most ${MAX_QUEUE_DELAY_SECONDS} seconds ahead`);
    }
  }
  try {
    const event = newEventEnvelope({
      shopId: ctx.shopId,
      topic,
      data: data ?? null,
      source: 'task',
      parentId: ctx.eventId,
    });
    await enqueueEvent(ctx.env, event, delaySeconds);
    return succeeded(event.id);
  } catch (err) {
    if (err instanceof AppError) {
      return err.status === 503 ? failedTransiently(err.message) : failed(err.message);
    }
    throw err;
  }
}
