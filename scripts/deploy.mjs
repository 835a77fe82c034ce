#!/usr/bin/env node
// `npm run deploy [-- --dry-run]`: from a fresh clone and `wrangler login`, create whatever the
// Worker needs that the account lacks, apply the remote D1 migrations, deploy, print the URLs.
// Safe to run again: it reads the account first and creates only what is missing; existing
// resources and secrets are never replaced. `--dry-run` reads the account and prints the plan.
//
// What is created how (docs/operations.md, "Deploy"):
// - D1: every `[[d1_databases]]` of wrangler.toml (`edgehook`, the primary and shard 0, and each
//   shard `edgehook-shard-N`): `wrangler d1 create` for each missing one, then the same migrations
//   applied to each. Not left to deploy-time provisioning because the migrations must reach every
//   database before the code that needs them, and `d1 migrations apply --remote` needs its id.
// - KV: wrangler deploy's automatic provisioning (wrangler >= 4.45): the binding goes up without
//   an id, wrangler creates `edgehook-kv` on the first deploy and keeps the Worker's binding after.
// - Queues and dead-letter queues: every queue a producer, consumer or dead_letter_queue names (each
//   queue group's events and deliveries queues, the shared dead-letter queues): `wrangler queues
//   create` for each missing one (wrangler does not provision queues; deploy fails on a missing one).
// - Durable Object migrations, when wrangler.toml has `[[migrations]]`: applied by wrangler deploy.
// - ADMIN_TOKEN and SECRETS_KEY when the Worker lacks them: generated here and uploaded with the
//   deployment (`--secrets-file`, which keeps every secret already set).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { experimental_readRawConfig } from 'wrangler';
import { d1Databases, DEPLOY_CONFIG, realId, writeDeployConfig } from './lib/databases.mjs';
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
/** Secrets the Worker cannot run without, and how to make a fresh one. */
const REQUIRED_SECRETS = {
  // 32 random bytes: an operator token nobody can guess; hex so it pastes anywhere.
  ADMIN_TOKEN: () => randomBytes(32).toString('hex'),
  // AES-256-GCM key for secrets at rest: base64 of 32 random bytes (src/crypto.ts).
  SECRETS_KEY: () => randomBytes(32).toString('base64'),
};
/** `queues list` is paged by the API; more pages than this means something is wrong. */
const MAX_QUEUE_LIST_PAGES = 100;

/**
 * @typedef {Awaited<ReturnType<typeof readWanted>>} Wanted
 * @typedef {Awaited<ReturnType<typeof readAccount>>} Account
 * @typedef {ReturnType<typeof makePlan>} Plan
 * @typedef {keyof typeof REQUIRED_SECRETS} SecretName
 */

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
  const databases = d1Databases(rawConfig, sourceConfig);
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
    databases,
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
  return {
    /** Every D1 database of the config, in its order, with its id when it exists (null: create it). */
    databases: wanted.databases.map((db) => ({
      binding: db.binding,
      name: db.database_name,
      id: realId(db.database_id) ?? account.databases.find((a) => a.name === db.database_name)?.uuid ?? null,
    })),
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
  for (const db of plan.databases)
    line(db.id !== null, `D1 database "${db.name}" (${db.binding})${db.id ? ` exists (${db.id})` : ': create'}`);
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
  const bindings = plan.databases.map((db) => db.binding).join(', ');
  line(false, `D1 migrations: apply those not yet applied to each of ${bindings} (--remote)`);
  line(false, `deploy the Worker${plan.workerExists ? '' : ' (first deploy)'}`);
}

/**
 * A dry run that cannot read the account (not logged in, offline) still shows what the config
 * declares, marked unchecked: an operator planning a deploy sees every shard database and queue
 * group before logging in. It is not a plan, so the run still fails.
 * @param {Wanted} wanted
 */
function printDeclared(wanted) {
  console.log(`Declared by ${sourceConfig} for Worker "${wanted.workerName}" (not checked against an account):`);
  for (const db of wanted.databases) console.log(`  ? D1 database "${db.database_name}" (${db.binding})`);
  for (const q of wanted.queues) console.log(`  ? queue "${q}"`);
  for (const s of Object.keys(REQUIRED_SECRETS)) console.log(`  ? secret ${s}`);
  console.log('Each is created (secrets generated) by `npm run deploy` if the account lacks it.');
}

/**
 * @param {Wanted} wanted
 * @param {Plan} plan
 */
async function execute(wanted, plan) {
  /** @type {Map<string, string>} binding → the database's id in the account */
  const ids = new Map();
  for (const db of plan.databases) if (db.id !== null) ids.set(db.binding, db.id);
  const toCreate = plan.databases.filter((db) => db.id === null);
  for (const db of toCreate) await wranglerOk(['d1', 'create', db.name], true);
  if (toCreate.length > 0) {
    // One read for all the new ids (`d1 create` prints its id only inside a config snippet).
    const listed = parseD1List((await wranglerOk(['d1', 'list', '--json'])).stdout);
    for (const db of toCreate) {
      const id = listed.find((l) => l.name === db.name)?.uuid;
      if (id === undefined) throw new Error(`D1 database "${db.name}" was created but is not listed.`);
      ids.set(db.binding, id);
    }
  }
  for (const queue of plan.queuesToCreate) await wranglerOk(['queues', 'create', queue], true);
  writeDeployConfig(ROOT, wanted.rawConfig, ids);
  // Every database before the deploy: the new code never meets a shard without its schema.
  for (const db of plan.databases)
    await wranglerOk(['d1', 'migrations', 'apply', db.binding, '--remote', '--config', DEPLOY_CONFIG], true);

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
  /** @type {Account} */
  let account;
  try {
    account = await readAccount(wanted.workerName);
  } catch (err) {
    if (dryRun) printDeclared(wanted);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `${reason}\nThe account could not be read: log in with \`npx wrangler login\` (or set CLOUDFLARE_API_TOKEN) and run it again.`,
    );
  }
  const plan = makePlan(wanted, account);
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
