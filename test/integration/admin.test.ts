// The Admin area: who may use it (admins, read-only auditors, everyone else 403, group membership read
// fresh), active elevations across the scope from one Asset search, and revocation of one user's grant,
// racing the user's own end and extension.
import path from 'node:path';
import { startStack, policyOf, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';
import type { World } from '../../emulator/world';

const ADMIN = 'bob@example.com'; // in oncall@example.com
const AUDITOR = 'dave@example.com'; // in data-eng@example.com
const ORDINARY = 'frank@example.com';
const ALICE = 'alice@example.com'; // eligible for roles/cloudsql.admin on prod-app (self-approval)
const TITLE = 'JIT access activation';
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
const minutesFromNow = (n: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + n * 60_000);

/** The demo world, with condition titles not searchable: the strict reading of Asset Inventory. */
function world(): World {
  const w = structuredClone(demoWorld());
  w.assetInventory = { ...w.assetInventory, conditionTitlesIndexed: false };
  return w;
}

async function startAdminStack(): Promise<Stack> {
  return startStack({ world: world(), env: { ADMIN_GROUPS: 'oncall@example.com', AUDITOR_GROUPS: 'data-eng@example.com' } });
}

/** An activation binding written by someone else (another instance, jit-access 1.x), possibly shared. */
async function plantActivation(stack: Stack, projectId: string, role: string, members: string[], minutes = 30) {
  const binding = {
    role,
    members: members.map((m) => `user:${m}`),
    condition: { title: TITLE, description: 'Self-approved, justification: planted', expression: `(request.time >= timestamp("${iso(minutesFromNow(-5))}") && request.time < timestamp("${iso(minutesFromNow(minutes))}"))` },
  };
  (await policyOf(stack.emulator, projectId)).bindings.push(binding);
}

async function activateAlice(stack: Stack): Promise<string> {
  const res = await stack.as(ALICE).post('/api/v1/projects/prod-app/activations', { roles: ['prod-app:roles/cloudsql.admin'], justification: 'INC-7', durationMinutes: 30 });
  expect(res.status).toBe(201);
  const grants = await stack.as(ALICE).get('/api/v1/me/grants');
  return grants.body.grants.find((g: any) => g.role === 'roles/cloudsql.admin').id;
}

const activationMembers = async (stack: Stack, projectId: string, role: string) =>
  (await policyOf(stack.emulator, projectId)).bindings.filter((b) => b.role === role && b.condition?.title === TITLE).flatMap((b) => b.members);

describe('admin: who may use the Admin area', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startAdminStack();
  });
  afterAll(() => stack.close());

  test('an admin and an auditor (through their groups) see their role; anyone else gets 403 on every admin route', async () => {
    expect((await stack.as(ADMIN).get('/api/v1/admin/me')).body).toEqual({ user: { email: ADMIN }, role: 'admin' });
    expect((await stack.as(AUDITOR).get('/api/v1/admin/me')).body).toEqual({ user: { email: AUDITOR }, role: 'auditor' });
    for (const [method, path] of [
      ['get', '/api/v1/admin/me'],
      ['get', '/api/v1/admin/elevations'],
      ['post', '/api/v1/admin/revocations'],
      ['get', '/api/v1/admin/no-such-route'],
    ] as const) {
      const res = await stack.as(ORDINARY)[method](path);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('NOT_ADMIN');
      expect(res.body.error.message).toContain(ORDINARY);
    }
  });

  test('auditors read but cannot revoke', async () => {
    expect((await stack.as(AUDITOR).get('/api/v1/admin/elevations')).status).toBe(200);
    const res = await stack.as(AUDITOR).post('/api/v1/admin/revocations', { user: ALICE, grantId: 'abc', reason: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('read-only');
  });

  test('group membership is read fresh: someone taken out of the admin group loses the Admin area at once', async () => {
    const carol = 'carol@example.com';
    expect((await stack.as(carol).get('/api/v1/admin/me')).status).toBe(200);
    const group = stack.emulator.state.groups.get('oncall@example.com')!;
    group.members = group.members.filter((m) => m !== `user:${carol}`);
    expect((await stack.as(carol).get('/api/v1/admin/me')).status).toBe(403);
  });
});

describe('admin: the access policy names the admins', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ world: world(), env: { ACCESS_POLICY: path.join(__dirname, '../../examples/access-policy.yaml'), ADMIN_GROUPS: 'oncall@example.com' } });
  });
  afterAll(() => stack.close());

  test("the demo's admin@example.com is an admin; ADMIN_GROUPS is ignored when there is a policy", async () => {
    expect((await stack.as('admin@example.com').get('/api/v1/admin/me')).body.role).toBe('admin');
    expect((await stack.as(ADMIN).get('/api/v1/admin/me')).status).toBe(403);
  });
});

describe('admin: active elevations', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startAdminStack();
  });
  afterEach(() => stack.close());

  test('every user of every activation binding in force across the scope, from one Asset search, filterable', async () => {
    await plantActivation(stack, 'staging-app', 'roles/compute.admin', ['carol@example.com', 'erin@example.com']);
    await plantActivation(stack, 'data-warehouse', 'roles/bigquery.dataViewer', ['erin@example.com'], 90);
    // A time-bound binding that is not an activation, and an expired activation (demo world, prod-app).
    (await policyOf(stack.emulator, 'finance-ledger')).bindings.push({
      role: 'roles/viewer',
      members: ['user:grace@example.com'],
      condition: { title: 'Temporary audit', expression: `request.time < timestamp("${iso(minutesFromNow(60))}")` },
    });
    stack.emulator.state.calls.clear();
    const res = await stack.as(AUDITOR).get('/api/v1/admin/elevations');
    expect(res.status).toBe(200);
    expect(res.body.elevations.map((e: any) => [e.projectId, e.user, e.role])).toEqual([
      ['staging-app', 'carol@example.com', 'roles/compute.admin'],
      ['staging-app', 'erin@example.com', 'roles/compute.admin'],
      ['data-warehouse', 'erin@example.com', 'roles/bigquery.dataViewer'],
    ]);
    expect(res.body.elevations[0].approval).toEqual({ type: 'self', justification: 'planted' });
    expect(res.body.freshness).toContain('Asset Inventory');
    expect(stack.emulator.state.calls.get('cloudasset.searchAllIamPolicies')).toBe(1);

    const byUser = await stack.as(AUDITOR).get('/api/v1/admin/elevations?user=ERIN@example.com&role=bigquery');
    expect(byUser.body.elevations.map((e: any) => e.projectId)).toEqual(['data-warehouse']);
    const byProject = await stack.as(ADMIN).get('/api/v1/admin/elevations?projectId=staging-app');
    expect(byProject.body.elevations).toHaveLength(2);
    // One search answers every admin for a while.
    expect(stack.emulator.state.calls.get('cloudasset.searchAllIamPolicies')).toBe(1);

    const bad = await stack.as(ADMIN).get('/api/v1/admin/elevations?colour=red');
    expect(bad.status).toBe(400);
  });

  test('each row says whether it is break-glass (its binding carries the break-glass mark), and can be filtered on it', async () => {
    await plantActivation(stack, 'staging-app', 'roles/compute.admin', ['carol@example.com']);
    await plantActivation(stack, 'prod-app', 'roles/cloudsql.admin', ['erin@example.com']);
    const policy = await policyOf(stack.emulator, 'prod-app');
    policy.bindings.at(-1)!.condition.description = 'Break-glass, reason: database down';
    const all = (await stack.as(AUDITOR).get('/api/v1/admin/elevations')).body.elevations;
    expect(all.map((e: any) => [e.user, e.breakGlass, e.approval.type])).toEqual([
      ['erin@example.com', true, 'break-glass'],
      ['carol@example.com', false, 'self'],
    ]);
    const onlyBreakGlass = await stack.as(AUDITOR).get('/api/v1/admin/elevations?breakGlass=true');
    expect(onlyBreakGlass.body.elevations.map((e: any) => e.user)).toEqual(['erin@example.com']);
    const others = await stack.as(AUDITOR).get('/api/v1/admin/elevations?breakGlass=false');
    expect(others.body.elevations.map((e: any) => e.user)).toEqual(['carol@example.com']);
    expect((await stack.as(AUDITOR).get('/api/v1/admin/elevations?breakGlass=yes')).status).toBe(400);
    const revoked = await stack.as(ADMIN).post('/api/v1/admin/revocations', { user: 'erin@example.com', grantId: onlyBreakGlass.body.elevations[0].id, reason: 'Incident over' });
    expect(revoked.body.revoked.breakGlass).toBe(true);
  });

  test('a pipeline activates as its service account: its grant is an elevation too, and revocable; a group is not', async () => {
    const pipeline = 'deployer@jit-host.iam.gserviceaccount.com';
    await plantActivation(stack, 'staging-app', 'roles/compute.admin', ['carol@example.com']);
    const policy = await policyOf(stack.emulator, 'staging-app');
    policy.bindings.push({ ...policy.bindings.at(-1)!, members: [`serviceAccount:${pipeline}`, 'group:sre@example.com'] });
    const all = (await stack.as(ADMIN).get('/api/v1/admin/elevations')).body.elevations;
    expect(all.map((e: any) => e.user).sort()).toEqual(['carol@example.com', pipeline]);
    const grant = all.find((e: any) => e.user === pipeline);
    const revoked = await stack.as(ADMIN).post('/api/v1/admin/revocations', { user: pipeline, grantId: grant.id, reason: 'Pipeline finished' });
    expect(revoked.status).toBe(200);
    expect((await activationMembers(stack, 'staging-app', 'roles/compute.admin')).sort()).toEqual(['group:sre@example.com', 'user:carol@example.com']);
  });
});

describe('admin: revocation', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startAdminStack();
  });
  afterEach(() => stack.close());

  test('removes only that user from a shared binding, audited with the admin, the user told by email', async () => {
    await plantActivation(stack, 'staging-app', 'roles/compute.admin', ['carol@example.com', 'erin@example.com']);
    const list = await stack.as(ADMIN).get('/api/v1/admin/elevations?user=erin@example.com');
    const grant = list.body.elevations[0];
    const res = await stack.as(ADMIN).post('/api/v1/admin/revocations', { user: 'erin@example.com', grantId: grant.id, reason: 'Left the team' });
    expect(res.status).toBe(200);
    expect(res.body.revoked).toMatchObject({ user: 'erin@example.com', projectId: 'staging-app', role: 'roles/compute.admin' });
    expect(res.body.notificationFailures).toEqual([]);
    expect(await activationMembers(stack, 'staging-app', 'roles/compute.admin')).toEqual(['user:carol@example.com']);

    const mail = stack.emulator.state.mail.at(-1)!;
    expect(mail.to).toBe('erin@example.com');
    expect(mail.cc).toBe(ADMIN);
    expect(mail.text).toContain('Left the team');

    await stack.service.audit.flush();
    const entries = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === 'grant.revoked');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ user: { email: ADMIN }, beneficiary: 'erin@example.com', reason: 'Left the team', project: 'staging-app' });
  });

  test('a reason is required, and a grant that is not in force is 404', async () => {
    await plantActivation(stack, 'staging-app', 'roles/compute.admin', ['carol@example.com']);
    const grant = (await stack.as(ADMIN).get('/api/v1/admin/elevations')).body.elevations[0];
    const noReason = await stack.as(ADMIN).post('/api/v1/admin/revocations', { user: 'carol@example.com', grantId: grant.id, reason: '  ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain('reason');
    const otherUser = await stack.as(ADMIN).post('/api/v1/admin/revocations', { user: 'erin@example.com', grantId: grant.id, reason: 'x' });
    expect(otherUser.status).toBe(404);
    expect(await activationMembers(stack, 'staging-app', 'roles/compute.admin')).toEqual(['user:carol@example.com']);
  });

  test('racing the user ending the grant: the grant is removed once, and a revocation that comes second changes nothing', async () => {
    const id = await activateAlice(stack);
    const [ended, revoked] = await Promise.all([
      stack.as(ALICE).del(`/api/v1/me/grants/${id}`, { reason: 'done' }),
      stack.as(ADMIN).post('/api/v1/admin/revocations', { user: ALICE, grantId: id, reason: 'Incident over' }),
    ]);
    expect(ended.status).toBe(200);
    expect([200, 404, 409]).toContain(revoked.status);
    expect(await activationMembers(stack, 'prod-app', 'roles/cloudsql.admin')).toEqual([]);
    const late = await stack.as(ADMIN).post('/api/v1/admin/revocations', { user: ALICE, grantId: id, reason: 'again' });
    expect(late.status).toBe(404);
  });

  test('racing the user extending the grant: exactly one wins, and the policy says which', async () => {
    const id = await activateAlice(stack);
    const [extended, revoked] = await Promise.all([
      stack.as(ALICE).post(`/api/v1/me/grants/${id}/extend`, { durationMinutes: 60 }),
      stack.as(ADMIN).post('/api/v1/admin/revocations', { user: ALICE, grantId: id, reason: 'Incident over' }),
    ]);
    // The extension may land before the revocation reads the policy (404: no such grant in force) or while
    // it writes (409); either way exactly one of them wins.
    expect([
      [200, 404],
      [200, 409],
    ]).toContainEqual([extended.status, revoked.status].sort());
    const members = await activationMembers(stack, 'prod-app', 'roles/cloudsql.admin');
    if (revoked.status === 200) {
      expect(members).toEqual([]);
    } else {
      expect(revoked.body.error.message).toMatch(revoked.status === 409 ? /extended/ : /replaced/);
      const grants = (await stack.as(ALICE).get('/api/v1/me/grants')).body.grants;
      expect(grants.map((g: any) => g.id)).toEqual([extended.body.grant.id]);
    }
  });
});

describe('admin: history from the audit log', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startAdminStack();
  });
  afterAll(() => stack.close());

  test('activations, ends and revocations over a period, filterable, from one shared read; CSV export', async () => {
    const id = await activateAlice(stack);
    await plantActivation(stack, 'staging-app', 'roles/compute.admin', ['carol@example.com']);
    const carol = (await stack.as(ADMIN).get('/api/v1/admin/elevations?user=carol@example.com')).body.elevations[0];
    expect((await stack.as(ADMIN).post('/api/v1/admin/revocations', { user: 'carol@example.com', grantId: carol.id, reason: '=HYPERLINK("x")' })).status).toBe(200);
    expect((await stack.as(ALICE).del(`/api/v1/me/grants/${id}`, { reason: 'done' })).status).toBe(200);
    await stack.service.audit.flush();
    stack.emulator.state.calls.clear();

    const all = await stack.as(AUDITOR).get('/api/v1/admin/history');
    expect(all.status).toBe(200);
    expect(all.body.rows.map((r: any) => r.event)).toEqual(['grant.ended', 'grant.revoked', 'activation.succeeded']);
    expect(all.body.rows[1]).toMatchObject({ actor: ADMIN, beneficiary: 'carol@example.com', projectId: 'staging-app', roles: ['roles/compute.admin'] });
    expect(all.body.freshness).toContain('Cloud Logging');

    const byUser = await stack.as(ADMIN).get('/api/v1/admin/history?user=carol@example.com');
    expect(byUser.body.rows.map((r: any) => r.event)).toEqual(['grant.revoked']);
    const byRoleAndEvent = await stack.as(ADMIN).get('/api/v1/admin/history?role=cloudsql&event=activation.succeeded');
    expect(byRoleAndEvent.body.rows.map((r: any) => r.actor)).toEqual([ALICE]);
    const byProject = await stack.as(ADMIN).get('/api/v1/admin/history?projectId=prod-app');
    expect(byProject.body.rows).toHaveLength(2);
    const future = await stack.as(ADMIN).get(`/api/v1/admin/history?from=${new Date(Date.now() + 3_600_000).toISOString()}&to=${new Date(Date.now() + 7_200_000).toISOString()}`);
    expect(future.body.rows).toEqual([]);

    // Every view above was served by the first read of the log.
    expect(stack.emulator.state.calls.get('logging.entries.list')).toBe(1);

    const csv = await stack.as(AUDITOR).get('/api/v1/admin/history.csv?user=carol@example.com');
    expect(csv.status).toBe(200);
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toBe('time,event,outcome,actor,beneficiary,project,roles,message');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(',grant.revoked,success,bob@example.com,carol@example.com,staging-app,roles/compute.admin,');

    expect((await stack.as(ADMIN).get('/api/v1/admin/history?from=yesterday')).status).toBe(400);
    expect((await stack.as(ADMIN).get('/api/v1/admin/history?from=2000-01-01T00:00:00Z')).status).toBe(400);
    expect((await stack.as(ORDINARY).get('/api/v1/admin/history.csv')).status).toBe(403);
  });
});

describe('admin: standing-privilege report', () => {
  let stack: Stack;
  beforeAll(async () => {
    const w = world();
    // Planted standing roles: alice holds cloudsql.admin permanently on prod-app, where she is eligible for it;
    // the SRE group holds compute.viewer permanently on staging-app, inside the folder where it is eligible.
    w.iam['projects/prod-app'].push({ role: 'roles/cloudsql.admin', members: ['user:alice@example.com'] });
    w.iam['projects/staging-app'].push({ role: 'roles/compute.viewer', members: ['group:sre@example.com'] });
    w.iam['projects/finance-ledger'] = [...(w.iam['projects/finance-ledger'] ?? []), { role: 'roles/editor', members: ['group:data-eng@example.com'] }];
    stack = await startStack({ world: w, env: { ADMIN_GROUPS: 'oncall@example.com', AUDITOR_GROUPS: 'data-eng@example.com' } });
  });
  afterAll(() => stack.close());

  test('standing roles that shadow eligible ones, through groups, and privileged roles held permanently, each with where it sits', async () => {
    const res = await stack.as(AUDITOR).get('/api/v1/admin/standing-privileges');
    expect(res.status).toBe(200);
    const rows = res.body.standingWhileEligible.map((r: any) => [r.standing.user, r.standing.role, r.standing.resource, r.standing.via, r.eligible.resource, r.eligible.via]);
    expect(rows).toEqual([
      ['alice@example.com', 'roles/cloudsql.admin', 'projects/prod-app', 'user:alice@example.com', 'projects/prod-app', 'user:alice@example.com'],
      ['alice@example.com', 'roles/compute.viewer', 'projects/staging-app', 'group:sre@example.com', 'folders/200000000001', 'group:sre@example.com'],
      ['bob@example.com', 'roles/compute.viewer', 'projects/staging-app', 'group:sre@example.com', 'folders/200000000001', 'group:sre@example.com'],
      ['carol@example.com', 'roles/compute.viewer', 'projects/staging-app', 'group:sre@example.com', 'folders/200000000001', 'group:sre@example.com'],
    ]);
    const privileged = res.body.privileged.map((r: any) => `${r.user} ${r.role} ${r.resource} ${r.via}`);
    expect(privileged).toContain('alice@example.com roles/cloudsql.admin projects/prod-app user:alice@example.com');
    expect(privileged).toContain('dave@example.com roles/editor projects/finance-ledger group:data-eng@example.com');
    expect(privileged).toContain('admin@example.com roles/owner projects/prod-app user:admin@example.com');
    expect(privileged.some((p: string) => p.includes('serviceAccount:'))).toBe(false);
    expect(res.body.freshness).toContain('Asset Inventory');
    expect((await stack.as(ORDINARY).get('/api/v1/admin/standing-privileges')).status).toBe(403);
  });
});
