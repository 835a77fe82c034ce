#!/usr/bin/env node
// `npm start`: migrate every local D1 database (DB and each shard), seed the demo, start
// `wrangler dev`, print what to curl.
// Everything is local (Miniflare's D1, KV and Queues under .wrangler/state); no Cloudflare account.
// Safe to run again: migrations apply once and the seed inserts only what is missing.
import { DEMO, demoLines } from './demo-data.mjs';
import { onShutdown, shutdown, stopEverythingOnExit } from './lib/lifecycle.mjs';
import { ensureDevVars, migrateLocal, seedDemo, startWranglerDev } from './lib/local.mjs';

// Before anything is spawned: Ctrl-C, SIGTERM, SIGHUP or the launcher going away stop it all.
stopEverythingOnExit();

// Overridable so tests can run a second instance beside a developer's.
const PERSIST_DIR = process.env.EDGEHOOK_PERSIST_DIR ?? '.wrangler/state';
const PORT = Number(process.env.PORT ?? 8787);
const BASE_URL = `http://localhost:${PORT}`;
const CRON_INTERVAL_MS = 60_000;

const addedVars = ensureDevVars();
if (addedVars.length > 0)
  console.log(`.dev.vars: added ${addedVars.join(', ')} from .dev.vars.example (local secrets).`);

migrateLocal(PERSIST_DIR);
const added = await seedDemo(PERSIST_DIR);
console.log(added > 0 ? `Seeded the demo shop (${added} rows).` : 'Demo data already present.');

const dev = await startWranglerDev({ port: PORT, persistDir: PERSIST_DIR, testScheduled: true });
await ensureDemoSigningSecret();
console.log(demoLines(BASE_URL).join('\n'));

// wrangler dev does not fire cron triggers locally; fire the maintenance job as production would:
// once now, then every minute.
const fireCron = () => fetch(`${BASE_URL}/__scheduled?cron=*+*+*+*+*`);
try {
  const first = await fireCron();
  await first.arrayBuffer();
  console.log(
    first.ok
      ? `Cron: the maintenance job ran; it runs every ${CRON_INTERVAL_MS / 1000} s while this runs.`
      : `Cron: the maintenance job could not run (${first.status}); moves, sweeps and the scheduler will not advance.`,
  );
} catch (err) {
  console.warn(`Cron: the maintenance job could not run: ${String(err)}`);
}
const cron = setInterval(() => {
  fireCron()
    .then((res) => res.arrayBuffer())
    .catch(() => {});
}, CRON_INTERVAL_MS);
onShutdown(() => clearInterval(cron));
// wrangler dev ending by itself (a crash, its own Ctrl-C handling) ends the command too.
dev.child.on('exit', (code) => void shutdown(code ?? 0));

/**
 * Deliveries need the app's signing secret, which only the Worker can encrypt (SECRETS_KEY), so
 * the seed cannot write one: the first start asks the API for it and prints it, once.
 */
async function ensureDemoSigningSecret() {
  const headers = { authorization: `Bearer ${DEMO.appToken}` };
  try {
    const listed = await fetch(`${BASE_URL}/api/v1/app/signing-secrets`, { headers });
    const { signing_secrets: secrets } = /** @type {{ signing_secrets: { active: boolean }[] }} */ (
      await listed.json()
    );
    if (secrets.some((s) => s.active)) return;
    const created = await fetch(`${BASE_URL}/api/v1/app/signing-secrets`, { method: 'POST', headers });
    const { secret } = /** @type {{ secret: string }} */ (await created.json());
    console.log(`Demo app signing secret (shown once; deliveries are signed with it): ${secret}`);
  } catch (err) {
    console.warn(`Could not give the demo app a signing secret: ${String(err)}`);
  }
}
