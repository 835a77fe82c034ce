import { runOnAllShards } from './shards';
import { env } from 'cloudflare:workers';

/**
 * Fixtures: states no API call produces directly (back-dated rows, a status forced for a test).
 * Tests seed through the API, the stores, or these functions — never SQL of their own.
 */

/** Back-dates a subscription's timestamps, so time filters have something to tell apart. */
export async function backdateSubscription(id: number, createdAt: string, updatedAt: string): Promise<void> {
  await env.DB.prepare('UPDATE subscriptions SET created_at = ?2, updated_at = ?3 WHERE id = ?1')
    .bind(id, createdAt, updatedAt)
    .run();
}

/** Forces a subscription's status (for example back to `active` after a test disabled it). */
export async function setSubscriptionStatus(id: number, status: string): Promise<void> {
  await env.DB.prepare('UPDATE subscriptions SET status = ?2 WHERE id = ?1').bind(id, status).run();
}

/** Forces an event's status. */
export async function setEventStatus(id: string, status: string): Promise<void> {
  await runOnAllShards('UPDATE events SET status = ?2 WHERE id = ?1', id, status);
}
