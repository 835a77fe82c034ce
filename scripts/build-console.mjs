#!/usr/bin/env node
// `npm run build:console`: bundles the console (console/src, plain TypeScript + DOM) with esbuild
// and copies its static files into public/, the Workers Static Assets directory of wrangler.toml.
// Everything the page needs is in public/: no CDN, so the console works offline.
// Run by `npm test`, `npm start`, `npm run dev`, `npm run deploy` and the e2e tests.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const OUT_DIR = 'public';
const STATIC_FILES = ['index.html', 'console.css', '_headers'];

rmSync(OUT_DIR, { recursive: true, force: true });
mkdirSync(OUT_DIR, { recursive: true });
await build({
  entryPoints: ['console/src/main.ts'],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2022',
  outfile: join(OUT_DIR, 'console.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
for (const file of STATIC_FILES) copyFileSync(join('console', file), join(OUT_DIR, file));

const sizes = ['index.html', 'console.js', 'console.css'].map((file) => {
  const bytes = readFileSync(join(OUT_DIR, file));
  return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
});
const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`;
const total = sizes.reduce((sum, s) => sum + s.gzip, 0);
if (!process.argv.includes('--quiet')) {
  console.log(
    `Console assets: ${sizes.map((s) => `${s.file} ${kib(s.raw)} (${kib(s.gzip)} gzip)`).join(', ')}; ${kib(total)} gzipped in all`,
  );
}
