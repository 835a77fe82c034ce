import type { ShopRecord } from '../shops/store';
import type { EventRecord } from '../events/model';
import type { RenderScope } from './engine';
import type { TaskRecord } from './store';
import { parseExactJson } from '../json/exact';

/** The variables a script sees (docs/contracts.md, "Rendering"), besides `cache`. */

/** `event`, with `parent` nested for each ancestor given (parent first). */
export function eventVariable(event: EventRecord, ancestors: readonly EventRecord[]): Record<string, unknown> {
  const [parent, ...older] = ancestors;
  return {
    id: event.id,
    topic: event.topic,
    data: parseExactJson(event.dataJson),
    source: event.source,
    created_at: event.createdAt,
    webhook_request_id: event.webhookRequestId,
    parent: parent ? eventVariable(parent, older) : null,
  };
}

export function shopVariable(shop: ShopRecord | null, shopId: string): Record<string, unknown> {
  return {
    id: shopId,
    myshopify_domain: shop?.myshopifyDomain ?? null,
    primary_domain: shop?.primaryDomain ?? null,
    domain: shop?.primaryDomain ?? shop?.myshopifyDomain ?? null,
    // Mechanic's name for the shop's IANA zone, so `| date` in the shop's time reads the same.
    iana_timezone: shop?.timezone ?? 'UTC',
  };
}

export function renderScope(
  task: Pick<TaskRecord, 'id' | 'name' | 'optionsJson'>,
  event: Record<string, unknown>,
  shop: Record<string, unknown>,
): RenderScope {
  return { event, shop, task: { id: task.id, name: task.name }, options: parseExactJson(task.optionsJson) };
}
