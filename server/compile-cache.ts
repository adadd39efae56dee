// V8's compiled code of the modules the service loads, kept on disk so that a cold start does not compile
// them again (compiling is about a quarter of a start's CPU time here). Node 22 offers it
// (`module.enableCompileCache`); Node 20 has no such API, and there the service compiles as before. The
// cache is written at build time — `npm run build` and `npm run gcp-build` (App Engine, the Docker image)
// run `node dist/server/compile-cache.js`, which loads what start-up and the first request load — into
// dist/compile-cache, beside dist/server. A running instance only reads it: where the directory is
// missing (the TypeScript sources under test, a build without it) nothing is enabled, and an entry whose
// module changed since is compiled as if there were none.
import { existsSync } from 'node:fs';
import * as nodeModule from 'node:module';
import path from 'node:path';

const CACHE_DIR = path.join(__dirname, '..', 'compile-cache');

const enableCompileCache = (nodeModule as { enableCompileCache?: (directory: string) => unknown }).enableCompileCache;

/** Uses the cache directory when this Node has a compile cache and (unless writing) the directory exists. */
export function useCompileCache(directory = CACHE_DIR, write = false): boolean {
  if (!enableCompileCache || (!write && !existsSync(directory))) return false;
  enableCompileCache(directory);
  return true;
}

/** Loads the service's modules, and those the warm-up loads after start, so that their code is cached. */
function writeCache(): void {
  if (!useCompileCache(CACHE_DIR, true)) {
    console.log(`Node ${process.version} has no compile cache (Node 22 has): nothing written.`);
    return;
  }
  require('./main');
  const { WarmUp } = require('./warm-up') as typeof import('./warm-up');
  // Node writes the cache as the process exits, once the warm-up's last step has run.
  new WarmUp().start();
  process.once('exit', () => console.log(`Compile cache written to ${path.relative(process.cwd(), CACHE_DIR)}`));
}

if (require.main === module) writeCache();
else useCompileCache();
