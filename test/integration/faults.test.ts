// Google throttling, failing and dawdling, injected through the emulator's /_emulator/faults: every fault
// ends in an answer that says what happened with the right status, idempotent reads are retried within
// their budget (the emulator counts the calls), and IAM is never left half-changed.
import { startStack, policyOf, withdrawPendingRequests, type Stack } from '../support/stack';

const ALICE_SELF_ROLES = ['prod-app:roles/cloudsql.admin', 'prod-app:roles/compute.viewer'];

async function faults(stack: Stack, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`setting faults failed: ${res.status} ${await res.text()}`);
}

async function clearFaults(stack: Stack): Promise<void> {
  await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
}

const calls = (stack: Stack, method: string) => stack.emulator.state.calls.get(method) ?? 0;
const BATCH_GET = 'cloudasset.effectiveIamPolicies.batchGet';
const GET_POLICY = 'cloudresourcemanager.projects.getIamPolicy';
const SET_POLICY = 'cloudresourcemanager.projects.setIamPolicy';

async function auditEntries(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

function activationsOf(bindings: any[], user: string): any[] {
  return bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${user}`));
}

function activate(stack: Stack, user: string, project: string, roles: string[], justification = 'INC-1') {
  return stack.as(user).post(`/api/v1/projects/${project}/activations`, { roles, justification, durationMinutes: 10 });
}

/** A fresh emulator world for every test; the catalog caches nothing, so each request reads Google. */
function stackPerTest(env: Record<string, string>): () => Stack {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { CATALOG_CACHE_SECONDS: '0', GROUP_CACHE_SECONDS: '0', ...env } });
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    await stack.service.audit.flush();
    stack.emulator.state.reset();
  });
  return () => stack;
}

describe('the Asset API throttled or failing', () => {
  const current = stackPerTest({});

  test.each([429, 503])('a passing %i is retried: the roles answer after three calls', async (status) => {
    const stack = current();
    await faults(stack, { errors: { [BATCH_GET]: { status, count: 2 } } });
    const res = await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles');
    expect(res.status).toBe(200);
    expect(res.body.roles.map((r: any) => r.role)).toContain('roles/storage.objectAdmin');
    expect(calls(stack, BATCH_GET)).toBe(3);
  });

  test.each([
    [429, 'QUOTA_EXCEEDED', "Google's API quota is exhausted (reading the effective IAM policies of project prod-app)"],
    [503, 'BACKEND_UNAVAILABLE', "Google's API failed while reading the effective IAM policies of project prod-app (HTTP 503)"],
  ])('a lasting %i ends after three calls in a %s the user can act on; the next request reads again', async (status, code, message) => {
    const stack = current();
    await faults(stack, { errors: { [BATCH_GET]: { status } } });
    const res = await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles');
    expect([res.status, res.body.error.code]).toEqual([status, code]);
    expect(res.body.error.message).toContain(message);
    expect(res.body.error.message).toContain('Try again in a minute');
    expect(calls(stack, BATCH_GET)).toBe(3);

    await clearFaults(stack);
    expect((await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles')).status).toBe(200);
    expect(calls(stack, BATCH_GET)).toBe(4);
  });

  test('an activation whose eligibility cannot be read writes nothing and is audited as a failure', async () => {
    const stack = current();
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    // The scope's active projects, read once for everyone and refreshed in the background, are known.
    expect((await stack.as('alice@example.com').get('/api/v1/projects')).status).toBe(200);
    stack.emulator.state.calls.clear();
    await faults(stack, { errors: { cloudasset: { status: 503 } } });
    const res = await activate(stack, 'alice@example.com', 'prod-app', ALICE_SELF_ROLES);
    expect([res.status, res.body.error.code]).toEqual([503, 'BACKEND_UNAVAILABLE']);
    expect(calls(stack, BATCH_GET)).toBe(3);
    expect(calls(stack, SET_POLICY)).toBe(0);
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
    const [failure] = await auditEntries(stack, 'activation.failed');
    expect(failure.jsonPayload).toMatchObject({ outcome: 'failure', error: { code: 'BACKEND_UNAVAILABLE' } });
  });

  test('a throttled IAM policy search fails the project list with a 429 after three calls', async () => {
    const stack = current();
    await faults(stack, { errors: { 'cloudasset.searchAllIamPolicies': { status: 429 } } });
    const res = await stack.as('alice@example.com').get('/api/v1/projects');
    expect([res.status, res.body.error.code]).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(res.body.error.message).toContain('searching IAM policies');
    expect(calls(stack, 'cloudasset.searchAllIamPolicies')).toBe(3);
  });
});

describe('endless etag conflicts on setIamPolicy (BACKEND_CONFLICT_RETRY_TIMEOUT=1)', () => {
  const current = stackPerTest({ BACKEND_CONFLICT_RETRY_TIMEOUT: '1' });

  test.each([409, 412])('conflicts answered %i: a bounded number of whole read-modify-writes, then a 409 saying nothing was granted', async (status) => {
    const stack = current();
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    await faults(stack, { etagConflicts: 1_000_000, etagConflictStatus: status });
    const res = await activate(stack, 'alice@example.com', 'prod-app', ALICE_SELF_ROLES);
    expect([res.status, res.body.error.code]).toEqual([409, 'CONFLICT']);
    expect(res.body.error.message).toContain('kept changing under concurrent writes');
    expect(res.body.error.message).toContain('nothing was granted');
    // Retried, within the one-second budget, and every attempt read the policy afresh.
    const attempts = calls(stack, SET_POLICY);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(10);
    expect(calls(stack, GET_POLICY)).toBe(attempts);
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
    expect((await auditEntries(stack, 'activation.failed'))[0].jsonPayload.error.code).toBe('CONFLICT');
  });

  test('users refused together under conflicts are granted together once they stop: one binding each, nothing lost', async () => {
    const stack = current();
    const users = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
    const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    await faults(stack, { etagConflicts: 1_000_000 });
    const refused = await Promise.all(users.map((u) => activate(stack, u, 'staging-app', ['staging-app:roles/compute.admin'])));
    expect(refused.map((r) => r.status)).toEqual([409, 409, 409]);
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);

    await clearFaults(stack);
    const granted = await Promise.all(users.map((u) => activate(stack, u, 'staging-app', ['staging-app:roles/compute.admin'], `retry by ${u}`)));
    expect(granted.map((r) => r.status)).toEqual([201, 201, 201]);
    const after = (await policyOf(stack.emulator, 'staging-app')).bindings;
    for (const u of users) {
      expect(activationsOf(after, u)).toHaveLength(1);
      expect(activationsOf(after, u)[0].condition.description).toBe(`Self-approved, justification: retry by ${u}`);
    }
    const byRole = (bindings: any[]) => [...bindings].sort((a, b) => a.role.localeCompare(b.role));
    expect(byRole(after.filter((b) => b.condition?.title !== 'JIT access activation'))).toEqual(byRole(before.bindings));
  });
});

describe('IAM Credentials failing while a peer-approval request is signed', () => {
  const current = stackPerTest({});
  const request = (stack: Stack) =>
    stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', {
      role: 'prod-app:roles/compute.admin',
      justification: 'INC-3',
      durationMinutes: 30,
      reviewers: ['bob@example.com'],
    });

  test('a passing 503 from signJwt is retried: the request is signed and mailed after a second call of each signature', async () => {
    const stack = current();
    await faults(stack, { errors: { 'iamcredentials.signJwt': { status: 503, count: 2 } } });
    const res = await request(stack);
    expect(res.status).toBe(201);
    // The token and the request record are signed side by side: each failed once, then succeeded.
    expect(calls(stack, 'iamcredentials.signJwt')).toBe(4);
    expect(stack.emulator.state.mail).toHaveLength(1);
    expect(stack.emulator.state.mail[0].to).toContain('bob@example.com');
  });

  test('a lasting 429 from signJwt is a 429 that says so; nothing is mailed, published or granted', async () => {
    const stack = current();
    // The request of the test before is withdrawn, so that this one is not checked against it (one more signJwt).
    await withdrawPendingRequests(stack.as('alice@example.com'));
    stack.emulator.state.mail = [];
    stack.emulator.state.messages = [];
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    const signedBefore = calls(stack, 'iamcredentials.signJwt');
    await faults(stack, { errors: { 'iamcredentials.signJwt': { status: 429 } } });
    const res = await request(stack);
    expect([res.status, res.body.error.code]).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(res.body.error.message).toContain('signing an approval request');
    // Three attempts for the token and three for the request record, both awaited before answering.
    expect(calls(stack, 'iamcredentials.signJwt') - signedBefore).toBe(6);
    expect(stack.emulator.state.mail).toEqual([]);
    expect(stack.emulator.state.messages).toEqual([]);
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
  });
});

describe('a backend slower than the timeouts (BACKEND_READ_TIMEOUT=1, BACKEND_WRITE_TIMEOUT=1)', () => {
  const current = stackPerTest({ BACKEND_READ_TIMEOUT: '1', BACKEND_WRITE_TIMEOUT: '1' });

  test('a slow Asset API: a 504 after one timed-out call per read, and an activation writes nothing', async () => {
    const stack = current();
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    await faults(stack, { latencyMs: { [BATCH_GET]: 1500 } });
    const roles = await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles');
    expect([roles.status, roles.body.error.code]).toEqual([504, 'BACKEND_TIMEOUT']);
    expect(roles.body.error.message).toContain('did not answer in time while reading the effective IAM policies of project prod-app');
    expect(calls(stack, BATCH_GET)).toBe(1);

    const res = await activate(stack, 'alice@example.com', 'prod-app', ALICE_SELF_ROLES);
    expect([res.status, res.body.error.code]).toEqual([504, 'BACKEND_TIMEOUT']);
    expect(calls(stack, SET_POLICY)).toBe(0);
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
  });

  test('a slow Cloud Identity fails the project list with a 504', async () => {
    const stack = current();
    await faults(stack, { latencyMs: { cloudidentity: 1500 } });
    const res = await stack.as('alice@example.com').get('/api/v1/projects');
    expect([res.status, res.body.error.code]).toEqual([504, 'BACKEND_TIMEOUT']);
    expect(res.body.error.message).toContain('looking up the groups of alice@example.com');
  });

  test('a slow getIamPolicy: a 504 and no write', async () => {
    const stack = current();
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    await faults(stack, { latencyMs: { [GET_POLICY]: 1500 } });
    const res = await activate(stack, 'alice@example.com', 'prod-app', ALICE_SELF_ROLES);
    expect([res.status, res.body.error.code]).toEqual([504, 'BACKEND_TIMEOUT']);
    expect(res.body.error.message).toContain('reading the IAM policy of project prod-app');
    expect(calls(stack, SET_POLICY)).toBe(0);
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
  });

  test('a slow setIamPolicy that lands: the policy is read back, the grant is there, so 201 and audited as a success', async () => {
    const stack = current();
    await faults(stack, { latencyMs: { [SET_POLICY]: 1500 } });
    const res = await activate(stack, 'alice@example.com', 'prod-app', ALICE_SELF_ROLES, 'INC-slow');
    expect(res.status).toBe(201);
    expect(res.body.grants.map((g: any) => g.outcome)).toEqual(['granted', 'granted']);
    const landed = activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com');
    expect(landed.map((b) => b.role).sort()).toEqual(['roles/cloudsql.admin', 'roles/compute.viewer']);
    // One write: the read-back found it, nothing was written twice.
    expect(calls(stack, SET_POLICY)).toBe(1);
    expect(await auditEntries(stack, 'activation.failed')).toEqual([]);
    expect((await auditEntries(stack, 'activation.succeeded'))[0].jsonPayload.justification).toBe('INC-slow');
  });

  test('a slow setIamPolicy that has not landed when the read-back gives up: a 504 that says so, audited as such', async () => {
    const stack = current();
    await faults(stack, { latencyMs: { [SET_POLICY]: 4000 } });
    const res = await activate(stack, 'alice@example.com', 'prod-app', ALICE_SELF_ROLES, 'INC-slower');
    expect([res.status, res.body.error.code]).toEqual([504, 'BACKEND_TIMEOUT']);
    expect(res.body.error.message).toContain('has not taken effect so far');
    expect(res.body.error.message).toContain('may still take effect');
    expect(activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com')).toEqual([]);
    const [failure] = await auditEntries(stack, 'activation.failed');
    expect(failure.jsonPayload.error).toMatchObject({ code: 'BACKEND_TIMEOUT', message: expect.stringContaining('has not taken effect so far') });

    // As the message warned, Google may still apply it (the emulator does, once its latency is over).
    await new Promise((r) => setTimeout(r, 2500));
    expect(activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com').map((b) => b.role).sort()).toEqual(['roles/cloudsql.admin', 'roles/compute.viewer']);
  });
});
