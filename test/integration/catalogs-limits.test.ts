// The catalog within Google's limits: roles that cannot be granted on a project, role titles, the Policy
// Analyzer's quota and expansion cap, and bounded group nesting, each as the user sees it.
import { startStack, policyOf, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';
import type { World } from '../../emulator/world';

async function faults(stack: Stack, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`setting faults failed: ${res.status} ${await res.text()}`);
}

const calls = (stack: Stack, method: string) => stack.emulator.state.calls.get(method) ?? 0;

/** The demo world where the SREs are also eligible for Folder Admin across engineering: a folder-level role. */
function withFolderRole(): World {
  const world = demoWorld();
  world.iam['folders/200000000001'].push({
    role: 'roles/resourcemanager.folderAdmin',
    members: ['group:sre@example.com'],
    condition: { title: 'Eligible for JIT access', expression: 'has({}.jitAccessConstraint)' },
  });
  return world;
}

const FOLDER_ADMIN = 'staging-app:roles/resourcemanager.folderAdmin';

function activate(stack: Stack, role: string) {
  return stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: [role], justification: 'INC-3 limits', durationMinutes: 5 });
}

describe('roles that cannot be granted on a project, and role titles', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ world: withFolderRole() });
  });
  afterAll(() => stack.close());

  test('a folder-level role is not offered, the roles view says why, and activating it is a 400 that writes nothing', async () => {
    const res = await stack.as('alice@example.com').get('/api/v1/projects/staging-app/roles');
    expect(res.status).toBe(200);
    expect(res.body.roles.map((r: any) => r.role)).toEqual(['roles/compute.admin', 'roles/compute.viewer']);
    expect(res.body.warnings).toContainEqual(expect.stringContaining('roles/resourcemanager.folderAdmin'));
    expect(res.body.warnings).toContainEqual(expect.stringContaining('cannot be granted on a project'));

    const before = await policyOf(stack.emulator, 'staging-app');
    stack.emulator.state.calls.clear();
    const refused = await activate(stack, FOLDER_ADMIN);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'ROLE_NOT_GRANTABLE']);
    expect(refused.body.error.message).toContain('roles/resourcemanager.folderAdmin cannot be granted on a project');
    expect(calls(stack, 'cloudresourcemanager.projects.setIamPolicy')).toBe(0);
    expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
  });

  test("roles carry IAM's title and description; the grantable roles of a project are read once for every user", async () => {
    stack.emulator.state.calls.clear();
    const [alice, bob] = await Promise.all(['alice@example.com', 'bob@example.com'].map((u) => stack.as(u).get('/api/v1/projects/prod-app/roles')));
    const computeAdmin = alice.body.roles.find((r: any) => r.role === 'roles/compute.admin');
    expect(computeAdmin.title).toBe('Compute Admin');
    expect(computeAdmin.description).toEqual(expect.any(String));
    expect(bob.body.roles.every((r: any) => typeof r.title === 'string')).toBe(true);
    expect(calls(stack, 'iam.roles.queryGrantableRoles')).toBe(1);
  });
});

describe('when IAM cannot say which roles are grantable', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ world: withFolderRole() });
  });
  afterAll(() => stack.close());

  test("the role is offered, and Google's 400 at setIamPolicy becomes a 400 that names the role", async () => {
    await faults(stack, { errors: { 'iam.roles.queryGrantableRoles': { status: 403 } } });
    const roles = await stack.as('alice@example.com').get('/api/v1/projects/staging-app/roles');
    expect(roles.status).toBe(200);
    expect(roles.body.roles.map((r: any) => r.role)).toContain('roles/resourcemanager.folderAdmin');
    const refused = await activate(stack, FOLDER_ADMIN);
    expect([refused.status, refused.body.error.code]).toEqual([400, 'ROLE_NOT_GRANTABLE']);
    expect(refused.body.error.message).toContain('roles/resourcemanager.folderAdmin cannot be granted on this resource');
  });
});

describe('the Policy Analyzer catalog', () => {
  /**
   * The demo world with 1,000 more projects in the engineering folder and 1,000 more users at the head of
   * the SRE group: more than the analyzer expands per binding and per group.
   */
  function withManyProjectsAndUsers(): World {
    const world = demoWorld();
    world.organization = { ...world.organization, securityCommandCenter: 'premium' };
    for (let i = 0; i < 1000; i++) {
      world.projects.push({ id: `eng-${String(i).padStart(4, '0')}`, number: String(310000000000 + i), parent: 'folders/200000000001', state: 'ACTIVE' });
    }
    const newcomers = Array.from({ length: 1000 }, (_, i) => `sre-${String(i).padStart(4, '0')}@example.com`);
    world.users.push(...newcomers);
    const sre = world.groups.find((g) => g.email === 'sre@example.com')!;
    sre.members = [...newcomers.map((u) => `user:${u}`), ...sre.members];
    return world;
  }

  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ world: withManyProjectsAndUsers(), env: { RESOURCE_CATALOG: 'PolicyAnalyzer' } });
  });
  afterAll(() => stack.close());

  test('an analysis that was not fully explored lists what it found and says so', async () => {
    const res = await stack.as('alice@example.com').get('/api/v1/projects');
    expect(res.status).toBe(200);
    expect(res.body.projects.length).toBeGreaterThan(0);
    expect(res.body.warnings).toContainEqual(expect.stringContaining('fullyExplored: false'));
  });

  test('reviewers from a group larger than the analyzer expands: those it listed, and a warning that others are missing', async () => {
    const res = await stack.as('sre-0000@example.com').get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent('prod-app:roles/compute.admin')}`);
    expect(res.status).toBe(200);
    expect(res.body.reviewers).toHaveLength(999);
    expect(res.body.reviewers).toContain('sre-0999@example.com');
    // alice and the on-call members come after the first 1,000 members of sre: cut off by the analyzer.
    expect(res.body.reviewers).not.toContain('alice@example.com');
    expect(res.body.warnings).toContainEqual(expect.stringContaining('stopped at 1000 of 1002 members'));
    expect(res.body.warnings).toContainEqual(expect.stringContaining('1,000 members per group'));
  });

  test('an exhausted analyzer quota is a 429 that names the quota and the way out, without retries', async () => {
    await faults(stack, { errors: { 'cloudasset.analyzeIamPolicy': { status: 429 } } });
    stack.emulator.state.calls.clear();
    const res = await stack.as('bob@example.com').get('/api/v1/projects');
    expect([res.status, res.body.error.code]).toEqual([429, 'QUOTA_EXCEEDED']);
    expect(res.body.error.message).toContain('20 analysis queries per organization per day');
    expect(res.body.error.message).toContain('RESOURCE_CATALOG=AssetInventory');
    expect(res.body.error.message).toContain('Security Command Center Premium');
    expect(calls(stack, 'cloudasset.analyzeIamPolicy')).toBe(1);
  });
});

describe('bounded group nesting (free edition)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { GROUP_NESTING_MAX_DEPTH: '1' } });
  });
  afterAll(() => stack.close());

  test('nesting beyond the bound is not followed, and the project list says so', async () => {
    // bob ⊂ on-call ⊂ sre: with one level, on-call's parents are read (sre) but not sre's.
    const res = await stack.as('bob@example.com').get('/api/v1/projects');
    expect(res.status).toBe(200);
    expect(res.body.projects.map((p: any) => p.id)).toEqual(['data-warehouse', 'prod-app', 'staging-app']);
    expect(res.body.warnings).toEqual([expect.stringContaining('GROUP_NESTING_MAX_DEPTH')]);
  });
});
