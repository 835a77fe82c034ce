#!/usr/bin/env node
// `npm run demo`: the Worker (as `npm start` runs it) and the demo storefront page on another
// port, which posts to the demo webhook and shows the task's answer. Ctrl-C stops both.
import { startDemo } from './lib/demo.mjs';
import { onShutdown, shutdown, stopEverythingOnExit } from './lib/lifecycle.mjs';

// Before anything is spawned: Ctrl-C, SIGTERM, SIGHUP or the launcher going away stop it all.
stopEverythingOnExit();

const demo = await startDemo({
  workerPort: Number(process.env.PORT ?? 8787),
  pagePort: Number(process.env.DEMO_PAGE_PORT ?? 8788),
  persistDir: process.env.EDGEHOOK_PERSIST_DIR ?? '.wrangler/state',
});
console.log(
  `\nDemo storefront: ${demo.pageUrl}  (posting to ${demo.workerUrl}, origin allowed for demo.myshopify.com)\n`,
);
onShutdown(() => demo.stop());
// wrangler dev ending by itself ends the demo too.
demo.dev.child.on('exit', (code) => void shutdown(code ?? 0));
