// "My access" at scale: the Google calls of GET /api/v1/me/grants depend on the grants a user holds, not on
// the projects they are eligible on; grants this instance wrote are listed even when Asset Inventory does
// not show them yet; and an answer that could not read everything says what is missing.
import { startStack, policyOf, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
import { EMULATOR_ACCESS_TOKEN } from '../../server/google/connection';
import type { World } from '../../emulator/world';

const WIDE = 'wide@example.com';
const FOLDER = '200000000009';
const project = (i: number) => `wide-${String(i).padStart(3, '0')}`;
const TITLE = 'JIT access activation';
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
const minutesFromNow = (n: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 + n * 60_000);

/** The demo world plus a user eligible (directly, and through a group on a folder) on `count` projects. */
function wideWorld(count: number): World {
  const world = structuredClone(demoWorld());
  world.users.push(WIDE);
  world.groups.push({ email: 'wide-team@example.com', members: [`user:${WIDE}`] });
  world.folders.push({ id: FOLDER, displayName: 'wide', parent: `organizations/${world.organization.id}` });
  world.iam[`folders/${FOLDER}`] = [{ role: 'roles/compute.viewer', members: ['group:wide-team@example.com'], condition: { title: 'Eligible', expression: 'has({}.jitAccessConstraint)' } }];
  for (let i = 0; i < count; i++) {
    world.projects.push({ id: project(i), number: String(400000000000 + i), parent: `folders/${FOLDER}`, state: 'ACTIVE' });
    world.iam[`projects/${project(i)}`] = [{ role: 'roles/storage.admin', members: [`user:${WIDE}`], condition: { title: 'Eligible', expression: 'has({}.jitAccessConstraint)' } }];
  }
  return world;
}

const callsOf = (stack: Stack) => Object.fromEntries([...stack.emulator.state.calls].filter(([name]) => !name.startsWith('iap.')));

async function activate(stack: Stack, projectId: string, role = 'roles/storage.admin') {
  const res = await stack.as(WIDE).post(`/api/v1/projects/${projectId}/activations`, { roles: [`${projectId}:${role}`], justification: 'INC-1', durationMinutes: 30 });
  expect(res.status).toBe(201);
}

/** An activation of the user written by someone else (another instance, or jit-access 1.x). */
async function grantElsewhere(stack: Stack, projectId: string) {
  (await policyOf(stack.emulator, projectId)).bindings.push({
    role: 'roles/storage.admin',
    members: [`user:${WIDE}`],
    condition: { title: TITLE, description: 'Self-approved, justification: elsewhere', expression: `(request.time >= timestamp("${iso(minutesFromNow(-5))}") && request.time < timestamp("${iso(minutesFromNow(25))}"))` },
  });
}

/** The Google calls of one cold "My access" of a user holding grants on three projects. */
async function coldListCalls(eligibleProjects: number): Promise<{ calls: Record<string, number>; projects: string[] }> {
  const stack = await startStack({ world: wideWorld(eligibleProjects) });
  try {
    for (const i of [0, 7, 11]) await grantElsewhere(stack, project(i));
    stack.emulator.state.calls.clear();
    const res = await stack.as(WIDE).get('/api/v1/me/grants');
    expect(res.status).toBe(200);
    expect(res.body.warnings).toEqual([]);
    return { calls: callsOf(stack), projects: res.body.grants.map((g: any) => g.projectId) };
  } finally {
    await stack.close();
  }
}

describe('my access: Google calls', () => {
  test('the same calls for 20 and 120 eligible projects: one policy read per project holding a grant', async () => {
    const small = await coldListCalls(20);
    const large = await coldListCalls(120);
    expect(small.projects).toEqual([project(0), project(7), project(11)]);
    expect(large.projects).toEqual(small.projects);
    expect(large.calls).toEqual(small.calls);
    expect(large.calls['cloudresourcemanager.projects.getIamPolicy']).toBe(3);
    expect(large.calls['cloudasset.searchAllIamPolicies']).toBeLessThanOrEqual(2);
    expect(Object.values(large.calls).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10);
  });
});

describe('my access: grants Asset Inventory does not show', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack({ world: wideWorld(5) });
  });
  afterEach(() => stack.close());

  /** The SPA lists the user's projects first; that list is cached, and then Asset search fails. */
  const searchFails = async () => {
    expect((await stack.as(WIDE).get('/api/v1/projects')).status).toBe(200);
    stack.emulator.state.faults.errors['cloudasset.searchAllIamPolicies'] = { rate: 1, status: 503, count: 1000 };
  };

  test('grants this instance wrote are listed without the search, and the answer says the search failed', async () => {
    await activate(stack, project(1));
    await activate(stack, project(3));
    await grantElsewhere(stack, project(4));
    await searchFails();
    const res = await stack.as(WIDE).get('/api/v1/me/grants');
    expect(res.status).toBe(200);
    expect(res.body.grants.map((g: any) => g.projectId)).toEqual([project(1), project(3)]);
    expect(res.body.warnings).toHaveLength(1);
    expect(res.body.warnings[0]).toMatch(/Asset Inventory could not be searched/);
    expect(res.body.warnings[0]).toContain(`${project(1)}, ${project(3)}`);
  });

  test('Asset Inventory lagging: grants this instance wrote are listed; another writer’s appear once it caught up', async () => {
    stack.emulator.state.faults.assetLagSeconds = 600;
    await activate(stack, project(1));
    // Another instance writes through the API, so that the emulator's Asset Inventory lags behind it too.
    const { crm } = googleClients(stack.emulator, EMULATOR_ACCESS_TOKEN);
    const resource = `projects/${project(2)}`;
    const { data: policy } = await crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } });
    policy.bindings!.push({
      role: 'roles/storage.admin',
      members: [`user:${WIDE}`],
      condition: { title: TITLE, description: 'Self-approved, justification: elsewhere', expression: `(request.time >= timestamp("${iso(minutesFromNow(-5))}") && request.time < timestamp("${iso(minutesFromNow(25))}"))` },
    });
    await crm.projects.setIamPolicy({ resource, requestBody: { policy } });
    const lagging = await stack.as(WIDE).get('/api/v1/me/grants');
    expect(lagging.status).toBe(200);
    expect(lagging.body.warnings).toEqual([]);
    expect(lagging.body.grants.map((g: any) => g.projectId)).toEqual([project(1)]);
    stack.emulator.state.faults.assetLagSeconds = 0;
    const caughtUp = await stack.as(WIDE).get('/api/v1/me/grants');
    expect(caughtUp.body.grants.map((g: any) => g.projectId)).toEqual([project(1), project(2)]);
  });

  test('a grant this instance ended is not listed, though the instance remembers the project', async () => {
    await activate(stack, project(2));
    const [grant] = (await stack.as(WIDE).get('/api/v1/me/grants')).body.grants;
    expect((await stack.as(WIDE).del(`/api/v1/me/grants/${grant.id}`)).status).toBe(200);
    await searchFails();
    const res = await stack.as(WIDE).get('/api/v1/me/grants');
    expect(res.body.grants).toEqual([]);
  });

  test('a project whose policy cannot be read is named; the other grants are listed', async () => {
    await grantElsewhere(stack, project(0));
    await grantElsewhere(stack, project(2));
    stack.emulator.state.faults.errors['cloudresourcemanager.projects.getIamPolicy'] = { rate: 1, status: 403, count: 1 };
    const res = await stack.as(WIDE).get('/api/v1/me/grants');
    expect(res.status).toBe(200);
    expect(res.body.grants).toHaveLength(1);
    const missing = [project(0), project(2)].find((p) => p !== res.body.grants[0].projectId)!;
    expect(res.body.warnings).toEqual([expect.stringContaining(`Your grants on project ${missing} could not be read`)]);
  });
});
