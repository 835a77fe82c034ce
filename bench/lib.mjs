// Shared by the benchmarks.
import { spawnSync } from 'node:child_process';
import { unstable_readConfig } from 'wrangler';

/**
 * autocannon `requests` that give each request its own client IP, so the ingress rate limiter
 * (per webhook and IP) is called as in production but never trips.
 */
export function distinctClientIps() {
  let n = 0;
  return [
    {
      setupRequest: (/** @type {import('autocannon').Request} */ req) => {
        n++;
        req.headers = { ...req.headers, 'cf-connecting-ip': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` };
        return req;
      },
    },
  ];
}

/**
 * The value at percentile `p` (0–100) of ascending `sorted` (nearest rank); NaN when empty.
 * @param {number[]} sorted @param {number} p
 */
export const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/**
 * The D1 bindings a config declares, in its order: `DB` (shard 0) first, then `SHARD_1`, ….
 * @param {string} config
 * @returns {string[]}
 */
export function d1Bindings(config) {
  return unstable_readConfig({ config }).d1_databases.map((/** @type {{ binding: string }} */ d) => d.binding);
}

/**
 * Applies the migrations to every shard's local D1 in `persistDir` (every database gets the same
 * migrations); throws on failure. Applying them twice is harmless.
 * @param {string} persistDir
 * @param {string} [config]
 */
export function migrateEveryShard(persistDir, config = 'wrangler.toml') {
  for (const binding of d1Bindings(config)) {
    const result = spawnSync(
      'npx',
      ['wrangler', 'd1', 'migrations', 'apply', binding, '--local', '--persist-to', persistDir, '--config', config],
      { stdio: 'pipe', encoding: 'utf8', env: { ...process.env, CI: '1' } },
    );
    if (result.status !== 0) {
      process.stderr.write(result.stderr);
      throw new Error(`migrations of ${binding} failed (exit ${result.status})`);
    }
  }
}

/**
 * The value of `--name N` or `--name=N` on the command line, else `fallback`.
 * @param {string} name @param {string | undefined} fallback
 */
export function flag(name, fallback) {
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === `--${name}`) return args[i + 1] ?? fallback;
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return fallback;
}
