// Secret Manager versions.access through the googleapis client.
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';
import { crc32c } from '../../emulator/apis/secretmanager';
import type { RunningEmulator } from '../../emulator/server';

let emulator: RunningEmulator;
let sm: ReturnType<typeof googleClients>['secretmanager'];

beforeAll(async () => {
  const world = demoWorld();
  world.secrets['projects/jit-host/secrets/api-key'] = ['first', 'second', 'third'];
  world.callers = { 'deployer-token': 'serviceAccount:deployer@jit-host.iam.gserviceaccount.com' };
  emulator = await startTestEmulator(world);
  sm = googleClients(emulator).secretmanager;
});
afterAll(() => emulator.close());

const access = (name: string, client = sm) => client.projects.secrets.versions.access({ name }, { retry: false });

describe('versions.access', () => {
  it('returns the latest version under the project number and concrete version, base64 with its CRC32C', async () => {
    const { data } = await access('projects/jit-host/secrets/smtp-password/versions/latest');
    expect(data).toEqual({
      name: 'projects/300000000000/secrets/smtp-password/versions/1',
      payload: { data: Buffer.from('demo-smtp-password').toString('base64'), dataCrc32c: String(crc32c(Buffer.from('demo-smtp-password'))) },
    });
  });

  it('resolves latest to the newest version and serves older ones by number, by project id or number', async () => {
    const latest = await access('projects/jit-host/secrets/api-key/versions/latest');
    expect(latest.data.name).toBe('projects/300000000000/secrets/api-key/versions/3');
    expect(Buffer.from(latest.data.payload!.data!, 'base64').toString()).toBe('third');
    const second = await access('projects/300000000000/secrets/api-key/versions/2');
    expect(second.data.name).toBe('projects/300000000000/secrets/api-key/versions/2');
    expect(Buffer.from(second.data.payload!.data!, 'base64').toString()).toBe('second');
  });

  it('computes CRC32C (Castagnoli) as the int64 string Google reports', () => {
    // The standard check value of CRC-32C.
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('answers 404 for an unknown secret or version, in Google’s wording', async () => {
    expect((await expectGoogleError(access('projects/jit-host/secrets/nope/versions/latest'), 404)).message).toBe(
      'Secret [projects/300000000000/secrets/nope] not found or has no versions.',
    );
    expect((await expectGoogleError(access('projects/jit-host/secrets/api-key/versions/4'), 404)).message).toBe(
      'Secret Version [projects/300000000000/secrets/api-key/versions/4] not found.',
    );
  });

  it('rejects a version that is neither a positive number nor latest', async () => {
    for (const version of ['0', 'newest']) {
      expect((await expectGoogleError(access(`projects/jit-host/secrets/api-key/versions/${version}`), 400)).status).toBe('INVALID_ARGUMENT');
    }
  });

  it('denies a caller without secretmanager.versions.access, naming the permission, and unknown projects alike', async () => {
    const deployer = googleClients(emulator, 'deployer-token').secretmanager;
    const denied = await expectGoogleError(access('projects/jit-host/secrets/smtp-password/versions/latest', deployer), 403);
    expect(denied.message).toBe(
      "Permission 'secretmanager.versions.access' denied for resource 'projects/jit-host/secrets/smtp-password/versions/latest' (or it may not exist).",
    );
    expect((await expectGoogleError(access('projects/nowhere-at-all/secrets/x/versions/1'), 403)).message).toContain('secretmanager.versions.access');
  });

  it('rejects unknown query parameters and counts calls', async () => {
    const res = await fetch(`${emulator.url}/v1/projects/jit-host/secrets/smtp-password/versions/1:access?view=FULL`, { headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(400);
    expect(emulator.state.calls.get('secretmanager.projects.secrets.versions.access')).toBeGreaterThan(0);
  });
});
