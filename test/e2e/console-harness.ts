// What the console's browser tests stand on: wrangler dev on a fresh local state with its output
// captured (so a test can prove a token never reaches a log), a receiver on 127.0.0.1 whose answer
// the test switches, and Chromium with the flags CI uses.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { ensureDevVars, freePort, migrateLocal, parseDevVars, waitForHttp } from '../../scripts/lib/local.mjs';
import { readFileSync } from 'node:fs';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The Worker under wrangler dev, with everything it printed. */
export interface RunningWorker {
  url: string;
  adminToken: string;
  output: () => string;
  stop: () => void;
}

/** Migrates a fresh local D1 and starts wrangler dev on a free port (loopback receivers allowed). */
export async function startWorker(): Promise<RunningWorker> {
  const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-console-'));
  ensureDevVars();
  migrateLocal(stateDir, { quiet: true });
  const port = await freePort();
  const child: ChildProcess = spawn(
    'npx',
    [
      'wrangler',
      'dev',
      '--port',
      String(port),
      '--persist-to',
      stateDir,
      '--show-interactive-dev-session=false',
      '--var',
      'ALLOW_INSECURE_ADDRESSES:true',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: process.env },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://localhost:${port}`;
  await waitForHttp(`${url}/`, 90_000);
  return {
    url,
    adminToken: parseDevVars(readFileSync('.dev.vars', 'utf8'))['ADMIN_TOKEN'] ?? '',
    output: () => output,
    stop() {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** A receiver whose answer the test sets: `fail` (500 with a hostile body), `ok`, or `redirect`. */
export interface Receiver {
  url: string;
  mode: 'fail' | 'ok' | 'redirect';
  hits: { path: string; status: number }[];
  server: Server;
}

/** Starts the receiver; `hostileBody` is what it answers to GET /hostile and to failed deliveries. */
export async function startReceiver(hostileBody: string, hostileLocation: string): Promise<Receiver> {
  const port = await freePort();
  const receiver: Receiver = { url: `http://127.0.0.1:${port}`, mode: 'fail', hits: [], server: createServer() };
  receiver.server.on('request', (req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path.startsWith('/hostile')) {
        res.writeHead(200, { 'content-type': 'text/html', 'x-note': hostileLocation }).end(hostileBody);
        receiver.hits.push({ path, status: 200 });
        return;
      }
      const status = receiver.mode === 'ok' ? 200 : receiver.mode === 'redirect' ? 302 : 500;
      const headers: Record<string, string> = { 'content-type': 'text/html' };
      if (status === 302) headers['location'] = hostileLocation;
      res.writeHead(status, headers).end(status === 200 ? 'ok' : hostileBody);
      receiver.hits.push({ path, status });
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(port, '127.0.0.1', resolve));
  return receiver;
}

/** Chromium as CI runs it. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
