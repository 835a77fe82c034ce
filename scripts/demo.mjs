#!/usr/bin/env node
// `npm run demo`: the Worker (as `npm start` runs it) and the demo storefront page on another
// port, which posts to the demo webhook and shows the task's answer. Ctrl-C stops both.
import { startDemo } from './lib/demo.mjs';

const demo = await startDemo({
  workerPort: Number(process.env.PORT ?? 8787),
  pagePort: Number(process.env.DEMO_PAGE_PORT ?? 8788),
  persistDir: process.env.EDGEHOOK_PERSIST_DIR ?? '.wrangler/state',
});
console.log(`\nDemo storefront: ${demo.pageUrl}  (posting to ${demo.workerUrl}, origin allowed for demo.myshopify.com)\n`);
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => {
    demo.stop();
    process.exit(0);
  });
}
