import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Docs that open the door (issue 11, point 6): README.md is the front door and stays short, and
// the docs hold together inside the repository — every relative link reaches a file here (and a
// heading, when it names one), and no link leads outside, so a clone is complete.

/** The front door's budget: what edgehook is, the commands, a map of the docs. */
/**
 * Folder names this file's own examples of broken references are built from, so the file does
 * not itself read as a reference to a document outside the repository.
 */
const SHARED = ['sha', 'red'].join('');
const SPEC = ['sp', 'ec'].join('');

const README_MAX_LINES = 200;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The documentation the rules cover: README.md, docs/*.md and the test map. */
function documentationFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  return [join(ROOT, 'README.md'), ...docs, join(ROOT, 'test/README.md')];
}

/** The text with fenced code blocks blanked (their lines kept, so line numbers hold). */
function withoutFences(text: string): string {
  let inFence = false;
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        inFence = !inFence;
        return '';
      }
      return inFence ? '' : line;
    })
    .join('\n');
}

/** GitHub's anchor for a heading: rendered text, lower case, punctuation dropped, spaces → '-'. */
function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown file's headings give, duplicates numbered as GitHub does. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(text).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1] ?? '');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** A link found in a document, and where. */
interface Link {
  target: string;
  line: number;
}

/**
 * Every link target outside code blocks: inline links and images, reference definitions,
 * autolinks, HTML href/src, and bare URLs (GitHub turns those into links too). Paths in code spans
 * that start with `../` count as well: a reader follows them like links.
 */
export function linksIn(text: string): Link[] {
  const links: Link[] = [];
  withoutFences(text)
    .split('\n')
    .forEach((raw, index) => {
      const line = index + 1;
      const codeSpans = [...raw.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
      for (const span of codeSpans) {
        for (const m of span.matchAll(/(?:^|[\s(])(\.\.\/[^\s`)]*)/g)) links.push({ target: m[1] ?? '', line });
      }
      const prose = raw.replace(/`[^`]*`/g, '');
      for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g))
        links.push({ target: m[1] ?? '', line });
      const definition = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$/.exec(prose);
      if (definition) links.push({ target: definition[1] ?? '', line });
      for (const m of prose.matchAll(/<([a-z][a-z0-9+.-]*:[^>\s]+)>/gi)) links.push({ target: m[1] ?? '', line });
      for (const m of prose.matchAll(/\b(?:href|src)\s*=\s*["']([^"']*)["']/gi))
        links.push({ target: m[1] ?? '', line });
      const withoutLinks = prose.replace(/\]\([^)]*\)/g, '](…)').replace(/<[^>]*>/g, '');
      for (const m of withoutLinks.matchAll(/\b(?:https?:\/\/|www\.)[^\s)]+/gi)) links.push({ target: m[0], line });
    });
  return links;
}

/** What is wrong with each link of `file` (empty when every link holds). */
export function linkProblems(file: string, text: string, root: string): string[] {
  const problems: string[] = [];
  const where = (link: Link) => `${relative(root, file)}:${link.line}: ${link.target}`;
  for (const link of linksIn(text)) {
    const { target } = link;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//') || /^www\./i.test(target)) {
      problems.push(`${where(link)} points outside the repository`);
      continue;
    }
    if (target === '') {
      problems.push(`${where(link)} is empty`);
      continue;
    }
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : isAbsolute(path) ? path : resolve(dirname(file), decodeURIComponent(path));
    const inside = relative(root, resolved);
    if (isAbsolute(path) || inside.startsWith('..') || isAbsolute(inside)) {
      problems.push(`${where(link)} points outside the repository`);
      continue;
    }
    if (path !== '' && !existsSync(resolved)) {
      problems.push(`${where(link)} names no file in the repository`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith('.md')) continue;
    const headings = anchorsOf(path === '' ? text : readFileSync(resolved, 'utf8'));
    if (!headings.has(anchor)) problems.push(`${where(link)} names no heading of ${relative(root, resolved)}`);
  }
  return problems;
}

describe('README.md, the front door', () => {
  it(`is at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').replace(/\n$/, '').split('\n');
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it('keeps the commands a new user types: npm install, npm start, npm test', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const command of ['npm install', 'npm start', 'npm test'])
      expect(readme).toMatch(new RegExp(`^${command}\\b`, 'm'));
  });

  it('maps every file in docs/ and the test map', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const targets = new Set(linksIn(readme).map((l) => l.target.split('#')[0]));
    for (const file of documentationFiles().slice(1)) expect(targets).toContain(relative(ROOT, file));
  });
});

describe('links in README.md, docs/*.md and test/README.md', () => {
  it('each resolves to a file (and heading) in the repository, and none points outside it', () => {
    const problems = documentationFiles().flatMap((file) => linkProblems(file, readFileSync(file, 'utf8'), ROOT));
    expect(problems).toEqual([]);
  });
});

describe('the link check itself', () => {
  // Proof that the check above can fail: a document with one link of every broken kind.
  const file = join(ROOT, 'docs', 'sample.md');
  const sample = [
    '# Sample',
    '## A heading: `with code`',
    '[ok](../README.md) [ok anchor](#a-heading-with-code) [ok file](architecture.md#floors)',
    `[up and out](../../${SHARED}/DESIGN.md) [web](https://example.com/) [gone](missing.md)`,
    '[no heading](#nowhere) ![picture](../nope.png) see http://example.org and `../../' + SHARED + '/spec/`',
    '[ref]: ../../outside.md',
    '```',
    '[in a fence](https://ignored.example/)',
    '```',
  ].join('\n');

  it('reports each broken or outside link and nothing else', () => {
    const problems = linkProblems(file, sample, ROOT);
    expect(problems).toEqual([
      `docs/sample.md:4: ../../${SHARED}/DESIGN.md points outside the repository`,
      'docs/sample.md:4: https://example.com/ points outside the repository',
      'docs/sample.md:4: missing.md names no file in the repository',
      `docs/sample.md:5: ../../${SHARED}/spec/ points outside the repository`,
      'docs/sample.md:5: #nowhere names no heading of docs/sample.md',
      'docs/sample.md:5: ../nope.png names no file in the repository',
      'docs/sample.md:5: http://example.org points outside the repository',
      'docs/sample.md:6: ../../outside.md points outside the repository',
    ]);
  });
});

// Issue 21, point 6: no file refers to a document the repository does not contain. Every tracked
// text file (source comments included) is read for paths that name a file here — `docs/…`,
// `src/…`, a contract under the old `spec` folder, the `shared` folder beside the repository — and each must exist; Markdown files' relative links must
// resolve as well. The behaviour contracts live in docs/contracts.md, so nothing needs to point out.

/** Every file git tracks, relative to the root. */
function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Files read as text: source, config, SQL, Markdown, assets written by hand. */
const TEXT_FILE =
  /\.(?:ts|mts|mjs|cjs|js|json|jsonc|md|toml|sql|css|html|ya?ml|txt|example)$|(?:^|\/)_headers$|^\.ci\//;

/**
 * References that stay although they name no file here. The migrations are history: an applied
 * migration is never edited, so their header comments keep their words (a stale entry fails the
 * test below, so this list can only shrink).
 */
export const KNOWN_REFERENCES = [
  `migrations/0002_tasks_cache.sql:1: ${SPEC}/tasks-and-cache.md`,
  `migrations/0006_cache_endpoint_prefix.sql:1: ${SPEC}/tasks-and-cache.md`,
];

/** The file holding this check's own examples of broken references. */
const SELF = 'test/node/docs.test.ts';

/**
 * The paths in `text` (a file at `file`, relative to the root) that name nothing in `tracked`: a
 * path under one of the repository's top folders, or under `spec/` or `shared/`, ending in a file
 * name with an extension, or any `../shared` path. Leading `./` and `../` are dropped, since the
 * paths in comments and docs are written from the root.
 */
export function missingReferences(file: string, text: string, tracked: readonly string[]): string[] {
  const known = new Set<string>();
  for (const path of tracked) {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) known.add(parts.slice(0, i).join('/'));
  }
  const tops = new Set(tracked.filter((f) => f.includes('/')).map((f) => f.split('/')[0] ?? ''));
  for (const outside of ['spec', 'shared']) tops.add(outside);
  const folders = [...tops].map((top) => top.replace(/[.]/g, '\\.')).join('|');
  const pathPattern = new RegExp(`(?<![\\w./@-])(?:\\.\\.?/)*((?:${folders})/[\\w./-]*)`, 'g');
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const m of line.matchAll(pathPattern)) {
      const path = (m[1] ?? '').replace(/[.]+$/, '').replace(/\/$/, '');
      const outside = /^(?:spec|shared)(?:\/|$)/.test(path) && !known.has(path.split('/')[0] ?? '');
      const namesFile = /\/[\w-][\w.-]*\.\w+$/.test(path);
      if ((outside || namesFile) && !known.has(path)) problems.push(`${file}:${index + 1}: ${path}`);
    }
    for (const m of line.matchAll(/(?<![\w.-])(?:\.\.\/)+shared\b[\w./-]*/g)) {
      if (!/(?:^|\/)shared\//.test(m[0]) || !known.has('shared')) problems.push(`${file}:${index + 1}: ${m[0]}`);
    }
  });
  return [...new Set(problems)];
}

describe('references to files, in every tracked text file', () => {
  it('name only files the repository contains (docs/contracts.md states the contracts)', () => {
    const tracked = trackedFiles();
    const problems = tracked
      .filter((file) => TEXT_FILE.test(file) && file !== SELF && file !== 'package-lock.json')
      .filter((file) => existsSync(join(ROOT, file)))
      .flatMap((file) => missingReferences(file, readFileSync(join(ROOT, file), 'utf8'), tracked));
    expect(problems.filter((p) => !KNOWN_REFERENCES.includes(p))).toEqual([]);
    expect(KNOWN_REFERENCES.filter((p) => !problems.includes(p))).toEqual([]);
  });

  it('in every tracked Markdown file, relative links resolve inside the repository', () => {
    const problems = trackedFiles()
      .filter((file) => file.endsWith('.md') && file !== SELF)
      .flatMap((file) => linkProblems(join(ROOT, file), readFileSync(join(ROOT, file), 'utf8'), ROOT));
    expect(problems).toEqual([]);
  });

  it('the check itself: reports spec/*.md, ../shared, a missing src/ file, and passes real ones', () => {
    const tracked = ['docs/contracts.md', 'src/env.ts', 'README.md'];
    const sample = [
      `// see ${SPEC}/ingress.md, "CORS" and docs/contracts.md, "CORS"`,
      `/* read ../${SHARED}/${SPEC}/tasks-and-cache.md or ../../shared */`,
      ' * the map is in src/routers/gone.ts; src/env.ts holds the limits; a topic demo/greeting',
      'migrations/0001 and bench/count are not file names',
    ].join('\n');
    expect(missingReferences('src/sample.ts', sample, tracked)).toEqual([
      `src/sample.ts:1: ${SPEC}/ingress.md`,
      `src/sample.ts:2: ${SHARED}/${SPEC}/tasks-and-cache.md`,
      `src/sample.ts:2: ../${SHARED}/${SPEC}/tasks-and-cache.md`,
      'src/sample.ts:2: ../../shared',
      'src/sample.ts:3: src/routers/gone.ts',
    ]);
  });
});
