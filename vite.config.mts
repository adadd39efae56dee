// Builds the SPA in web/ into dist/web, where the server serves it (dist/server → ../web).
// `npx vite` serves it for development, with the API reached through a running demo's IAP proxy.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const demo = process.env.DEMO_URL ?? 'http://localhost:8080';
const outDir = path.resolve(import.meta.dirname, 'dist/web');

/** What is worth compressing: text. Images other than SVG are compressed already. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt)$/;

/**
 * Writes `file.br` and `file.gz` beside every compressible file of the build, at the highest levels:
 * done once here, they cost the server nothing per request (Cloud Run and App Engine do not compress
 * for it), and the server picks one by `Accept-Encoding` (server/http/static-files.ts).
 */
function precompress(): Plugin {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? files(file) : [file];
    });
  return {
    name: 'jit-precompress',
    apply: 'build',
    closeBundle() {
      for (const file of files(outDir).filter((f) => COMPRESSIBLE.test(f))) {
        const content = readFileSync(file);
        writeFileSync(`${file}.br`, brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } }));
        writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  root: 'web',
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    // The server's CSP forbids inline scripts and styles, so nothing may be inlined as a data: URL either.
    assetsInlineLimit: 0,
  },
  server: {
    // Sign in once at the demo's address: browsers send its cookie to any port of the same host.
    proxy: { '/api': demo, '/_gcp_iap': demo },
  },
});
