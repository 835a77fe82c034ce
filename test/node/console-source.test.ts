import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';

// Static guarantees of the console (issue 15) that no browser run could prove for every path:
// its source never hands text to an HTML parser, and wrangler.toml sends every Worker route to
// the Worker before the assets.

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('console/src', () => {
  const files = sourceFiles('console/src');

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(5);
  });

  it.each([
    ['innerHTML', /\.innerHTML\b/],
    ['outerHTML assignment', /\.outerHTML\s*=/],
    ['insertAdjacentHTML', /insertAdjacentHTML/],
    ['document.write', /document\.write/],
    ['DOMParser / createContextualFragment', /DOMParser|createContextualFragment/],
    ['eval / new Function / string timers', /\beval\(|new Function\(|set(Timeout|Interval)\(\s*['"`]/],
    ['attribute event handlers', /setAttribute\(\s*['"`]on/],
    ['cookies', /document\.cookie/],
    ['localStorage (the token lives in sessionStorage only)', /localStorage/],
    ['console logging (the token must never reach a log)', /console\.(log|info|warn|error|debug)/],
  ])('never uses %s', (_name, pattern) => {
    for (const file of files) expect(readFileSync(file, 'utf8'), file).not.toMatch(pattern);
  });
});

describe('wrangler.toml [assets]', () => {
  const config = unstable_readConfig({ config: './wrangler.toml' });

  it('serves public/ and runs the Worker first on every path the Worker mounts', () => {
    expect(config.assets?.directory).toMatch(/public$/);
    const patterns = config.assets?.run_worker_first;
    expect(Array.isArray(patterns)).toBe(true);
    const prefixes = (patterns as string[]).map((p) => p.replace(/\*$/, ''));
    // src/router.ts mounts every route family by its prefix (`.all('/webhooks/*', …)`); nothing
    // else reaches the Worker's routes.
    const router = readFileSync('src/router.ts', 'utf8');
    const mounted = [...router.matchAll(/\.all\(['"`](\/[^'"`\s]*)['"`]/g)].map((m) => m[1]!);
    expect(mounted).toContain('/webhooks/*');
    expect(mounted).toContain('/api/v1/*');
    for (const path of mounted) {
      expect(
        prefixes.some((prefix) => path.startsWith(prefix)),
        `${path} is not in run_worker_first`,
      ).toBe(true);
    }
  });
});
