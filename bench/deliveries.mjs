#!/usr/bin/env node
// Delivery throughput under `wrangler dev`, to a local Node receiver, two ways:
// 1. the pipeline: events posted to a webhook fan out to one subscription (ingress → events
//    consumer → fan-out → deliveries consumer → signed POST), all sharing one local isolate;
// 2. the deliveries consumer alone: one event fanned out to SUBSCRIPTIONS subscriptions, so the
//    deliveries queue holds them all at once and nothing else runs.
// Part of `npm run bench`.
import autocannon from 'autocannon';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { distinctClientIps } from './lib.mjs';
import { ensureDevVars, freePort, migrateLocal, parseDevVars, startWranglerDev } from '../scripts/lib/local.mjs';

const EVENTS = Number(process.env.BENCH_DELIVERIES ?? 2000);
const CONNECTIONS = 10;
const TIMEOUT_MS = 180_000;
const TOPIC = 'user/bench/deliver';
const FANOUT_TOPIC = 'user/bench/fanout';
const SUBSCRIPTIONS = Number(process.env.BENCH_FANOUT ?? 1000);
// REST calls one app may make at once before its call limit answers 429.
const REST_BURST = 40;

ensureDevVars();
const adminToken = parseDevVars(readFileSync('.dev.vars', 'utf8'))['ADMIN_TOKEN'];

/** A receiver that answers 200 at once and notes when each delivery arrived. */
async function startReceiver() {
  /** @type {{ arrivals: number[] }} */
  const state = { arrivals: [] };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.arrivals.push(performance.now());
      res.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
  return { server, port, state };
}

/**
 * Waits until the receiver has `count` arrivals (or the timeout); returns the rate between the
 * first and the last.
 * @param {number[]} arrivals
 * @param {number} count
 */
async function arrivalsRate(arrivals, count) {
  const deadline = Date.now() + TIMEOUT_MS;
  while (arrivals.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const first = arrivals[0] ?? 0;
  const last = arrivals[arrivals.length - 1] ?? 0;
  return { got: arrivals.length, first, last, perSecond: arrivals.length / ((last - first) / 1000) };
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
  dev = await startWranglerDev({
    port,
    persistDir: stateDir,
    quiet: true,
    inspector: false,
    // The bench measures the pipeline, not the per-destination rate limit (default 100/s), which
    // would otherwise cap its one app's deliveries to the one receiver.
    vars: { ALLOW_INSECURE_ADDRESSES: 'true', DELIVERY_RATE_LIMIT_PER_SECOND: '10000' },
  });
  const admin = { authorization: `Bearer ${adminToken}` };
  const { shop } = await api(`${base}/api/v1/shops`, 'POST', admin, { myshopify_domain: 'bench.myshopify.com' });
  const { access_token: token } = await api(`${base}/api/v1/shops/${shop.id}/apps`, 'POST', admin, { name: 'bench' });
  const app = { authorization: `Bearer ${token}` };
  const { webhook } = await api(`${base}/api/v1/webhooks`, 'POST', app, { name: 'bench', topic: TOPIC });
  await api(
    `${base}/admin/api/2026-10/webhooks.json`,
    'POST',
    { 'x-shopify-access-token': token },
    {
      webhook: { topic: TOPIC, address: `http://127.0.0.1:${receiver.port}/hook`, format: 'json' },
    },
  );

  const started = performance.now();
  const load = await autocannon({
    url: `${base}/webhooks/${webhook.id}`,
    method: 'POST',
    connections: CONNECTIONS,
    amount: EVENTS,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ada@example.com', quantity: 2 }),
    requests: distinctClientIps(),
  });
  const posted = performance.now();
  if (load.non2xx > 0 || load.errors > 0)
    throw new Error(`ingress failed: ${load.non2xx} non-2xx, ${load.errors} errors`);
  const pipeline = await arrivalsRate(receiver.state.arrivals, EVENTS);

  // Phase 2: one event, SUBSCRIPTIONS subscriptions. Fan-out is shop-wide, so the subscriptions
  // are spread over apps of REST_BURST each: one app would meet its REST call limit (a bucket of
  // 40 calls leaking 2/s, as Shopify's) and wait minutes.
  for (let i = 0; i < SUBSCRIPTIONS; i += REST_BURST) {
    const { access_token: appToken } = await api(`${base}/api/v1/shops/${shop.id}/apps`, 'POST', admin, {
      name: `fanout ${i / REST_BURST}`,
    });
    const shopify = { 'x-shopify-access-token': appToken };
    await Promise.all(
      Array.from({ length: Math.min(REST_BURST, SUBSCRIPTIONS - i) }, (_, j) =>
        api(`${base}/admin/api/2026-10/webhooks.json`, 'POST', shopify, {
          webhook: { topic: FANOUT_TOPIC, address: `http://127.0.0.1:${receiver.port}/fan/${i + j}`, format: 'json' },
        }),
      ),
    );
  }
  const { webhook: fanoutHook } = await api(`${base}/api/v1/webhooks`, 'POST', app, {
    name: 'fanout',
    topic: FANOUT_TOPIC,
  });
  receiver.state.arrivals = [];
  const fanoutPost = await fetch(`${base}/webhooks/${fanoutHook.id}`, {
    method: 'POST',
    body: '{"n":1}',
    headers: { 'content-type': 'application/json' },
  });
  if (fanoutPost.status !== 204) throw new Error(`fan-out POST: ${fanoutPost.status}`);
  const consumer = await arrivalsRate(receiver.state.arrivals, SUBSCRIPTIONS);

  const cpu = cpus();
  console.log(
    [
      `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, wrangler dev (local workerd)`,
      `Load: ${EVENTS} events posted by autocannon (${CONNECTIONS} connections) to one webhook with one JSON subscription on a local receiver`,
      '',
      '| measure | value |',
      '|---|---:|',
      `| pipeline: deliveries received | ${pipeline.got} of ${EVENTS} |`,
      `| pipeline: deliveries/s (ingress, events consumer, fan-out, deliveries consumer in one isolate) | ${pipeline.perSecond.toFixed(0)} |`,
      `| pipeline: first POST to last delivery | ${((pipeline.last - started) / 1000).toFixed(1)} s (all POSTs answered after ${((posted - started) / 1000).toFixed(1)} s) |`,
      `| deliveries consumer alone (one event, ${SUBSCRIPTIONS} subscriptions): deliveries received | ${consumer.got} of ${SUBSCRIPTIONS} |`,
      `| deliveries consumer alone: deliveries/s | ${consumer.perSecond.toFixed(0)} |`,
      '',
      `Target: ≥ 500 deliveries/s locally (the deliveries consumer).`,
    ].join('\n'),
  );
  if (pipeline.got < EVENTS || consumer.got < SUBSCRIPTIONS) process.exitCode = 1;
} finally {
  dev?.stop();
  receiver.server.close();
  rmSync(stateDir, { recursive: true, force: true });
}
