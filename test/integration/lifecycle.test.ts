// The grant lifecycle against the emulator: my grants (list, end early, extend) and the sweeper of expired
// activation bindings with its caller authentication (App Engine cron, Cloud Scheduler OIDC tokens).
import { startStack, mintAssertion, policyOf, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
import type { World } from '../../emulator/world';

const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const OTHER_SA = 'jitaccess@jit-host.iam.gserviceaccount.com';
// The sweeper's pace is Google's quotas in production; here nothing needs to wait.
const STACK_ENV = { PUBLIC_URL, CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000' };
const TITLE = 'JIT access activation';

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
const temporary = (start: Date, end: Date) => `(request.time >= timestamp("${iso(start)}") && request.time < timestamp("${iso(end)}"))`;
const minutesFromNow = (n: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + n * 60_000);

function activationBinding(member: string, role: string, description: string, start: Date, end: Date) {
  return { role, members: [member], condition: { title: TITLE, description, expression: temporary(start, end) } };
}

async function auditEntries(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

const setIamPolicyCalls = (stack: Stack) => stack.emulator.state.calls.get('cloudresourcemanager.projects.setIamPolicy') ?? 0;

async function activate(stack: Stack, email: string, projectId: string, role: string, justification: string, durationMinutes = 30) {
  const res = await stack.as(email).post(`/api/v1/projects/${projectId}/activations`, { roles: [`${projectId}:${role}`], justification, durationMinutes });
  expect(res.status).toBe(201);
  return res.body.grants[0] as { start: string; end: string };
}

async function grantsOf(stack: Stack, email: string): Promise<any[]> {
  const res = await stack.as(email).get('/api/v1/me/grants');
  expect(res.status).toBe(200);
  expect(res.body.warnings).toEqual([]);
  return res.body.grants;
}

describe('my grants', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ env: STACK_ENV });
  });
  afterEach(() => stack.close());

  test('lists the caller’s grants in force with how they were approved; expired and other users’ grants are not listed', async () => {
    const self = await activate(stack, 'alice@example.com', 'staging-app', 'roles/compute.admin', 'INC-42 disk full');
    const peerStart = minutesFromNow(-5);
    const peerEnd = minutesFromNow(25);
    (await policyOf(stack.emulator, 'prod-app')).bindings.push(
      activationBinding('user:alice@example.com', 'roles/compute.admin', 'Approved by bob@example.com, justification: CHG-9 deploy', peerStart, peerEnd),
      activationBinding('user:alice@example.com', 'roles/cloudsql.admin', 'Self-approved, justification: old', minutesFromNow(-90), minutesFromNow(-30)),
    );
    await activate(stack, 'carol@example.com', 'staging-app', 'roles/compute.viewer', 'carol’s own');

    const grants = await grantsOf(stack, 'alice@example.com');
    expect(grants.map((g) => ({ ...g, id: typeof g.id }))).toEqual([
      {
        id: 'string',
        projectId: 'prod-app',
        role: 'roles/compute.admin',
        resourceCondition: null,
        start: peerStart.toISOString(),
        end: peerEnd.toISOString(),
        approval: { type: 'peer', approver: 'bob@example.com', justification: 'CHG-9 deploy' },
      },
      {
        id: 'string',
        projectId: 'staging-app',
        role: 'roles/compute.admin',
        resourceCondition: null,
        start: self.start,
        end: self.end,
        approval: { type: 'self', justification: 'INC-42 disk full' },
      },
    ]);
    // The id is base64url of [project, role, condition, start, end], and the same binding keeps its id.
    expect(JSON.parse(Buffer.from(grants[1].id, 'base64url').toString('utf8'))).toEqual(['staging-app', 'roles/compute.admin', null, self.start, self.end]);
    expect((await grantsOf(stack, 'alice@example.com')).map((g) => g.id)).toEqual(grants.map((g) => g.id));

    const carols = await grantsOf(stack, 'carol@example.com');
    expect(carols.map((g) => `${g.projectId} ${g.role}`)).toEqual(['staging-app roles/compute.viewer']);
    expect(await grantsOf(stack, 'mallory@example.com')).toEqual([]);
  });

  test('lists a grant with a resource condition', async () => {
    const bob = stack.as('bob@example.com');
    const role = (await bob.get('/api/v1/projects/prod-app/roles')).body.roles.find((r: any) => r.role === 'roles/storage.objectAdmin');
    expect((await bob.post('/api/v1/projects/prod-app/activations', { roles: [role.id], justification: 'INC-7', durationMinutes: 10 })).status).toBe(201);
    const [grant] = await grantsOf(stack, 'bob@example.com');
    expect(grant).toMatchObject({ projectId: 'prod-app', role: 'roles/storage.objectAdmin', resourceCondition: 'resource.name.startsWith("projects/_/buckets/prod-app-logs")' });
  });

  test('ends a grant early: its binding goes, everything else stays, and the end is audited with the reason', async () => {
    const alice = stack.as('alice@example.com');
    await activate(stack, 'alice@example.com', 'staging-app', 'roles/compute.admin', 'INC-1');
    await activate(stack, 'alice@example.com', 'prod-app', 'roles/cloudsql.admin', 'INC-2');
    await activate(stack, 'carol@example.com', 'staging-app', 'roles/compute.admin', 'INC-3');
    const roleBefore = (await alice.get('/api/v1/projects/staging-app/roles')).body.roles.find((r: any) => r.role === 'roles/compute.admin');
    expect(roleBefore.status).toBe('active');
    const staging = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    const prod = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    const target = (await grantsOf(stack, 'alice@example.com')).find((g) => g.projectId === 'staging-app');

    const res = await alice.del(`/api/v1/me/grants/${target.id}`, { reason: 'fixed, no longer needed' });
    expect(res.status).toBe(200);
    expect(res.body.ended).toEqual(target);

    const isAlicesActivation = (b: any) => b.condition?.title === TITLE && b.members.includes('user:alice@example.com');
    expect((await policyOf(stack.emulator, 'staging-app')).bindings).toEqual(staging.bindings.filter((b: any) => !isAlicesActivation(b)));
    expect(staging.bindings.filter(isAlicesActivation)).toHaveLength(1);
    expect((await policyOf(stack.emulator, 'prod-app')).bindings).toEqual(prod.bindings);
    expect((await grantsOf(stack, 'alice@example.com')).map((g) => g.projectId)).toEqual(['prod-app']);

    const [entry] = await auditEntries(stack, 'grant.ended');
    expect(entry.labels).toMatchObject({ user: 'alice@example.com', project: 'staging-app', outcome: 'success' });
    expect(entry.jsonPayload).toMatchObject({ reason: 'fixed, no longer needed', end: target.end, roles: [{ role: 'roles/compute.admin', resourceCondition: null }] });

    // The catalog's cached role list was invalidated: the role shows as eligible again at once.
    const roleAfter = (await alice.get('/api/v1/projects/staging-app/roles')).body.roles.find((r: any) => r.role === 'roles/compute.admin');
    expect(roleAfter.status).toBe('eligible');
  });

  test('ends a grant without a body (the reason is optional)', async () => {
    await activate(stack, 'alice@example.com', 'staging-app', 'roles/compute.admin', 'INC-1');
    const [grant] = await grantsOf(stack, 'alice@example.com');
    const res = await stack.as('alice@example.com').del(`/api/v1/me/grants/${grant.id}`);
    expect(res.status).toBe(200);
    expect(await grantsOf(stack, 'alice@example.com')).toEqual([]);
  });

  test('a user cannot end someone else’s grant: 404 that says so, no IAM change', async () => {
    await activate(stack, 'alice@example.com', 'staging-app', 'roles/compute.admin', 'INC-1');
    const [alices] = await grantsOf(stack, 'alice@example.com');
    const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    stack.emulator.state.calls.clear();

    const res = await stack.as('carol@example.com').del(`/api/v1/me/grants/${alices.id}`, { reason: 'mischief' });
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('not yours');
    expect(res.body.error.message).toContain('carol@example.com');
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
    expect(setIamPolicyCalls(stack)).toBe(0);
    const [failure] = await auditEntries(stack, 'grant.end.failed');
    expect(failure.labels).toMatchObject({ user: 'carol@example.com', outcome: 'denied' });
    expect(await grantsOf(stack, 'alice@example.com')).toEqual([alices]);
  });

  test('an expired grant and a malformed id are refused without IAM changes', async () => {
    const start = minutesFromNow(-90);
    const end = minutesFromNow(-30);
    (await policyOf(stack.emulator, 'staging-app')).bindings.push(activationBinding('user:alice@example.com', 'roles/compute.admin', 'Self-approved, justification: x', start, end));
    const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    const expiredId = Buffer.from(JSON.stringify(['staging-app', 'roles/compute.admin', null, start.toISOString(), end.toISOString()])).toString('base64url');
    const alice = stack.as('alice@example.com');

    const expired = await alice.del(`/api/v1/me/grants/${expiredId}`);
    expect(expired.status).toBe(404);
    expect(expired.body.error.message).toContain('expired');
    const malformed = await alice.del('/api/v1/me/grants/not-a-grant');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.message).toContain('grant id');
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
  });

  test('extends a self-approval grant: one binding with the new end, the justification kept, audited', async () => {
    const first = await activate(stack, 'alice@example.com', 'staging-app', 'roles/compute.admin', 'INC-7', 10);
    const [grant] = await grantsOf(stack, 'alice@example.com');
    const alice = stack.as('alice@example.com');

    const res = await alice.post(`/api/v1/me/grants/${grant.id}/extend`, { durationMinutes: 60 });
    expect(res.status).toBe(200);
    expect(res.body.previousEnd).toBe(first.end);
    const { start, end } = res.body.grant;
    expect(new Date(end).getTime() - new Date(start).getTime()).toBe(60 * 60_000);
    expect(new Date(end).getTime()).toBeGreaterThan(new Date(first.end).getTime());
    expect(res.body.grant.approval).toEqual({ type: 'self', justification: 'INC-7' });

    const activations = (await policyOf(stack.emulator, 'staging-app')).bindings.filter((b: any) => b.condition?.title === TITLE);
    expect(activations).toEqual([activationBinding('user:alice@example.com', 'roles/compute.admin', 'Self-approved, justification: INC-7', new Date(start), new Date(end))]);
    expect(await grantsOf(stack, 'alice@example.com')).toEqual([res.body.grant]);

    const [entry] = await auditEntries(stack, 'grant.extended');
    expect(entry.labels).toMatchObject({ user: 'alice@example.com', project: 'staging-app' });
    expect(entry.jsonPayload).toMatchObject({ previousEnd: first.end, end, justification: 'INC-7' });

    // The replaced grant's id names nothing any more; a new justification replaces the old one.
    expect((await alice.post(`/api/v1/me/grants/${grant.id}/extend`, { durationMinutes: 90 })).status).toBe(404);
    const again = await alice.post(`/api/v1/me/grants/${res.body.grant.id}/extend`, { durationMinutes: 90, justification: 'INC-8' });
    expect(again.status).toBe(200);
    const [binding] = (await policyOf(stack.emulator, 'staging-app')).bindings.filter((b: any) => b.condition?.title === TITLE);
    expect(binding.condition.description).toBe('Self-approved, justification: INC-8');
  });

  test.each([
    ['over ACTIVATION_TIMEOUT', { durationMinutes: 121 }, 'no longer than 120 minutes'],
    ['ending before the grant already ends', { durationMinutes: 5 }, 'would end it earlier'],
    ['a justification the policy refuses', { durationMinutes: 60, justification: ' ' }, 'Provide a justification'],
    ['an unknown field', { durationMinutes: 60, roles: [] }, 'unknown field "roles"'],
  ])('refuses an extension %s without IAM changes', async (_name, body, message) => {
    await activate(stack, 'alice@example.com', 'staging-app', 'roles/compute.admin', 'INC-7', 30);
    const [grant] = await grantsOf(stack, 'alice@example.com');
    const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
    const res = await stack.as('alice@example.com').post(`/api/v1/me/grants/${grant.id}/extend`, body);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain(message);
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
  });

  test('extending a peer-approval grant directly is refused: it takes an extension request', async () => {
    (await policyOf(stack.emulator, 'prod-app')).bindings.push(
      activationBinding('user:alice@example.com', 'roles/compute.admin', 'Approved by bob@example.com, justification: CHG-9', minutesFromNow(-5), minutesFromNow(25)),
    );
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    const [grant] = await grantsOf(stack, 'alice@example.com');
    expect(grant.approval.type).toBe('peer');
    const res = await stack.as('alice@example.com').post(`/api/v1/me/grants/${grant.id}/extend`, { durationMinutes: 60 });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('APPROVAL_REQUIRED');
    expect(res.body.error.message).toContain('/extension-requests');
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
    const [failure] = await auditEntries(stack, 'grant.extend.failed');
    expect(failure.labels).toMatchObject({ user: 'alice@example.com', outcome: 'denied' });
  });
});

// --- sweeper ---------------------------------------------------------------------------------------

const LONG_AGO = [new Date('2024-01-10T09:00:00Z'), new Date('2024-01-10T10:00:00Z')] as const;
const FAR_AHEAD = [new Date('2024-01-10T09:00:00Z'), new Date('2099-01-01T00:00:00Z')] as const;

/** The demo world (prod-app already holds bob's expired activation) plus expired, live and lookalike bindings. */
function sweeperWorld(): World {
  const world: World = structuredClone(demoWorld());
  const expired = (member: string, role: string) => activationBinding(member, role, 'Self-approved, justification: old', ...LONG_AGO);
  world.iam['projects/staging-app'].push(
    expired('user:alice@example.com', 'roles/compute.admin'),
    expired('user:carol@example.com', 'roles/compute.viewer'),
    // live: stays
    activationBinding('user:bob@example.com', 'roles/compute.admin', 'Self-approved, justification: live', ...FAR_AHEAD),
    // another title: not ours, stays although expired
    { role: 'roles/compute.viewer', members: ['user:dave@example.com'], condition: { title: `${TITLE} (manual)`, expression: temporary(...LONG_AGO) } },
    // our title without a time window: not a temporary binding, stays
    { role: 'roles/storage.objectViewer', members: ['user:dave@example.com'], condition: { title: TITLE, expression: 'resource.name.startsWith("projects/_/buckets/x")' } },
  );
  world.iam['projects/data-warehouse'].push({
    role: 'roles/bigquery.dataViewer',
    members: ['user:dave@example.com'],
    condition: { title: TITLE, description: 'Self-approved, justification: q', expression: `(${temporary(...LONG_AGO)}) && (resource.name.startsWith("projects/data-warehouse/datasets/a"))` },
  });
  // only a live activation: nothing to remove, no write
  world.iam['projects/finance-ledger'].push(activationBinding('user:frank@example.com', 'roles/cloudsql.admin', 'Approved by grace@example.com, justification: close', ...FAR_AHEAD));
  // on a folder: activations are never written there, so it is not ours
  world.iam['folders/200000000001'].push(activationBinding('user:erin@example.com', 'roles/compute.viewer', 'x', ...LONG_AGO));
  return world;
}

async function idToken(stack: Stack, serviceAccount: string, audience: string, includeEmail = true): Promise<string> {
  const res = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${serviceAccount}`,
    requestBody: { audience, includeEmail },
  });
  return res.data.token!;
}

async function callCleanup(stack: Stack, options: { query?: string; headers?: Record<string, string>; method?: 'GET' | 'POST' } = {}) {
  const res = await fetch(`${stack.url}/tasks/cleanup${options.query ?? ''}`, { method: options.method ?? 'POST', headers: options.headers ?? {} });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

const schedulerHeaders = async (stack: Stack) => ({ authorization: `Bearer ${await idToken(stack, SCHEDULER, `${PUBLIC_URL}/tasks/cleanup`)}` });

function allPolicies(stack: Stack) {
  return structuredClone(Object.fromEntries(stack.emulator.state.policies));
}

/** IAM may reorder bindings when it stores a policy; what counts is which bindings there are. */
const sorted = (bindings: any[]) => {
  const key = (b: any) => `${b.role} ${b.members.join()} ${b.condition?.title} ${b.condition?.expression}`;
  return [...bindings].sort((a, b) => key(a).localeCompare(key(b)));
};

const isExpiredOurs = (b: any) => b.condition?.title === TITLE && b.condition.expression.includes('2024-01-10T10:00:00Z');

describe('sweeper', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ world: sweeperWorld(), env: STACK_ENV });
  });
  afterEach(() => stack.close());

  const EXPECTED = [
    { projectId: 'data-warehouse', roles: ['roles/bigquery.dataViewer'] },
    { projectId: 'prod-app', roles: ['roles/compute.viewer'] },
    { projectId: 'staging-app', roles: ['roles/compute.admin', 'roles/compute.viewer'] },
  ];
  const summary = (body: any) => body.projects.map((p: any) => ({ projectId: p.projectId, roles: p.removed.map((r: any) => r.role).sort() }));

  test('a dry run reports what would be removed and changes nothing', async () => {
    const before = allPolicies(stack);
    stack.emulator.state.calls.clear();
    const res = await callCleanup(stack, { query: '?dryRun=true', headers: await schedulerHeaders(stack) });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    expect(summary(res.body)).toEqual(EXPECTED);
    expect(res.body.failures).toEqual([]);
    const dw = res.body.projects[0].removed[0];
    expect(dw).toEqual({
      role: 'roles/bigquery.dataViewer',
      members: ['user:dave@example.com'],
      resourceCondition: 'resource.name.startsWith("projects/data-warehouse/datasets/a")',
      start: LONG_AGO[0].toISOString(),
      end: LONG_AGO[1].toISOString(),
      description: 'Self-approved, justification: q',
    });
    expect(allPolicies(stack)).toEqual(before);
    expect(setIamPolicyCalls(stack)).toBe(0);
    expect(await auditEntries(stack, 'cleanup.project')).toEqual([]);
  });

  test('removes only expired activations of ours, with one write per changed project and an audit entry each', async () => {
    const before = allPolicies(stack);
    stack.emulator.state.calls.clear();
    const res = await callCleanup(stack, { headers: await schedulerHeaders(stack) });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(false);
    expect(summary(res.body)).toEqual(EXPECTED);

    const after = allPolicies(stack);
    for (const name of Object.keys(before)) {
      const expected = name.startsWith('projects/') ? before[name].bindings.filter((b: any) => !isExpiredOurs(b)) : before[name].bindings;
      expect({ name, bindings: sorted(after[name].bindings) }).toEqual({ name, bindings: sorted(expected) });
    }
    // what stays: the live activation, the lookalike title, the binding without a time window, the folder's
    const staging = after['projects/staging-app'].bindings;
    expect(staging.filter((b: any) => b.condition?.title?.startsWith(TITLE)).map((b: any) => `${b.role} ${b.members[0]}`).sort()).toEqual([
      'roles/compute.admin user:bob@example.com',
      'roles/compute.viewer user:dave@example.com',
      'roles/storage.objectViewer user:dave@example.com',
    ]);
    expect(after['folders/200000000001'].bindings.some(isExpiredOurs)).toBe(true);
    expect(after['projects/finance-ledger']).toEqual(before['projects/finance-ledger']);
    expect(setIamPolicyCalls(stack)).toBe(3);
    expect(stack.emulator.state.requestReasons.map((r) => r.resource).sort()).toEqual(['projects/data-warehouse', 'projects/prod-app', 'projects/staging-app']);

    const entries = await auditEntries(stack, 'cleanup.project');
    expect(entries.map((e) => e.labels.project).sort()).toEqual(['data-warehouse', 'prod-app', 'staging-app']);
    expect(entries.find((e) => e.labels.project === 'staging-app').jsonPayload).toMatchObject({ invoker: `serviceAccount:${SCHEDULER}`, outcome: 'success' });

    // A second run finds nothing left and writes nothing.
    stack.emulator.state.calls.clear();
    const again = await callCleanup(stack, { headers: await schedulerHeaders(stack) });
    expect(again.status).toBe(200);
    expect(again.body.projects).toEqual([]);
    expect(setIamPolicyCalls(stack)).toBe(0);
  });

  test('removes the decision records of requests that expired, and keeps those of live requests', async () => {
    const { crm } = googleClients(stack.emulator);
    const resource = 'projects/prod-app';
    const current = (await crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
    const record = (id: string, until: string) => ({
      role: 'roles/browser',
      members: ['user:bob@example.com'],
      condition: { title: 'JIT access decision', expression: 'request.time < timestamp("1970-01-01T00:00:00Z")', description: `granted ${id} at 2024-01-10T09:00:00Z until ${until}` },
    });
    const live = record('mpa-live', '2099-01-01T00:00:00Z');
    await crm.projects.setIamPolicy({ resource, requestBody: { policy: { ...current, version: 3, bindings: [...current.bindings!, record('mpa-old', '2024-01-10T10:00:00Z'), live] } } });

    const res = await callCleanup(stack, { headers: await schedulerHeaders(stack) });
    expect(res.status).toBe(200);
    const decisions = (await policyOf(stack.emulator, 'prod-app')).bindings.filter((b: any) => b.condition?.title === 'JIT access decision');
    expect(decisions).toEqual([live]);
    const [entry] = (await auditEntries(stack, 'cleanup.project')).filter((e) => e.labels.project === 'prod-app');
    expect(entry.jsonPayload).toMatchObject({ decisionsRemoved: 1 });
  });

  test('a project whose write keeps failing is reported with 503; the others are cleaned', async () => {
    stack.emulator.state.faults.errors['cloudresourcemanager.projects.setIamPolicy'] = { rate: 1, status: 403, count: 1 };
    const res = await callCleanup(stack, { headers: await schedulerHeaders(stack) });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('CLEANUP_INCOMPLETE');
    expect(res.body.error.failures).toHaveLength(1);
    expect(res.body.error.projects).toHaveLength(2);
    const failed = res.body.error.failures[0].projectId;
    expect(allPolicies(stack)[`projects/${failed}`].bindings.some(isExpiredOurs)).toBe(true);
    const [entry] = await auditEntries(stack, 'cleanup.failed');
    expect(entry.labels.project).toBe(failed);
  });
});

describe('sweeper authentication', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ world: sweeperWorld(), env: STACK_ENV });
  });
  afterAll(() => stack.close());

  async function expectRefused(options: Parameters<typeof callCleanup>[1], status: number, message: string) {
    const before = allPolicies(stack);
    const res = await callCleanup(stack, options);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(message);
    expect(allPolicies(stack)).toEqual(before);
    return res;
  }

  test('no credentials → 401 naming the accepted callers', async () => {
    const res = await expectRefused({}, 401, 'App Engine cron');
    expect(res.body.error.message).toContain('Cloud Scheduler');
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
  });

  test('the cron header off App Engine → 403: anyone could send it here', async () => {
    const res = await expectRefused({ headers: { 'x-appengine-cron': 'true' } }, 403, 'trusted only on App Engine');
    expect(res.body.error.code).toBe('CRON_HEADER_NOT_TRUSTED');
  });

  test('an OIDC token of another service account → 403', async () => {
    const token = await idToken(stack, OTHER_SA, `${PUBLIC_URL}/tasks/cleanup`);
    const res = await expectRefused({ headers: { authorization: `Bearer ${token}` } }, 403, `belongs to ${OTHER_SA}`);
    expect(res.body.error.code).toBe('TASK_CALLER_NOT_ALLOWED');
  });

  test.each([
    ['for another audience', () => idToken(stack, SCHEDULER, `${PUBLIC_URL}/api/v1/me`), 'another audience'],
    ['without the email claim', () => idToken(stack, SCHEDULER, `${PUBLIC_URL}/tasks/cleanup`, false), 'no email claim'],
    ['that is an IAP assertion, not a Google ID token', () => mintAssertion(stack.emulator, { email: SCHEDULER }), 'RS256'],
  ])('a token %s → 401', async (_name, token, message) => {
    await expectRefused({ headers: { authorization: `Bearer ${await token()}` } }, 401, message);
  });

  test('an expired token → 401', async () => {
    await fetch(`${stack.emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetSeconds: -7200 }) });
    let token: string;
    try {
      token = await idToken(stack, SCHEDULER, `${PUBLIC_URL}/tasks/cleanup`);
    } finally {
      await fetch(`${stack.emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetSeconds: 0 }) });
    }
    await expectRefused({ headers: { authorization: `Bearer ${token}` } }, 401, 'expired');
  });

  test('the scheduler’s token for PUBLIC_URL/tasks/cleanup is accepted; unknown query parameters are refused', async () => {
    const headers = await schedulerHeaders(stack);
    const bad = await callCleanup(stack, { query: '?dryRun=yes', headers });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('dryRun');
    const res = await callCleanup(stack, { query: '?dryRun=true', headers });
    expect(res.status).toBe(200);
    expect(res.body.projects.length).toBeGreaterThan(0);
  });

  test('on App Engine, the cron header (GET, as App Engine cron sends it) is accepted', async () => {
    // The platform is read per request; App Engine itself cannot run in a test, so the setting is flipped.
    stack.service.config.platform = 'appengine';
    try {
      const res = await callCleanup(stack, { method: 'GET', query: '?dryRun=true', headers: { 'x-appengine-cron': 'true' } });
      expect(res.status).toBe(200);
      expect(res.body.dryRun).toBe(true);
    } finally {
      stack.service.config.platform = 'local';
    }
  });
});
