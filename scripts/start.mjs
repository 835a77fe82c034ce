#!/usr/bin/env node
// `npm start`: migrate and seed the local D1, start `wrangler dev`, print what to curl.
// Everything is local (Miniflare's D1, KV and Queues under .wrangler/state); no Cloudflare account.
// Safe to run again: migrations apply once and the seed inserts only what is missing.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync } from 'node:fs';
import { getPlatformProxy } from 'wrangler';
import { DEMO, demoLines } from './demo-data.mjs';

// Overridable so tests can run a second instance beside a developer's.
const PERSIST_DIR = process.env.EDGEHOOK_PERSIST_DIR ?? '.wrangler/state';
const PORT = Number(process.env.PORT ?? 8787);
const BASE_URL = `http://localhost:${PORT}`;
const CRON_INTERVAL_MS = 60_000;

if (!existsSync('.dev.vars')) {
  copyFileSync('.dev.vars.example', '.dev.vars');
  console.log('Created .dev.vars from .dev.vars.example (local secrets).');
}

run('npx', ['wrangler', 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', PERSIST_DIR]);
await seed();
console.log(demoLines(BASE_URL).join('\n'));

const dev = spawn(
  'npx',
  ['wrangler', 'dev', '--port', String(PORT), '--persist-to', PERSIST_DIR],
  { stdio: 'inherit', env: process.env },
);
// wrangler dev does not fire cron triggers locally; fire the maintenance job as production would.
const cron = setInterval(() => {
  fetch(`${BASE_URL}/cdn-cgi/handler/scheduled?cron=*+*+*+*+*`).catch(() => {});
}, CRON_INTERVAL_MS);
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => dev.kill(signal));
}
dev.on('exit', (code) => {
  clearInterval(cron);
  process.exit(code ?? 0);
});

/**
 * Runs a command to completion, exiting with its status on failure.
 * @param {string} command
 * @param {string[]} args
 */
function run(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, CI: '1' } });
  if (result.status !== 0) process.exit(result.status ?? 1);
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
 * Inserts the demo shop, app (with a fixed development token) and webhook unless present. Only D1
 * is written: the Worker reads a KV miss from D1 and repairs KV itself, so the seed can never
 * leave KV disagreeing with D1.
 */
async function seed() {
  const { env, dispose } = await getPlatformProxy({
    configPath: 'wrangler.toml',
    persist: { path: `${PERSIST_DIR}/v3` },
  });
  const db = /** @type {SeedDb} */ (env.DB);
  try {
    const now = new Date().toISOString();
    const tokenHash = createHash('sha256').update(DEMO.appToken).digest('hex');
    const results = await db.batch([
      db.prepare(
        `INSERT INTO shops (id, myshopify_domain, primary_domain, cors_allow_all, created_at, updated_at)
         VALUES (?1, ?2, ?3, 0, ?4, ?4) ON CONFLICT DO NOTHING`,
      ).bind(DEMO.shopId, DEMO.myshopifyDomain, DEMO.primaryDomain, now),
      db.prepare(
        `INSERT INTO apps (id, shop_id, name, token_hash, api_version, created_at, updated_at)
         VALUES (?1, ?2, 'Demo app', ?3, '2026-10', ?4, ?4) ON CONFLICT DO NOTHING`,
      ).bind(DEMO.appId, DEMO.shopId, tokenHash, now),
      db.prepare(
        `INSERT INTO webhooks (id, shop_id, name, topic, data_mode, enabled, created_at, updated_at)
         VALUES (?1, ?2, 'Demo form', ?3, 'auto', 1, ?4, ?4) ON CONFLICT DO NOTHING`,
      ).bind(DEMO.webhookId, DEMO.shopId, DEMO.topic, now),
    ]);
    const inserted = results.reduce((n, r) => n + r.meta.changes, 0);
    console.log(inserted > 0 ? `Seeded the demo shop (${inserted} rows).` : 'Demo data already present.');
  } finally {
    await dispose();
  }
}
