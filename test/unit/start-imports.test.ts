// What `node dist/server/main.js` loads before it listens: every library a module imports at its top is
// loaded at start, and each one lengthens every cold start. The heavy ones that only some requests or
// settings need are loaded when first used (docs/performance.md, "Start-up loads only what start-up needs").
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const MAIN = resolve(__dirname, '../../server/main.ts');

/** Libraries loaded at start: the bare specifiers of `import … from` (not `import type`) reachable from main.ts. */
function librariesLoadedAtStart(): Set<string> {
  const libraries = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/^(?:import|export) (?!type\b)[^;]*?from\s+['"]([^'"]+)['"]/gm)) {
      const specifier = m[1];
      if (specifier.startsWith('.')) {
        if (!specifier.endsWith('.json')) visit(`${resolve(dirname(file), specifier)}.ts`);
      } else if (!specifier.startsWith('node:')) {
        libraries.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]);
      }
    }
  };
  visit(MAIN);
  return libraries;
}

describe('start-up', () => {
  test('loads Express and zod, and no library that only some requests or settings need', () => {
    const loaded = librariesLoadedAtStart();
    expect(loaded).toContain('express');
    expect(loaded).toContain('zod');
    for (const later of ['yaml', 'googleapis', 'google-auth-library', '@google-cloud/logging', '@bufbuild/cel', 'jose', 'nodemailer', 'gcp-metadata']) expect(loaded).not.toContain(later);
  });
});
