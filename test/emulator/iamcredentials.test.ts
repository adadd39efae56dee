// IAM Credentials signJwt and the service-account key endpoints, through googleapis, jose and google-auth-library.
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { OAuth2Client } from 'google-auth-library';
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';

const JIT = 'jitaccess@jit-host.iam.gserviceaccount.com';
const DEPLOYER = 'deployer@jit-host.iam.gserviceaccount.com';

let emulator: RunningEmulator;
let iam: ReturnType<typeof googleClients>['iamcredentials'];

beforeAll(async () => {
  const world = demoWorld();
  world.callers = { 'deployer-token': `serviceAccount:${DEPLOYER}`, 'alice-token': 'user:alice@example.com', 'carol-token': 'user:carol@example.com' };
  world.iam['projects/jit-host'].push({ role: 'roles/iam.serviceAccountTokenCreator', members: ['user:carol@example.com'] });
  emulator = await startTestEmulator(world);
  iam = googleClients(emulator).iamcredentials;
});
afterAll(() => emulator.close());

const now = () => Math.floor(Date.now() / 1000);
const sign = (account: string, claims: object, client = iam, delegates?: string[]) =>
  client.projects.serviceAccounts.signJwt({ name: `projects/-/serviceAccounts/${account}`, requestBody: { payload: JSON.stringify(claims), delegates } });
const claims = (extra: object = {}) => ({ iss: JIT, aud: 'jit-access-approval', sub: 'alice@example.com', iat: now(), exp: now() + 600, ...extra });

async function jwks(account: string): Promise<{ status: number; cacheControl: string | null; body: JSONWebKeySet }> {
  const res = await fetch(`${emulator.url}/service_accounts/v1/metadata/jwk/${account}`);
  return { status: res.status, cacheControl: res.headers.get('cache-control'), body: (await res.json()) as JSONWebKeySet };
}

describe('signJwt', () => {
  it('signs the claims with RS256 under a 40-hex key id that the published JWKS verifies', async () => {
    const { data } = await sign(JIT, claims({ jti: 'req-1' }));
    expect(data.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(decodeProtectedHeader(data.signedJwt!)).toEqual({ alg: 'RS256', kid: data.keyId, typ: 'JWT' });

    const keys = await jwks(JIT);
    expect(keys.status).toBe(200);
    expect(keys.cacheControl).toMatch(/^public, max-age=\d+/);
    expect(keys.body.keys).toEqual([{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: data.keyId, n: expect.any(String), e: 'AQAB' }]);
    const local = await jwtVerify(data.signedJwt!, createLocalJWKSet(keys.body), { issuer: JIT, audience: 'jit-access-approval' });
    expect(local.payload).toMatchObject({ sub: 'alice@example.com', jti: 'req-1' });

    const remote = await jwtVerify(data.signedJwt!, createRemoteJWKSet(new URL(`${emulator.url}/service_accounts/v1/metadata/jwk/${JIT}`)), { issuer: JIT });
    expect(remote.payload.jti).toBe('req-1');
  });

  it('publishes an X.509 certificate per key that google-auth-library verifies the token against', async () => {
    const { data } = await sign(JIT, claims());
    const res = await fetch(`${emulator.url}/service_accounts/v1/metadata/x509/${JIT}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d+/);
    const certs = (await res.json()) as Record<string, string>;
    expect(Object.keys(certs)).toEqual([data.keyId]);
    expect(certs[data.keyId!]).toMatch(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+\n-----END CERTIFICATE-----\n$/);

    const ticket = await new OAuth2Client().verifySignedJwtWithCertsAsync(data.signedJwt!, certs, 'jit-access-approval', [JIT]);
    expect(ticket.getPayload()?.sub).toBe('alice@example.com');
  });

  it('adds exp = now + 1 h when the claims have none, and keeps the claims otherwise verbatim', async () => {
    const payload = { iss: JIT, aud: 'x', custom: { nested: [1, 2] } };
    const { data } = await sign(JIT, payload);
    const signed = JSON.parse(Buffer.from(data.signedJwt!.split('.')[1], 'base64url').toString());
    expect(signed).toMatchObject(payload);
    expect(Math.abs(signed.exp - (now() + 3600))).toBeLessThanOrEqual(5);

    const verbatim = JSON.stringify(claims({ z: 1, a: 2 }));
    const { data: second } = await iam.projects.serviceAccounts.signJwt({ name: `projects/-/serviceAccounts/${JIT}`, requestBody: { payload: verbatim } });
    expect(Buffer.from(second.signedJwt!.split('.')[1], 'base64url').toString()).toBe(verbatim);
  });

  it("rejects a token signed by another service account's key", async () => {
    const { data: other } = await sign(DEPLOYER, claims());
    const jitKeys = createLocalJWKSet((await jwks(JIT)).body);
    const deployerKeys = (await jwks(DEPLOYER)).body;
    expect(deployerKeys.keys[0].kid).toBe(other.keyId);
    expect(deployerKeys.keys[0].kid).not.toBe((await jwks(JIT)).body.keys[0].kid);

    await expect(jwtVerify(other.signedJwt!, jitKeys)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    // The same token relabelled with the right key id still fails: the signature is the other key's.
    const [, body, signature] = other.signedJwt!.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: (await jwks(JIT)).body.keys[0].kid, typ: 'JWT' })).toString('base64url');
    await expect(jwtVerify(`${header}.${body}.${signature}`, jitKeys)).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
  });

  it('keeps keys for the emulator’s life, across a state reset', async () => {
    const before = (await jwks(JIT)).body.keys[0].kid;
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    expect((await jwks(JIT)).body.keys[0].kid).toBe(before);
  });

  it('denies a caller without iam.serviceAccounts.signJwt, naming the permission, and unknown accounts alike', async () => {
    const deployer = googleClients(emulator, 'deployer-token').iamcredentials;
    const denied = await expectGoogleError(sign(JIT, claims(), deployer), 403);
    expect(denied).toMatchObject({ status: 'PERMISSION_DENIED', message: "Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist)." });
    expect((denied as unknown as { details: unknown[] }).details).toEqual([
      expect.objectContaining({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', metadata: expect.objectContaining({ permission: 'iam.serviceAccounts.signJwt' }) }),
    ]);

    const unknown = await expectGoogleError(sign('ghost@jit-host.iam.gserviceaccount.com', claims()), 403);
    expect(unknown.message).toBe("Permission 'iam.serviceAccounts.signJwt' denied on resource (or it may not exist).");
  });

  it('follows a delegation chain: implicitDelegation on each delegate, signJwt on the target', async () => {
    const carol = googleClients(emulator, 'carol-token').iamcredentials;
    const { data } = await sign(DEPLOYER, claims(), carol, [`projects/-/serviceAccounts/${JIT}`]);
    expect((await jwtVerify(data.signedJwt!, createLocalJWKSet((await jwks(DEPLOYER)).body))).payload.sub).toBe('alice@example.com');

    const alice = googleClients(emulator, 'alice-token').iamcredentials;
    const denied = await expectGoogleError(sign(DEPLOYER, claims(), alice, [`projects/-/serviceAccounts/${JIT}`]), 403);
    expect(denied.message).toContain("'iam.serviceAccounts.implicitDelegation'");
  });

  it.each([
    ['exp in the past', { exp: now() - 60 }, /exp .* is in the past/],
    ['exp more than 12 h ahead', { exp: now() + 12 * 3600 + 120 }, /more than 12 hours/],
    ['a non-integer exp', { exp: '1700000000' }, /exp must be an integer/],
  ])('rejects %s with 400', async (_case, extra, message) => {
    const err = await expectGoogleError(sign(JIT, claims(extra)), 400);
    expect(err).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringMatching(message) });
  });

  it('signs an exp just inside the 12-hour limit', async () => {
    const exp = now() + 12 * 3600 - 30;
    const { data } = await sign(JIT, claims({ exp }));
    expect((await jwtVerify(data.signedJwt!, createLocalJWKSet((await jwks(JIT)).body))).payload.exp).toBe(exp);
  });

  it('rejects a payload that is not a JSON object, a project other than "-", and unknown fields', async () => {
    const signRaw = (name: string, requestBody: object) => iam.projects.serviceAccounts.signJwt({ name, requestBody });
    expect((await expectGoogleError(signRaw(`projects/-/serviceAccounts/${JIT}`, { payload: 'not json' }), 400)).message).toMatch(/not valid JSON/);
    expect((await expectGoogleError(signRaw(`projects/-/serviceAccounts/${JIT}`, { payload: '[1]' }), 400)).message).toMatch(/must be a JSON object/);
    expect((await expectGoogleError(signRaw(`projects/-/serviceAccounts/${JIT}`, {}), 400)).message).toMatch(/payload is required/);
    expect((await expectGoogleError(signRaw(`projects/jit-host/serviceAccounts/${JIT}`, { payload: '{}' }), 400)).message).toMatch(/wildcard '-'/);
    expect((await expectGoogleError(signRaw(`projects/-/serviceAccounts/${JIT}`, { payload: '{}', lifetime: '60s' }), 400)).message).toBe(
      'Invalid JSON payload received. Unknown name "lifetime": Cannot find field.',
    );
  });

  it('counts calls as iamcredentials.signJwt', async () => {
    const before = emulator.state.calls.get('iamcredentials.signJwt') ?? 0;
    await sign(JIT, claims());
    expect(emulator.state.calls.get('iamcredentials.signJwt')).toBe(before + 1);
  });
});

describe('public key endpoints', () => {
  it('answer 404 for an unknown service account, without authentication', async () => {
    for (const kind of ['jwk', 'x509']) {
      const res = await fetch(`${emulator.url}/service_accounts/v1/metadata/${kind}/ghost@jit-host.iam.gserviceaccount.com`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { status: string } }).error.status).toBe('NOT_FOUND');
    }
  });
});
