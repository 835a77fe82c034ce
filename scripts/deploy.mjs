#!/usr/bin/env node
// `npm run deploy [-- --dry-run]`: from a fresh clone and `wrangler login`, create whatever the
// Worker needs that the account lacks, apply the remote D1 migrations, deploy, print the URLs.
// Safe to run again: it reads the account first and creates only what is missing; existing
// resources and secrets are never replaced. `--dry-run` reads the account and prints the plan.
//
// What is created how (docs/operations.md, "Deploy"):
// - D1 `edgehook`: `wrangler d1 create` when missing. Not left to deploy-time provisioning because
//   the migrations must reach the database before the code that needs them, and
//   `d1 migrations apply --remote` needs the database's id.
// - KV: wrangler deploy's automatic provisioning (wrangler >= 4.45): the binding goes up without
//   an id, wrangler creates `edgehook-kv` on the first deploy and keeps the Worker's binding after.
// - Queues and dead-letter queues: `wrangler queues create` for each missing one (wrangler does
//   not provision queues, and deploy fails on a missing one).
// - Durable Object migrations, when wrangler.toml has `[[migrations]]`: applied by wrangler deploy.
// - ADMIN_TOKEN and SECRETS_KEY when the Worker lacks them: generated here and uploaded with the
//   deployment (`--secrets-file`, which keeps every secret already set).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimental_readRawConfig } from 'wrangler';
import {
  findWrangler,
  isWorkerNotFound,
  parseD1List,
  parseDeployUrls,
  parseQueueTable,
  parseSecretList,
  runWrangler,
  WranglerError,
} from './lib/wrangler-cli.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The config deploy actually uses: wrangler.toml with the account's ids; rewritten each run, then removed. */
const DEPLOY_CONFIG = 'wrangler.deploy.json';
/** Secrets the Worker cannot run without, and how to make a fresh one. */
const REQUIRED_SECRETS = {
  // 32 random bytes: an operator token nobody can guess; hex so it pastes anywhere.
  ADMIN_TOKEN: () => randomBytes(32).toString('hex'),
  // AES-256-GCM key for secrets at rest: base64 of 32 random bytes (src/crypto.ts).
  SECRETS_KEY: () => randomBytes(32).toString('base64'),
};
/** `queues list` is paged by the API; more pages than this means something is wrong. */
const MAX_QUEUE_LIST_PAGES = 100;
/** The ids wrangler.toml ships with, which mean "not created yet". */
const PLACEHOLDER_ID = /^0+(-0+)*$/;

/**
 * @typedef {Awaited<ReturnType<typeof readWanted>>} Wanted
 * @typedef {Awaited<ReturnType<typeof readAccount>>} Account
 * @typedef {ReturnType<typeof makePlan>} Plan
 * @typedef {keyof typeof REQUIRED_SECRETS} SecretName
 */

/** An id set in the config by hand, or null for none or the shipped placeholder. */
const realId = (/** @type {string | undefined} */ id) => (id && !PLACEHOLDER_ID.test(id) ? id : null);

const dryRun = process.argv.includes('--dry-run');
/** The source config, in the project root (`--config`, for tests and variants; default wrangler.toml). */
const sourceConfig = process.argv.includes('--config')
  ? String(process.argv[process.argv.indexOf('--config') + 1])
  : 'wrangler.toml';
const wrangler = findWrangler(ROOT);

/** @param {string[]} args @param {boolean} [echo] */
async function wranglerOk(args, echo = false) {
  const result = await runWrangler(wrangler, args, { cwd: ROOT, echo });
  if (result.status !== 0) throw new WranglerError(args, result);
  return result;
}

/** What wrangler.toml asks for. */
async function readWanted() {
  const { rawConfig } = await experimental_readRawConfig({ config: join(ROOT, sourceConfig) });
  const database = rawConfig.d1_databases?.[0];
  if (!database?.database_name) throw new Error(`${sourceConfig} has no D1 database with a database_name.`);
  /** @type {Set<string>} */
  const queues = new Set();
  for (const p of rawConfig.queues?.producers ?? []) queues.add(p.queue);
  for (const c of rawConfig.queues?.consumers ?? []) {
    queues.add(c.queue);
    if (c.dead_letter_queue) queues.add(c.dead_letter_queue);
  }
  return {
    rawConfig,
    workerName: String(rawConfig.name),
    database,
    queues: [...queues],
    durableObjectMigrations: (rawConfig.migrations ?? []).map((/** @type {{ tag: string }} */ m) => m.tag),
  };
}

/**
 * What the account has: read-only calls.
 * @param {string} workerName
 */
async function readAccount(workerName) {
  const databases = parseD1List((await wranglerOk(['d1', 'list', '--json'])).stdout);
  /** @type {Set<string>} */
  const queues = new Set();
  for (let page = 1; page <= MAX_QUEUE_LIST_PAGES; page++) {
    const names = parseQueueTable((await wranglerOk(['queues', 'list', '--page', String(page)])).stdout);
    const fresh = names.filter((n) => !queues.has(n));
    fresh.forEach((n) => queues.add(n));
    if (fresh.length === 0) break;
  }
  const secretArgs = ['secret', 'list', '--name', workerName];
  const secretResult = await runWrangler(wrangler, secretArgs, { cwd: ROOT });
  /** @type {string[]} */
  let secrets = [];
  let workerExists = true;
  if (secretResult.status === 0) secrets = parseSecretList(secretResult.stdout);
  else if (isWorkerNotFound(secretResult)) workerExists = false;
  else throw new WranglerError(secretArgs, secretResult);
  return { databases, queues, secrets, workerExists };
}

/**
 * @param {Wanted} wanted
 * @param {Account} account
 */
function makePlan(wanted, account) {
  const configuredId = realId(wanted.database.database_id);
  const existingDb = account.databases.find((db) => db.name === wanted.database.database_name);
  return {
    database: { name: wanted.database.database_name, id: configuredId ?? existingDb?.uuid ?? null },
    queuesToCreate: wanted.queues.filter((q) => !account.queues.has(q)),
    queuesPresent: wanted.queues.filter((q) => account.queues.has(q)),
    secretsToSet: /** @type {SecretName[]} */ (Object.keys(REQUIRED_SECRETS)).filter(
      (s) => !account.secrets.includes(s),
    ),
    workerExists: account.workerExists,
    kvId: realId(wanted.rawConfig.kv_namespaces?.[0]?.id),
  };
}

/**
 * @param {Wanted} wanted
 * @param {Plan} plan
 */
function printPlan(wanted, plan) {
  const line = (/** @type {boolean} */ done, /** @type {string} */ text) =>
    console.log(`  ${done ? '✓' : '+'} ${text}`);
  console.log(`${dryRun ? 'Plan (dry run: nothing is changed)' : 'Plan'} for Worker "${wanted.workerName}":`);
  line(
    plan.database.id !== null,
    `D1 database "${plan.database.name}"${plan.database.id ? ` exists (${plan.database.id})` : ': create'}`,
  );
  if (plan.kvId !== null) line(true, `KV namespace ${plan.kvId} (set in ${sourceConfig})`);
  else if (plan.workerExists) line(true, "KV namespace: the deployed Worker's, kept");
  else line(false, 'KV namespace: created by wrangler deploy (automatic provisioning)');
  for (const q of plan.queuesPresent) line(true, `queue "${q}" exists`);
  for (const q of plan.queuesToCreate) line(false, `queue "${q}": create`);
  for (const s of /** @type {SecretName[]} */ (Object.keys(REQUIRED_SECRETS))) {
    line(
      !plan.secretsToSet.includes(s),
      `secret ${s}${plan.secretsToSet.includes(s) ? ': generate and set' : ' is set (kept)'}`,
    );
  }
  for (const tag of wanted.durableObjectMigrations)
    line(false, `Durable Object migration "${tag}": applied by wrangler deploy if new`);
  line(false, 'D1 migrations: apply those not yet applied (--remote)');
  line(false, `deploy the Worker${plan.workerExists ? '' : ' (first deploy)'}`);
}

/**
 * wrangler.toml as this account needs it: the database's id, KV left to provisioning.
 * @param {Wanted} wanted
 * @param {string} databaseId
 */
function writeDeployConfig(wanted, databaseId) {
  const config = structuredClone(wanted.rawConfig);
  config.d1_databases = (config.d1_databases ?? []).map((/** @type {{ database_name?: string }} */ db) =>
    db.database_name === wanted.database.database_name ? { ...db, database_id: databaseId } : db,
  );
  config.kv_namespaces = (config.kv_namespaces ?? []).map((/** @type {{ id?: string }} */ { id, ...kv }) =>
    realId(id) ? { ...kv, id } : kv,
  );
  writeFileSync(join(ROOT, DEPLOY_CONFIG), JSON.stringify(config, null, 2));
}

/**
 * @param {Wanted} wanted
 * @param {Plan} plan
 */
async function execute(wanted, plan) {
  let databaseId = plan.database.id;
  if (databaseId === null) {
    await wranglerOk(['d1', 'create', plan.database.name], true);
    databaseId =
      parseD1List((await wranglerOk(['d1', 'list', '--json'])).stdout).find((db) => db.name === plan.database.name)
        ?.uuid ?? null;
    if (databaseId === null) throw new Error(`D1 database "${plan.database.name}" was created but is not listed.`);
  }
  for (const queue of plan.queuesToCreate) await wranglerOk(['queues', 'create', queue], true);
  writeDeployConfig(wanted, databaseId);
  await wranglerOk(['d1', 'migrations', 'apply', wanted.database.binding, '--remote', '--config', DEPLOY_CONFIG], true);

  const deployArgs = ['deploy', '--config', DEPLOY_CONFIG];
  /** @type {Partial<Record<SecretName, string>>} */
  const generated = {};
  for (const name of plan.secretsToSet) generated[name] = REQUIRED_SECRETS[name]();
  const secretsDir = mkdtempSync(join(tmpdir(), 'edgehook-secrets-'));
  try {
    if (plan.secretsToSet.length > 0) {
      const file = join(secretsDir, 'secrets.json');
      writeFileSync(file, JSON.stringify(generated), { mode: 0o600 });
      deployArgs.push('--secrets-file', file);
    }
    const deployed = await wranglerOk(deployArgs, true);
    return { urls: parseDeployUrls(deployed.stdout), adminToken: generated.ADMIN_TOKEN };
  } finally {
    rmSync(secretsDir, { recursive: true, force: true });
  }
}

try {
  const wanted = await readWanted();
  const plan = makePlan(wanted, await readAccount(wanted.workerName));
  printPlan(wanted, plan);
  if (!dryRun) {
    const { urls, adminToken } = await execute(wanted, plan);
    console.log('\nDeployed.');
    for (const url of urls) {
      console.log(`  Worker:      ${url}`);
      console.log(`  API:         ${url}/api/v1  (description: ${url}/api/v1/openapi.json)`);
      console.log(`  Ingress:     ${url}/webhooks/{webhook id}`);
    }
    if (adminToken) {
      console.log(`\nADMIN_TOKEN (the operator token; shown this once, keep it safe):\n  ${adminToken}`);
    } else {
      console.log('\nADMIN_TOKEN was already set and is unchanged.');
    }
  }
} catch (err) {
  console.error(`\nDeploy stopped: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(join(ROOT, DEPLOY_CONFIG), { force: true });
}
