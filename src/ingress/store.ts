import { selectPageAfter } from '../page-store';
import { shardOfShopColumn } from '../shops/store';
import type { Cursor } from '../http/pagination';
import type { DataMode } from './data';

/** Every SQL statement on `webhooks` and `cors_origins`. */

export interface WebhookRecord {
  id: string;
  shopId: string;
  name: string;
  topic: string;
  dataMode: DataMode;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface WebhookRow {
  id: string;
  shop_id: string;
  name: string;
  topic: string;
  data_mode: DataMode;
  enabled: number;
  created_at: string;
  updated_at: string;
}

const WEBHOOK_COLUMNS = 'id, shop_id, name, topic, data_mode, enabled, created_at, updated_at';

const toWebhook = (row: WebhookRow): WebhookRecord => ({
  id: row.id,
  shopId: row.shop_id,
  name: row.name,
  topic: row.topic,
  dataMode: row.data_mode,
  enabled: row.enabled === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function insertWebhook(db: D1Database, webhook: WebhookRecord): Promise<void> {
  await db
    .prepare(`INSERT INTO webhooks (${WEBHOOK_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)`)
    .bind(
      webhook.id,
      webhook.shopId,
      webhook.name,
      webhook.topic,
      webhook.dataMode,
      webhook.enabled ? 1 : 0,
      webhook.createdAt,
      webhook.updatedAt,
    )
    .run();
}

/** A webhook by id alone, with its shop's shard: the ingress fallback when KV has no copy. */
export async function findWebhook(
  db: D1Database,
  id: string,
): Promise<{ webhook: WebhookRecord; shard: number } | null> {
  const row = await db
    .prepare(`SELECT ${WEBHOOK_COLUMNS}, ${shardOfShopColumn('webhooks.shop_id')} FROM webhooks WHERE id = ?1`)
    .bind(id)
    .first<WebhookRow & { shard: number | null }>();
  return row && { webhook: toWebhook(row), shard: row.shard ?? 0 };
}

/** A webhook of one shop; another shop's id reads as absent. */
export async function findShopWebhook(db: D1Database, shopId: string, id: string): Promise<WebhookRecord | null> {
  const row = await db
    .prepare(`SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE id = ?1 AND shop_id = ?2`)
    .bind(id, shopId)
    .first<WebhookRow>();
  return row && toWebhook(row);
}

export async function listShopWebhooks(
  db: D1Database,
  shopId: string,
  limit: number,
  cursor: Cursor | null,
): Promise<WebhookRecord[]> {
  const rows = await selectPageAfter<WebhookRow>(db, {
    table: 'webhooks',
    columns: WEBHOOK_COLUMNS,
    shopId,
    limit,
    cursor,
  });
  return rows.map(toWebhook);
}

/** Writes a webhook's mutable fields. */
export async function updateWebhook(db: D1Database, webhook: WebhookRecord): Promise<void> {
  await db
    .prepare(
      `UPDATE webhooks SET name = ?3, topic = ?4, data_mode = ?5, enabled = ?6, updated_at = ?7
       WHERE id = ?1 AND shop_id = ?2`,
    )
    .bind(
      webhook.id,
      webhook.shopId,
      webhook.name,
      webhook.topic,
      webhook.dataMode,
      webhook.enabled ? 1 : 0,
      webhook.updatedAt,
    )
    .run();
}

/** Deletes a shop's webhook; false when there was none. */
export async function deleteWebhook(db: D1Database, shopId: string, id: string): Promise<boolean> {
  const result = await db.prepare(`DELETE FROM webhooks WHERE id = ?1 AND shop_id = ?2`).bind(id, shopId).run();
  return result.meta.changes > 0;
}

/** The distinct topics a shop's webhooks emit: the `user/…` topics its events can carry. */
export async function listShopWebhookTopics(db: D1Database, shopId: string): Promise<string[]> {
  const { results } = await db
    .prepare('SELECT DISTINCT topic FROM webhooks WHERE shop_id = ?1')
    .bind(shopId)
    .all<{ topic: string }>();
  return results.map((r) => r.topic);
}
