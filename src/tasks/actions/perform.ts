import { allowsInsecureAddresses } from '../../http/outbound-address';
import { describeError, log } from '../../log';
import type { ActionType } from '../output';
import { performCache } from './cache';
import { performEcho } from './echo';
import { performEvent } from './event';
import { performHttp } from './http';
import { performShopify } from './shopify';
import { failedTransiently, type ActionContext, type ActionOutcome } from './types';

/**
 * Performs one action. Bad options fail permanently with a message; anything unexpected (storage
 * down) is logged and counts as transient, so the action is retried.
 */
export async function performAction(ctx: ActionContext, type: ActionType, options: unknown): Promise<ActionOutcome> {
  try {
    switch (type) {
      case 'cache':
        return await performCache(ctx, options);
      case 'event':
        return await performEvent(ctx, options);
      case 'http':
        return await performHttp(options, { allowInsecure: allowsInsecureAddresses(ctx.env) });
      case 'shopify':
        return await performShopify(ctx, options);
      case 'echo':
        return performEcho(options);
    }
  } catch (err) {
    log.error('action failed unexpectedly', { type, eventId: ctx.eventId, ...describeError(err) });
    return failedTransiently('internal error while performing the action; it will be retried');
  }
}
