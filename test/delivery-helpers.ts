import { rowsOnAllShards } from './shards';
import { env } from 'cloudflare:workers';
import { inject } from 'vitest';
import type { EventRecord } from '../src/events/model';
import type { ReceivedRequest } from './receiver/types';

/** The test receiver (test/receiver/server.ts), a real HTTP server on 127.0.0.1. */
export const RECEIVER = `http://127.0.0.1:${inject('receiverPort')}`;

export interface ReceiverScript {
  responses?: { status?: number; delayMs?: number; bodyDelayMs?: number; location?: string }[];
  then?: { status?: number; delayMs?: number };
  shopifySecret?: string;
  standardSecrets?: string[];
}

/** Scripts the receiver's answers for one key and returns the address to subscribe. */
export async function receiverAddress(script: ReceiverScript = {}): Promise<{ key: string; address: string }> {
  const key = crypto.randomUUID();
  const res = await fetch(`${RECEIVER}/_script/${key}`, { method: 'POST', body: JSON.stringify(script) });
  if (res.status !== 204) throw new Error(`receiver script failed: ${res.status}`);
  return { key, address: `${RECEIVER}/r/${key}` };
}

export async function receivedBy(key: string): Promise<ReceivedRequest[]> {
  return (await fetch(`${RECEIVER}/_requests/${key}`)).json<ReceivedRequest[]>();
}

/**
 * A subscription row as the Shopify resource would write it (test setup only; the resource has its
 * own tests). Returns its id.
 */
export async function insertSubscription(input: {
  shopId: string;
  appId: string;
  address: string;
  topic: string;
  format?: 'json' | 'xml';
  fields?: string[];
  status?: string;
  lastSuccessAt?: string | null;
  consecutiveFailures?: number;
}): Promise<number> {
  const now = new Date().toISOString();
  const row = await env.DB.prepare(
    `INSERT INTO subscriptions (shop_id, app_id, address, topic, format, fields, status, consecutive_failures,
                                last_success_at, created_at, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10) RETURNING id`,
  )
    .bind(
      input.shopId,
      input.appId,
      input.address,
      input.topic,
      input.format ?? 'json',
      JSON.stringify(input.fields ?? []),
      input.status ?? 'active',
      input.consecutiveFailures ?? 0,
      input.lastSuccessAt ?? null,
      now,
    )
    .first<{ id: number }>();
  return row!.id;
}

export async function subscriptionRow(
  id: number,
): Promise<{ status: string; consecutive_failures: number; last_success_at: string | null }> {
  return (await env.DB.prepare('SELECT status, consecutive_failures, last_success_at FROM subscriptions WHERE id = ?1')
    .bind(id)
    .first())!;
}

export interface DeliveryRow {
  id: string;
  subscription_id: number;
  event_id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
}

export async function deliveriesOfSubscription(subscriptionId: number): Promise<DeliveryRow[]> {
  const rows = await rowsOnAllShards<DeliveryRow & { created_at: string }>(
    'SELECT * FROM deliveries WHERE subscription_id = ?1 ORDER BY created_at',
    subscriptionId,
  );
  return rows.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0));
}

export async function attemptsOf(
  deliveryId: string,
): Promise<{ attempt: number; status_code: number | null; duration_ms: number; error: string | null }[]> {
  const rows = await rowsOnAllShards<{
    attempt: number;
    status_code: number | null;
    duration_ms: number;
    error: string | null;
  }>('SELECT * FROM delivery_attempts WHERE delivery_id = ?1 ORDER BY attempt', deliveryId);
  return rows.sort((a, b) => a.attempt - b.attempt);
}

/**
 * An env whose deliveries queue records what is sent instead of delivering it, so a test can hand
 * each attempt to the consumer itself (and see the backoff) without waiting for real delays.
 */
export function recordingDeliveriesEnv(overrides: Partial<Env> = {}): {
  env: Env;
  sent: { body: unknown; delaySeconds: number | undefined }[];
} {
  const sent: { body: unknown; delaySeconds: number | undefined }[] = [];
  const queue = {
    async send(body: unknown, options?: QueueSendOptions) {
      sent.push({ body, delaySeconds: options?.delaySeconds });
    },
    async sendBatch(messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) {
      for (const m of messages) sent.push({ body: m.body, delaySeconds: m.delaySeconds ?? options?.delaySeconds });
    },
  } as unknown as Queue;
  // Every queue group's deliveries queue (a shop on shard 1 sends to DELIVERIES_1).
  const groups = Object.fromEntries(
    Object.keys(env)
      .filter((name) => /^DELIVERIES(_\d+)?$/.test(name))
      .map((name) => [name, queue]),
  );
  return { env: { ...env, ...groups, ...overrides }, sent };
}

/** Base64 HMAC-SHA256 as Shopify signs its webhooks (for inbound tests). */
export async function hmacBase64(secret: string, body: Uint8Array | string): Promise<string> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign('HMAC', key, bytes))));
}

/** Stores an event row directly (as the events consumer would) and returns its record. */
export async function storeProcessedEvent(shopId: string, data: unknown, topic: string): Promise<EventRecord> {
  const createdAt = new Date().toISOString();
  const event: EventRecord = {
    id: crypto.randomUUID(),
    shopId,
    topic,
    dataJson: JSON.stringify(data),
    source: 'webhook',
    webhookId: null,
    webhookRequestId: null,
    parentId: null,
    createdAt,
    status: 'processed',
    error: null,
    receivedAt: null,
    processedAt: null,
  };
  await env.DB.prepare(
    `INSERT INTO events (id, shop_id, topic, data, source, status, created_at) VALUES (?1, ?2, ?3, ?4, 'webhook', 'processed', ?5)`,
  )
    .bind(event.id, shopId, topic, event.dataJson, createdAt)
    .run();
  return event;
}

/** Data nested `depth` levels deep: `{"a":{"a":…{"a":1}}}`. */
export function nestedData(depth: number): unknown {
  let data: unknown = 1;
  for (let i = 0; i < depth; i++) data = { a: data };
  return data;
}
