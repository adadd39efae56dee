// Google-signed OIDC ID tokens: IAM Credentials generateIdToken through googleapis, verified with jose
// against the emulator's /oauth2/v3/certs.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';

const DEPLOYER = 'deployer@jit-host.iam.gserviceaccount.com';
const AUDIENCE = 'https://jit.example.com/tasks/cleanup';

let emulator: RunningEmulator;
let iam: ReturnType<typeof googleClients>['iamcredentials'];

beforeAll(async () => {
  const world = demoWorld();
  world.callers = { 'alice-token': 'user:alice@example.com' };
  emulator = await startTestEmulator(world);
  iam = googleClients(emulator).iamcredentials;
});
afterAll(() => emulator.close());

const generate = (requestBody: object, client = iam, account = DEPLOYER) =>
  client.projects.serviceAccounts.generateIdToken({ name: `projects/-/serviceAccounts/${account}`, requestBody });

describe('generateIdToken', () => {
  it('issues an RS256 token from accounts.google.com for the audience, verifiable with the published keys', async () => {
    const { data } = await generate({ audience: AUDIENCE, includeEmail: true });
    const header = decodeProtectedHeader(data.token!);
    expect(header).toEqual({ alg: 'RS256', kid: expect.stringMatching(/^[0-9a-f]{40}$/), typ: 'JWT' });
    const keys = createRemoteJWKSet(new URL(`${emulator.url}/oauth2/v3/certs`));
    const { payload } = await jwtVerify(data.token!, keys, { issuer: 'https://accounts.google.com', audience: AUDIENCE });
    expect(payload).toEqual({
      aud: AUDIENCE,
      azp: expect.stringMatching(/^[0-9]{21}$/),
      email: DEPLOYER,
      email_verified: true,
      exp: payload.iat! + 3600,
      iat: expect.any(Number),
      iss: 'https://accounts.google.com',
      sub: payload.azp,
    });
  });

  it('leaves the email out unless includeEmail is set', async () => {
    const { data } = await generate({ audience: AUDIENCE });
    const { payload } = await jwtVerify(data.token!, createRemoteJWKSet(new URL(`${emulator.url}/oauth2/v3/certs`)));
    expect(payload.email).toBeUndefined();
    expect(payload.email_verified).toBeUndefined();
  });

  it('refuses a missing audience, an unknown field and a project other than -', async () => {
    expect((await expectGoogleError(generate({ includeEmail: true }), 400)).message).toContain('audience is required');
    expect((await expectGoogleError(generate({ audience: AUDIENCE, extra: 1 }), 400)).message).toContain('Unknown name "extra"');
    const wrongProject = iam.projects.serviceAccounts.generateIdToken({ name: `projects/jit-host/serviceAccounts/${DEPLOYER}`, requestBody: { audience: AUDIENCE } });
    expect((await expectGoogleError(wrongProject, 400)).message).toContain("wildcard '-'");
  });

  it('needs iam.serviceAccounts.getOpenIdToken on the account', async () => {
    const alice = googleClients(emulator, 'alice-token').iamcredentials;
    const error = await expectGoogleError(generate({ audience: AUDIENCE }, alice), 403);
    expect(error.message).toContain('iam.serviceAccounts.getOpenIdToken');
    await expectGoogleError(generate({ audience: AUDIENCE }, iam, 'nobody@jit-host.iam.gserviceaccount.com'), 403);
  });
});
