// The demo storefront beside the Worker, for `npm run demo` and the browser tests: migrate + seed
// the local D1, start `wrangler dev`, allow the page's origin for the demo shop, and serve
// demo/storefront.html from another port (so it is a cross-origin page, as on a real storefront).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { DEMO } from '../demo-data.mjs';
import { ensureDevVars, migrateLocal, seedDemo, startWranglerDev } from './local.mjs';

const PAGE_FILES = {
  '/': { file: 'demo/storefront.html', type: 'text/html; charset=utf-8' },
  '/storefront.js': { file: 'demo/storefront.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * Serves the storefront page and its config on 127.0.0.1:`port`.
 * @param {number} port
 * @param {{ workerUrl: string; webhookId: string; resultPrefixUrl: string }} config
 */
export async function servePage(port, config) {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    if (path === '/config.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(`window.EDGEHOOK = ${JSON.stringify(config)};\n`);
      return;
    }
    const entry = /** @type {Record<string, { file: string; type: string }>} */ (PAGE_FILES)[path];
    if (!entry) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' });
    res.end(readFileSync(entry.file));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
  return server;
}

/**
 * Adds `origin` to the demo shop's CORS origins through the management API (keeping the others).
 * @param {string} workerUrl
 * @param {string} origin
 */
export async function allowOrigin(workerUrl, origin) {
  const headers = { authorization: `Bearer ${DEMO.appToken}`, 'content-type': 'application/json' };
  const current = /** @type {{ cors: { origins: string[] } }} */ (
    await (await fetch(`${workerUrl}/api/v1/cors`, { headers })).json()
  );
  const origins = [...new Set([...current.cors.origins, origin])];
  const res = await fetch(`${workerUrl}/api/v1/cors`, { method: 'PUT', headers, body: JSON.stringify({ origins }) });
  if (!res.ok) throw new Error(`PUT /api/v1/cors: ${res.status} ${await res.text()}`);
}

/**
 * Starts everything; `stop()` ends it. Everything it spawns is tracked (lifecycle.mjs), so a
 * script that calls stopEverythingOnExit() also ends it when stopped before this resolves.
 * @param {{ workerPort: number; pagePort: number; persistDir: string; quiet?: boolean; allowPageOrigin?: boolean }} options
 */
export async function startDemo(options) {
  ensureDevVars();
  migrateLocal(options.persistDir, { quiet: options.quiet });
  await seedDemo(options.persistDir);
  const dev = await startWranglerDev({
    port: options.workerPort,
    persistDir: options.persistDir,
    quiet: options.quiet,
  });
  const workerUrl = `http://localhost:${options.workerPort}`;
  const pageUrl = `http://localhost:${options.pagePort}`;
  if (options.allowPageOrigin ?? true) await allowOrigin(workerUrl, pageUrl);
  const page = await servePage(options.pagePort, {
    workerUrl,
    webhookId: DEMO.webhookId,
    resultPrefixUrl: `${workerUrl}/cache/${DEMO.greetingEndpointToken}`,
  });
  return {
    workerUrl,
    pageUrl,
    dev,
    /** Closes the page server and ends wrangler dev; resolves once both are down. */
    async stop() {
      page.closeAllConnections();
      await Promise.all([new Promise((resolve) => page.close(() => resolve(undefined))), dev.stop()]);
    },
  };
}
