import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO } from '../../scripts/demo-data.mjs';
import { freePort } from '../../scripts/lib/local.mjs';
import { eventually, startProcess, waitForHttp, type Running } from './processes.js';

// `npm start` as a new user runs it: migrate + seed a fresh local D1, start wrangler dev, print
// what to curl — and the printed commands work. Then again on the same state.
const PORT = await freePort();
const BASE = `http://localhost:${PORT}`;
const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-start-'));
let running: Running | undefined;

afterAll(async () => {
  await running?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

async function start(): Promise<Running> {
  running = startProcess('node', ['scripts/start.mjs'], {
    PORT: String(PORT),
    EDGEHOOK_PERSIST_DIR: stateDir,
  });
  await waitForHttp(`${BASE}/`, 60_000);
  // The commands are printed once wrangler dev is ready, a moment after it first answers.
  const started = running;
  await eventually(async () => (started.output().includes('See the stored event') ? true : undefined));
  return running;
}

const auth = { authorization: `Bearer ${DEMO.appToken}` };

describe('npm start', () => {
  it('migrates, seeds, serves, and prints commands that work', async () => {
    const first = await start();
    const printed = first.output();
    expect(printed).toContain('Seeded the demo shop (3 rows).');
    expect(printed).toContain(`${BASE}/webhooks/${DEMO.webhookId}`);
    expect(printed).toContain(`Authorization: Bearer ${DEMO.appToken}`);

    const post = await fetch(`${BASE}/webhooks/${DEMO.webhookId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Ada"}',
    });
    expect(post.status).toBe(204);
    const requestId = post.headers.get('x-request-id');

    const event = await eventually(async () => {
      const res = await fetch(`${BASE}/api/v1/events?limit=1&include=data`, { headers: auth });
      const body = (await res.json()) as { events: { webhook_request_id: string; data: unknown }[] };
      const [latest] = body.events;
      return latest?.webhook_request_id === requestId ? latest : undefined;
    });
    expect(event.data).toEqual({ name: 'Ada' });
    await first.stop();
  });

  it('runs again on the same state without failing or duplicating the seed', async () => {
    const second = await start();
    expect(second.output()).toContain('Demo data already present.');
    const res = await fetch(`${BASE}/api/v1/webhooks`, { headers: auth });
    const { webhooks } = (await res.json()) as { webhooks: { id: string }[] };
    expect(webhooks.map((w) => w.id)).toEqual([DEMO.webhookId]);
    await second.stop();
  });
});
