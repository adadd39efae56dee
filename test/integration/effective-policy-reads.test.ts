// A crowd activating on many projects at once, against the emulator's quota of effectiveIamPolicies.batchGet
// scaled down: reads of different projects asked for while a call is in flight go together in the next
// call, so the crowd stays within the quota, and no decision is answered from a call made before it.
import { startStack, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';
import type { World } from '../../emulator/world';

const BATCH_GET = 'cloudasset.effectiveIamPolicies.batchGet';
const PROJECTS = Array.from({ length: 6 }, (_, i) => `crowd-${i}`);
const USERS = Array.from({ length: 24 }, (_, i) => `crowd${i}@example.com`);

/** The demo world with 24 users eligible, through one group and a folder binding, on six projects. */
function crowdWorld(): World {
  const world = demoWorld();
  PROJECTS.forEach((id, i) => world.projects.push({ id, number: String(310000000000 + i), parent: 'folders/200000000002', displayName: id, state: 'ACTIVE' }));
  world.users.push(...USERS);
  world.groups.push({ email: 'crowd@example.com', displayName: 'Crowd', members: USERS.map((u) => `user:${u}`) });
  (world.iam['folders/200000000002'] ??= []).push({ role: 'roles/compute.viewer', members: ['group:crowd@example.com'], condition: { title: 'Eligible', expression: 'has({}.jitAccessConstraint)' } });
  // A handful of calls a minute: more than that is answered 429 by the emulator, as Google would.
  return { ...world, quotas: { 'cloudasset.batchGetEffectiveIamPolicies.perMinute': 4 } };
}

const activate = (stack: Stack, user: string, project: string) =>
  stack.as(user).post(`/api/v1/projects/${project}/activations`, { roles: [`${project}:roles/compute.viewer`], justification: 'crowd', durationMinutes: 5 });

describe('effective policy reads of a crowd', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ world: crowdWorld() });
    // The scope's project list, shared by everyone, is loaded before the crowd arrives.
    expect((await stack.as(USERS[0]).get('/api/v1/projects')).body.projects.map((p: { id: string }) => p.id)).toEqual(['crowd-0', 'crowd-1', 'crowd-2', 'crowd-3', 'crowd-4', 'crowd-5', 'finance-ledger']);
  });
  afterAll(() => stack.close());
  afterEach(() => {
    stack.emulator.state.faults.latencyMs = {};
  });

  test('24 users activating on 6 projects at once cost at most 3 batchGet calls, within a quota of 4 a minute; all succeed', async () => {
    stack.emulator.state.calls.clear();
    stack.emulator.state.quotas.clearUse();
    // Google's latency, so that the requests overlap as they do in production.
    stack.emulator.state.faults.latencyMs[BATCH_GET] = 200;
    const results = await Promise.all(USERS.map((u, i) => activate(stack, u, PROJECTS[i % PROJECTS.length])));
    expect(results.map((r) => r.status)).toEqual(USERS.map(() => 201));
    expect(stack.emulator.state.calls.get(BATCH_GET)).toBeLessThanOrEqual(3);
    for (const project of PROJECTS) {
      const granted = stack.emulator.state.policies.get(`projects/${project}`)?.bindings.filter((b) => b.condition?.title === 'JIT access activation') ?? [];
      expect(granted.flatMap((b) => b.members).sort()).toEqual(USERS.filter((_, i) => PROJECTS[i % PROJECTS.length] === project).map((u) => `user:${u}`).sort());
    }
  });

  test('a decision is never answered by a read made before it: eligibility removed after a roles view is refused', async () => {
    stack.emulator.state.quotas.clearUse();
    const user = 'alice@example.com';
    const roles = await stack.as(user).get('/api/v1/projects/staging-app/roles');
    expect(roles.body.roles.map((r: { role: string }) => r.role)).toContain('roles/compute.admin');
    // Alice loses her eligibility (the binding that names her group sre): the roles view cached the old policy.
    const before = stack.emulator.state.policies.get('projects/staging-app')!.bindings;
    stack.emulator.state.storePolicy('projects/staging-app', before.filter((b) => b.role !== 'roles/compute.admin'));
    try {
      stack.emulator.state.calls.clear();
      const refused = await stack.as(user).post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'stale?', durationMinutes: 5 });
      expect([refused.status, refused.body.error?.code]).toEqual([403, 'NOT_ELIGIBLE']);
      expect(stack.emulator.state.calls.get(BATCH_GET)).toBe(1);
    } finally {
      stack.emulator.state.storePolicy('projects/staging-app', before);
    }
  });
});
