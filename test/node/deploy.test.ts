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
const QUEUES = ['edgehook-events', 'edgehook-deliveries', 'edgehook-events-dlq', 'edgehook-deliveries-dlq'];
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
      d1_databases: { database_id: string }[];
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
      writeFileSync(calls, '');
      const run = spawnSync('node', ['scripts/deploy.mjs', ...flags], {
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
const MIGRATE = ['d1', 'migrations', 'apply', 'DB', '--remote', '--config', 'wrangler.deploy.json'];
const DEPLOY = ['deploy', '--config', 'wrangler.deploy.json'];

describe('npm run deploy', () => {
  const account = fakeAccount();
  let adminToken = '';

  it('on a fresh account creates D1, the queues and dead-letter queues, secrets and KV, migrates, deploys, prints the URLs', () => {
    const run = account.deploy();
    expect(run.status, run.output).toBe(0);
    const secretsFile = run.calls.at(-1)?.at(-1) ?? '';
    expect(run.calls).toEqual([
      ...READS,
      SECRET_LIST,
      ['d1', 'create', 'edgehook'],
      ['d1', 'list', '--json'],
      ...QUEUES.map((q) => ['queues', 'create', q]),
      MIGRATE,
      [...DEPLOY, '--secrets-file', secretsFile],
    ]);
    const after = account.read();
    const db = after.databases.find((d) => d.name === 'edgehook')!;
    expect(db.applied).toEqual(MIGRATIONS);
    expect(after.queues.sort()).toEqual([...QUEUES].sort());
    // KV came from wrangler's provisioning: the deployed config carried no KV id, and D1's real id.
    expect(after.kv.map((ns) => ns.title)).toEqual(['edgehook-kv']);
    expect(after.worker?.deployedConfig.kv_namespaces).toEqual([{ binding: 'KV' }]);
    expect(after.worker?.deployedConfig.d1_databases[0]?.database_id).toBe(db.uuid);
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
      ['queues', 'list', '--page', '2'],
      ['queues', 'list', '--page', '3'],
      SECRET_LIST,
      MIGRATE,
      DEPLOY,
    ]);
    const after = account.read();
    expect(after.databases).toEqual(before.databases);
    expect(after.queues).toEqual(before.queues);
    expect(after.kv).toEqual(before.kv);
    expect(after.worker?.secrets).toEqual(before.worker?.secrets);
    expect(after.worker?.kvId).toBe(before.worker?.kvId);
    expect(run.output).toContain('No migrations to apply');
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
    expect(run.output).toContain('+ D1 database "edgehook": create');
    for (const q of QUEUES) expect(run.output).toContain(`+ queue "${q}": create`);
    expect(run.output).toContain('+ secret ADMIN_TOKEN: generate and set');
    expect(run.output).toContain('+ KV namespace: created by wrangler deploy (automatic provisioning)');
    expect(run.output).not.toContain('Deployed.');
  });

  it('creates only what is missing: one queue, one secret; an existing database is used, not created', () => {
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
    const run = partial.deploy();
    expect(run.status, run.output).toBe(0);
    const secretsFile = run.calls.at(-1)?.at(-1) ?? '';
    expect(run.calls.filter(([c, s]) => s === 'create' && (c === 'd1' || c === 'queues'))).toEqual([
      ['queues', 'create', 'edgehook-deliveries-dlq'],
    ]);
    expect(run.calls.at(-1)).toEqual([...DEPLOY, '--secrets-file', secretsFile]);
    const after = partial.read();
    expect(after.worker?.secrets['SECRETS_KEY']).toBe('kept');
    expect(after.worker?.secrets['ADMIN_TOKEN']).toMatch(/^[0-9a-f]{64}$/);
    expect(after.databases[0]?.applied).toEqual(MIGRATIONS);
    expect(after.kv).toEqual([{ id: 'kv-existing', title: 'edgehook-kv' }]);
    expect(after.worker?.deployedConfig.d1_databases[0]?.database_id).toBe('db-existing');
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
