// The built SPA (dist/web), served from memory with the encoding the browser accepts: the build writes
// brotli and gzip copies of every text file beside it (vite.config.mts), because neither Cloud Run nor App
// Engine compresses responses for the service. Hashed files under assets/ never change, so browsers keep
// them for a year; everything else (index.html, the icon) is revalidated.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Request, Response, NextFunction } from 'express';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Preferred first: brotli is smaller than gzip. */
const ENCODINGS = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;

type Encoding = (typeof ENCODINGS)[number]['name'];

interface StaticFile {
  contentType: string;
  cacheControl: string;
  identity: Buffer;
  encoded: Partial<Record<Encoding, Buffer>>;
}

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Every file of the build by URL path (`/index.html`, `/assets/index-abc123.js`), with its encoded copies. */
function loadFiles(webRoot: string): Map<string, StaticFile> {
  const all = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? all(file) : [file];
    });
  const names = new Set(all(webRoot));
  const files = new Map<string, StaticFile>();
  for (const file of names) {
    if (ENCODINGS.some((e) => file.endsWith(e.suffix) && names.has(file.slice(0, -e.suffix.length)))) continue;
    const urlPath = `/${path.relative(webRoot, file).split(path.sep).join('/')}`;
    const encoded: StaticFile['encoded'] = {};
    for (const e of ENCODINGS) if (names.has(file + e.suffix)) encoded[e.name] = readFileSync(file + e.suffix);
    files.set(urlPath, {
      contentType: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      cacheControl: urlPath.startsWith('/assets/') ? IMMUTABLE : 'no-cache',
      identity: readFileSync(file),
      encoded,
    });
  }
  return files;
}

/** The encodings the request accepts, from `Accept-Encoding` (q=0 refuses one; `*` stands for the others). */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const quality = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    if (!token) continue;
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find((m) => m);
    quality.set(token, q ? Number(q[1]) : 1);
  }
  const wildcard = quality.get('*');
  return new Set(ENCODINGS.map((e) => e.name).filter((name) => (quality.get(name) ?? wildcard ?? 0) > 0));
}

/**
 * Serves the build's files, and index.html for every other GET (the SPA's own routes) except under
 * /assets/: a file missing there is an asset of another version (a tab opened before a deployment), and
 * HTML in its place would only fail as a script; a 404 lets the page say it could not be loaded. Files
 * are read once, at start: the build is a few hundred kilobytes, and a request then costs no disk access.
 */
export function spaFiles(webRoot: string): (req: Request, res: Response, next: NextFunction) => void {
  const files = loadFiles(webRoot);
  const index = files.get('/index.html')!;
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const found = files.get(req.path);
    if (!found && req.path.startsWith('/assets/')) return void res.status(404).type('text/plain').send(`${req.path} is not part of this version of JIT Access.`);
    const file = found ?? index;
    const accepted = acceptedEncodings(req.get('accept-encoding'));
    const encoding = ENCODINGS.find((e) => file.encoded[e.name] && accepted.has(e.name))?.name;
    const body = encoding ? file.encoded[encoding]! : file.identity;
    res.setHeader('Content-Type', file.contentType);
    res.setHeader('Cache-Control', file.cacheControl);
    if (Object.keys(file.encoded).length > 0) res.setHeader('Vary', 'Accept-Encoding');
    if (encoding) res.setHeader('Content-Encoding', encoding);
    res.setHeader('Content-Length', body.length);
    res.status(200).end(req.method === 'HEAD' ? undefined : body);
  };
}
