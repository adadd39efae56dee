// Identity-Aware Proxy stand-in: the signing key and its two published forms, a test-support route that
// mints assertions (good and deliberately broken ones), and the reverse proxy a user opens instead of the
// service, which signs them in as a user of the world (or admits a Google ID token: programmatic access) and
// forwards requests with IAP's signed headers.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import http, { type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { EmulatorEnv } from './env';
import { signEs256 } from './iap-signer';
import { strictBody, type Route } from './http';
import { escapeHtml, htmlPage } from './html';
import { GOOGLE_ID_TOKEN_ISSUER } from './google-id-token-signer';

export const IAP_ISSUER = 'https://cloud.google.com/iap';
/** Real assertions live ten minutes. */
export const IAP_ASSERTION_LIFETIME_SECONDS = 600;
/** Real IAP lists the Access Context Manager levels the request satisfies; every emulated user satisfies this one. */
export const EMULATOR_ACCESS_LEVEL = 'accessPolicies/100000000001/accessLevels/emulator_corp_device';
export const IAP_SESSION_COOKIE = 'GCP_IAP_EMULATOR_SESSION';
/** IAP's reserved path prefix: requests under it never reach the service. */
const OWN_PREFIX = '/_gcp_iap';
/** Short enough that a service caching the keys by max-age picks up a restarted emulator's new key soon. */
const KEY_CACHE_CONTROL = 'public, max-age=300';
const SIGNIN_BODY_LIMIT = 16 * 1024;

/** The emulator's IAP signing key: P-256, new at every start (as after a rotation), with a short kid like Google's. */
/** A stable 21-digit Google-style user id for an email, so `sub` never changes between sign-ins. */
export function iapUserIdOf(email: string): string {
  const digest = createHash('sha256').update(email.toLowerCase()).digest();
  return `1${(digest.readBigUInt64BE(0) % 10n ** 20n).toString().padStart(20, '0')}`;
}

interface ClaimOptions {
  audience: string;
  issuer?: string;
  issuedAt: number;
  expiresAt: number;
  accessLevels?: string[];
  deviceId?: string;
}

/** The payload IAP signs, in the order Google writes it; `hd` only for accounts of the organization's domain. */
export function iapClaims(env: EmulatorEnv, email: string, o: ClaimOptions): JWTPayload {
  const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
  const hd = domain === env.state.organization.domain.toLowerCase() ? domain : undefined;
  return {
    iss: o.issuer ?? IAP_ISSUER,
    aud: o.audience,
    sub: `accounts.google.com:${iapUserIdOf(email)}`,
    email,
    ...(hd ? { hd } : {}),
    iat: o.issuedAt,
    exp: o.expiresAt,
    google: { access_levels: o.accessLevels ?? [EMULATOR_ACCESS_LEVEL], ...(o.deviceId ? { device_id: o.deviceId } : {}) },
    azp: o.audience,
    identity_source: 'GOOGLE',
  };
}

/** Google's clock, which tests move with /_emulator/clock (and move the service's with it). */
const nowSeconds = (env: EmulatorEnv) => Math.floor(env.state.now().getTime() / 1000);
const TEN_YEARS = 10 * 365 * 24 * 3600;

const assertionRequestSchema = z
  .object({
    email: z.string().regex(/^[^\s@]+@[^\s@]+$/, 'must be an email address'),
    audience: z.string().min(1).optional(),
    issuer: z.string().min(1).optional(),
    /** `exp` = now + this (negative: already expired). */
    expiresInSeconds: z.number().int().min(-TEN_YEARS).max(TEN_YEARS).default(IAP_ASSERTION_LIFETIME_SECONDS),
    /** `iat` = now + this (positive: issued in the future). */
    issuedAtOffsetSeconds: z.number().int().min(-TEN_YEARS).max(TEN_YEARS).default(0),
    /** Header `kid`; a kid that is not published makes the key lookup fail. */
    kid: z.string().min(1).max(200).optional(),
    /** `none`: unsigned token. `HS256`: HMAC keyed with the published PEM (the algorithm-confusion attack). */
    alg: z.enum(['none', 'HS256']).optional(),
    /** Signs with a throwaway P-256 key under the published kid, so only the signature check can catch it. */
    foreignKey: z.boolean().default(false),
    accessLevels: z.array(z.string().min(1)).optional(),
    deviceId: z.string().min(1).optional(),
  })
  .strict()
  .refine((b) => !(b.alg && b.foreignKey), { message: 'foreignKey signs with ES256; it cannot be combined with alg' });

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Public key routes (as `https://www.gstatic.com/iap/verify/…`) and the emulator-only minting route
 * `POST /_emulator/iap/assertion`, which lets authentication tests try every attack without hand-made JWTs.
 */
export function iapKeyRoutes(env: EmulatorEnv): Route[] {
  const keyRoute = (path: string, name: string, body: () => object): Route => ({
    method: 'GET',
    pattern: new RegExp(`^/iap/verify/${path}$`),
    api: 'iap',
    name,
    public: true,
    handler: (_req, res) => {
      // Counted although public: how often the service fetches keys shows whether it caches them.
      env.state.recordCall(name);
      res.setHeader('Cache-Control', KEY_CACHE_CONTROL);
      return body();
    },
  });
  return [
    keyRoute('public_key', 'iap.verify.publicKey', () => ({ [env.iapSigner.kid]: env.iapSigner.publicKeyPem })),
    keyRoute('public_key-jwk', 'iap.verify.publicKeyJwk', () => ({ keys: [env.iapSigner.jwk] })),
    {
      method: 'POST',
      pattern: /^\/_emulator\/iap\/assertion$/,
      api: '_emulator',
      name: '_emulator.iap.assertion',
      public: true,
      handler: async (req) => {
        const body = strictBody(req, assertionRequestSchema);
        const now = nowSeconds(env);
        const claims = iapClaims(env, body.email, {
          audience: body.audience ?? env.iapAudience,
          issuer: body.issuer,
          issuedAt: now + body.issuedAtOffsetSeconds,
          expiresAt: now + body.expiresInSeconds,
          accessLevels: body.accessLevels,
          deviceId: body.deviceId,
        });
        const kid = body.kid ?? env.iapSigner.kid;
        if (body.alg === 'none') {
          const header = { alg: 'none', typ: 'JWT', kid };
          return { assertion: `${base64url(header)}.${base64url(claims)}.`, header, claims };
        }
        if (body.alg === 'HS256') {
          const header = { alg: 'HS256', typ: 'JWT', kid };
          const assertion = await new SignJWT(claims).setProtectedHeader(header).sign(new TextEncoder().encode(env.iapSigner.publicKeyPem));
          return { assertion, header, claims };
        }
        const assertion = body.foreignKey
          ? await signEs256(claims, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, kid)
          : await env.iapSigner.sign(claims, kid);
        return { assertion, header: { alg: 'ES256', typ: 'JWT', kid }, claims };
      },
    },
  ];
}

export interface IapProxyHandle {
  url: string;
  setUpstream(url: string): void;
  close(): Promise<void>;
}

/** An answer the proxy gives itself, as HTML to browsers and as JSON to everyone else. */
class ProxyProblem extends Error {
  constructor(
    readonly httpCode: number,
    message: string,
    /** IAP answers refused programmatic credentials in plain text, to every client. */
    readonly plainText = false,
  ) {
    super(message);
  }
}

/** Google writes the issuer of its ID tokens both ways. */
const GOOGLE_ID_TOKEN_ISSUERS = [GOOGLE_ID_TOKEN_ISSUER, 'accounts.google.com'];

/**
 * The bearer token of IAP programmatic access: `Proxy-Authorization` first (then `Authorization` belongs to
 * the application and passes through), else `Authorization` (which IAP consumes: it never reaches the service).
 */
function programmaticCredential(req: IncomingMessage): { token: string; header: 'proxy-authorization' | 'authorization' } | undefined {
  for (const header of ['proxy-authorization', 'authorization'] as const) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers[header] ?? '');
    if (m) return { token: m[1], header };
  }
  return undefined;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** IAP drops whatever identity headers a client sends, so only the proxy can set them. */
const isIdentityHeader = (name: string) => name.startsWith('x-goog-iap-') || name.startsWith('x-goog-authenticated-');

const SIGNIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const signinSchema = z
  .object({
    email: z.string({ error: 'email is required' }).trim().toLowerCase().min(1, 'email is required'),
    redirect: z.string().max(4096).optional(),
  })
  .strict();

/**
 * The URL a user opens: sign-in pages under `/_gcp_iap/`, and for signed-in users a reverse proxy to
 * `upstream` that adds a freshly signed `x-goog-iap-jwt-assertion` to every request.
 */
export async function startIapProxy(env: EmulatorEnv, host: string, port: number, upstream?: string): Promise<IapProxyHandle> {
  let target = upstream === undefined ? undefined : upstreamUrl(upstream);
  const sessions = new Map<string, string>();
  const agent = new http.Agent({ keepAlive: true });

  const sessionIdOf = (req: IncomingMessage) => cookiesOf(req).get(IAP_SESSION_COOKIE);
  /** Users, and service accounts of the world: IAP lets those in through programmatic access (an ID token). */
  const canSignIn = (email: string) => env.state.users.has(email) || env.state.serviceAccounts.includes(email);
  /** The signed-in user, while they are still a user of the world (a reset may have changed it). */
  const userOf = (req: IncomingMessage) => {
    const id = sessionIdOf(req);
    const email = id === undefined ? undefined : sessions.get(id);
    return email !== undefined && canSignIn(email) ? email : undefined;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Split by hand: `new URL('//x/y', base)` would read `x` as a host.
    const [pathname, query = ''] = (req.url ?? '/').split(/\?(.*)/s, 2);
    if (pathname === OWN_PREFIX || pathname.startsWith(`${OWN_PREFIX}/`)) return ownPage(req, res, pathname, new URLSearchParams(query));
    const credential = programmaticCredential(req);
    if (credential) {
      const identity = await programmaticIdentity(credential.token);
      if (credential.header === 'authorization') delete req.headers.authorization;
      return forward(req, res, identity);
    }
    const email = userOf(req);
    if (email === undefined) {
      if (wantsHtml(req)) return redirect(res, 302, `${OWN_PREFIX}/signin?redirect=${encodeURIComponent(req.url ?? '/')}`);
      throw new ProxyProblem(401, `Not signed in to the IAP proxy. Sign in at ${OWN_PREFIX}/signin (a browser page, or POST {"email": "…"} to it) and send the ${IAP_SESSION_COOKIE} cookie it sets.`);
    }
    await forward(req, res, email);
  }

  /** Who an ID token names, once it passes the checks IAP makes; a refusal is 401. */
  async function programmaticIdentity(token: string): Promise<string> {
    const refuse = (reason: string) => new ProxyProblem(401, `Invalid IAP credentials: ${reason}`, true);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await env.googleIdTokens.keySet(), {
        algorithms: ['RS256'],
        issuer: GOOGLE_ID_TOKEN_ISSUERS,
        audience: env.iapClientId,
        requiredClaims: ['exp', 'iat', 'sub'],
        // Google's clock, which tests move with /_emulator/clock; no tolerance (the stricter reading).
        currentDate: env.state.now(),
      }));
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) throw refuse('Expired JWT');
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'aud') {
        throw refuse(`JWT audience doesn't match this application ('aud' claim (${String(decodeJwt(token).aud)}) doesn't match expected value (${env.iapClientId}))`);
      }
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'iss') throw refuse(`JWT issuer is not Google (expected ${GOOGLE_ID_TOKEN_ISSUER})`);
      if (e instanceof joseErrors.JWTClaimValidationFailed) throw refuse(`JWT claim "${e.claim}" is invalid`);
      if (e instanceof joseErrors.JWSInvalid || e instanceof joseErrors.JWTInvalid) throw refuse('Unable to parse JWT');
      throw refuse('JWT signature is invalid');
    }
    if (typeof payload.iat === 'number' && payload.iat > Math.floor(env.state.now().getTime() / 1000)) throw refuse('JWT issued in the future (check the clocks)');
    if (typeof payload.email !== 'string' || payload.email === '') {
      throw refuse('the ID token has no email claim; request it with the email included (includeEmail, --include-email)');
    }
    if (payload.email_verified !== true) throw refuse(`the email ${payload.email} of the ID token is not verified`);
    // Only the world's service accounts can get ID tokens from the emulator, so every verified email is one of the world's.
    return payload.email.toLowerCase();
  }

  async function ownPage(req: IncomingMessage, res: ServerResponse, pathname: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    if (pathname === `${OWN_PREFIX}/signin`) {
      if (method === 'GET' || method === 'HEAD') {
        return sendHtml(res, 200, signinPage(env, { redirect: query.get('redirect') ?? '/', signedInAs: userOf(req) }));
      }
      if (method === 'POST') return signIn(req, res);
      res.setHeader('Allow', 'GET, HEAD, POST');
      throw new ProxyProblem(405, `Method ${method} is not allowed on ${pathname}.`);
    }
    if (pathname === `${OWN_PREFIX}/clear_login_cookie`) {
      if (method !== 'GET' && method !== 'POST') {
        res.setHeader('Allow', 'GET, POST');
        throw new ProxyProblem(405, `Method ${method} is not allowed on ${pathname}.`);
      }
      const id = sessionIdOf(req);
      if (id !== undefined) sessions.delete(id);
      res.setHeader('Set-Cookie', `${IAP_SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`);
      if (wantsHtml(req)) return sendHtml(res, 200, signinPage(env, { redirect: '/', notice: 'You are signed out.' }));
      return sendJson(res, 200, { signedOut: true });
    }
    throw new ProxyProblem(404, `${pathname} is reserved by IAP; the emulator serves ${OWN_PREFIX}/signin and ${OWN_PREFIX}/clear_login_cookie there.`);
  }

  async function signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const isForm = type === 'application/x-www-form-urlencoded';
    if (!isForm && type !== 'application/json') {
      throw new ProxyProblem(415, 'Send the sign-in as JSON ({"email": "…", "redirect": "/path"}) or as a form (email=…&redirect=…).');
    }
    const raw = await readBody(req, SIGNIN_BODY_LIMIT);
    const answerError = (message: string, redirectTo = '/') =>
      isForm ? sendHtml(res, 400, signinPage(env, { redirect: redirectTo, error: message })) : sendJson(res, 400, { error: { code: 400, message } });
    let input: unknown;
    if (isForm) {
      input = Object.fromEntries(new URLSearchParams(raw));
    } else {
      try {
        input = JSON.parse(raw);
      } catch (e) {
        return answerError(`The sign-in body is not valid JSON: ${(e as Error).message}`);
      }
    }
    const parsed = signinSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return answerError(issue.code === 'unrecognized_keys' ? `Unknown field "${issue.keys[0]}" in the sign-in; send email and optionally redirect.` : issue.message);
    }
    const { email } = parsed.data;
    const redirectTo = safeRedirect(parsed.data.redirect);
    if (!canSignIn(email)) {
      return answerError(`${email} is not a user or service account of the emulator's world; sign in as one of: ${[...env.state.users, ...env.state.serviceAccounts].join(', ')}.`, redirectTo);
    }
    const previous = sessionIdOf(req);
    if (previous !== undefined) sessions.delete(previous);
    const id = randomBytes(24).toString('base64url');
    sessions.set(id, email);
    res.setHeader('Set-Cookie', `${IAP_SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
    if (isForm) return redirect(res, 303, redirectTo);
    sendJson(res, 200, { email, userId: `accounts.google.com:${iapUserIdOf(email)}`, redirect: redirectTo });
  }

  async function forward(req: IncomingMessage, res: ServerResponse, email: string): Promise<void> {
    const to = target;
    if (to === undefined) throw new ProxyProblem(502, 'The service is not reachable: the IAP proxy has no upstream yet (start the emulator with --upstream URL).');
    const now = nowSeconds(env);
    const assertion = await env.iapSigner.sign(iapClaims(env, email, { audience: env.iapAudience, issuedAt: now, expiresAt: now + IAP_ASSERTION_LIFETIME_SECONDS }));
    const headers = forwardedHeaders(req);
    headers['x-goog-iap-jwt-assertion'] = assertion;
    headers['x-goog-authenticated-user-email'] = `accounts.google.com:${email}`;
    headers['x-goog-authenticated-user-id'] = `accounts.google.com:${iapUserIdOf(email)}`;

    const upstreamReq = http.request({
      hostname: to.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: to.port || 80,
      method: req.method,
      path: req.url ?? '/',
      headers,
      agent,
    });
    upstreamReq.on('response', (upstreamRes) => {
      const responseHeaders = withoutHopByHop(upstreamRes.headers);
      const location = upstreamRes.headers.location;
      if (location !== undefined) responseHeaders.location = proxiedLocation(location, to, req.headers.host);
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, responseHeaders);
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', (e: NodeJS.ErrnoException) => {
      if (res.headersSent) return res.destroy(e);
      sendProblem(req, res, new ProxyProblem(502, `The service is not reachable at ${to.origin} (${e.code ?? e.message}). Is it running?`));
    });
    // A client that goes away mid-exchange must not leave the upstream request hanging.
    res.on('close', () => {
      if (!res.writableFinished) upstreamReq.destroy();
    });
    req.pipe(upstreamReq);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) return res.destroy();
      sendProblem(req, res, e instanceof ProxyProblem ? e : new ProxyProblem(500, `Internal error in the IAP proxy: ${(e as Error).message}`));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
  return {
    url,
    setUpstream: (u) => {
      target = upstreamUrl(u);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

function upstreamUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`The IAP proxy upstream must be a URL such as http://127.0.0.1:8080, got "${text}"`);
  }
  if (url.protocol !== 'http:') throw new Error(`The IAP proxy forwards over plain HTTP only; the upstream ${text} is ${url.protocol}`);
  // Like IAP in front of a backend, the proxy maps paths one to one, so the upstream is an origin.
  if (url.pathname !== '/' || url.search || url.hash) throw new Error(`The IAP proxy upstream must be an origin such as http://127.0.0.1:8080, without a path; got "${text}"`);
  return url;
}

function cookiesOf(req: IncomingMessage): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const pair of (req.headers.cookie ?? '').split(';')) {
    const i = pair.indexOf('=');
    if (i > 0) cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
  return cookies;
}

function forwardedHeaders(req: IncomingMessage): OutgoingHttpHeaders {
  const headers = withoutHopByHop(req.headers);
  for (const name of Object.keys(headers)) if (isIdentityHeader(name)) delete headers[name];
  // The session cookie is the proxy's business; the service must rely on the assertion alone.
  const cookie = (req.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '' && !c.startsWith(`${IAP_SESSION_COOKIE}=`))
    .join('; ');
  if (cookie) headers.cookie = cookie;
  else delete headers.cookie;
  // Host stays the one the user typed, so links the service builds point back through the proxy.
  const client = req.socket.remoteAddress ?? '';
  const forwardedFor = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${client}` : client;
  headers['x-forwarded-proto'] = 'http';
  return headers;
}

function withoutHopByHop(source: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(
    String(source.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && !listed.has(name)) headers[name] = value;
  }
  return headers;
}

/** Absolute redirects to the upstream's own origin are turned back into the proxy's origin. */
function proxiedLocation(location: string, upstream: URL, proxyHost: string | undefined): string {
  if (proxyHost === undefined) return location;
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location;
  }
  if (url.origin !== upstream.origin) return location;
  return `http://${proxyHost}${url.pathname}${url.search}${url.hash}`;
}

/** Only same-origin paths: `//evil.example` and `/\evil.example` would leave the site. */
function safeRedirect(target: string | undefined): string {
  return target !== undefined && /^\/(?![/\\])/.test(target) && !/[\u0000-\u001f]/.test(target) ? target : '/';
}

function wantsHtml(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/html');
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ProxyProblem(413, `The sign-in body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function redirect(res: ServerResponse, status: 302 | 303, location: string): void {
  res.writeHead(status, { Location: location, 'Cache-Control': 'no-store', 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`Redirecting to ${location}\n`);
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': SIGNIN_CSP,
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(html);
}

function sendProblem(req: IncomingMessage, res: ServerResponse, problem: ProxyProblem): void {
  if (problem.plainText) {
    res.writeHead(problem.httpCode, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
    return void res.end(problem.message);
  }
  if (!wantsHtml(req)) return sendJson(res, problem.httpCode, { error: { code: problem.httpCode, message: problem.message } });
  const title = problem.httpCode === 502 ? 'Service not reachable' : `Error ${problem.httpCode}`;
  sendHtml(res, problem.httpCode, htmlPage(title, `<h1>${escapeHtml(title)}</h1>\n<p role="alert" class="error">${escapeHtml(problem.message)}</p>\n<p class="note">Identity-Aware Proxy emulator</p>`));
}

interface SigninView {
  redirect: string;
  signedInAs?: string;
  error?: string;
  notice?: string;
}

function signinPage(env: EmulatorEnv, view: SigninView): string {
  const users = [...env.state.users].sort();
  const choices = users
    .map((u) => `<li><button type="submit" name="email" value="${escapeHtml(u)}">${escapeHtml(u)}</button></li>`)
    .join('\n');
  const parts = [
    '<h1>Sign in</h1>',
    '<p>This is the Identity-Aware Proxy of the emulator. Choose who you are: every request you make is then forwarded to the service with an assertion signed for that user.</p>',
    view.error ? `<p role="alert" class="error">${escapeHtml(view.error)}</p>` : '',
    view.notice ? `<p role="status" class="status">${escapeHtml(view.notice)}</p>` : '',
    view.signedInAs
      ? `<p>You are signed in as <strong>${escapeHtml(view.signedInAs)}</strong>. <a href="${OWN_PREFIX}/clear_login_cookie">Sign out</a></p>`
      : '',
    `<form method="post" action="${OWN_PREFIX}/signin">`,
    `<input type="hidden" name="redirect" value="${escapeHtml(safeRedirect(view.redirect))}">`,
    `<fieldset><legend>Users of ${escapeHtml(env.state.organization.domain)}</legend>`,
    users.length > 0 ? `<ul class="choices">\n${choices}\n</ul>` : '<p>The world has no users.</p>',
    '</fieldset>',
    '</form>',
    `<p class="note">After signing in you continue to <code>${escapeHtml(safeRedirect(view.redirect))}</code>.</p>`,
  ];
  return htmlPage('Sign in – IAP emulator', parts.filter(Boolean).join('\n'));
}
