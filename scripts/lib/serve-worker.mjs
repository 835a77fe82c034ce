#!/usr/bin/env node
// Serves a Worker locally the way `wrangler dev` does (same config, bindings, .dev.vars, local
// D1/KV/Queues/DOs under --persist-to), but without the DevTools inspector. For the benchmarks only:
// `wrangler dev` always attaches its inspector and enables the DevTools Network domain, so every
// subrequest the Worker makes (each D1 query, each outbound fetch) sends four events through
// wrangler's inspector proxy to its Node process. That costs the machine more CPU than the query
// itself and falls only on code that makes subrequests, i.e. on the consumers, never on a bare
// Worker. See BENCHMARKS.md ("Measuring without the DevTools inspector").
//
// Usage: node scripts/lib/serve-worker.mjs '{"config":"wrangler.toml","port":8787,"persistDir":"…","vars":{}}'
import { unstable_startWorker } from 'wrangler';

/** @type {{ config: string, port: number, persistDir?: string, vars?: Record<string, string> }} */
const options = JSON.parse(process.argv[2] ?? '{}');
const worker = await unstable_startWorker({
  config: options.config,
  bindings: Object.fromEntries(
    Object.entries(options.vars ?? {}).map(([name, value]) => [name, { type: 'plain_text', value }]),
  ),
  dev: {
    server: { hostname: 'localhost', port: options.port },
    inspector: false,
    remote: false,
    watch: false,
    persist: options.persistDir ?? false,
  },
});
await worker.ready;

const stop = () => {
  void worker.dispose().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
