// Google's OAuth token endpoint for service-account keys (the JWT-bearer grant) and the key files the emulator
// issues, exercised through google-auth-library itself (its JWT client and gtoken, reaching
// https://oauth2.googleapis.com/token through the emulator's front door) and with hand-made assertions.
import net from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { GoogleAuth, JWT } from 'google-auth-library';
import { SignJWT, createRemoteJWKSet, importPKCS8, jwtVerify, type JWTPayload } from 'jose';
import { frontDoorTransport, issueServiceAccountKey, startTestEmulator, userIdToken, type ServiceAccountKeyFile } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';

const DEPLOYER = 'deployer@jit-host.iam.gserviceaccount.com';
const SERVICE = 'jitaccess@jit-host.iam.gserviceaccount.com';
const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const AUDIENCE = 'https://jit.example.com';

let emulator: RunningEmulator;
let key: ServiceAccountKeyFile;

beforeAll(async () => {
  emulator = await startTestEmulator();
  key = await issueServiceAccountKey(emulator, DEPLOYER);
});
afterAll(() => emulator.close());

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** An assertion as gtoken makes it (header `{"alg":"RS256"}` only), with these claims over the defaults. */
async function assertion(claims: JWTPayload, privateKeyPem = key.private_key, header: Record<string, string> = {}): Promise<string> {
  const iat = nowSeconds();
  const payload = { iss: DEPLOYER, aud: TOKEN_URL, iat, exp: iat + 3600, target_audience: AUDIENCE, ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', ...header }).sign(await importPKCS8(privateKeyPem, 'RS256'));
}

/** A form POST to the endpoint on the emulator's own port (as to a private endpoint for oauth2.googleapis.com). */
async function tokenRequest(form: Record<string, string>, contentType = 'application/x-www-form-urlencoded') {
  const body = contentType === 'application/json' ? JSON.stringify(form) : new URLSearchParams(form).toString();
  const res = await fetch(`${emulator.url}/token`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as Record<string, string> };
}

const grant = async (claims: JWTPayload, privateKeyPem?: string, header?: Record<string, string>) =>
  tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: await assertion(claims, privateKeyPem, header) });

async function verifiedIdToken(token: string, audience = AUDIENCE): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${emulator.url}/oauth2/v3/certs`)), { issuer: 'https://accounts.google.com', audience, algorithms: ['RS256'] });
  return payload;
}

describe('service-account key files', () => {
  test('a key file like the console downloads, for an account of the world; a new key each time', async () => {
    expect(key).toEqual({
      type: 'service_account',
      project_id: 'jit-host',
      private_key_id: expect.stringMatching(/^[0-9a-f]{40}$/),
      private_key: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/),
      client_email: DEPLOYER,
      client_id: expect.stringMatching(/^[0-9]{21}$/),
      token_uri: TOKEN_URL,
      universe_domain: 'googleapis.com',
    });
    const second = await issueServiceAccountKey(emulator, DEPLOYER);
    expect(second.private_key_id).not.toBe(key.private_key_id);
    expect(second.client_id).toBe(key.client_id);
  });

  test('refuses an account the world does not have', async () => {
    const res = await fetch(`${emulator.url}/_emulator/service-accounts/nobody@jit-host.iam.gserviceaccount.com/keys`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('not an account of the emulator');
  });
});

describe("a person's ID token (the stand-in for Google sign-in)", () => {
  test('for a user of the world: the OAuth client as aud and azp, hd for the organization\'s domain', async () => {
    const payload = await verifiedIdToken(await userIdToken(emulator, 'alice@example.com', AUDIENCE));
    expect(payload).toEqual({
      iss: 'https://accounts.google.com',
      azp: AUDIENCE,
      aud: AUDIENCE,
      sub: expect.stringMatching(/^[0-9]{21}$/),
      hd: 'example.com',
      email: 'alice@example.com',
      email_verified: true,
      iat: expect.any(Number),
      exp: payload.iat! + 3600,
    });
  });

  test('refuses a stranger and a missing audience', async () => {
    await expect(userIdToken(emulator, 'nobody@example.com', AUDIENCE)).rejects.toThrow('HTTP 404');
    await expect(userIdToken(emulator, 'alice@example.com', '')).rejects.toThrow('HTTP 400');
  });
});

describe('google-auth-library through the front door', () => {
  test('GoogleAuth.getIdTokenClient with a key file gets an ID token Google signed for the audience', async () => {
    const auth = new GoogleAuth({ credentials: key, clientOptions: { transporterOptions: await frontDoorTransport(emulator) } });
    const client = await auth.getIdTokenClient(AUDIENCE);
    const authorization = (await client.getRequestHeaders()).get('authorization')!;
    expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    const payload = await verifiedIdToken(authorization.slice('Bearer '.length));
    expect(payload).toEqual({
      aud: AUDIENCE,
      azp: key.client_id,
      email: DEPLOYER,
      email_verified: true,
      exp: payload.iat! + 3600,
      iat: expect.any(Number),
      iss: 'https://accounts.google.com',
      sub: key.client_id,
    });
    expect(emulator.state.calls.get('oauth2.token')).toBeGreaterThanOrEqual(1);
  });

  test('a key the emulator never issued fails with Google\'s error, through the library', async () => {
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const jwt = new JWT({ email: DEPLOYER, key: foreign, transporterOptions: await frontDoorTransport(emulator) });
    await expect(jwt.fetchIdToken(AUDIENCE)).rejects.toThrow('invalid_grant: Invalid JWT Signature.');
  });

  test('the front door serves only the token endpoint, and tunnels to no other host', async () => {
    const { fetchImplementation, agent } = await frontDoorTransport(emulator);
    const other = await fetchImplementation('https://oauth2.googleapis.com/v3/projects/prod-app', { agent } as RequestInit);
    expect(other.status).toBe(404);

    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(emulator.url).port), '127.0.0.1', () => socket.write('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(answer).toContain('does not tunnel to example.com:443');
  });
});

describe('the JWT-bearer grant, checked as Google checks it', () => {
  test('a good assertion gets {"id_token"} only, not cached', async () => {
    const res = await grant({});
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['id_token']);
    expect(res.cacheControl).toBe('no-store');
    expect((await verifiedIdToken(res.body.id_token)).email).toBe(DEPLOYER);
  });

  test('signature: another key, a key of another account, a kid the account does not have, another algorithm', async () => {
    const invalidSignature = { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(await grant({}, foreign)).toMatchObject(invalidSignature);
    const servicesKey = await issueServiceAccountKey(emulator, SERVICE);
    expect(await grant({}, servicesKey.private_key)).toMatchObject(invalidSignature);
    expect(await grant({}, undefined, { kid: servicesKey.private_key_id })).toMatchObject(invalidSignature);
    expect(await grant({}, undefined, { kid: key.private_key_id })).toMatchObject({ status: 200 });
    const hs256 = await new SignJWT({ iss: DEPLOYER, aud: TOKEN_URL, iat: nowSeconds(), exp: nowSeconds() + 60, target_audience: AUDIENCE })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(key.private_key));
    expect(await tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: hs256 })).toMatchObject(invalidSignature);
  });

  test('issuer, audience and times', async () => {
    expect(await grant({ iss: 'nobody@jit-host.iam.gserviceaccount.com' })).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: 'Invalid grant: account not found' } });
    // Google checks its canonical URL, wherever the request arrives (a token_uri elsewhere fails this way).
    expect(await grant({ aud: `${emulator.url}/token` })).toMatchObject({ status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('Failed audience check') } });
    const shortLived = { status: 400, body: { error: 'invalid_grant', error_description: expect.stringContaining('short-lived token (60 minutes)') } };
    const now = nowSeconds();
    expect(await grant({ iat: now, exp: now + 3601 })).toMatchObject(shortLived);
    expect(await grant({ iat: now - 3700, exp: now - 100 })).toMatchObject(shortLived);
    expect(await grant({ iat: now + 120, exp: now + 600 })).toMatchObject(shortLived);
    expect(await grant({ iat: String(now) } as unknown as JWTPayload)).toMatchObject(shortLived);
  });

  test('acting as someone else (domain-wide delegation) is not allowed', async () => {
    expect(await grant({ sub: 'alice@example.com' })).toMatchObject({ status: 401, body: { error: 'unauthorized_client' } });
    expect(await grant({ sub: DEPLOYER })).toMatchObject({ status: 200 });
  });

  test('without target_audience: no scope is invalid_scope; a scope asks for an access token, which the emulator does not issue', async () => {
    expect(await grant({ target_audience: undefined })).toMatchObject({
      status: 400,
      body: { error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' },
    });
    expect(await grant({ target_audience: undefined, scope: 'https://www.googleapis.com/auth/cloud-platform' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: expect.stringContaining('issues ID tokens only') },
    });
  });

  test('the request itself: grant type, assertion, form encoding, repeated parameters', async () => {
    expect(await tokenRequest({ grant_type: 'client_credentials' })).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: client_credentials' } });
    expect(await tokenRequest({ assertion: 'x' })).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'Missing required parameter: grant_type' } });
    expect(await tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: 'Missing required parameter: assertion' },
    });
    expect(await tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: 'not.a-jwt' })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const good = await assertion({});
    expect(await tokenRequest({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: good }, 'application/json')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request', error_description: expect.stringContaining('application/x-www-form-urlencoded') },
    });
    const repeated = await fetch(`${emulator.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=${good}&assertion=${good}`,
    });
    expect(repeated.status).toBe(400);
    expect(await repeated.json()).toMatchObject({ error: 'invalid_request', error_description: 'Parameter assertion is repeated; send it once.' });
  });
});
