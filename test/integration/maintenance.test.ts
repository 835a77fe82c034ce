import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { insertEvent } from '../../src/events/store';
import { runMaintenance } from '../../src/pipeline/maintenance';
import { instrumentedEnv } from '../faults';
import { envelope } from '../queue';
import { setEventStatus } from '../fixtures';

const SHOP = 'shop-maintenance-test';
const DAY_MS = 86_400_000;

async function statusOf(id: string): Promise<string | null> {
  const row = await env.DB.prepare('SELECT status FROM events WHERE id = ?1').bind(id).first<{ status: string }>();
  return row?.status ?? null;
}

async function storeWithStatus(createdAt: number, status: string): Promise<string> {
  const event = envelope(SHOP, { createdAt: new Date(createdAt).toISOString() });
  await insertEvent(env.DB, event, 'pending');
  await setEventStatus(event.id, status);
  return event.id;
}

describe('cron maintenance', () => {
  it('deletes processed and dead events past EVENT_RETENTION_DAYS, and nothing else', async () => {
    const now = Date.now();
    const oldProcessed = await storeWithStatus(now - 31 * DAY_MS, 'processed');
    const oldDead = await storeWithStatus(now - 40 * DAY_MS, 'dead');
    const oldReceived = await storeWithStatus(now - 31 * DAY_MS, 'received');
    const recent = await storeWithStatus(now - 29 * DAY_MS, 'processed');

    await runMaintenance({ ...env, EVENT_RETENTION_DAYS: '30' }, now);

    expect(await statusOf(oldProcessed)).toBeNull();
    expect(await statusOf(oldDead)).toBeNull();
    expect(await statusOf(oldReceived)).toBe('received');
    expect(await statusOf(recent)).toBe('processed');
  });

  it('keeps everything when EVENT_RETENTION_DAYS is 0', async () => {
    const old = await storeWithStatus(Date.now() - 400 * DAY_MS, 'processed');
    await runMaintenance({ ...env, EVENT_RETENTION_DAYS: '0' }, Date.now());
    expect(await statusOf(old)).toBe('processed');
  });

  it('sweeps pending events onto the queue by id and marks them queued', async () => {
    const pending = await storeWithStatus(Date.now(), 'pending');
    const calls = instrumentedEnv();
    await runMaintenance(calls.env, Date.now());
    expect(calls.queueSends).toContainEqual({ kind: 'event-ref', eventId: pending, shopId: SHOP });
    expect(['queued', 'received', 'processed']).toContain(await statusOf(pending));
  });

  it('keeps events pending when the queue is down, and still runs the other jobs', async () => {
    const pending = await storeWithStatus(Date.now(), 'pending');
    const old = await storeWithStatus(Date.now() - 31 * DAY_MS, 'processed');
    const calls = instrumentedEnv({ failQueue: true });
    await runMaintenance({ ...calls.env, EVENT_RETENTION_DAYS: '30' }, Date.now());
    expect(await statusOf(pending)).toBe('pending');
    expect(await statusOf(old)).toBeNull();
  });
});
