#!/usr/bin/env node
// `npm run bench`: measures edgehook under `wrangler dev` against a bare Worker that answers 204,
// on the same runtime and machine, in one run, and prints a Markdown report for BENCHMARKS.md.
// Rounds alternate between the two so drift on a noisy machine hits both alike.
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO } from '../scripts/demo-data.mjs';
import { migrateLocal, seedDemo, startWranglerDev } from '../scripts/lib/local.mjs';

const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const EDGEHOOK_PORT = 8801;
const BARE_PORT = 8802;
const BODY = JSON.stringify({ email: 'ada@example.com', quantity: 2, note: 'benchmark' });

/**
 * One autocannon run. Each request carries its own client IP so the ingress rate limiter
 * (per webhook and IP) is called as usual but never trips.
 * @param {string} url
 */
async function load(url) {
  let n = 0;
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_SECONDS,
    headers: { 'content-type': 'application/json' },
    body: BODY,
    requests: [
      {
        setupRequest: (req) => {
          n++;
          req.headers = { ...req.headers, 'cf-connecting-ip': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
          return req;
        },
      },
    ],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** @param {{rps: number, p50: number, p99: number, non2xx: number, errors: number}[]} runs */
function mean(runs) {
  const avg = (/** @type {(r: typeof runs[number]) => number} */ f) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  return {
    rps: avg((r) => r.rps),
    p50: avg((r) => r.p50),
    p99: avg((r) => r.p99),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
  };
}

const stateDir = mkdtempSync(join(tmpdir(), 'edgehook-bench-'));
const servers = [];
try {
  migrateLocal(stateDir, { quiet: true });
  await seedDemo(stateDir);
  // Request logging off on both: it costs the same on each and only adds noise.
  servers.push(await startWranglerDev({ port: EDGEHOOK_PORT, persistDir: stateDir, quiet: true }));
  servers.push(await startWranglerDev({ port: BARE_PORT, config: 'bench/bare/wrangler.toml', quiet: true }));

  const ingressUrl = `http://localhost:${EDGEHOOK_PORT}/webhooks/${DEMO.webhookId}`;
  const bareUrl = `http://localhost:${BARE_PORT}/`;
  await load(ingressUrl); // warm-up: isolate, memo, queue
  await load(bareUrl);

  const ingressRuns = [];
  const bareRuns = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await load(bareUrl));
    ingressRuns.push(await load(ingressUrl));
  }
  const ingress = mean(ingressRuns);
  const bare = mean(bareRuns);

  const cpu = cpus();
  const fmt = (/** @type {number} */ x) => x.toFixed(0);
  const lines = [
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}, wrangler dev (local workerd)`,
    `Load: autocannon, ${CONNECTIONS} connections, ${DURATION_SECONDS} s per round, ${ROUNDS} rounds each, alternating; body ${BODY.length} B JSON`,
    '',
    '| target | req/s | p50 ms | p99 ms | non-2xx | errors |',
    '|---|---:|---:|---:|---:|---:|',
    `| bare Worker (204 at once) | ${fmt(bare.rps)} | ${bare.p50} | ${bare.p99} | ${bare.non2xx} | ${bare.errors} |`,
    `| edgehook ingress (POST /webhooks/{id}) | ${fmt(ingress.rps)} | ${ingress.p50} | ${ingress.p99} | ${ingress.non2xx} | ${ingress.errors} |`,
    '',
    `Ingress throughput ratio (edgehook / bare): ${((ingress.rps / bare.rps) * 100).toFixed(1)}% (target ≥ 60%)`,
  ];
  console.log(lines.join('\n'));
  if (ingress.non2xx > 0 || ingress.errors > 0) process.exitCode = 1;
} finally {
  for (const server of servers) server.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
