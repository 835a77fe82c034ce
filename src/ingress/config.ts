import { primaryDb } from '../shards';
import { mayLookUpMiss } from '../edge-config/miss-budget';
import { readThrough } from '../edge-config/read-through';
import { CONFIG_MEMO_TTL_MS, CONFIG_NEGATIVE_MEMO_TTL_MS } from '../env';
import { webhookKvKey } from '../kv-keys';
import { TtlMemo } from '../memo';
import { clearCorsPolicyMemo } from '../shops/cors-policy-read-through';
import type { DataMode } from './data';
import { findWebhook, type WebhookRecord } from './store';

/**
 * Webhook config read on the ingress hot path, through `readThrough` (memo → KV → D1). Staleness:
 * a change reaches every isolate within KV propagation plus CONFIG_MEMO_TTL_MS.
 */

/** What ingress needs of a webhook; the `wh:{id}` KV value. */
export interface WebhookConfig {
  shopId: string;
  /** The shop's shard (its events' queue group and fallback database); absent in copies made before shards: 0. */
  shard?: number;
  topic: string;
  mode: DataMode;
  enabled: boolean;
}

const webhookMemo = new TtlMemo<WebhookConfig | null>();

export function webhookConfigOf(webhook: WebhookRecord, shard: number): WebhookConfig {
  return {
    shopId: webhook.shopId,
    shard,
    topic: webhook.topic,
    mode: webhook.dataMode,
    enabled: webhook.enabled,
  };
}

/**
 * The webhook's config, or null when no such webhook exists. With the `client` asking, a D1 read
 * spends that client's budget of misses. Throws when KV and D1 both fail.
 */
export function findWebhookConfig(
  env: Env,
  ctx: ExecutionContext,
  webhookId: string,
  client?: string,
): Promise<WebhookConfig | null> {
  return readThrough({
    ...(client === undefined ? {} : { mayReadD1: () => mayLookUpMiss(env, 'webhook', client) }),
    env,
    ctx,
    memo: webhookMemo,
    id: webhookId,
    kvKey: webhookKvKey(webhookId),
    isValid: isWebhookConfig,
    load: async () => {
      const found = await findWebhook(primaryDb(env), webhookId);
      return found && webhookConfigOf(found.webhook, found.shard);
    },
  });
}

/** Records a change made in this isolate, so it takes effect here at once. */
export function rememberWebhookConfig(webhookId: string, config: WebhookConfig | null): void {
  webhookMemo.set(webhookId, config, config ? CONFIG_MEMO_TTL_MS : CONFIG_NEGATIVE_MEMO_TTL_MS);
}

/** Forgets everything memoised in this isolate (tests use it to reach KV and D1 again). */
export function clearConfigMemos(): void {
  webhookMemo.clear();
  clearCorsPolicyMemo();
}

function isWebhookConfig(value: unknown): value is WebhookConfig {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['shopId'] === 'string' &&
    (v['shard'] === undefined || Number.isSafeInteger(v['shard'])) &&
    typeof v['topic'] === 'string' &&
    (v['mode'] === 'auto' || v['mode'] === 'full') &&
    typeof v['enabled'] === 'boolean'
  );
}
