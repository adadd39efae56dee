// The compile cache is used only where Node has one and the build wrote its directory: the TypeScript sources
// under test (no dist/compile-cache beside them) and Node 20 start without it.
import * as nodeModule from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useCompileCache } from '../../server/compile-cache';

const nodeHasCompileCache = typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'compile-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a directory the build did not write is not used', () => {
  expect(useCompileCache(path.join(dir, 'missing'))).toBe(false);
});

(nodeHasCompileCache ? test.skip : test)('a Node without a compile cache (Node 20) uses none, even when asked to write one', () => {
  expect(useCompileCache(dir, true)).toBe(false);
});
