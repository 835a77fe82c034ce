#!/usr/bin/env node
// Delivery throughput: events posted to a webhook fan out to one subscription whose address is a
// local Node receiver; measures deliveries/s arriving there (events consumer → fan-out →
// deliveries consumer → signed POST) under `wrangler dev`. Part of `npm run bench`.
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevVars, freePort, migrateLocal, parseDevVars, startWranglerDev } from '../scripts/lib/local.mjs';

const EVENTS = Number(process.env.BENCH_DELIVERIES ?? 2000);
const CONNECTIONS = 10;
const TIMEOUT_MS = 180_000;
const TOPIC = 'user/bench/deliver';

ensureDevVars();
const adminToken = parseDevVars(readFileSync('.dev.vars', 'utf8'))['ADMIN_TOKEN'];

/** A receiver that answers 200 at once and notes when each delivery arrived. */
async function startReceiver() {
  /** @type {number[]} */
  const arrivals = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push(performance.now());
      res.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
  return { server, port, arrivals };
}

/**
 * @param {string} url
 * @param {string} method
 * @param {Record<string, string>} headers
 * @param {unknown} [body]
 */
async function api(url, method, headers, body) {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return /** @type {Promise<any>} */ (res.json());
}

const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-bench-deliveries-'));
const receiver = await startReceiver();
const port = await freePort();
const base = `http://localhost:${port}`;
let dev;
try {
  migrateLocal(stateDir, { quiet: true });
  dev = await startWranglerDev({ port, persistDir: stateDir, quiet: true, vars: { ALLOW_INSECURE_ADDRESSES: 'true' } });
  const admin = { authorization: `Bearer ${adminToken}` };
  const { shop } = await api(`${base}/api/v1/shops`, 'POST', admin, { myshopify_domain: 'bench.myshopify.com' });
  const { access_token: token } = await api(`${base}/api/v1/shops/${shop.id}/apps`, 'POST', admin, { name: 'bench' });
  const app = { authorization: `Bearer ${token}` };
  const { webhook } = await api(`${base}/api/v1/webhooks`, 'POST', app, { name: 'bench', topic: TOPIC });
  await api(`${base}/admin/api/2026-10/webhooks.json`, 'POST', { 'x-shopify-access-token': token }, {
    webhook: { topic: TOPIC, address: `http://127.0.0.1:${receiver.port}/hook`, format: 'json' },
  });

  const started = performance.now();
  const load = await autocannon({
    url: `${base}/webhooks/${webhook.id}`,
    method: 'POST',
    connections: CONNECTIONS,
    amount: EVENTS,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com', quantity: 2 }),
  });
  const posted = performance.now();
  if (load.non2xx > 0 || load.errors > 0) throw new Error(`ingress failed: ${load.non2xx} non-2xx, ${load.errors} errors`);
  const deadline = Date.now() + TIMEOUT_MS;
  while (receiver.arrivals.length < EVENTS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const got = receiver.arrivals.length;
  const first = receiver.arrivals[0] ?? started;
  const last = receiver.arrivals[got - 1] ?? started;
  const cpu = cpus();
  console.log(
    [
      `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, wrangler dev (local workerd)`,
      `Load: ${EVENTS} events posted by autocannon (${CONNECTIONS} connections) to one webhook with one JSON subscription on a local receiver`,
      '',
      '| measure | value |',
      '|---|---:|',
      `| deliveries received | ${got} of ${EVENTS} |`,
      `| deliveries/s (first to last arrival) | ${(got / ((last - first) / 1000)).toFixed(0)} |`,
      `| end to end, first POST to last delivery | ${((last - started) / 1000).toFixed(1)} s |`,
      `| ingress alone (all ${EVENTS} POSTs answered) | ${((posted - started) / 1000).toFixed(1)} s |`,
      '',
      `Target: ≥ 500 deliveries/s locally.`,
    ].join('\n'),
  );
  if (got < EVENTS) process.exitCode = 1;
} finally {
  dev?.stop();
  receiver.server.close();
  rmSync(stateDir, { recursive: true, force: true });
}
