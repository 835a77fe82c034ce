#!/usr/bin/env node
// A stand-in for `wrangler` (4.86) with a Cloudflare account kept in a JSON file, for testing
// `npm run deploy` without an account. test/node/deploy.test.ts puts a `wrangler` on PATH that runs it.
// It records every call (FAKE_WRANGLER_CALLS, one JSON argv per line) and answers in wrangler's own
// formats: the banner, `d1 list --json`'s API objects, `queues list`'s cli-table3 table (two per
// page here, so paging is exercised), `secret list`'s JSON, `✘ [ERROR]` lines on stderr, and the
// deploy targets. Only the commands and checks deploy relies on are imitated.
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const Table = require('cli-table3');

const STATE = process.env.FAKE_WRANGLER_STATE ?? '';
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_WRANGLER_CALLS ?? '', JSON.stringify(args) + '\n');

/**
 * @typedef {{ uuid: string; name: string; created_at: string; applied: string[] }} Db
 * @typedef {{
 *   loggedIn: boolean; subdomain: string; databases: Db[]; queues: string[];
 *   kv: { id: string; title: string }[];
 *   worker: null | {
 *     kvId: string | null; secrets: Record<string, string>; versions: number; deployedConfig: unknown;
 *     migrationTag?: string;
 *   };
 * }} Account
 */
/** @type {Account} */
const account = JSON.parse(readFileSync(STATE, 'utf8'));
const save = () => writeFileSync(STATE, JSON.stringify(account, null, 2));
const QUEUES_PER_PAGE = 2;
let idCounter = Date.now();
const newId = () => (idCounter++).toString(16).padStart(32, '0');
const uuid = () => newId().replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');

const out = (/** @type {string} */ text) => process.stdout.write(text + '\n');
const banner = () => out('\n ⛅️ wrangler 4.86.0\n───────────────────');
/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`\n✘ [ERROR] ${message}\n\n`);
  process.exit(1);
}
/** @param {string} name */
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
/** @param {string[]} head @param {string[][]} rows */
const table = (head, rows) => {
  if (rows.length === 0) return '';
  const t = new Table({ style: { head: [], border: [] }, wordWrap: false, head });
  t.push(...rows);
  return t.toString();
};
const readConfig = () => {
  const path = resolve(flag('--config') ?? 'wrangler.toml');
  if (!path.endsWith('.json')) fail('fake wrangler: this command needs --config <json>');
  return { path, config: JSON.parse(readFileSync(path, 'utf8')) };
};

if (!account.loggedIn) {
  fail('You are not authenticated. Please run `wrangler login`.');
}

const [command, sub] = args;
if (command === 'd1' && sub === 'list' && args.includes('--json')) {
  out(
    JSON.stringify(
      account.databases.map(({ applied: _, ...db }) => ({
        ...db,
        version: 'production',
        num_tables: 0,
        file_size: 12288,
      })),
      null,
      2,
    ),
  );
} else if (command === 'd1' && sub === 'create') {
  const name = args[2] ?? '';
  banner();
  if (account.databases.some((db) => db.name === name))
    fail(
      `A request to the Cloudflare API (/accounts/fake/d1/database) failed.\n\n  A database with that name already exists. [code: 7502]`,
    );
  const db = { uuid: uuid(), name, created_at: new Date().toISOString(), applied: [] };
  account.databases.push(db);
  save();
  out(`✅ Successfully created DB '${name}' in region WEUR\nCreated your new D1 database.\n`);
  out(
    `To access your new D1 Database in your Worker, add the following snippet to your configuration file:\n[[d1_databases]]\nbinding = "${name}"\ndatabase_name = "${name}"\ndatabase_id = "${db.uuid}"`,
  );
} else if (command === 'queues' && sub === 'list') {
  banner();
  const page = Number(flag('--page') ?? 1);
  const rows = account.queues.slice((page - 1) * QUEUES_PER_PAGE, page * QUEUES_PER_PAGE);
  const now = '2026-12-01T10:00:00.000Z';
  out(
    table(
      ['id', 'name', 'created_on', 'modified_on', 'producers', 'consumers'],
      rows.map((q) => [newId(), q, now, now, '0', '0']),
    ),
  );
} else if (command === 'queues' && sub === 'create') {
  const name = args[2] ?? '';
  banner();
  out(`🌀 Creating queue '${name}'`);
  if (account.queues.includes(name))
    fail('A request to the Cloudflare API (/accounts/fake/queues) failed.\n\n  Queue name already taken [code: 11009]');
  account.queues.push(name);
  save();
  out(`✅ Created queue '${name}'`);
} else if (command === 'secret' && sub === 'list') {
  const name = flag('--name') ?? '';
  if (account.worker === null) {
    fail(
      `Worker "${name}" not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.\nOtherwise, check that the Worker name is correct and you're logged into the right account.`,
    );
  }
  out(
    JSON.stringify(
      Object.keys(account.worker.secrets).map((n) => ({ name: n, type: 'secret_text' })),
      null,
      '  ',
    ),
  );
} else if (command === 'd1' && sub === 'migrations' && args[2] === 'apply' && args.includes('--remote')) {
  const { path, config } = readConfig();
  banner();
  const binding = config.d1_databases.find(
    (/** @type {any} */ d) => d.binding === args[3] || d.database_name === args[3],
  );
  if (!binding?.database_id)
    fail(
      `Found a database with name or binding ${args[3]} but it is missing a database_id, which is needed for operations on remote resources.`,
    );
  const db = account.databases.find((d) => d.uuid === binding.database_id);
  if (!db) fail('A request to the Cloudflare API failed.\n\n  The database could not be found. [code: 7404]');
  const dir = join(dirname(path), binding.migrations_dir ?? 'migrations');
  const pending = readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !db.applied.includes(f))
    .sort();
  if (pending.length === 0) {
    out('✅ No migrations to apply!');
  } else {
    out('Migrations to be applied:');
    out(
      table(
        ['name'],
        pending.map((n) => [n]),
      ),
    );
    // stdout is a pipe, so wrangler is non-interactive and confirms with the fallback (yes).
    out(
      `? About to apply ${pending.length} migration(s)\nYour database may not be available to serve requests during the migration, continue?`,
    );
    out('🤖 Using fallback value in non-interactive context: yes');
    db.applied.push(...pending);
    save();
    out(
      table(
        ['name', 'status'],
        pending.map((n) => [n, '✅']),
      ),
    );
  }
} else if (command === 'deploy') {
  const { config } = readConfig();
  banner();
  for (const q of [
    ...config.queues.producers.map((/** @type {any} */ p) => p.queue),
    ...config.queues.consumers.flatMap((/** @type {any} */ c) => [c.queue, c.dead_letter_queue].filter(Boolean)),
  ]) {
    if (!account.queues.includes(q))
      fail(`Queue "${q}" does not exist. To create it, run: wrangler queues create ${q}`);
  }
  for (const d of config.d1_databases) {
    if (!account.databases.some((db) => db.uuid === d.database_id))
      fail(
        'A request to the Cloudflare API failed.\n\n  binding DB of type d1 must have a valid `id` specified [code: 10021]',
      );
  }
  const kvBinding = config.kv_namespaces[0];
  let kvId = kvBinding?.id ?? account.worker?.kvId ?? null;
  if (kvBinding && kvId === null) {
    const title = `${config.name}-${kvBinding.binding.toLowerCase().replaceAll('_', '-')}`;
    out(
      `\nExperimental: The following bindings need to be provisioned:\nBinding        Resource\nenv.${kvBinding.binding}         KV Namespace\n`,
    );
    out(`Provisioning ${kvBinding.binding} (KV Namespace)...\n🌀 Creating new KV Namespace "${title}"...`);
    if (account.kv.some((ns) => ns.title === title))
      fail(
        'A request to the Cloudflare API failed.\n\n  a namespace with this account ID and title already exists [code: 10014]',
      );
    kvId = newId();
    account.kv.push({ id: kvId, title });
    out('🎉 All resources provisioned, continuing with deployment...\n');
  }
  const secretsFile = flag('--secrets-file');
  const added = secretsFile && existsSync(secretsFile) ? JSON.parse(readFileSync(secretsFile, 'utf8')) : {};
  /** @type {NonNullable<Account['worker']>} */
  const worker = account.worker ?? { kvId, secrets: {}, versions: 0, deployedConfig: null };
  // Durable Object migrations: wrangler sends the steps after the Worker's current tag, up to the last.
  /** @type {{ tag: string }[]} */
  const migrations = config.migrations ?? [];
  const from = migrations.findIndex((m) => m.tag === worker.migrationTag);
  if (worker.migrationTag !== undefined && from < 0 && migrations.length > 0)
    fail(`The Worker's migration tag ${worker.migrationTag} is not in the config's migrations.`);
  const migrationTag = migrations.at(-1)?.tag ?? worker.migrationTag;
  if (migrations.length > from + 1)
    out(
      `Applying Durable Object migrations: ${migrations
        .slice(from + 1)
        .map((m) => m.tag)
        .join(', ')}`,
    );
  account.worker = {
    ...worker,
    kvId,
    migrationTag,
    secrets: { ...worker.secrets, ...added },
    versions: worker.versions + 1,
    deployedConfig: config,
  };
  save();
  out('Total Upload: 512.00 KiB / gzip: 111.00 KiB');
  out(`Uploaded ${config.name} (2.51 sec)`);
  out(`Deployed ${config.name} triggers (0.93 sec)`);
  out(`  https://${config.name}.${account.subdomain}.workers.dev`);
  out('  schedule: * * * * *');
  for (const p of config.queues.producers) out(`  Producer for ${p.queue}`);
  for (const c of config.queues.consumers) out(`  Consumer for ${c.queue}`);
  out(`Current Version ID: ${uuid()}`);
} else {
  fail(`fake wrangler: unsupported command: ${args.join(' ')}`);
}
