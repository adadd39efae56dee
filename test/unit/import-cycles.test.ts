// Layers point one way (DESIGN §3): no module of server/ imports, directly or through others, a module that
// imports it back. A cycle makes the load order decide what a module sees at start-up.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SERVER = resolve(__dirname, '../../server');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports that load code at run time; `import type` is erased and cannot form a cycle. */
function runtimeImportsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/^import (?!type\b)[^;]*?from\s+['"](\.[^'"]+)['"]/gm), ...source.matchAll(/require\(\s*['"](\.[^'"]+)['"]\s*\)/g)];
  return specifiers.map((m) => resolve(dirname(file), m[1])).map((path) => (path.endsWith('.json') ? path : `${path}.ts`));
}

/** The first cycle found, as the list of files it runs through, or null. */
function firstCycle(files: string[]): string[] | null {
  const graph = new Map(files.map((f) => [f, runtimeImportsOf(f).filter((i) => files.includes(i))]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'visiting') return [...path.slice(path.indexOf(file)), file];
    state.set(file, 'visiting');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of files) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

describe('server/ imports', () => {
  const files = sourceFiles(SERVER);

  it('finds the modules it checks, and their imports', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(runtimeImportsOf(join(SERVER, 'http/app.ts'))).toContain(join(SERVER, 'http/api.ts'));
  });

  it('form no cycle', () => {
    expect(firstCycle(files)?.map((f) => relative(SERVER, f)) ?? null).toBeNull();
  });
});
