import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// No import circle anywhere, type-only imports included (issue 21, point 5). ESLint's
// import-x/no-cycle skips `import type` and has no option to follow it, so this test walks the
// graph of every import and re-export under src/ and console/src/, type-only or not.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCES = ['src', 'console/src'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The relative modules `text` imports or re-exports, `import type` and `export type` included. */
export function importedSpecifiers(text: string): string[] {
  const found: string[] = [];
  const statement = /(?:^|[;\n])\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const m of text.matchAll(statement)) found.push(m[1] ?? '');
  for (const m of text.matchAll(/import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) found.push(m[1] ?? '');
  return found;
}

function resolveModule(from: string, specifier: string): string | null {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return null;
}

/** Every import circle of the graph, each as the files along it (first file repeated at the end). */
export function cyclesOf(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('import circles', () => {
  it('there are none in src/ or console/src/, type-only imports included', () => {
    const graph = new Map<string, string[]>();
    for (const file of SOURCES.flatMap((dir) => sourceFiles(join(ROOT, dir)))) {
      const targets = importedSpecifiers(readFileSync(file, 'utf8'))
        .map((specifier) => resolveModule(file, specifier))
        .filter((target): target is string => target !== null);
      graph.set(file, targets);
    }
    const cycles = cyclesOf(graph).map((cycle) => cycle.map((file) => relative(ROOT, file)).join(' → '));
    expect(cycles).toEqual([]);
  });

  it('the check itself finds a circle made only of type imports', () => {
    const a = "import type { B } from './b';\nexport interface A { b: B }";
    const b = "import { type A } from './a';\nexport type { C } from './c';\nexport interface B { a: A }";
    expect(importedSpecifiers(a)).toEqual(['./b']);
    expect(importedSpecifiers(b)).toEqual(['./a', './c']);
    const graph = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', []],
    ]);
    expect(cyclesOf(graph)).toEqual([['a', 'b', 'a']]);
  });
});
