// The compile cache is used only where Node has one and the build wrote its directory: the TypeScript sources
// under test (no dist/compile-cache beside them) and Node 20 start without it.
import * as nodeModule from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useCompileCache } from '../../server/compile-cache';

const nodeHasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

test('a directory the build did not write is not used', () => {
  expect(useCompileCache(path.join(mkdtempSync(path.join(tmpdir(), 'compile-cache-')), 'missing'))).toBe(false);
});

(nodeHasCompileCache ? test.skip : test)('a Node without a compile cache (Node 20) uses none, even when asked to write one', () => {
  expect(useCompileCache(mkdtempSync(path.join(tmpdir(), 'compile-cache-')), true)).toBe(false);
});
