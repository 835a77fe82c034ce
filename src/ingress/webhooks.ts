import { findShop } from '../shops/store';
import type { Cursor } from '../http/pagination';
import { primaryDb } from '../shards';
import { deleteConfigCopy, writeConfigCopy } from '../edge-config/store';
import * as v from 'valibot';
import { notFound } from '../http/errors';
import { webhookKvKey } from '../kv-keys';
import { nowIso } from '../time';
import { USER_TOPIC_PATTERN } from '../topics';
import { rememberWebhookConfig, webhookConfigOf } from './config';
import {
  deleteWebhook,
  findShopWebhook,
  insertWebhook,
  listShopWebhooks,
  updateWebhook,
  type WebhookRecord,
} from './store';

const name = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.minLength(1, "can't be blank"),
  v.maxLength(255, 'is too long (at most 255 characters)'),
);
const topic = v.pipe(
  v.string('must be a string'),
  v.regex(USER_TOPIC_PATTERN, 'must be user/<subject>/<verb> (letters, digits, _, - and .)'),
);
const dataMode = v.picklist(['auto', 'full'], 'must be auto or full');
const enabled = v.boolean('must be true or false');

export const createWebhookSchema = v.strictObject({
  name,
  topic,
  data_mode: v.optional(dataMode, 'auto'),
  enabled: v.optional(enabled, true),
});

export const updateWebhookSchema = v.strictObject({
  name: v.optional(name),
  topic: v.optional(topic),
  data_mode: v.optional(dataMode),
  enabled: v.optional(enabled),
});

/** Saves to D1, then the KV copy, then this isolate's memo, so the change is live here at once. */
async function publish(env: Env, webhook: WebhookRecord): Promise<void> {
  const shop = await findShop(primaryDb(env), webhook.shopId);
  const config = webhookConfigOf(webhook, shop?.shard ?? 0);
  await writeConfigCopy(env, webhookKvKey(webhook.id), config);
  rememberWebhookConfig(webhook.id, config);
}

/** Writes the KV copies of a shop's webhooks again (a move changed its shard); returns how many. */
export async function republishShopWebhooks(env: Env, shopId: string): Promise<number> {
  let count = 0;
  let cursor: Cursor | null = null;
  for (;;) {
    const page: WebhookRecord[] = await listShopWebhooks(primaryDb(env), shopId, REPUBLISH_PAGE_SIZE, cursor);
    for (const webhook of page) await publish(env, webhook);
    count += page.length;
    if (page.length < REPUBLISH_PAGE_SIZE) return count;
    const last: WebhookRecord = page.at(-1)!;
    cursor = { createdAt: last.createdAt, id: last.id };
  }
}

/** Webhooks read per page when their copies are written again. */
const REPUBLISH_PAGE_SIZE = 100;

export async function createWebhook(
  env: Env,
  shopId: string,
  input: v.InferOutput<typeof createWebhookSchema>,
): Promise<WebhookRecord> {
  const now = nowIso();
  const webhook: WebhookRecord = {
    id: crypto.randomUUID(),
    shopId,
    name: input.name,
    topic: input.topic,
    dataMode: input.data_mode,
    enabled: input.enabled,
    createdAt: now,
    updatedAt: now,
  };
  await insertWebhook(primaryDb(env), webhook);
  await publish(env, webhook);
  return webhook;
}

export async function requireWebhook(env: Env, shopId: string, id: string): Promise<WebhookRecord> {
  const webhook = await findShopWebhook(primaryDb(env), shopId, id);
  if (webhook === null) throw notFound('Webhook');
  return webhook;
}

export async function changeWebhook(
  env: Env,
  shopId: string,
  id: string,
  input: v.InferOutput<typeof updateWebhookSchema>,
): Promise<WebhookRecord> {
  const current = await requireWebhook(env, shopId, id);
  const webhook: WebhookRecord = {
    ...current,
    name: input.name ?? current.name,
    topic: input.topic ?? current.topic,
    dataMode: input.data_mode ?? current.dataMode,
    enabled: input.enabled ?? current.enabled,
    updatedAt: nowIso(),
  };
  await updateWebhook(primaryDb(env), webhook);
  await publish(env, webhook);
  return webhook;
}

export async function removeWebhook(env: Env, shopId: string, id: string): Promise<void> {
  if (!(await deleteWebhook(primaryDb(env), shopId, id))) throw notFound('Webhook');
  await deleteConfigCopy(env, webhookKvKey(id));
  rememberWebhookConfig(id, null);
}

/** The webhook as the management API shows it, with its public URL. */
export function webhookToApi(webhook: WebhookRecord, origin: string) {
  return {
    id: webhook.id,
    name: webhook.name,
    topic: webhook.topic,
    data_mode: webhook.dataMode,
    enabled: webhook.enabled,
    url: `${origin}/webhooks/${webhook.id}`,
    created_at: webhook.createdAt,
    updated_at: webhook.updatedAt,
  };
}
