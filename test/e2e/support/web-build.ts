// The browser tests need the built SPA. Building takes about two seconds, so it happens only when
// dist/web is missing or older than a source of it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..', '..');
export const WEB_ROOT = path.join(ROOT, 'dist', 'web');
const BUILT_PAGE = path.join(WEB_ROOT, 'index.html');
const SOURCES = [path.join(ROOT, 'web'), path.join(ROOT, 'vite.config.mts'), path.join(ROOT, 'server', 'api', 'schemas.ts')];

function newestChange(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((entry) => newestChange(path.join(file, entry))));
}

export function ensureWebBuilt(): void {
  if (existsSync(BUILT_PAGE) && statSync(BUILT_PAGE).mtimeMs >= Math.max(...SOURCES.map(newestChange))) return;
  // Jest sets NODE_ENV=test, which would make Vite bundle React's development build.
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  });
}
