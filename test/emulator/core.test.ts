// The emulator's own machinery: world files, authentication, routing, /_emulator control endpoints.
import { parseWorld, WorldError } from '../../emulator/world';
import { startTestEmulator, googleClients, expectGoogleError } from '../support/emulator';
import { etagOf } from '../../emulator/state';
import { createServer, type Server } from 'node:net';
import type { RunningEmulator } from '../../emulator/server';
import { freePort } from '../support/free-port';

const MINIMAL = `
organization: { id: "100000000001", domain: example.com }
serviceAccounts: [ jit@host-project.iam.gserviceaccount.com ]
`;

describe('world files', () => {
  test('a minimal world loads with defaults', () => {
    const world = parseWorld(MINIMAL);
    expect(world.projects).toEqual([]);
    expect(world.serviceAccounts).toEqual(['jit@host-project.iam.gserviceaccount.com']);
  });

  test.each([
    ['a YAML syntax error', `${MINIMAL}\nprojects: [ { id: a`, /^world:\d+: /],
    ['a wrong field, naming its line', `${MINIMAL}users:\n  - alice@example.com\n  - not-an-email\n`, /^world:6: users\.1: must be an email address/],
    ['an unknown field', `${MINIMAL}colour: blue\n`, /Unrecognized key.*colour/],
    ['an unknown parent', `${MINIMAL}projects: [ { id: prod-app, number: "300000000001", parent: folders/9999999 } ]\n`, /project prod-app has unknown parent folders\/9999999/],
    ['a binding on an unknown project', `${MINIMAL}iam:\n  projects/ghost-project:\n    - { role: roles/viewer, members: [ user:a@example.com ] }\n`, /iam: unknown resource projects\/ghost-project/],
    ['a binding without members', `${MINIMAL}projects: [ { id: prod-app, number: "300000000001", parent: organizations/100000000001 } ]\niam:\n  projects/prod-app:\n    - { role: roles/viewer, members: [] }\n`, /^world:7: iam\.projects\/prod-app\.0\.members/],
  ])('%s stops loading with a message', (_name, text, message) => {
    expect(() => parseWorld(text)).toThrow(WorldError);
    expect(() => parseWorld(text)).toThrow(message);
  });
});

describe('emulator HTTP machinery', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startTestEmulator();
  });
  afterAll(() => emulator.close());

  test('etags are base64 of 8 bytes starting with Bw, new on every revision', () => {
    expect(etagOf(1001)).toMatch(/^Bw[A-Za-z0-9+/]{9}=$/);
    expect(Buffer.from(etagOf(1001), 'base64')).toHaveLength(8);
    expect(etagOf(1001)).not.toBe(etagOf(1002));
  });

  test('a call without a bearer token is 401 UNAUTHENTICATED', async () => {
    const res = await fetch(`${emulator.url}/v3/projects/prod-app`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect((await res.json() as any).error.status).toBe('UNAUTHENTICATED');
  });

  test('an unknown path is 404 NOT_FOUND in Google’s envelope', async () => {
    const res = await fetch(`${emulator.url}/v9/nothing`, { headers: { authorization: 'Bearer x' } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
    expect(body.error.errors[0].reason).toBe('notFound');
  });

  test('malformed JSON is 400 INVALID_ARGUMENT', async () => {
    const res = await fetch(`${emulator.url}/v3/projects/prod-app:getIamPolicy`, {
      method: 'POST',
      headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
      body: '{"options":',
    });
    expect(res.status).toBe(400);
    expect((await res.json() as any).error.message).toContain('Invalid JSON payload received');
  });

  test('info, state and calls describe the emulator', async () => {
    const info = (await (await fetch(`${emulator.url}/_emulator/info`)).json()) as any;
    expect(info).toMatchObject({ apiRootUrl: `${emulator.url}/`, serviceAccount: 'jitaccess@jit-host.iam.gserviceaccount.com', organization: 'organizations/100000000001' });
    expect(info.smtp.port).toBe(emulator.smtpPort);
    const state = (await (await fetch(`${emulator.url}/_emulator/state`)).json()) as any;
    expect(state.projects.map((p: { id: string }) => p.id)).toContain('prod-app');
    expect(state.policies['projects/prod-app'].bindings.length).toBeGreaterThan(3);

    await fetch(`${emulator.url}/_emulator/calls`, { method: 'DELETE' });
    const { crm } = googleClients(emulator);
    await crm.projects.get({ name: 'projects/prod-app' });
    await crm.projects.get({ name: 'projects/prod-app' });
    const calls = (await (await fetch(`${emulator.url}/_emulator/calls`)).json()) as any;
    expect(calls.calls['cloudresourcemanager.projects.get']).toBe(2);
  });

  test('faults: injected errors with a count, latency, and clearing', async () => {
    const { crm } = googleClients(emulator);
    const post = (body: object) =>
      fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ errors: { cloudresourcemanager: { rate: 1, status: 503, count: 1 } } })).status).toBe(200);
    const err = await expectGoogleError(crm.projects.get({ name: 'projects/prod-app' }, { retry: false }), 503);
    expect(err.status).toBe('UNAVAILABLE');
    expect((await crm.projects.get({ name: 'projects/prod-app' }, { retry: false })).status).toBe(200);

    await post({ latencyMs: { cloudresourcemanager: 120 } });
    const started = Date.now();
    await crm.projects.get({ name: 'projects/prod-app' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);

    const bad = await post({ errors: { x: { rate: 2, status: 503 } } });
    expect(bad.status).toBe(400);
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
    expect(emulator.state.faults.latencyMs).toEqual({});
  });

  test('reset restores the world and clears what was recorded', async () => {
    emulator.state.storePolicy('projects/prod-app', []);
    emulator.state.recordCall('x');
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST' });
    expect(emulator.state.policyOf('projects/prod-app').bindings.length).toBeGreaterThan(3);
    expect(emulator.state.calls.size).toBe(0);
  });

  test('the clock can be moved for expiry tests', async () => {
    const res = await fetch(`${emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetSeconds: 3600 }) });
    const { now } = (await res.json()) as any;
    expect(new Date(now).getTime() - Date.now()).toBeGreaterThan(3590_000);
    await fetch(`${emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetSeconds: 0 }) });
  });
});

describe('a start that fails part-way', () => {
  let taken: Server;
  let takenPort: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  /** Whether a new listener gets the port, i.e. nothing of the failed start still holds it. */
  function portIsFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  }

  test('a taken SMTP port rejects the start and leaves the HTTP port free', async () => {
    const port = await freePort();
    await expect(startTestEmulator(undefined, { port, smtpPort: takenPort })).rejects.toMatchObject({ code: 'EADDRINUSE', port: takenPort });
    expect(await portIsFree(port)).toBe(true);
  });

  test('a taken IAP port rejects the start and leaves the HTTP and SMTP ports free', async () => {
    const [port, smtpPort] = [await freePort(), await freePort()];
    await expect(startTestEmulator(undefined, { port, smtpPort, iapPort: takenPort })).rejects.toMatchObject({ code: 'EADDRINUSE', port: takenPort });
    expect(await portIsFree(port)).toBe(true);
    expect(await portIsFree(smtpPort)).toBe(true);
  });
});
