// Builds the SPA in web/ into dist/web, where the server serves it (dist/server → ../web).
// `npx vite` serves it for development, with the API reached through a running demo's IAP proxy.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const demo = process.env.DEMO_URL ?? 'http://localhost:8080';

export default defineConfig({
  root: 'web',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // The server's CSP forbids inline scripts and styles, so nothing may be inlined as a data: URL either.
    assetsInlineLimit: 0,
  },
  server: {
    // Sign in once at the demo's address: browsers send its cookie to any port of the same host.
    proxy: { '/api': demo, '/_gcp_iap': demo },
  },
});
