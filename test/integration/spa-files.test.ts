// The SPA as production serves it: the build (vite.config.mts) writes brotli and gzip copies of its text
// files, and the service picks one by Accept-Encoding, says Vary, and lets browsers keep hashed assets.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request, type Server } from 'node:http';
import { loadConfig } from '../../server/config';
import { startServer } from '../../server/main';
import { acceptedEncodings } from '../../server/http/static-files';
import type { RunningEmulator } from '../../emulator/server';
import { demoWorld, startTestEmulator } from '../support/emulator';
import { stackEnv } from '../support/stack';
import { ensureWebBuilt, WEB_ROOT } from '../e2e/support/web-build';

describe('the SPA, pre-compressed', () => {
  let emulator: RunningEmulator;
  let server: Server;
  let url: string;
  let script: string;
  beforeAll(async () => {
    ensureWebBuilt();
    script = readdirSync(path.join(WEB_ROOT, 'assets')).find((f) => f.endsWith('.js'))!;
    process.env.METADATA_SERVER_DETECTION = 'none';
    const world = demoWorld();
    emulator = await startTestEmulator(world);
    const started = await startServer(loadConfig(stackEnv(emulator, world)), undefined, WEB_ROOT);
    server = started.server;
    url = started.url;
  }, 120_000);
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await emulator.close();
  });

  // Node's fetch would decode the body (and always sends its own Accept-Encoding): node:http shows the bytes.
  const get = (route: string, acceptEncoding?: string, method = 'GET') =>
    new Promise<{ status: number; headers: Headers; raw: Buffer }>((resolve, reject) => {
      const req = request(`${url}${route}`, { method, headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          resolve({ status: res.statusCode!, headers, raw: Buffer.concat(chunks) });
        });
      });
      req.on('error', reject);
      req.end();
    });

  test('the build wrote a brotli and a gzip copy of every script, stylesheet and page', () => {
    const files = readdirSync(path.join(WEB_ROOT, 'assets')).map((f) => `assets/${f}`).concat(readdirSync(WEB_ROOT));
    const text = files.filter((f) => /\.(js|css|html|svg)$/.test(f));
    expect(text.length).toBeGreaterThanOrEqual(3);
    for (const f of text) {
      const original = readFileSync(path.join(WEB_ROOT, f));
      expect({ f, br: brotliDecompressSync(readFileSync(path.join(WEB_ROOT, `${f}.br`))).equals(original) }).toEqual({ f, br: true });
      expect({ f, gz: gunzipSync(readFileSync(path.join(WEB_ROOT, `${f}.gz`))).equals(original) }).toEqual({ f, gz: true });
    }
  });

  test.each([
    ['gzip, deflate, br, zstd', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=0.5, br;q=0.1', 'br'],
    ['*', 'br'],
    ['*, br;q=0', 'gzip'],
    ['identity', null],
    ['', null],
    [undefined, null],
  ])('Accept-Encoding %p → %p', async (acceptEncoding, expected) => {
    const res = await get(`/assets/${script}`, acceptEncoding);
    const original = readFileSync(path.join(WEB_ROOT, 'assets', script));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe(expected);
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Number(res.headers.get('content-length'))).toBe(res.raw.length);
    const decoded = expected === 'br' ? brotliDecompressSync(res.raw) : expected === 'gzip' ? gunzipSync(res.raw) : res.raw;
    expect(decoded.equals(original)).toBe(true);
    if (expected) expect(res.raw.length).toBeLessThan(original.length / 2);
  });

  test('index.html, also for the SPA’s own routes, is compressed but revalidated; HEAD sends no body', async () => {
    for (const route of ['/', '/index.html', '/projects/prod-app', '/approve/abc']) {
      const res = await get(route, 'br');
      expect({ route, status: res.status, encoding: res.headers.get('content-encoding'), cache: res.headers.get('cache-control'), vary: res.headers.get('vary') }).toEqual({
        route,
        status: 200,
        encoding: 'br',
        cache: 'no-cache',
        vary: 'Accept-Encoding',
      });
      expect(brotliDecompressSync(res.raw).toString()).toContain('<div id="root"></div>');
    }
    const head = await get(`/assets/${script}`, 'gzip', 'HEAD');
    expect(head.raw.length).toBe(0);
    expect(Number(head.headers.get('content-length'))).toBe(readFileSync(path.join(WEB_ROOT, 'assets', `${script}.gz`)).length);
  });

  test('an asset this build does not have is a 404, not index.html (a tab of an older version asking for its page code)', async () => {
    const missing = await get('/assets/AdminArea-0ld3r5i0n.js', 'br');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(missing.raw.toString()).toContain('is not part of this version');
    // The pages loaded on demand are their own files, served like the others.
    const pages = readdirSync(path.join(WEB_ROOT, 'assets')).filter((f) => /^(AdminArea|ApprovePage|BreakGlassReviewPage)-.*\.js$/.test(f));
    expect(pages).toHaveLength(3);
    for (const page of pages) expect((await get(`/assets/${page}`, 'gzip')).status).toBe(200);
  });

  test('the security headers stay on static files', async () => {
    const res = await get(`/assets/${script}`, 'br');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('Accept-Encoding', () => {
  test.each([
    ['br', ['br']],
    ['GZIP , Br', ['br', 'gzip']],
    ['gzip;q=0', []],
    ['*;q=0.1', ['br', 'gzip']],
    ['deflate', []],
  ])('%p accepts %p', (header, expected) => {
    expect([...acceptedEncodings(header)].sort()).toEqual(expected);
  });
});
