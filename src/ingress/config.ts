import { CONFIG_MEMO_TTL_MS, CONFIG_NEGATIVE_MEMO_TTL_MS } from '../env';
import type { CorsPolicy } from '../http/cors';
import { corsKvKey, webhookKvKey } from '../kv-keys';
import { describeError, log } from '../log';
import { TtlMemo } from '../memo';
import { loadCorsPolicy } from './cors-policy';
import type { DataMode } from './data';
import { findWebhook, type WebhookRecord } from './store';

/**
 * Config read on the ingress hot path: isolate memo, then KV (the edge copy), then D1 once on a
 * KV miss, since KV takes up to a minute to show a new key at other locations. Staleness: a
 * change reaches every isolate within KV propagation plus CONFIG_MEMO_TTL_MS.
 */

/** What ingress needs of a webhook; the `wh:{id}` KV value. */
export interface WebhookConfig {
  shopId: string;
  topic: string;
  mode: DataMode;
  enabled: boolean;
}

const webhookMemo = new TtlMemo<WebhookConfig | null>();
const corsMemo = new TtlMemo<CorsPolicy>();

export function webhookConfigOf(webhook: WebhookRecord): WebhookConfig {
  return {
    shopId: webhook.shopId,
    topic: webhook.topic,
    mode: webhook.dataMode,
    enabled: webhook.enabled,
  };
}

/** The webhook's config, or null when no such webhook exists. Throws when KV and D1 both fail. */
export async function findWebhookConfig(
  env: Env,
  ctx: ExecutionContext,
  webhookId: string,
): Promise<WebhookConfig | null> {
  const memo = webhookMemo.get(webhookId);
  if (memo !== undefined) return memo.value;

  let config = await readKv(env, webhookKvKey(webhookId), isWebhookConfig);
  if (config === null) {
    const record = await findWebhook(env.DB, webhookId);
    config = record && webhookConfigOf(record);
    // Repair the edge copy so the next isolate finds it in KV.
    if (config !== null) ctx.waitUntil(writeKv(env, webhookKvKey(webhookId), config));
  }
  webhookMemo.set(webhookId, config, config ? CONFIG_MEMO_TTL_MS : CONFIG_NEGATIVE_MEMO_TTL_MS);
  return config;
}

/** The shop's effective CORS policy (no origins at all for an unknown shop). */
export async function findCorsPolicy(
  env: Env,
  ctx: ExecutionContext,
  shopId: string,
): Promise<CorsPolicy> {
  const memo = corsMemo.get(shopId);
  if (memo !== undefined) return memo.value;

  let policy = await readKv(env, corsKvKey(shopId), isCorsPolicy);
  if (policy === null) {
    policy = (await loadCorsPolicy(env.DB, shopId)) ?? { allowAll: false, origins: [] };
    ctx.waitUntil(writeKv(env, corsKvKey(shopId), policy));
  }
  corsMemo.set(shopId, policy, CONFIG_MEMO_TTL_MS);
  return policy;
}

/** Records a change made in this isolate, so it takes effect here at once. */
export function rememberWebhookConfig(webhookId: string, config: WebhookConfig | null): void {
  webhookMemo.set(webhookId, config, config ? CONFIG_MEMO_TTL_MS : CONFIG_NEGATIVE_MEMO_TTL_MS);
}

export function rememberCorsPolicy(shopId: string, policy: CorsPolicy): void {
  corsMemo.set(shopId, policy, CONFIG_MEMO_TTL_MS);
}

/** Forgets everything memoised in this isolate (tests use it to reach KV and D1 again). */
export function clearConfigMemos(): void {
  webhookMemo.clear();
  corsMemo.clear();
}

/** A KV value, or null when missing, malformed or KV failed (the caller then asks D1). */
async function readKv<T>(env: Env, key: string, isValid: (v: unknown) => v is T): Promise<T | null> {
  try {
    const value: unknown = await env.KV.get(key, 'json');
    return isValid(value) ? value : null;
  } catch (err) {
    log.warn('kv read failed; falling back to D1', { key, ...describeError(err) });
    return null;
  }
}

async function writeKv(env: Env, key: string, value: unknown): Promise<void> {
  try {
    await env.KV.put(key, JSON.stringify(value));
  } catch (err) {
    log.warn('kv repair failed', { key, ...describeError(err) });
  }
}

function isWebhookConfig(value: unknown): value is WebhookConfig {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['shopId'] === 'string' &&
    typeof v['topic'] === 'string' &&
    (v['mode'] === 'auto' || v['mode'] === 'full') &&
    typeof v['enabled'] === 'boolean'
  );
}

function isCorsPolicy(value: unknown): value is CorsPolicy {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['allowAll'] === 'boolean' &&
    Array.isArray(v['origins']) &&
    v['origins'].every((o) => typeof o === 'string')
  );
}
