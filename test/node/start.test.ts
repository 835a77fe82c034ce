import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
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

/**
 * Stops `npm start`. start.mjs runs wrangler dev in its own process group; if it was killed before
 * it could stop that group, end whatever still runs on this test's state directory.
 */
async function stop(r: Running | undefined): Promise<void> {
  await r?.stop();
  spawnSync('pkill', ['-f', stateDir]);
}

afterAll(async () => {
  await stop(running);
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
const MIGRATIONS = readdirSync('migrations')
  .filter((f) => f.endsWith('.sql'))
  .sort();

/** The migrations wrangler recorded as applied to one local database of the state directory. */
function appliedMigrations(binding: string): string[] {
  const run = spawnSync(
    'npx',
    [
      'wrangler',
      'd1',
      'execute',
      binding,
      '--local',
      '--persist-to',
      stateDir,
      '--json',
      '--command',
      'SELECT name FROM d1_migrations ORDER BY name',
    ],
    { encoding: 'utf8', env: { ...process.env, CI: '1' } },
  );
  if (run.status !== 0) throw new Error(`d1 execute ${binding} failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { results: { name: string }[] }[])[0]!.results.map((r) => r.name);
}

describe('npm start', () => {
  it('migrates, seeds, serves, and prints commands that work', async () => {
    const first = await start();
    const printed = first.output();
    expect(printed).toContain('Seeded the demo shop (6 rows).');
    expect(printed).toContain(`${BASE}/webhooks/${DEMO.webhookId}`);
    expect(printed).toMatch(
      /Demo app signing secret \(shown once; deliveries are signed with it\): whsec_[A-Za-z0-9+/]{32}/,
    );
    expect(printed).toContain(`Authorization: Bearer ${DEMO.appToken}`);
    // wrangler dev fires no cron: npm start runs the maintenance job itself, and it runs.
    await eventually(async () => (first.output().includes('Cron: ') ? true : undefined));
    expect(first.output()).toContain('Cron: the maintenance job ran; it runs every 60 s while this runs.');
    // The console (issue 15) is served at the printed address, with its CSP.
    expect(printed).toContain(`console  ${BASE}/`);
    const consolePage = await fetch(`${BASE}/`);
    expect(consolePage.status).toBe(200);
    expect(consolePage.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");

    const post = await fetch(`${BASE}/webhooks/${DEMO.webhookId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"Ada"}',
    });
    expect(post.status).toBe(204);
    const requestId = post.headers.get('x-request-id');
    // The printed prefix endpoint, read with this POST's x-request-id, waits for this caller's own result
    // (read at once after the POST: the request is held until the task writes it).
    const template = `${BASE}/cache/${DEMO.greetingEndpointToken}/REQUEST_ID?wait=10`;
    expect(printed).toContain(`curl -s '${template}'`);
    const read = await fetch(template.replace('REQUEST_ID', requestId!));
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ greeting: 'Hello, Ada!', file: '' });

    const event = await eventually(async () => {
      const res = await fetch(`${BASE}/api/v1/events?limit=1&include=data`, { headers: auth });
      const body = (await res.json()) as { events: { id: string; webhook_request_id: string; data: unknown }[] };
      const [latest] = body.events;
      return latest?.webhook_request_id === requestId ? latest : undefined;
    });
    expect(event.data).toEqual({ name: 'Ada' });

    const runs = await fetch(`${BASE}/api/v1/events/${event.id}/task_runs`, { headers: auth });
    const { task_runs } = (await runs.json()) as { task_runs: { task_id: string; status: string; logs: unknown[] }[] };
    expect(task_runs).toEqual([
      expect.objectContaining({ task_id: DEMO.taskId, status: 'succeeded', logs: ['Hello, Ada!'] }),
    ]);
    await stop(first);
    // Every database of wrangler.toml was migrated, the shard as well as the primary.
    expect(appliedMigrations('DB')).toEqual(MIGRATIONS);
    expect(appliedMigrations('SHARD_1')).toEqual(MIGRATIONS);
  });

  it('runs again on the same state without failing or duplicating the seed', async () => {
    const second = await start();
    expect(second.output()).toContain('Demo data already present.');
    expect(second.output()).not.toContain('Demo app signing secret');
    const res = await fetch(`${BASE}/api/v1/webhooks`, { headers: auth });
    const { webhooks } = (await res.json()) as { webhooks: { id: string }[] };
    expect(webhooks.map((w) => w.id)).toEqual([DEMO.webhookId]);
    const tasks = await fetch(`${BASE}/api/v1/tasks`, { headers: auth });
    expect(((await tasks.json()) as { tasks: { id: string }[] }).tasks.map((t) => t.id)).toEqual([DEMO.taskId]);
    await stop(second);
  });
});
