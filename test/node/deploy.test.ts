import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { parseD1List, parseQueueTable, parseSecretList } from '../../scripts/lib/wrangler-cli.mjs';

// `npm run deploy` (scripts/deploy.mjs) against a fake `wrangler` on PATH that keeps a Cloudflare
// account in a JSON file and records its calls (test/node/fake-wrangler.mjs).

const FAKE = resolve('test/node/fake-wrangler.mjs');
const MIGRATIONS = readdirSync('migrations')
  .filter((f) => f.endsWith('.sql'))
  .sort();
/** wrangler.toml's D1 databases, binding and name: the primary (shard 0) and shard 1. */
const DATABASES = [
  ['DB', 'edgehook'],
  ['SHARD_1', 'edgehook-shard-1'],
] as const;
/**
 * Every queue wrangler.toml names, in the order deploy creates them: each queue group's events and
 * deliveries queues (group 0, group 1), then the dead-letter queues the groups share.
 */
const QUEUES = [
  'edgehook-events',
  'edgehook-deliveries',
  'edgehook-events-1',
  'edgehook-deliveries-1',
  'edgehook-events-dlq',
  'edgehook-deliveries-dlq',
];
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Account {
  loggedIn: boolean;
  subdomain: string;
  databases: { uuid: string; name: string; applied: string[] }[];
  queues: string[];
  kv: { id: string; title: string }[];
  worker: null | {
    kvId: string | null;
    secrets: Record<string, string>;
    versions: number;
    deployedConfig: {
      d1_databases: { binding: string; database_id: string }[];
      kv_namespaces: Record<string, unknown>[];
      migrations?: unknown[];
    };
    migrationTag?: string;
  };
}

/** A fresh account (or the given one) with a fake wrangler first on PATH. */
function fakeAccount(account: Partial<Account> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'edgehook-deploy-'));
  dirs.push(dir);
  const bin = join(dir, 'bin');
  spawnSync('mkdir', [bin]);
  writeFileSync(join(bin, 'wrangler'), `#!/bin/sh\nexec node ${JSON.stringify(FAKE)} "$@"\n`);
  chmodSync(join(bin, 'wrangler'), 0o755);
  const state = join(dir, 'account.json');
  const calls = join(dir, 'calls.jsonl');
  writeFileSync(
    state,
    JSON.stringify({ loggedIn: true, subdomain: 'acme', databases: [], queues: [], kv: [], worker: null, ...account }),
  );
  return {
    read: (): Account => JSON.parse(readFileSync(state, 'utf8')) as Account,
    /** Runs the deploy script; returns its output and the wrangler calls it made. */
    deploy(...flags: string[]) {
      return this.run('scripts/deploy.mjs', ...flags);
    },
    /** Runs a script against this account; returns its output and the wrangler calls it made. */
    run(script: string, ...flags: string[]) {
      writeFileSync(calls, '');
      const run = spawnSync('node', [script, ...flags], {
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}`,
          FAKE_WRANGLER_STATE: state,
          FAKE_WRANGLER_CALLS: calls,
        },
      });
      const made = readFileSync(calls, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]);
      return { status: run.status, output: run.stdout + run.stderr, calls: made };
    },
  };
}

const READS = [
  ['d1', 'list', '--json'],
  ['queues', 'list', '--page', '1'],
];
const SECRET_LIST = ['secret', 'list', '--name', 'edgehook'];
const migrate = (binding: string) => [
  'd1',
  'migrations',
  'apply',
  binding,
  '--remote',
  '--config',
  'wrangler.deploy.json',
];
/** Deploy migrates every database, in wrangler.toml's order, before it deploys. */
const MIGRATE_ALL = DATABASES.map(([binding]) => migrate(binding));
/** The account's database behind each binding of the deployed config. */
const deployedIds = (account: Account) =>
  Object.fromEntries(account.worker!.deployedConfig.d1_databases.map((d) => [d.binding, d.database_id]));
const DEPLOY = ['deploy', '--config', 'wrangler.deploy.json'];

describe('npm run deploy', () => {
  const account = fakeAccount();
  let adminToken = '';

  it('on a fresh account creates every D1 database (shards too), every queue group and the dead-letter queues, secrets and KV, migrates each database, deploys, prints the URLs', () => {
    const run = account.deploy();
    expect(run.status, run.output).toBe(0);
    const secretsFile = run.calls.at(-1)?.at(-1) ?? '';
    expect(run.calls).toEqual([
      ...READS,
      SECRET_LIST,
      ...DATABASES.map(([, name]) => ['d1', 'create', name]),
      ['d1', 'list', '--json'],
      ...QUEUES.map((q) => ['queues', 'create', q]),
      ...MIGRATE_ALL,
      [...DEPLOY, '--secrets-file', secretsFile],
    ]);
    const after = account.read();
    expect(after.databases.map((d) => d.name)).toEqual(DATABASES.map(([, name]) => name));
    // Every database has every migration, and the deployed config binds each to its own.
    for (const db of after.databases) expect(db.applied, db.name).toEqual(MIGRATIONS);
    expect(deployedIds(after)).toEqual(
      Object.fromEntries(
        DATABASES.map(([binding, name]) => [binding, after.databases.find((d) => d.name === name)!.uuid]),
      ),
    );
    expect(after.queues.sort()).toEqual([...QUEUES].sort());
    // KV came from wrangler's provisioning: the deployed config carried no KV id.
    expect(after.kv.map((ns) => ns.title)).toEqual(['edgehook-kv']);
    expect(after.worker?.deployedConfig.kv_namespaces).toEqual([{ binding: 'KV' }]);
    // Generated secrets, uploaded with the deployment; the file is gone afterwards.
    const secrets = after.worker!.secrets;
    expect(Object.keys(secrets).sort()).toEqual(['ADMIN_TOKEN', 'SECRETS_KEY']);
    expect(secrets['ADMIN_TOKEN']).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(secrets['SECRETS_KEY']!, 'base64')).toHaveLength(32);
    expect(existsSync(secretsFile)).toBe(false);
    expect(existsSync('wrangler.deploy.json')).toBe(false);
    // The admin token is shown once; the key never.
    adminToken = secrets['ADMIN_TOKEN']!;
    expect(run.output.split(adminToken)).toHaveLength(2);
    expect(run.output).not.toContain(secrets['SECRETS_KEY']);
    expect(run.output).toContain('Worker:      https://edgehook.acme.workers.dev');
    expect(run.output).toContain('https://edgehook.acme.workers.dev/api/v1/openapi.json');
  });

  it('run again, changes nothing that exists: no creates, no secrets, only migrate (nothing pending) and deploy', () => {
    const before = account.read();
    const run = account.deploy();
    expect(run.status, run.output).toBe(0);
    expect(run.calls).toEqual([
      ...READS,
      // Two queues a page in the fake: six queues, then an empty page.
      ['queues', 'list', '--page', '2'],
      ['queues', 'list', '--page', '3'],
      ['queues', 'list', '--page', '4'],
      SECRET_LIST,
      ...MIGRATE_ALL,
      DEPLOY,
    ]);
    const after = account.read();
    expect(after.databases).toEqual(before.databases);
    expect(after.queues).toEqual(before.queues);
    expect(after.kv).toEqual(before.kv);
    expect(after.worker?.secrets).toEqual(before.worker?.secrets);
    expect(after.worker?.kvId).toBe(before.worker?.kvId);
    expect(run.output.split('No migrations to apply')).toHaveLength(DATABASES.length + 1);
    expect(run.output).not.toContain(adminToken);
    expect(run.output).toContain('ADMIN_TOKEN was already set and is unchanged.');
  });

  it('--dry-run reads the account, prints the plan and changes nothing', () => {
    const fresh = fakeAccount();
    const run = fresh.deploy('--dry-run');
    expect(run.status, run.output).toBe(0);
    expect(run.calls).toEqual([...READS, SECRET_LIST]);
    expect(fresh.read()).toMatchObject({ databases: [], queues: [], kv: [], worker: null });
    expect(run.output).toContain('Plan (dry run: nothing is changed)');
    for (const [binding, name] of DATABASES)
      expect(run.output).toContain(`+ D1 database "${name}" (${binding}): create`);
    expect(run.output).toContain('+ D1 migrations: apply those not yet applied to each of DB, SHARD_1 (--remote)');
    for (const q of QUEUES) expect(run.output).toContain(`+ queue "${q}": create`);
    expect(run.output).toContain('+ secret ADMIN_TOKEN: generate and set');
    expect(run.output).toContain('+ KV namespace: created by wrangler deploy (automatic provisioning)');
    expect(run.output).not.toContain('Deployed.');
  });

  it('creates only what is missing: shard 1, one queue, one secret; the existing database is used, not created', () => {
    const partial = fakeAccount({
      databases: [{ uuid: 'db-existing', name: 'edgehook', applied: MIGRATIONS.slice(0, 2) }],
      queues: QUEUES.filter((q) => q !== 'edgehook-deliveries-dlq'),
      kv: [{ id: 'kv-existing', title: 'edgehook-kv' }],
      worker: {
        kvId: 'kv-existing',
        secrets: { SECRETS_KEY: 'kept' },
        versions: 1,
        deployedConfig: { d1_databases: [], kv_namespaces: [] },
      },
    });
    // The dry run tells them apart: shard 0 is there, shard 1 is to be created.
    const plan = partial.deploy('--dry-run');
    expect(plan.status, plan.output).toBe(0);
    // Reads only (five queues: three pages, then an empty one).
    expect(plan.calls).toEqual([
      ...READS,
      ...[2, 3, 4].map((p) => ['queues', 'list', '--page', String(p)]),
      SECRET_LIST,
    ]);
    expect(plan.output).toContain('✓ D1 database "edgehook" (DB) exists (db-existing)');
    expect(plan.output).toContain('+ D1 database "edgehook-shard-1" (SHARD_1): create');
    expect(plan.output).toContain('+ queue "edgehook-deliveries-dlq": create');
    expect(plan.output).toContain('✓ queue "edgehook-events-1" exists');

    const run = partial.deploy();
    expect(run.status, run.output).toBe(0);
    const secretsFile = run.calls.at(-1)?.at(-1) ?? '';
    expect(run.calls.filter(([c, s]) => s === 'create' && (c === 'd1' || c === 'queues'))).toEqual([
      ['d1', 'create', 'edgehook-shard-1'],
      ['queues', 'create', 'edgehook-deliveries-dlq'],
    ]);
    expect(run.calls.slice(-3)).toEqual([...MIGRATE_ALL, [...DEPLOY, '--secrets-file', secretsFile]]);
    const after = partial.read();
    expect(after.worker?.secrets['SECRETS_KEY']).toBe('kept');
    expect(after.worker?.secrets['ADMIN_TOKEN']).toMatch(/^[0-9a-f]{64}$/);
    // Shard 0 got the migrations it lacked, the new shard 1 all of them.
    expect(after.databases.map((d) => [d.name, d.applied])).toEqual([
      ['edgehook', MIGRATIONS],
      ['edgehook-shard-1', MIGRATIONS],
    ]);
    expect(after.kv).toEqual([{ id: 'kv-existing', title: 'edgehook-kv' }]);
    expect(deployedIds(after)).toEqual({ DB: 'db-existing', SHARD_1: after.databases[1]!.uuid });
  });

  it('Durable Object migrations reach wrangler deploy: each tag is applied once, by the deploy that brings it', async () => {
    const { rawConfig } = await experimental_readRawConfig({ config: 'wrangler.toml' });
    const existing = ((rawConfig.migrations ?? []) as { tag: string }[]).map((m) => m.tag);
    const probeTag = `probe-${process.pid}`;
    const config = `wrangler.do-test-${process.pid}.toml`;
    writeFileSync(
      config,
      readFileSync('wrangler.toml', 'utf8') +
        `\n[[durable_objects.bindings]]\nname = "PROBE"\nclass_name = "Probe"\n\n[[migrations]]\ntag = "${probeTag}"\nnew_sqlite_classes = ["Probe"]\n`,
    );
    const applied = (output: string) => /Applying Durable Object migrations: (.*)/.exec(output)?.[1]?.split(', ') ?? [];
    try {
      const fresh = fakeAccount();
      const first = fresh.deploy();
      expect(first.status, first.output).toBe(0);
      expect(applied(first.output)).toEqual(existing);
      // An upgrade that brings a new Durable Object class and its migration.
      const second = fresh.deploy('--config', config);
      expect(second.status, second.output).toBe(0);
      expect(second.output).toContain(`+ Durable Object migration "${probeTag}": applied by wrangler deploy if new`);
      expect(applied(second.output)).toEqual([probeTag]);
      expect(fresh.read().worker?.migrationTag).toBe(probeTag);
      expect((fresh.read().worker?.deployedConfig.migrations as { tag: string }[]).map((m) => m.tag)).toEqual([
        ...existing,
        probeTag,
      ]);
      const third = fresh.deploy('--config', config);
      expect(third.status, third.output).toBe(0);
      expect(applied(third.output)).toEqual([]);
    } finally {
      rmSync(config, { force: true });
    }
  });

  it("without a Cloudflare login stops at the first read with wrangler's reason, changing nothing", () => {
    const loggedOut = fakeAccount({ loggedIn: false });
    const run = loggedOut.deploy();
    expect(run.status).toBe(1);
    expect(run.calls).toEqual([['d1', 'list', '--json']]);
    expect(run.output).toContain('Deploy stopped: wrangler d1 list --json failed (exit 1)');
    expect(run.output).toContain('You are not authenticated');
    expect(run.output).toContain('The account could not be read: log in with `npx wrangler login`');
    expect(run.output).not.toContain('Declared by');
  });

  it('--dry-run without a login still lists every database and queue group wrangler.toml declares, unchecked, and fails', () => {
    const loggedOut = fakeAccount({ loggedIn: false });
    const run = loggedOut.deploy('--dry-run');
    expect(run.status).toBe(1);
    expect(run.calls).toEqual([['d1', 'list', '--json']]);
    expect(run.output).toContain('Declared by wrangler.toml for Worker "edgehook" (not checked against an account):');
    for (const [binding, name] of DATABASES) expect(run.output).toContain(`? D1 database "${name}" (${binding})`);
    for (const q of QUEUES) expect(run.output).toContain(`? queue "${q}"`);
    expect(run.output).toContain('? secret ADMIN_TOKEN');
    expect(run.output).not.toContain('Plan');
    expect(run.output).toContain('The account could not be read');
  });
});

describe('npm run db:migrate:remote', () => {
  const MIGRATE_REMOTE = 'scripts/migrate.mjs';

  it('migrates every database of wrangler.toml, each found by name in the account, and leaves no config behind', () => {
    const behind = fakeAccount({
      databases: [
        { uuid: 'db-0', name: 'edgehook', applied: MIGRATIONS.slice(0, 3) },
        { uuid: 'db-1', name: 'edgehook-shard-1', applied: [] },
      ],
    });
    const run = behind.run(MIGRATE_REMOTE, '--remote');
    expect(run.status, run.output).toBe(0);
    expect(run.calls).toEqual([['d1', 'list', '--json'], ...MIGRATE_ALL]);
    expect(behind.read().databases.map((d) => [d.name, d.applied])).toEqual([
      ['edgehook', MIGRATIONS],
      ['edgehook-shard-1', MIGRATIONS],
    ]);
    expect(run.output).toContain('D1 SHARD_1 ("edgehook-shard-1"), remote:');
    expect(existsSync('wrangler.deploy.json')).toBe(false);
  });

  it('stops before migrating anything when a database is missing from the account, and says deploy creates it', () => {
    const noShard = fakeAccount({ databases: [{ uuid: 'db-0', name: 'edgehook', applied: [] }] });
    const run = noShard.run(MIGRATE_REMOTE, '--remote');
    expect(run.status).toBe(1);
    expect(run.calls).toEqual([['d1', 'list', '--json']]);
    expect(run.output).toContain('the account has no D1 database "edgehook-shard-1" (SHARD_1)');
    expect(run.output).toContain('`npm run deploy` creates it');
    expect(noShard.read().databases[0]?.applied).toEqual([]);
  });

  it('refuses to guess between local and remote', () => {
    const run = fakeAccount().run(MIGRATE_REMOTE);
    expect(run.status).toBe(1);
    expect(run.calls).toEqual([]);
    expect(run.output).toContain('--local or --remote');
  });
});

describe('reading wrangler output', () => {
  it('finds the JSON list after a stray notice on stdout', () => {
    expect(
      parseD1List('Note: something\n[\n  {"uuid": "u1", "name": "edgehook", "version": "production"}\n]\n'),
    ).toEqual([{ uuid: 'u1', name: 'edgehook' }]);
    expect(parseSecretList('[\n  {\n    "name": "ADMIN_TOKEN",\n    "type": "secret_text"\n  }\n]')).toEqual([
      'ADMIN_TOKEN',
    ]);
  });

  it('reads the name column of the queues table, and nothing from an empty page', () => {
    const table = [
      '┌────┬─────────────────┬────────────┬─────────────┬───────────┬───────────┐',
      '│ id │ name            │ created_on │ modified_on │ producers │ consumers │',
      '├────┼─────────────────┼────────────┼─────────────┼───────────┼───────────┤',
      '│ a1 │ edgehook-events │ 2026-12-01 │ 2026-12-01  │ 1         │ 1         │',
      '├────┼─────────────────┼────────────┼─────────────┼───────────┼───────────┤',
      '│ b2 │ other           │ 2026-12-01 │ 2026-12-01  │ 0         │ 0         │',
      '└────┴─────────────────┴────────────┴─────────────┴───────────┴───────────┘',
    ].join('\n');
    expect(parseQueueTable(`\n ⛅️ wrangler 4.86.0\n───────────────────\n${table}\n`)).toEqual([
      'edgehook-events',
      'other',
    ]);
    expect(parseQueueTable('\n ⛅️ wrangler 4.86.0\n───────────────────\n\n')).toEqual([]);
  });
});
