// Stopping stops everything: the long-running developer commands (`npm start`, `npm run demo`)
// end every process they started — wrangler dev (run detached, in its own process group, so a
// terminal's Ctrl-C does not reach it), its workerd, the seed's workerd, the demo page — when
// they get SIGINT, SIGTERM or SIGHUP, and when the process that launched them goes away.
//
// Why the parent watch: `kill -TERM <npm pid>` makes npm exit and its `sh -c` wrapper die without
// passing the signal on, so the script itself is never signalled; it is only orphaned. Nothing in
// Node reports that, so it is polled.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** How long stopped processes get to exit after SIGTERM before they are sent SIGKILL. */
export const STOP_GRACE_MS = 5_000;
/** How long to wait for the kernel to clear a group after SIGKILL (orphaned zombies may linger). */
const KILL_WAIT_MS = 2_000;
/** How often the launching process is checked for. */
const PARENT_POLL_MS = 500;
/** Exit statuses as a shell reports them: 128 + the signal's number. */
const SIGNAL_EXIT_CODES = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
/** Exit status when the script stops because its launcher went away. */
const PARENT_GONE_EXIT_CODE = 1;

/** @type {Set<import('node:child_process').ChildProcess>} */
const groups = new Set();
/** @type {(() => unknown)[]} */
const cleanups = [];
let installed = false;
/** @type {Promise<never> | undefined} */
let stopping;

/**
 * Remembers a child spawned with `detached: true` (the leader of its own process group) so that
 * shutdown ends its whole group. A child registered while shutting down is stopped at once.
 * @param {import('node:child_process').ChildProcess} child
 */
export function trackProcessGroup(child) {
  groups.add(child);
  child.once('exit', () => {
    if (!groupAlive(child)) groups.delete(child);
  });
  if (stopping) void stopProcessGroup(child);
}

/**
 * Registers work to do on shutdown before the process groups are stopped (closing a server).
 * @param {() => unknown} cleanup
 */
export function onShutdown(cleanup) {
  cleanups.push(cleanup);
}

/**
 * Makes this process stop everything it started on SIGINT, SIGTERM, SIGHUP, or when its launcher
 * dies. Call first thing in a long-running script, before anything is spawned.
 */
export function stopEverythingOnExit() {
  if (installed) return;
  installed = true;
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, () => void shutdown(code, `${signal} received`));
  }
  watchLauncher(() => void shutdown(PARENT_GONE_EXIT_CODE, 'the process that started this one has gone'));
  // Last resort when the script ends another way (an uncaught error, process.exit elsewhere): no
  // time for grace then, only for SIGKILL.
  process.on('exit', () => {
    for (const child of groups) signalGroup(child, 'SIGKILL');
  });
}

/**
 * Stops everything this process started, then exits with `code`. Safe to call more than once.
 * @param {number} code
 * @param {string} [reason]
 * @returns {Promise<never>}
 */
export function shutdown(code, reason) {
  stopping ??= (async () => {
    if (reason) console.error(`\nStopping (${reason})…`);
    // Taken before anything is stopped: a child's children are re-parented (and lost from the
    // tree) once their own parent exits.
    const started = descendants(process.pid);
    const table = processTable();
    for (const cleanup of cleanups) {
      try {
        await cleanup();
      } catch (err) {
        console.error(`cleanup failed: ${String(err)}`);
      }
    }
    await Promise.all([...groups].map((child) => stopProcessGroup(child)));
    // Leftovers outside the tracked groups (the seed's workerd); the start time guards against a
    // pid reused by an unrelated process in the meantime.
    const now = processTable();
    for (const pid of started) {
      if (now.get(pid)?.start === table.get(pid)?.start) killQuietly(pid, 'SIGKILL');
    }
    process.exit(code);
  })();
  return stopping;
}

/**
 * SIGTERM to the child's process group; SIGKILL to what is left after STOP_GRACE_MS. Resolves
 * once the group is gone.
 * @param {import('node:child_process').ChildProcess} child
 */
export async function stopProcessGroup(child) {
  if (!groupAlive(child)) return;
  signalGroup(child, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(child) && Date.now() < deadline) await sleep(100);
  if (!groupAlive(child)) return;
  signalGroup(child, 'SIGKILL');
  const killDeadline = Date.now() + KILL_WAIT_MS;
  while (groupAlive(child) && Date.now() < killDeadline) await sleep(50);
}

/**
 * Whether any process of the child's group still exists (its leader may have exited first).
 * @param {import('node:child_process').ChildProcess} child
 */
function groupAlive(child) {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} signal
 */
function signalGroup(child, signal) {
  if (child.pid !== undefined) killQuietly(-child.pid, signal);
}

/**
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function killQuietly(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Calls `onGone` once the launcher is gone. The launcher is the parent, and when npm runs the
 * script through a shell wrapper (`sh -c node scripts/start.mjs`), npm itself: the wrapper
 * outlives npm, so the parent alone would not tell. A process that dies has its children
 * re-parented at once, so a changed parent pid is the sign (a dead but unreaped launcher still
 * answers `kill(pid, 0)`, so that test alone would not do).
 * @param {() => void} onGone
 */
function watchLauncher(onGone) {
  const parent = process.ppid;
  const runByNpm = process.env.npm_lifecycle_event !== undefined && SHELLS.has(commandName(parent));
  const grandparent = runByNpm ? parentOf(parent) : undefined;
  const timer = setInterval(() => {
    const parentGone = process.ppid !== parent;
    const launcherGone = grandparent !== undefined && parentOf(parent) !== grandparent;
    if (parentGone || launcherGone) {
      clearInterval(timer);
      onGone();
    }
  }, PARENT_POLL_MS);
  timer.unref();
}

/** Shells npm may run a script through (its `script-shell`). */
const SHELLS = new Set(['sh', 'dash', 'bash', 'zsh', 'ash', 'ksh']);

/**
 * The command name of `pid` ("" when unknown).
 * @param {number} pid
 */
function commandName(pid) {
  if (existsSync(`/proc/${pid}/comm`)) return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  const ps = spawnSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' });
  return (ps.stdout ?? '').trim().split('/').pop() ?? '';
}

/**
 * The parent pid of `pid`, or undefined when it no longer exists. One small read per poll.
 * @param {number} pid
 */
function parentOf(pid) {
  if (existsSync('/proc/self/stat')) {
    try {
      return statFields(readFileSync(`/proc/${pid}/stat`, 'utf8')).ppid;
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' });
  const ppid = Number((ps.stdout ?? '').trim());
  return ps.status === 0 && Number.isInteger(ppid) ? ppid : undefined;
}

/**
 * The parent pid and start time from a /proc/<pid>/stat line. The command name (field 2) is in
 * parentheses and may hold spaces; after it come the state (3), the parent pid (4) … and the start
 * time in clock ticks (22).
 * @param {string} stat
 */
function statFields(stat) {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { ppid: Number(fields[1]), start: fields[19] ?? '' };
}

/**
 * Every process that descends from `root`, children before grandchildren.
 * @param {number} root
 */
export function descendants(root) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  for (const [pid, { ppid }] of processTable()) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)?.push(pid);
  }
  /** @type {number[]} */
  const found = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * pid → parent pid and start time for every process: from /proc where there is one (Linux), else
 * from `ps`.
 * @returns {Map<number, { ppid: number; start: string }>}
 */
function processTable() {
  /** @type {Map<number, { ppid: number; start: string }>} */
  const table = new Map();
  if (existsSync('/proc/self/stat')) {
    for (const pid of readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map(Number)) {
      try {
        table.set(pid, statFields(readFileSync(`/proc/${pid}/stat`, 'utf8')));
      } catch {
        // exited while we looked
      }
    }
    return table;
  }
  const ps = spawnSync('ps', ['-A', '-o', 'pid=', '-o', 'ppid=', '-o', 'lstart='], { encoding: 'utf8' });
  for (const line of (ps.stdout ?? '').split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (match) table.set(Number(match[1]), { ppid: Number(match[2]), start: (match[3] ?? '').trim() });
  }
  return table;
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
