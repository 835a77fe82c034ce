import { MAX_EVENT_DEPTH, MAX_JSON_DEPTH, MAX_QUEUE_DELAY_SECONDS } from '../../env';
import { exceedsDepth } from '../../json/depth';
import { enqueueEvent, newEventEnvelope } from '../../events/producer';
import { AppError } from '../../http/errors';
import { childEventId } from '../../ids';
import { USER_TOPIC_PATTERN } from '../../topics';
import type { EventEnvelope } from '../../queue/messages';
import { asObject, failed, failedTransiently, succeeded, type ActionContext, type ActionOutcome } from './types';

/**
 * `event` action: `{topic: "user/…/…", data, run_at?}` makes a child event whose parent is the
 * current event; the result is its id. A chain deeper than MAX_EVENT_DEPTH generations fails, so
 * tasks that trigger each other cannot loop forever.
 */
export async function performEvent(ctx: ActionContext, options: unknown): Promise<ActionOutcome> {
  const plan = planEventAction(ctx, options);
  if (!plan.ok) return plan.outcome;
  try {
    await enqueueEvent(ctx.env, plan.event, plan.delaySeconds);
    return succeeded(plan.event.id);
  } catch (err) {
    if (err instanceof AppError) {
      return err.status === 503 ? failedTransiently(err.message) : failed(err.message);
    }
    throw err;
  }
}

/** A validated `event` action: the child event and its queue delay, or the failed outcome. */
export type EventActionPlan =
  { ok: true; event: EventEnvelope; delaySeconds: number } | { ok: false; outcome: ActionOutcome };

/** Validates an `event` action's options and builds the child event (no I/O). */
export function planEventAction(ctx: Omit<ActionContext, 'env'>, options: unknown): EventActionPlan {
  const fail = (message: string): EventActionPlan => ({ ok: false, outcome: failed(message) });
  const object = asObject(options);
  if (!object) return fail('event options must be an object with topic and data');
  const { topic, data, run_at: runAt, ...extra } = object;
  if (Object.keys(extra).length > 0) return fail(`event options do not take ${Object.keys(extra).join(', ')}`);
  if (typeof topic !== 'string' || !USER_TOPIC_PATTERN.test(topic)) {
    return fail(`event topic must be user/<subject>/<verb>, got ${JSON.stringify(topic ?? null)}`);
  }
  if (ctx.depth + 1 > MAX_EVENT_DEPTH) {
    return fail(
      `event chain too deep: a child of this event would be generation ${ctx.depth + 1}; the limit is ${MAX_EVENT_DEPTH}`,
    );
  }
  // What ingress refuses to parse is refused when a task makes it too, so no later stage (an XML
  // payload, a script's `event` variable, a delivery) meets data deeper than a request could carry.
  if (exceedsDepth(data, MAX_JSON_DEPTH)) return fail(`event data nests deeper than ${MAX_JSON_DEPTH} levels`);
  let delaySeconds = 0;
  if (runAt !== undefined && runAt !== null) {
    const at = typeof runAt === 'string' ? Date.parse(runAt) : Number.NaN;
    if (Number.isNaN(at)) return fail('event run_at must be an ISO 8601 timestamp');
    delaySeconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
    if (delaySeconds > MAX_QUEUE_DELAY_SECONDS) {
      return fail(`event run_at may be at most ${MAX_QUEUE_DELAY_SECONDS} seconds ahead`);
    }
  }
  try {
    const event = newEventEnvelope({
      ...(ctx.action ? { id: childEventId(ctx.action.runId, ctx.action.position) } : {}),
      shopId: ctx.shopId,
      topic,
      data: data ?? null,
      source: 'task',
      parentId: ctx.eventId,
    });
    return { ok: true, event, delaySeconds };
  } catch (err) {
    if (err instanceof AppError) return fail(err.message);
    throw err;
  }
}
