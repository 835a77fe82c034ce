import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/local.mjs';
import { eventually } from './processes.js';

// Stopping stops everything (issue 11, point 7): `npm start` and `npm run demo`, run through npm
// as a new user runs them, leave no wrangler, workerd or server behind and free their ports when
// stopped with Ctrl-C, with SIGTERM, or when npm itself is killed.
//
// Which processes the command started is told by an environment variable only this run carries:
// every process it spawns inherits it, wherever it is re-parented, so a leftover cannot hide.
// Linux's /proc is read for that (CI and these machines are Linux).

/** How long a stopped command may take to end everything (grace for SIGTERM, then SIGKILL). */
const STOPPED_WITHIN_MS = 30_000;
/** How long `npm start` may take to be ready on a busy machine (the whole suite runs beside it). */
const READY_WITHIN_MS = 240_000;
/** Per test: starting, checking, stopping, with room to spare. */
const TEST_TIMEOUT_MS = READY_WITHIN_MS + STOPPED_WITHIN_MS + 30_000;

interface Run {
  npm: ChildProcess;
  marker: string;
  ports: number[];
  output: () => string;
  stateDir: string;
}

const runs: Run[] = [];

/** Processes (not zombies: those have no environment left) that carry the run's marker. */
function processesOf(run: Run): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (!environ.includes(`EDGEHOOK_STOP_TEST_MARKER=${run.marker}`)) continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      found.push({ pid: Number(name), command });
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}

/** Whether a TCP server can listen on 127.0.0.1:port (where wrangler dev and the page listen). */
async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((resolve) => server.close(() => resolve(undefined)));
  }
}

/** `npm <args>` in its own process group, as a shell runs a job, on fresh state and free ports. */
async function launch(args: string[], ready: string): Promise<Run> {
  const ports = [await freePort(), await freePort()];
  const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-stop-'));
  const marker = randomUUID();
  const npm = spawn('npm', args, {
    detached: true,
    env: {
      ...process.env,
      PORT: String(ports[0]),
      DEMO_PAGE_PORT: String(ports[1]),
      EDGEHOOK_PERSIST_DIR: stateDir,
      EDGEHOOK_STOP_TEST_MARKER: marker,
    },
  });
  let output = '';
  npm.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  npm.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const run: Run = { npm, marker, ports, output: () => output, stateDir };
  runs.push(run);
  await eventually(async () => (output.includes(ready) ? true : undefined), READY_WITHIN_MS);
  return run;
}

/** Waits until nothing the run started is left and its ports are free, then for npm to exit. */
async function expectEverythingStopped(run: Run): Promise<void> {
  const deadline = Date.now() + STOPPED_WITHIN_MS;
  for (;;) {
    const left = processesOf(run);
    const taken = [];
    for (const port of run.ports) if (!(await portIsFree(port))) taken.push(port);
    if (left.length === 0 && taken.length === 0) break;
    if (Date.now() > deadline) {
      expect({ left, taken }, run.output()).toEqual({ left: [], taken: [] });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (run.npm.exitCode === null && run.npm.signalCode === null) await once(run.npm, 'exit');
}

/** Before stopping: the run really has wrangler and workerd running and its port taken. */
function expectRunning(run: Run): void {
  const commands = processesOf(run).map((p) => p.command);
  expect(commands.some((c) => c.includes('wrangler') && c.includes(' dev '))).toBe(true);
  expect(commands.some((c) => c.includes('workerd'))).toBe(true);
}

afterEach(async () => {
  // A failed test must not leave its processes for the next one: end exactly those it started.
  for (const run of runs.splice(0)) {
    for (const { pid } of processesOf(run)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(run.stateDir, { recursive: true, force: true });
  }
});

const START_READY = 'See the stored event';
const DEMO_READY = 'Demo storefront:';

describe('npm start stops everything it started', () => {
  it(
    'on SIGTERM to the npm process (kill -TERM <pid>)',
    async () => {
      const run = await launch(['start'], START_READY);
      expectRunning(run);
      expect(await portIsFree(run.ports[0]!)).toBe(false);
      process.kill(run.npm.pid!, 'SIGTERM');
      await expectEverythingStopped(run);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'on Ctrl-C (SIGINT to the foreground process group)',
    async () => {
      const run = await launch(['start'], START_READY);
      expectRunning(run);
      expect(await portIsFree(run.ports[0]!)).toBe(false);
      process.kill(-run.npm.pid!, 'SIGINT');
      await expectEverythingStopped(run);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'when its parent dies (npm killed with SIGKILL)',
    async () => {
      const run = await launch(['start'], START_READY);
      expectRunning(run);
      process.kill(run.npm.pid!, 'SIGKILL');
      await expectEverythingStopped(run);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'when stopped while wrangler dev is still starting',
    async () => {
      // The seed's message comes just before wrangler dev is spawned; stop as soon as it shows.
      const run = await launch(['start'], 'Seeded the demo shop');
      await eventually(async () => (processesOf(run).some((p) => p.command.includes('wrangler')) ? true : undefined));
      expect(run.output()).not.toContain(START_READY);
      process.kill(run.npm.pid!, 'SIGTERM');
      await expectEverythingStopped(run);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('npm run demo stops everything it started', () => {
  it(
    'on SIGTERM to the npm process: wrangler, workerd and the page server, both ports free',
    async () => {
      const run = await launch(['run', 'demo'], DEMO_READY);
      expectRunning(run);
      for (const port of run.ports) expect(await portIsFree(port)).toBe(false);
      process.kill(run.npm.pid!, 'SIGTERM');
      await expectEverythingStopped(run);
    },
    TEST_TIMEOUT_MS,
  );
});
