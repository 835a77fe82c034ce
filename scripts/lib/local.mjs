// Local environment steps shared by `npm start`, `npm run bench` and the node-side tests:
// migrate every local D1 database, seed the demo, start `wrangler dev`. All state lives under one
// --persist-to directory so the CLI, getPlatformProxy and wrangler dev see the same D1 and KV.
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { getPlatformProxy } from 'wrangler';
import { DEMO, DEMO_TASK_SCRIPT } from '../demo-data.mjs';
import { readD1Databases } from './databases.mjs';
import { stopProcessGroup, trackProcessGroup } from './lifecycle.mjs';

/**
 * Makes sure `.dev.vars` (local secrets for wrangler dev) has every key of `.dev.vars.example`:
 * creates it, or appends keys added since it was made. Returns the names it added.
 */
export function ensureDevVars() {
  const example = parseDevVars(readFileSync('.dev.vars.example', 'utf8'));
  if (!existsSync('.dev.vars')) writeFileSync('.dev.vars', '');
  const current = parseDevVars(readFileSync('.dev.vars', 'utf8'));
  const missing = Object.keys(example).filter((name) => !(name in current));
  for (const name of missing) appendFileSync('.dev.vars', `\n${name}=${example[name]}\n`);
  return missing;
}

/**
 * `NAME=value` lines of a .dev.vars file.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseDevVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match) vars[match[1] ?? ''] = (match[2] ?? '').trim();
  }
  return vars;
}

/**
 * Applies `migrations/` to every local D1 database the config binds (DB, SHARD_1, …; the same
 * migrations for each), stored under `persistDir` (wrangler's default `.wrangler/state` when
 * omitted); throws on the first failure. Quiet: prints nothing unless wrangler fails.
 * @param {string | undefined} persistDir
 * @param {{ quiet?: boolean; config?: string }} [options] `config`: default wrangler.toml
 */
export function migrateLocal(persistDir, options = {}) {
  for (const { binding, database_name: name } of readD1Databases(options.config ?? 'wrangler.toml')) {
    const args = ['wrangler', 'd1', 'migrations', 'apply', binding, '--local'];
    if (options.config) args.push('--config', options.config);
    if (persistDir !== undefined) args.push('--persist-to', persistDir);
    if (!options.quiet) console.log(`D1 ${binding} ("${name}"), local:`);
    const result = spawnSync('npx', args, {
      stdio: options.quiet ? 'pipe' : 'inherit',
      env: { ...process.env, CI: '1' },
    });
    if (result.status !== 0) {
      if (options.quiet) process.stderr.write(result.stderr);
      throw new Error(`migrations of ${binding} failed (exit ${result.status})`);
    }
  }
}

/**
 * The little of D1's API the seed uses (the Worker's types are not loaded in Node).
 * @typedef {{ bind(...values: unknown[]): SeedStatement }} SeedStatement
 * @typedef {{
 *   prepare(sql: string): SeedStatement;
 *   batch(statements: SeedStatement[]): Promise<{ meta: { changes: number } }[]>;
 * }} SeedDb
 */

/**
 * Inserts the demo shop, app (with a fixed development token), webhook, task (with its
 * subscription row) and cache endpoint unless present; returns
 * how many rows were added. Only D1 is written: the Worker reads a KV miss from D1 and repairs KV
 * itself, so the seed can never leave KV disagreeing with D1.
 * @param {string} persistDir
 */
export async function seedDemo(persistDir) {
  const { env, dispose } = await getPlatformProxy({
    configPath: 'wrangler.toml',
    persist: { path: `${persistDir}/v3` },
  });
  const db = /** @type {SeedDb} */ (env.DB);
  try {
    const now = new Date().toISOString();
    const tokenHash = createHash('sha256').update(DEMO.appToken).digest('hex');
    const results = await db.batch([
      db
        .prepare(
          `INSERT INTO shops (id, myshopify_domain, primary_domain, cors_allow_all, created_at, updated_at)
         VALUES (?1, ?2, ?3, 0, ?4, ?4) ON CONFLICT DO NOTHING`,
        )
        .bind(DEMO.shopId, DEMO.myshopifyDomain, DEMO.primaryDomain, now),
      db
        .prepare(
          `INSERT INTO apps (id, shop_id, name, token_hash, api_version, created_at, updated_at)
         VALUES (?1, ?2, 'Demo app', ?3, '2026-10', ?4, ?4) ON CONFLICT DO NOTHING`,
        )
        .bind(DEMO.appId, DEMO.shopId, tokenHash, now),
      db
        .prepare(
          `INSERT INTO webhooks (id, shop_id, name, topic, data_mode, enabled, created_at, updated_at)
         VALUES (?1, ?2, 'Demo form', ?3, 'auto', 1, ?4, ?4) ON CONFLICT DO NOTHING`,
        )
        .bind(DEMO.webhookId, DEMO.shopId, DEMO.topic, now),
      db
        .prepare(
          `INSERT INTO tasks (id, shop_id, name, subscriptions, script, options, enabled, created_at, updated_at)
         VALUES (?1, ?2, 'Demo greeting', ?3, ?4, '{}', 1, ?5, ?5)
         ON CONFLICT (id) DO UPDATE SET script = excluded.script, updated_at = excluded.updated_at
         WHERE tasks.script <> excluded.script`,
        )
        .bind(DEMO.taskId, DEMO.shopId, DEMO.topic, DEMO_TASK_SCRIPT, now),
      db
        .prepare(
          `INSERT INTO task_subscriptions (task_id, shop_id, topic, delay_seconds)
         VALUES (?1, ?2, ?3, 0) ON CONFLICT DO NOTHING`,
        )
        .bind(DEMO.taskId, DEMO.shopId, DEMO.topic),
      db
        .prepare(
          `INSERT INTO cache_endpoints (token, shop_id, kind, key, created_at, updated_at)
         VALUES (?1, ?2, 'prefix', ?3, ?4, ?4) ON CONFLICT DO NOTHING`,
        )
        .bind(DEMO.greetingEndpointToken, DEMO.shopId, DEMO.greetingKeyPrefix, now),
    ]);
    return results.reduce((n, r) => n + r.meta.changes, 0);
  } finally {
    await dispose();
  }
}

/**
 * Starts `wrangler dev` in its own process group; resolves once it answers HTTP. `stop()` ends the
 * group (wrangler and its workerd).
 * `vars` override wrangler.toml vars for this run (`--var NAME:value`).
 * `testScheduled` serves `/__scheduled?cron=…`, which runs the Worker's cron handler
 * (`--test-scheduled`): wrangler dev fires no cron by itself, and its other trigger,
 * `/cdn-cgi/handler/scheduled`, answers 500 when Static Assets sit in front of the Worker.
 * `inspector: false` serves the same Worker without wrangler's DevTools inspector
 * (scripts/lib/serve-worker.mjs), which the benchmarks use: the inspector's per-subrequest events
 * are a cost of the dev tool, not of the Worker.
 * @param {{ port: number; persistDir?: string; config?: string; quiet?: boolean; vars?: Record<string, string>; inspector?: boolean; testScheduled?: boolean }} options
 */
export async function startWranglerDev(options) {
  const child = options.inspector === false ? spawnWithoutInspector(options) : spawnWranglerDev(options);
  // Known from the moment it exists, so a script stopped while wrangler is still starting ends it too.
  trackProcessGroup(child);
  /** Ends wrangler dev and its workerd (SIGTERM, then SIGKILL); resolves once they are gone. */
  const stop = () => stopProcessGroup(child);
  try {
    await waitForHttp(`http://localhost:${options.port}/`, DEV_START_TIMEOUT_MS);
  } catch (err) {
    await stop(); // never leave a wrangler dev behind that did not start in time
    throw err;
  }
  return { child, stop };
}

/** @param {Parameters<typeof startWranglerDev>[0]} options */
function spawnWranglerDev(options) {
  const args = ['wrangler', 'dev', '--port', String(options.port), '--show-interactive-dev-session=false'];
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`);
  if (options.config) args.push('--config', options.config);
  if (options.persistDir) args.push('--persist-to', options.persistDir);
  if (options.quiet) args.push('--log-level', 'warn');
  if (options.testScheduled) args.push('--test-scheduled');
  return spawn('npx', args, {
    stdio: options.quiet ? 'ignore' : 'inherit',
    env: process.env,
    detached: true,
  });
}

/** @param {Parameters<typeof startWranglerDev>[0]} options */
function spawnWithoutInspector(options) {
  const { port, persistDir, config = 'wrangler.toml', vars } = options;
  const script = fileURLToPath(new URL('./serve-worker.mjs', import.meta.url));
  return spawn(process.execPath, [script, JSON.stringify({ port, persistDir, config, vars })], {
    stdio: options.quiet ? 'ignore' : 'inherit',
    env: { ...process.env, ...(options.quiet ? { WRANGLER_LOG: 'warn' } : {}) },
    detached: true,
  });
}

/** How long `wrangler dev` may take to answer; raise it on a machine shared with other builds. */
const DEV_START_TIMEOUT_MS = Number(process.env.EDGEHOOK_DEV_START_TIMEOUT_MS ?? 60_000);

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  await new Promise((resolve) => server.close(() => resolve(undefined)));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Polls `url` until it answers at all (any status).
 * @param {string} url
 * @param {number} timeoutMs
 */
export async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      // A bounded wait per try: a port that accepts but never answers must not hang us.
      await fetch(url, { signal: AbortSignal.timeout(5_000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
