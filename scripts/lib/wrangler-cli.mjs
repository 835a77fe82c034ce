// Running wrangler 4 from scripts and reading what it prints. The formats read here are wrangler
// 4.86's own: `d1 list --json` (the API's database objects), `queues list` (a cli-table3 table),
// `secret list` (JSON by default) and the target lines `deploy` prints after "Deployed … triggers".
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The wrangler to run: the first `wrangler` on PATH (npm puts the project's own there for
 * `npm run deploy`; tests put a fake there), else the project's node_modules/.bin/wrangler.
 * @param {string} projectRoot
 */
export function findWrangler(projectRoot) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'wrangler');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return join(projectRoot, 'node_modules', '.bin', 'wrangler');
}

/**
 * @typedef {{ status: number; stdout: string; stderr: string }} WranglerResult
 */

/**
 * Runs wrangler with `args`. `echo` streams its output to ours as it comes (for the steps that
 * change things, so the operator sees wrangler's own words); the output is captured either way.
 * @param {string} wrangler
 * @param {string[]} args
 * @param {{ echo?: boolean; cwd: string }} options
 * @returns {Promise<WranglerResult>}
 */
export function runWrangler(wrangler, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(wrangler, args, { cwd: options.cwd, stdio: ['inherit', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (options.echo) process.stderr.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}

/** A wrangler step that failed; its output is part of the message, since it says why. */
export class WranglerError extends Error {
  /**
   * @param {string[]} args
   * @param {WranglerResult} result
   */
  constructor(args, result) {
    super(`wrangler ${args.join(' ')} failed (exit ${result.status}):\n${(result.stderr || result.stdout).trim()}`);
    this.name = 'WranglerError';
  }
}

/**
 * The JSON list a command printed, from its first line that opens one: wrangler prints warnings
 * on stderr, but a stray notice on stdout must not make the whole output unreadable.
 * @param {string} stdout
 */
function jsonPart(stdout) {
  const start = stdout.search(/^\[/m);
  return start < 0 ? stdout : stdout.slice(start);
}

/**
 * `d1 list --json`: the account's databases as `{name, uuid}`.
 * @param {string} stdout
 * @returns {{ name: string; uuid: string }[]}
 */
export function parseD1List(stdout) {
  const parsed = JSON.parse(jsonPart(stdout));
  if (!Array.isArray(parsed)) throw new Error('wrangler d1 list --json did not print a list');
  return parsed.map((db) => ({ name: String(db.name), uuid: String(db.uuid) }));
}

/**
 * The `name` column of the table `queues list` prints (a box-drawn cli-table3 table after the
 * banner); an empty page prints no table at all.
 * @param {string} stdout
 * @returns {string[]}
 */
export function parseQueueTable(stdout) {
  const rows = stdout
    .split('\n')
    .filter((line) => line.startsWith('│'))
    .map((line) =>
      line
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  const [head, ...body] = rows;
  if (head === undefined) return [];
  const nameColumn = head.indexOf('name');
  if (nameColumn < 0) throw new Error('wrangler queues list printed a table without a name column');
  return body.map((cells) => cells[nameColumn] ?? '').filter((name) => name !== '');
}

/**
 * `secret list` (JSON by default): the names of the Worker's secrets.
 * @param {string} stdout
 * @returns {string[]}
 */
export function parseSecretList(stdout) {
  const parsed = JSON.parse(jsonPart(stdout));
  if (!Array.isArray(parsed)) throw new Error('wrangler secret list did not print a list');
  return parsed.map((secret) => String(secret.name));
}

/**
 * Whether `secret list` failed because the Worker was never deployed (a fresh account), which
 * wrangler reports as `Worker "name" not found.`
 * @param {WranglerResult} result
 */
export const isWorkerNotFound = (result) => /Worker "[^"]+".* not found/.test(result.stderr + result.stdout);

/**
 * The https URLs among the targets `deploy` prints under "Deployed <name> triggers".
 * @param {string} stdout
 * @returns {string[]}
 */
export function parseDeployUrls(stdout) {
  return [...stdout.matchAll(/^\s+(https:\/\/\S+)\s*$/gm)].map((m) => m[1] ?? '');
}
