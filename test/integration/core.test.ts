// The server core against the emulator, through the real client libraries: eligibility, self-activation,
// refusals, concurrency, audit.
import { startStack, mintAssertion, apiClient, policyOf, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';
import type { World } from '../../emulator/world';

const TEMPORARY = /^\(request\.time >= timestamp\("(.+)"\) && request\.time < timestamp\("(.+)"\)\)$/;

async function auditEntries(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

describe('eligibility catalog (AssetInventory)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  test('lists only the projects where the user has something eligible', async () => {
    const alice = await stack.as('alice@example.com').get('/api/v1/projects');
    expect(alice.status).toBe(200);
    expect(alice.body.projects.map((p: { id: string }) => p.id)).toEqual(['data-warehouse', 'prod-app', 'staging-app']);
    const frank = await stack.as('frank@example.com').get('/api/v1/projects');
    expect(frank.body.projects).toEqual([{ id: 'finance-ledger', displayName: 'Finance ledger' }]);
    const mallory = await stack.as('mallory@example.com').get('/api/v1/projects');
    expect(mallory.body.projects).toEqual([]);
  });

  test('finds roles through a folder binding, a group, a nested group and a resource condition', async () => {
    const bob = await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles');
    expect(bob.status).toBe(200);
    const byRole = Object.fromEntries(bob.body.roles.map((r: any) => [r.role, r]));
    // compute.viewer: folder engineering → group sre → nested group oncall → bob
    expect(byRole['roles/compute.viewer']).toMatchObject({ activationType: 'self', status: 'eligible', resourceCondition: null });
    // compute.admin: project binding to sre, bob through the nested oncall group, peer approval
    expect(byRole['roles/compute.admin']).toMatchObject({ activationType: 'peer', status: 'eligible' });
    // storage.objectAdmin: resource condition, canonicalised, comment dropped
    expect(byRole['roles/storage.objectAdmin']).toMatchObject({
      activationType: 'self',
      resourceCondition: 'resource.name.startsWith("projects/_/buckets/prod-app-logs")',
    });
    // permanent roles/viewer and the expired compute.viewer activation are not eligible bindings
    expect(Object.keys(byRole).sort()).toEqual(['roles/compute.admin', 'roles/compute.viewer', 'roles/storage.objectAdmin']);
    expect(byRole['roles/compute.viewer'].activeUntil).toBeNull();
  });

  test('an unknown or out-of-scope project is a 404 that says so', async () => {
    const res = await stack.as('alice@example.com').get('/api/v1/projects/not-a-project/roles');
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain("'not-a-project'");
  });

  test('a malformed project id is a 400', async () => {
    const res = await stack.as('alice@example.com').get('/api/v1/projects/NOT_VALID/roles');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('projectId');
  });
});

describe('self-activation', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(() => stack.close());

  async function rolesOf(email: string, project: string) {
    return (await stack.as(email).get(`/api/v1/projects/${project}/roles`)).body.roles as any[];
  }

  test('writes the binding in the reference format, then lists the role as active', async () => {
    const alice = stack.as('alice@example.com');
    const id = (await rolesOf('alice@example.com', 'staging-app')).find((r) => r.role === 'roles/compute.admin').id;
    const res = await alice.post('/api/v1/projects/staging-app/activations', { roles: [id], justification: 'INC-42 disk full', durationMinutes: 30 });
    expect(res.status).toBe(201);
    expect(res.body.grants).toHaveLength(1);
    const { start, end } = res.body.grants[0];
    expect(new Date(end).getTime() - new Date(start).getTime()).toBe(30 * 60_000);

    const policy = await policyOf(stack.emulator, 'staging-app');
    const added = policy.bindings.filter((b) => b.condition?.title === 'JIT access activation');
    expect(added).toHaveLength(1);
    expect(added[0]).toEqual({
      role: 'roles/compute.admin',
      members: ['user:alice@example.com'],
      condition: {
        title: 'JIT access activation',
        description: 'Self-approved, justification: INC-42 disk full',
        expression: `(request.time >= timestamp("${start.replace('.000Z', 'Z')}") && request.time < timestamp("${end.replace('.000Z', 'Z')}"))`,
      },
    });
    expect(added[0].condition.expression).toMatch(TEMPORARY);
    expect(stack.emulator.state.requestReasons.at(-1)).toEqual({ resource: 'projects/staging-app', reason: 'Self-approved, justification: INC-42 disk full' });

    const after = (await rolesOf('alice@example.com', 'staging-app')).find((r) => r.id === id);
    expect(after.status).toBe('active');
    expect(after.activeUntil).toBe(end);

    const [entry] = await auditEntries(stack, 'activation.succeeded');
    expect(entry.jsonPayload).toMatchObject({ project: 'staging-app', justification: 'INC-42 disk full', outcome: 'success' });
    expect(entry.labels.user).toBe('alice@example.com');
  });

  test('writes a resource condition AND-ed with the time window', async () => {
    const bob = stack.as('bob@example.com');
    const role = (await rolesOf('bob@example.com', 'prod-app')).find((r) => r.role === 'roles/storage.objectAdmin');
    const res = await bob.post('/api/v1/projects/prod-app/activations', { roles: [role.id], justification: 'INC-7', durationMinutes: 10 });
    expect(res.status).toBe(201);
    const binding = (await policyOf(stack.emulator, 'prod-app')).bindings.find((b) => b.role === 'roles/storage.objectAdmin' && b.condition?.title === 'JIT access activation');
    expect(binding.condition.expression).toMatch(
      /^\(\(request\.time >= timestamp\(".+"\) && request\.time < timestamp\(".+"\)\)\) && \(resource\.name\.startsWith\("projects\/_\/buckets\/prod-app-logs"\)\)$/,
    );
    expect((await rolesOf('bob@example.com', 'prod-app')).find((r) => r.id === role.id).status).toBe('active');
  });

  test('activates several roles of one project in one write, and re-activation for longer replaces the binding', async () => {
    const alice = stack.as('alice@example.com');
    const ids = (await rolesOf('alice@example.com', 'prod-app')).filter((r) => r.activationType === 'self').map((r) => r.id);
    expect(ids.length).toBe(2);
    stack.emulator.state.calls.clear();
    const first = await alice.post('/api/v1/projects/prod-app/activations', { roles: ids, justification: 'INC-1', durationMinutes: 5 });
    expect(first.status).toBe(201);
    expect(first.body.grants.map((g: any) => [g.outcome, g.previousEnd])).toEqual([['granted', null], ['granted', null]]);
    expect(stack.emulator.state.calls.get('cloudresourcemanager.projects.setIamPolicy')).toBe(1);
    const second = await alice.post('/api/v1/projects/prod-app/activations', { roles: ids, justification: 'INC-2', durationMinutes: 10 });
    expect(second.status).toBe(201);
    expect(second.body.grants.map((g: any) => [g.outcome, g.previousEnd])).toEqual(first.body.grants.map((g: any) => ['extended', g.end]));
    const activations = (await policyOf(stack.emulator, 'prod-app')).bindings.filter(
      (b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'),
    );
    expect(activations).toHaveLength(2);
    expect(activations.every((b) => b.condition.description === 'Self-approved, justification: INC-2')).toBe(true);
  });

  test('re-activating an active role for less time never shortens it: the longer grant is kept, and the answer says until when', async () => {
    const alice = stack.as('alice@example.com');
    const role = 'staging-app:roles/compute.admin';
    const long = await alice.post('/api/v1/projects/staging-app/activations', { roles: [role], justification: 'INC-1 two hours', durationMinutes: 120 });
    expect(long.status).toBe(201);
    const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    stack.emulator.state.calls.clear();

    const short = await alice.post('/api/v1/projects/staging-app/activations', { roles: [role], justification: 'INC-2 five minutes', durationMinutes: 5 });
    expect(short.status).toBe(201);
    const [grant] = short.body.grants;
    expect(grant).toMatchObject({ outcome: 'kept', start: long.body.grants[0].start, end: long.body.grants[0].end, previousEnd: long.body.grants[0].end });
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
    expect(stack.emulator.state.calls.get('cloudresourcemanager.projects.setIamPolicy') ?? 0).toBe(0);
    expect((await rolesOf('alice@example.com', 'staging-app')).find((r) => r.id === role).activeUntil).toBe(long.body.grants[0].end);
  });

  test.each([
    ['a peer-approval role', { durationMinutes: 5, justification: 'INC-1' }, 'peer', 403, 'needs peer approval'],
    ['an empty justification', { durationMinutes: 5, justification: ' ' }, 'self', 400, 'Provide a justification'],
    ['a duration of 0', { durationMinutes: 0, justification: 'INC-1' }, 'self', 400, 'no shorter than 1 minutes'],
    ['a duration over the maximum', { durationMinutes: 121, justification: 'INC-1' }, 'self', 400, 'no longer than 120 minutes'],
    ['a fractional duration', { durationMinutes: 1.5, justification: 'INC-1' }, 'self', 400, 'durationMinutes'],
  ])('refuses %s without changing IAM', async (_name, body, type, status, message) => {
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    const role = (await rolesOf('alice@example.com', 'prod-app')).find((r) => r.activationType === type);
    const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: [role.id], ...body });
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(message);
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
  });

  test('refuses a role the user is not eligible for, and a role of another project', async () => {
    const before = structuredClone(await policyOf(stack.emulator, 'finance-ledger'));
    const mallory = stack.as('mallory@example.com');
    const notEligible = await mallory.post('/api/v1/projects/finance-ledger/activations', {
      roles: ['finance-ledger:roles/cloudsql.admin'],
      justification: 'x',
      durationMinutes: 5,
    });
    expect(notEligible.status).toBe(403);
    expect(notEligible.body.error.message).toContain("'finance-ledger:roles/cloudsql.admin' is not eligible");
    const foreign = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', {
      roles: ['staging-app:roles/compute.admin'],
      justification: 'x',
      durationMinutes: 5,
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.message).toContain('belongs to project staging-app');
    expect(await policyOf(stack.emulator, 'finance-ledger')).toEqual(before);
    const failures = await auditEntries(stack, 'activation.failed');
    expect(failures.map((f) => f.jsonPayload.outcome)).toEqual(['denied', 'denied']);
  });

  test('refuses more roles than ACTIVATION_REQUEST_MAX_ROLES', async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `prod-app:roles/custom.role${i}`);
    const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: ids, justification: 'x', durationMinutes: 5 });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('at most 10 roles');
  });

  test('refuses a resource condition smuggled into a role id', async () => {
    const smuggled = `prod-app:roles/storage.objectAdmin:${Buffer.from('true').toString('base64')}`;
    const res = await stack.as('bob@example.com').post('/api/v1/projects/prod-app/activations', { roles: [smuggled], justification: 'x', durationMinutes: 5 });
    expect(res.status).toBe(403);
    expect((await policyOf(stack.emulator, 'prod-app')).bindings.some((b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:bob@example.com') && b.role === 'roles/storage.objectAdmin')).toBe(false);
  });

  test('a justification with CEL and quotes goes only into the description', async () => {
    const justification = `INC-1") || true || ("`;
    const id = (await rolesOf('alice@example.com', 'staging-app'))[0].id;
    const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: [id], justification, durationMinutes: 5 });
    expect(res.status).toBe(201);
    const binding = (await policyOf(stack.emulator, 'staging-app')).bindings.find((b) => b.condition?.title === 'JIT access activation');
    expect(binding.condition.expression).toMatch(TEMPORARY);
    expect(binding.condition.description).toBe(`Self-approved, justification: ${justification}`);
  });
});

describe('authentication and CSRF', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  test('no assertion → 401 saying IAP is required', async () => {
    const res = await apiClient(stack.url, async () => undefined).get('/api/v1/me');
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('Identity-Aware Proxy');
  });

  test.each([
    ['expired', { expiresInSeconds: -120 }, 'expired'],
    ['wrong audience', { audience: '/projects/1/apps/other' }, 'another application'],
    ['wrong issuer', { issuer: 'https://evil.example.com' }, 'not issued by IAP'],
    ['signed by another key', { foreignKey: true }, 'signature'],
    ['unsigned (alg none)', { alg: 'none' }, 'ES256'],
  ])('a %s assertion → 401 naming the reason, no IAM change', async (_name, options, reason) => {
    const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    const client = apiClient(stack.url, () => mintAssertion(stack.emulator, { email: 'alice@example.com', ...options }));
    const res = await client.post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'x', durationMinutes: 5 });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain(reason);
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
  });

  test('a missing X-JITACCESS header → 403 naming the header, no IAM change', async () => {
    const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    const client = apiClient(stack.url, () => mintAssertion(stack.emulator, { email: 'alice@example.com' }), false);
    const res = await client.post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'x', durationMinutes: 5 });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('X-JITACCESS');
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
  });

  test('me returns the lower-cased user and the settings the UI needs', async () => {
    const res = await apiClient(stack.url, () => mintAssertion(stack.emulator, { email: 'Alice@Example.com' })).get('/api/v1/me');
    expect(res.status).toBe(200);
    expect(res.body.user.email).toBe('alice@example.com');
    expect(res.body.settings).toMatchObject({ maxDurationMinutes: 120, defaultDurationMinutes: 60, maxRolesPerRequest: 10 });
  });
});

describe('concurrency', () => {
  test('20 users activating on one project with forced etag conflicts all land', async () => {
    const world: World = structuredClone(demoWorld());
    const users = Array.from({ length: 20 }, (_, i) => `user${String(i).padStart(2, '0')}@example.com`);
    world.users.push(...users);
    world.groups.push({ email: 'crowd@example.com', members: users.map((u) => `user:${u}`) });
    world.iam['projects/staging-app'].push({
      role: 'roles/compute.viewer',
      members: ['group:crowd@example.com'],
      condition: { title: 'Eligible', expression: 'has({}.jitAccessConstraint)' },
    });
    const stack = await startStack({ world });
    try {
      stack.emulator.state.faults.etagConflicts = 5;
      const results = await Promise.all(
        users.map((u) =>
          stack.as(u).post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.viewer'], justification: `for ${u}`, durationMinutes: 5 }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(users.map(() => 201));
      const activations = (await policyOf(stack.emulator, 'staging-app')).bindings.filter((b) => b.condition?.title === 'JIT access activation');
      expect(activations.map((b) => b.members[0]).sort()).toEqual(users.map((u) => `user:${u}`));
      expect(stack.emulator.state.faults.etagConflicts).toBe(0);
    } finally {
      await stack.close();
    }
  });
});

describe('caching and health', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  test("listing is cached per user and coalesced, a project's policies are shared by its users; an activation invalidates; decisions read fresh", async () => {
    const calls = () => stack.emulator.state.calls.get('cloudasset.effectiveIamPolicies.batchGet') ?? 0;
    const dave = stack.as('dave@example.com');
    stack.emulator.state.calls.clear();
    await Promise.all([dave.get('/api/v1/projects/data-warehouse/roles'), dave.get('/api/v1/projects/data-warehouse/roles')]);
    expect(calls()).toBe(1);
    await dave.get('/api/v1/projects/data-warehouse/roles');
    expect(calls()).toBe(1);
    // Another user of the project: its effective policies are the same for everyone.
    await stack.as('erin@example.com').get('/api/v1/projects/data-warehouse/roles');
    expect(calls()).toBe(1);

    const res = await dave.post('/api/v1/projects/data-warehouse/activations', { roles: ['data-warehouse:roles/bigquery.dataViewer'], justification: 'x', durationMinutes: 5 });
    expect(res.status).toBe(201);
    // the activation re-read eligibility instead of trusting the cache
    expect(calls()).toBe(2);
    const after = await dave.get('/api/v1/projects/data-warehouse/roles');
    expect(calls()).toBe(3);
    expect(after.body.roles.find((r: any) => r.role === 'roles/bigquery.dataViewer').status).toBe('active');
  });

  test("users share the scope's project list, and reads of one project's policies in flight", async () => {
    const calls = (name: string) => stack.emulator.state.calls.get(`cloudasset.${name}`) ?? 0;
    stack.emulator.state.calls.clear();
    await stack.as('alice@example.com').get('/api/v1/projects');
    await stack.as('bob@example.com').get('/api/v1/projects');
    // Each user's own search of IAM policies, but one list of the scope's projects for both (none when
    // earlier requests of this stack left it cached).
    expect(calls('searchAllIamPolicies')).toBe(2);
    expect(calls('searchAllResources')).toBeLessThanOrEqual(1);

    stack.emulator.state.calls.clear();
    // Slow enough that the three requests overlap, as they do at Google's latency.
    stack.emulator.state.faults.latencyMs['cloudasset.effectiveIamPolicies.batchGet'] = 200;
    try {
      const lists = await Promise.all(['alice@example.com', 'bob@example.com', 'carol@example.com'].map((u) => stack.as(u).get('/api/v1/projects/staging-app/roles')));
      expect(lists.map((l) => l.body.roles.length)).toEqual([2, 2, 2]);
      expect(calls('effectiveIamPolicies.batchGet')).toBe(1);
    } finally {
      stack.emulator.state.faults.latencyMs = {};
    }
  });

  test('health: alive, and ready reporting emulator mode and the configuration', async () => {
    expect((await fetch(`${stack.url}/health/alive`)).status).toBe(200);
    const ready = await fetch(`${stack.url}/health/ready`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as any;
    expect(body).toMatchObject({ healthy: true, mode: 'emulator', configuration: { emulatorEndpoint: stack.emulator.url, catalog: 'AssetInventory' } });
    expect(body.checks['iap-keys'].ok).toBe(true);
  });

  test('an unknown API route is a JSON 404', async () => {
    const res = await stack.as('alice@example.com').get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
