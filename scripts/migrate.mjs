#!/usr/bin/env node
// `npm run db:migrate:local` / `npm run db:migrate:remote`: applies migrations/ to every D1
// database the config binds (DB, SHARD_1, …, read from wrangler.toml, never a fixed list), one
// after the other in the config's order. Each applies only what it has not applied yet.
//
//   node scripts/migrate.mjs --local [--persist-to <dir>] [--config <file>]
//   node scripts/migrate.mjs --remote [--config <file>]
//
// --remote needs every database to exist in the account (`npm run deploy` creates the missing
// ones). An id left at its placeholder in the config is looked up by database_name, as deploy
// does, and the migrations run against DEPLOY_CONFIG (the config with those ids), which is
// removed afterwards.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimental_readRawConfig } from 'wrangler';
import { d1Databases, DEPLOY_CONFIG, realId, writeDeployConfig } from './lib/databases.mjs';
import { migrateLocal } from './lib/local.mjs';
import { findWrangler, parseD1List, runWrangler, WranglerError } from './lib/wrangler-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
/** @param {string} name */
const option = (name) => (argv.includes(name) ? String(argv[argv.indexOf(name) + 1]) : undefined);

/** @param {string | undefined} config */
async function migrateRemote(config = 'wrangler.toml') {
  const wrangler = findWrangler(ROOT);
  /** @param {string[]} args @param {boolean} [echo] */
  const wranglerOk = async (args, echo = false) => {
    const result = await runWrangler(wrangler, args, { cwd: ROOT, echo });
    if (result.status !== 0) throw new WranglerError(args, result);
    return result;
  };
  const { rawConfig } = experimental_readRawConfig({ config: join(ROOT, config) });
  const databases = d1Databases(rawConfig, config);
  /** @type {Map<string, string>} */
  const ids = new Map();
  for (const db of databases) {
    const id = realId(db.database_id);
    if (id !== null) ids.set(db.binding, id);
  }
  if (ids.size < databases.length) {
    const listed = parseD1List((await wranglerOk(['d1', 'list', '--json'])).stdout);
    const missing = [];
    for (const db of databases) {
      if (ids.has(db.binding)) continue;
      const found = listed.find((l) => l.name === db.database_name);
      if (found) ids.set(db.binding, found.uuid);
      else missing.push(`"${db.database_name}" (${db.binding})`);
    }
    // Checked before any is migrated: all databases or none, never a partial schema rollout.
    if (missing.length > 0)
      throw new Error(
        `the account has no D1 database ${missing.join(', ')}; \`npm run deploy\` creates it and migrates it.`,
      );
  }
  try {
    writeDeployConfig(ROOT, rawConfig, ids);
    for (const db of databases) {
      console.log(`D1 ${db.binding} ("${db.database_name}"), remote:`);
      await wranglerOk(['d1', 'migrations', 'apply', db.binding, '--remote', '--config', DEPLOY_CONFIG], true);
    }
  } finally {
    rmSync(join(ROOT, DEPLOY_CONFIG), { force: true });
  }
}

const local = argv.includes('--local');
const remote = argv.includes('--remote');
try {
  if (local === remote) throw new Error('say where: --local or --remote.');
  if (local) migrateLocal(option('--persist-to'), { config: option('--config') });
  else await migrateRemote(option('--config'));
} catch (err) {
  console.error(`\nMigrations stopped: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
