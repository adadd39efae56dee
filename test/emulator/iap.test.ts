// The IAP stand-in: published keys, sign-in, the proxy's signed headers, and the minting route's broken
// assertions, all verified with the two libraries a service would use (jose and google-auth-library).
import http, { type IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { OAuth2Client } from 'google-auth-library';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { GoogleAuth } from 'google-auth-library';
import { frontDoorTransport, googleClients, issueServiceAccountKey, startTestEmulator, userIdToken } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';
import { IAP_SESSION_COOKIE } from '../../emulator/iap';

const ISSUER = 'https://cloud.google.com/iap';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bodySha256: string;
  bodyLength: number;
}

let emulator: RunningEmulator;
let upstream: http.Server;
let upstreamUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, headers: req.headers, bodySha256: hash.digest('hex'), bodyLength: length };
      seen.push(entry);
      if (req.url === '/redirect-absolute') {
        res.writeHead(302, { Location: `${upstreamUrl}/landing?from=absolute` }).end();
      } else if (req.url === '/redirect-relative') {
        res.writeHead(302, { Location: '/landing?from=relative' }).end();
      } else if (req.url === '/redirect-elsewhere') {
        res.writeHead(302, { Location: 'https://accounts.example.org/somewhere' }).end();
      } else {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/'] }).end(JSON.stringify(entry));
      }
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  emulator = await startTestEmulator(undefined, { iapPort: 0, upstream: upstreamUrl });
});

afterAll(async () => {
  await emulator.close();
  await new Promise<void>((resolve) => {
    upstream.close(() => resolve());
    upstream.closeAllConnections();
  });
});

const proxy = (path: string) => `${emulator.iapUrl}${path}`;

function sessionCookieOf(res: Response): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${IAP_SESSION_COOKIE}=`));
  if (!cookie) throw new Error(`no ${IAP_SESSION_COOKIE} cookie in the response`);
  return cookie;
}

async function signInJson(email: string): Promise<string> {
  const res = await fetch(proxy('/_gcp_iap/signin'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
  expect(res.status).toBe(200);
  return sessionCookieOf(res).split(';')[0];
}

/** A request through the proxy that the test upstream answers with what it received. */
async function throughProxy(path: string, cookie: string, init: RequestInit = {}): Promise<Seen> {
  const before = seen.length;
  const res = await fetch(proxy(path), { ...init, headers: { Accept: 'application/json', Cookie: cookie, ...(init.headers as Record<string, string>) } });
  expect(res.status).toBe(200);
  expect(seen.length).toBe(before + 1);
  return (await res.json()) as Seen;
}

async function verifyWithJose(jwt: string, audience = emulator.iapAudience): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${emulator.url}/iap/verify/public_key-jwk`));
  const { payload } = await jwtVerify(jwt, jwks, { issuer: ISSUER, audience, algorithms: ['ES256'] });
  return payload;
}

async function verifyWithGoogleAuth(jwt: string, audience = emulator.iapAudience): Promise<JWTPayload> {
  // gaxios would `import('node-fetch')`, which Jest's CommonJS runtime cannot do; Node's fetch does the same job.
  const client = new OAuth2Client({ endpoints: { oauth2IapPublicKeyUrl: `${emulator.url}/iap/verify/public_key` }, transporterOptions: { fetchImplementation: fetch } });
  const { pubkeys } = await client.getIapPublicKeysAsync();
  const ticket = await client.verifySignedJwtWithCertsAsync(jwt, pubkeys, audience, [ISSUER]);
  return ticket.getPayload() as JWTPayload;
}

async function mint(body: object): Promise<string> {
  const res = await fetch(`${emulator.url}/_emulator/iap/assertion`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { assertion: string }).assertion;
}

describe('published keys', () => {
  test('the JWKS and the PEM map describe one P-256 key under a short kid, with a cache lifetime', async () => {
    const jwkRes = await fetch(`${emulator.url}/iap/verify/public_key-jwk`);
    expect(jwkRes.status).toBe(200);
    expect(jwkRes.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const { keys } = (await jwkRes.json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.stringMatching(/^[\w-]{4,12}$/), x: expect.any(String), y: expect.any(String) });
    expect(keys[0]).not.toHaveProperty('d');

    const pemRes = await fetch(`${emulator.url}/iap/verify/public_key`);
    expect(pemRes.headers.get('cache-control')).toMatch(/max-age=\d+/);
    const pems = (await pemRes.json()) as Record<string, string>;
    expect(Object.keys(pems)).toEqual([keys[0].kid]);
    expect(pems[keys[0].kid]).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n?$/);
  });
});

describe('sign-in', () => {
  test('JSON sign-in sets an HttpOnly, SameSite=Lax session cookie', async () => {
    const res = await fetch(proxy('/_gcp_iap/signin'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'Alice@Example.com' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { email: string; userId: string };
    expect(body.email).toBe('alice@example.com');
    expect(body.userId).toMatch(/^accounts\.google\.com:\d{21}$/);
    const cookie = sessionCookieOf(res);
    expect(cookie).toMatch(/;\s*HttpOnly/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    expect(cookie).toMatch(/;\s*Path=\//);
  });

  test('form sign-in redirects back to the remembered path', async () => {
    const res = await fetch(proxy('/_gcp_iap/signin'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
      body: new URLSearchParams({ email: 'bob@example.com', redirect: '/requests/abc?x=1' }).toString(),
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/requests/abc?x=1');
    const seenByUpstream = await throughProxy('/requests/abc?x=1', sessionCookieOf(res).split(';')[0]);
    expect(seenByUpstream.headers['x-goog-authenticated-user-email']).toBe('accounts.google.com:bob@example.com');
  });

  test('a redirect that would leave the site is replaced by /', async () => {
    for (const target of ['//evil.example/x', '/\\evil.example', 'https://evil.example/']) {
      const res = await fetch(proxy('/_gcp_iap/signin'), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email: 'bob@example.com', redirect: target }).toString(),
        redirect: 'manual',
      });
      expect(res.headers.get('location')).toBe('/');
    }
  });

  test('an email that is not a user of the world is refused without a session', async () => {
    const res = await fetch(proxy('/_gcp_iap/signin'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'eve@evil.example' }) });
    expect(res.status).toBe(400);
    expect(res.headers.getSetCookie()).toEqual([]);
    const { error } = (await res.json()) as { error: { message: string } };
    expect(error.message).toContain('eve@evil.example is not a user');
    expect(error.message).toContain('alice@example.com');

    const form = await fetch(proxy('/_gcp_iap/signin'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'email=%3Cb%3Eeve%40evil.example',
    });
    expect(form.status).toBe(400);
    const page = await form.text();
    expect(page).toContain('role="alert"');
    expect(page).toContain('&lt;b&gt;eve@evil.example is not a user');
    expect(page).not.toContain('<b>eve');
  });

  test('malformed sign-in bodies get a 4xx that names the problem', async () => {
    const missing = await fetch(proxy('/_gcp_iap/signin'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('email is required');
    const broken = await fetch(proxy('/_gcp_iap/signin'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"email":' });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toContain('not valid JSON');
    const text = await fetch(proxy('/_gcp_iap/signin'), { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'alice' });
    expect(text.status).toBe(415);
  });

  test('the sign-in page lists every user of the world as a button and escapes the remembered path', async () => {
    const res = await fetch(proxy('/_gcp_iap/signin?redirect=%2Fx%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    for (const user of emulator.state.users) expect(page).toContain(`<button type="submit" name="email" value="${user}">${user}</button>`);
    expect(page).toContain('value="/x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(page).not.toContain('<script');
    expect(page).not.toMatch(/<(link|img|script)[^>]+(src|href)=/i);
  });

  test('signing out ends the session', async () => {
    const cookie = await signInJson('carol@example.com');
    await throughProxy('/before', cookie);
    const out = await fetch(proxy('/_gcp_iap/clear_login_cookie'), { headers: { Cookie: cookie } });
    expect(out.status).toBe(200);
    expect(sessionCookieOf(out)).toMatch(/Max-Age=0/);
    const after = await fetch(proxy('/after'), { headers: { Cookie: cookie, Accept: 'application/json' } });
    expect(after.status).toBe(401);
  });
});

describe('unauthenticated requests', () => {
  test('a browser is sent to the sign-in page with the original path remembered; an API client gets 401', async () => {
    const before = seen.length;
    const page = await fetch(proxy('/requests/r1?view=full'), { headers: { Accept: 'text/html,application/xhtml+xml' }, redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/_gcp_iap/signin?redirect=%2Frequests%2Fr1%3Fview%3Dfull');

    const api = await fetch(proxy('/api/user'), { headers: { Accept: 'application/json' } });
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { message: string } }).error.message).toContain('Not signed in');

    const forged = await fetch(proxy('/api/user'), { headers: { Accept: 'application/json', Cookie: `${IAP_SESSION_COOKIE}=made-up` } });
    expect(forged.status).toBe(401);
    expect(seen.length).toBe(before);
  });
});

describe('forwarding', () => {
  let alice: string;
  beforeAll(async () => {
    alice = await signInJson('alice@example.com');
  });

  test('the upstream receives an assertion that verifies with jose and with google-auth-library', async () => {
    const got = await throughProxy('/api/user?x=1', alice);
    expect(got.method).toBe('GET');
    expect(got.url).toBe('/api/user?x=1');
    const jwt = got.headers['x-goog-iap-jwt-assertion'] as string;
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', typ: 'JWT' });

    const claims = await verifyWithJose(jwt);
    const viaGoogleAuth = await verifyWithGoogleAuth(jwt);
    expect(viaGoogleAuth).toEqual(claims);
    expect(claims).toMatchObject({
      iss: ISSUER,
      aud: emulator.iapAudience,
      azp: emulator.iapAudience,
      email: 'alice@example.com',
      hd: 'example.com',
      identity_source: 'GOOGLE',
      sub: expect.stringMatching(/^accounts\.google\.com:\d{21}$/),
    });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect((claims.google as { access_levels: string[] }).access_levels).toEqual([expect.stringMatching(/^accessPolicies\/\d+\/accessLevels\/\w+$/)]);

    expect(got.headers['x-goog-authenticated-user-email']).toBe('accounts.google.com:alice@example.com');
    expect(got.headers['x-goog-authenticated-user-id']).toBe(claims.sub);
  });

  test('the user id is stable per user and differs between users', async () => {
    const first = await throughProxy('/one', alice);
    const again = await throughProxy('/two', await signInJson('alice@example.com'));
    const dave = await throughProxy('/three', await signInJson('dave@example.com'));
    expect(again.headers['x-goog-authenticated-user-id']).toBe(first.headers['x-goog-authenticated-user-id']);
    expect(dave.headers['x-goog-authenticated-user-id']).not.toBe(first.headers['x-goog-authenticated-user-id']);
  });

  test('identity headers a client sends are replaced, and the session cookie is not passed on', async () => {
    const forged = await mint({ email: 'admin@example.com' });
    const got = await throughProxy('/api/user', `theme=dark; ${alice}; lang=en`, {
      headers: {
        'X-Goog-IAP-JWT-Assertion': forged,
        'X-Goog-Authenticated-User-Email': 'accounts.google.com:admin@example.com',
        'X-Goog-Authenticated-User-Id': 'accounts.google.com:1',
        'X-Goog-IAP-Something-Else': 'x',
      },
    });
    expect(got.headers['x-goog-iap-jwt-assertion']).not.toBe(forged);
    expect((await verifyWithJose(got.headers['x-goog-iap-jwt-assertion'] as string)).email).toBe('alice@example.com');
    expect(got.headers['x-goog-authenticated-user-email']).toBe('accounts.google.com:alice@example.com');
    expect(got.headers['x-goog-authenticated-user-id']).not.toBe('accounts.google.com:1');
    expect(got.headers['x-goog-iap-something-else']).toBeUndefined();
    expect(got.headers.cookie).toBe('theme=dark; lang=en');
  });

  test('the Host header is the one the user sees, and X-Forwarded-* are added', async () => {
    const got = await throughProxy('/host', alice);
    expect(got.headers.host).toBe(new URL(emulator.iapUrl!).host);
    expect(got.headers['x-forwarded-proto']).toBe('http');
    expect(got.headers['x-forwarded-for']).toBe('127.0.0.1');
  });

  test('request and response bodies stream through unchanged, with every Set-Cookie', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 'jit-access-');
    const res = await fetch(proxy('/upload'), { method: 'POST', headers: { Cookie: alice, 'Content-Type': 'application/octet-stream' }, body });
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const got = (await res.json()) as Seen;
    expect(got.method).toBe('POST');
    expect(got.bodyLength).toBe(body.length);
    expect(got.bodySha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  test('redirects from the upstream lead back through the proxy', async () => {
    const host = new URL(emulator.iapUrl!).host;
    const absolute = await fetch(proxy('/redirect-absolute'), { headers: { Cookie: alice }, redirect: 'manual' });
    expect(absolute.status).toBe(302);
    expect(absolute.headers.get('location')).toBe(`http://${host}/landing?from=absolute`);
    const relative = await fetch(proxy('/redirect-relative'), { headers: { Cookie: alice }, redirect: 'manual' });
    expect(relative.headers.get('location')).toBe('/landing?from=relative');
    const elsewhere = await fetch(proxy('/redirect-elsewhere'), { headers: { Cookie: alice }, redirect: 'manual' });
    expect(elsewhere.headers.get('location')).toBe('https://accounts.example.org/somewhere');
  });

  test('paths under /_gcp_iap/ never reach the upstream', async () => {
    const before = seen.length;
    const res = await fetch(proxy('/_gcp_iap/anything'), { headers: { Cookie: alice, Accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(seen.length).toBe(before);
  });

  test('an upstream that is down gets a 502 saying the service is not reachable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    emulator.setUpstream(deadUrl);
    try {
      const api = await fetch(proxy('/api/user'), { headers: { Cookie: alice, Accept: 'application/json' } });
      expect(api.status).toBe(502);
      expect(((await api.json()) as { error: { message: string } }).error.message).toMatch(/not reachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
      const page = await fetch(proxy('/'), { headers: { Cookie: alice, Accept: 'text/html' } });
      expect(page.status).toBe(502);
      expect(await page.text()).toContain('Service not reachable');
    } finally {
      emulator.setUpstream(upstreamUrl);
    }
    await throughProxy('/back', alice);
  });
});

describe('programmatic access: a Google ID token for IAP\'s OAuth client id', () => {
  const DEPLOYER = 'deployer@jit-host.iam.gserviceaccount.com';

  /** An ID token as the CLI gets it: google-auth-library, a key file, https://oauth2.googleapis.com/token. */
  async function idTokenFor(audience: string): Promise<string> {
    const credentials = await issueServiceAccountKey(emulator, DEPLOYER);
    const auth = new GoogleAuth({ credentials, clientOptions: { transporterOptions: await frontDoorTransport(emulator) } });
    const authorization = (await (await auth.getIdTokenClient(audience)).getRequestHeaders()).get('authorization')!;
    return authorization.slice('Bearer '.length);
  }

  let token: string;
  beforeAll(async () => {
    token = await idTokenFor(emulator.iapClientId);
  });

  /** A refusal by IAP itself: the upstream never sees the request. */
  async function refused(headers: Record<string, string>): Promise<{ status: number; type: string | null; text: string }> {
    const before = seen.length;
    const res = await fetch(proxy('/api/user'), { headers: { Accept: 'application/json', ...headers } });
    expect(seen.length).toBe(before);
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  }

  test('Authorization: Bearer: forwarded with IAP\'s assertion for the service account; IAP consumes the header', async () => {
    const got = await throughProxy('/api/user', '', { headers: { Authorization: `Bearer ${token}` } });
    expect(got.headers.authorization).toBeUndefined();
    expect(got.headers['x-goog-authenticated-user-email']).toBe(`accounts.google.com:${DEPLOYER}`);
    const assertion = got.headers['x-goog-iap-jwt-assertion'] as string;
    expect(await verifyWithGoogleAuth(assertion)).toMatchObject({ email: DEPLOYER, iss: ISSUER, aud: emulator.iapAudience });
    expect((await verifyWithJose(assertion)).hd).toBeUndefined();
  });

  test("a person's ID token for IAP's client: forwarded as that user, hd included", async () => {
    const aliceToken = await userIdToken(emulator, 'alice@example.com', emulator.iapClientId);
    const got = await throughProxy('/api/user', '', { headers: { Authorization: `Bearer ${aliceToken}` } });
    expect(await verifyWithJose(got.headers['x-goog-iap-jwt-assertion'] as string)).toMatchObject({ email: 'alice@example.com', hd: 'example.com' });
  });

  test('Proxy-Authorization: Bearer: the application keeps its own Authorization header', async () => {
    const got = await throughProxy('/api/user', '', { headers: { 'Proxy-Authorization': `Bearer ${token}`, Authorization: 'Basic YXBwOnNlY3JldA==' } });
    expect(got.headers.authorization).toBe('Basic YXBwOnNlY3JldA==');
    expect(got.headers['proxy-authorization']).toBeUndefined();
    expect((await verifyWithJose(got.headers['x-goog-iap-jwt-assertion'] as string)).email).toBe(DEPLOYER);
  });

  test('a token for another audience is refused with 401 in IAP\'s words, even with a signed-in session', async () => {
    const other = await idTokenFor('https://jit.example.com');
    const alice = await signInJson('alice@example.com');
    const res = await refused({ Authorization: `Bearer ${other}`, Cookie: alice });
    expect(res).toEqual({
      status: 401,
      type: 'text/plain; charset=utf-8',
      text: `Invalid IAP credentials: JWT audience doesn't match this application ('aud' claim (https://jit.example.com) doesn't match expected value (${emulator.iapClientId}))`,
    });
  });

  test('a bad signature, garbage and an IAP assertion (not a Google ID token) are refused', async () => {
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect(await refused({ Authorization: `Bearer ${header}.${payload}.${flipped}` })).toMatchObject({ status: 401, text: 'Invalid IAP credentials: JWT signature is invalid' });
    expect(await refused({ Authorization: 'Bearer not-a-jwt' })).toMatchObject({ status: 401, text: 'Invalid IAP credentials: Unable to parse JWT' });
    const iapAssertion = await mint({ email: 'alice@example.com', audience: emulator.iapClientId });
    expect(await refused({ 'Proxy-Authorization': `Bearer ${iapAssertion}` })).toMatchObject({ status: 401, text: 'Invalid IAP credentials: JWT signature is invalid' });
  });

  test('an expired token is refused', async () => {
    await fetch(`${emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ advanceSeconds: 3601 }) });
    try {
      expect(await refused({ Authorization: `Bearer ${token}` })).toMatchObject({ status: 401, text: 'Invalid IAP credentials: Expired JWT' });
    } finally {
      await fetch(`${emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ offsetSeconds: 0 }) });
    }
  });

  test('a token without the email claim is refused: IAP needs to know who calls', async () => {
    const { data } = await googleClients(emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
      name: `projects/-/serviceAccounts/${DEPLOYER}`,
      requestBody: { audience: emulator.iapClientId },
    });
    expect(await refused({ Authorization: `Bearer ${data.token}` })).toMatchObject({ status: 401, text: expect.stringContaining('has no email claim') });
    const withEmail = await googleClients(emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
      name: `projects/-/serviceAccounts/${DEPLOYER}`,
      requestBody: { audience: emulator.iapClientId, includeEmail: true },
    });
    expect((await throughProxy('/api/user', '', { headers: { Authorization: `Bearer ${withEmail.data.token}` } })).headers['x-goog-authenticated-user-email']).toBe(`accounts.google.com:${DEPLOYER}`);
  });
});

describe('minted assertions', () => {
  test('a default assertion verifies with both libraries and carries the requested extras', async () => {
    const jwt = await mint({ email: 'frank@example.com', deviceId: 'device-1', accessLevels: ['accessPolicies/1/accessLevels/a'] });
    const claims = await verifyWithJose(jwt);
    expect(await verifyWithGoogleAuth(jwt)).toEqual(claims);
    expect(claims).toMatchObject({ email: 'frank@example.com', hd: 'example.com', google: { access_levels: ['accessPolicies/1/accessLevels/a'], device_id: 'device-1' } });
  });

  test('accounts outside the organization get no hd claim', async () => {
    const claims = await verifyWithJose(await mint({ email: 'someone@gmail.com' }));
    expect(claims.email).toBe('someone@gmail.com');
    expect(claims).not.toHaveProperty('hd');
  });

  const rejections: [string, object, string, RegExp][] = [
    ['expired', { email: 'alice@example.com', issuedAtOffsetSeconds: -4000, expiresInSeconds: -3400 }, 'ERR_JWT_EXPIRED', /Token used too late/],
    ['wrong audience', { email: 'alice@example.com', audience: '/projects/1/apps/other' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', /Wrong recipient/],
    ['wrong issuer', { email: 'alice@example.com', issuer: 'https://evil.example' }, 'ERR_JWT_CLAIM_VALIDATION_FAILED', /Invalid issuer/],
    ['unknown kid', { email: 'alice@example.com', kid: 'not-published' }, 'ERR_JWKS_NO_MATCHING_KEY', /No pem found for envelope/],
    ['alg none', { email: 'alice@example.com', alg: 'none' }, 'ERR_JOSE_ALG_NOT_ALLOWED', /Invalid token signature/],
    ['HS256 keyed with the public key', { email: 'alice@example.com', alg: 'HS256' }, 'ERR_JOSE_ALG_NOT_ALLOWED', /Invalid token signature/],
    ['signed by another key under the published kid', { email: 'alice@example.com', foreignKey: true }, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', /Invalid token signature/],
  ];
  test.each(rejections)('%s: both libraries refuse it for that reason', async (_name, request, joseCode, googleAuthMessage) => {
    const jwt = await mint(request);
    await expect(verifyWithJose(jwt)).rejects.toMatchObject({ code: joseCode });
    await expect(verifyWithGoogleAuth(jwt)).rejects.toThrow(googleAuthMessage);
  });

  test('the claim that jose reports is the one that was broken', async () => {
    await expect(verifyWithJose(await mint({ email: 'alice@example.com', audience: '/projects/1/apps/other' }))).rejects.toMatchObject({ claim: 'aud' });
    await expect(verifyWithJose(await mint({ email: 'alice@example.com', issuer: 'https://evil.example' }))).rejects.toMatchObject({ claim: 'iss' });
  });

  test('an assertion issued in the future is refused by google-auth-library', async () => {
    await expect(verifyWithGoogleAuth(await mint({ email: 'alice@example.com', issuedAtOffsetSeconds: 3600, expiresInSeconds: 3900 }))).rejects.toThrow(/Token used too early/);
  });

  test('an unsigned assertion has an empty signature and alg none', async () => {
    const jwt = await mint({ email: 'alice@example.com', alg: 'none' });
    expect(jwt.endsWith('.')).toBe(true);
    expect(decodeProtectedHeader(jwt).alg).toBe('none');
  });

  test('bad requests name the problem', async () => {
    const res = await fetch(`${emulator.url}/_emulator/iap/assertion`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'alice@example.com', algo: 'none' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('Unknown name "algo"');
    const noEmail = await fetch(`${emulator.url}/_emulator/iap/assertion`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'not-an-email' }) });
    expect(noEmail.status).toBe(400);
  });
});
