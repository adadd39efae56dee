// The service on both kinds of Google customer: a `free` organization (Cloud Identity Free: no transitive
// group searches, groups expanded by the service) and a `premium` one. Every user must see the same
// projects, roles, reviewers and warnings, and activation and approval must give the same results; a group
// of another organization gives warnings, never failures; and the Google calls of each flow are counted.
import { startStack, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';
import type { World } from '../../emulator/world';

const USERS = demoWorld().users;

function worldOf(edition: 'free' | 'premium'): World {
  const world = demoWorld();
  return { ...world, organization: { ...world.organization, edition } };
}

/** Everything a user sees: projects, roles per project with warnings, reviewers of each peer role. */
async function viewOf(stack: Stack, email: string) {
  const client = stack.as(email);
  const list = await client.get('/api/v1/projects');
  expect(list.status).toBe(200);
  const view: Record<string, unknown> = { projects: list.body.projects, warnings: list.body.warnings };
  for (const { id } of list.body.projects as { id: string }[]) {
    const roles = await client.get(`/api/v1/projects/${id}/roles`);
    expect(roles.status).toBe(200);
    const reviewers: Record<string, unknown> = {};
    for (const role of roles.body.roles.filter((r: any) => r.activationType === 'peer')) {
      const res = await client.get(`/api/v1/projects/${id}/reviewers?role=${encodeURIComponent(role.id)}`);
      expect(res.status).toBe(200);
      reviewers[role.id] = res.body;
    }
    view[id] = { roles: roles.body.roles, warnings: roles.body.warnings, reviewers };
  }
  return view;
}

/**
 * Google calls the emulator counted since the last clear, by method, and their total. Audit entries are
 * left out: they are written in batches, whose number depends on timing.
 */
function callsOf(stack: Stack): { total: number; byMethod: Record<string, number> } {
  const byMethod = Object.fromEntries([...stack.emulator.state.calls.entries()].filter(([method]) => !method.startsWith('logging.')).sort());
  return { total: Object.values(byMethod).reduce((a, b) => a + b, 0), byMethod };
}

async function auditEvents(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

describe('free and premium editions', () => {
  let free: Stack;
  let premium: Stack;
  beforeAll(async () => {
    [free, premium] = await Promise.all([startStack({ world: worldOf('free') }), startStack({ world: worldOf('premium') })]);
  });
  afterAll(async () => {
    await Promise.all([free.close(), premium.close()]);
  });

  test('a new user whose groups others already resolved lists projects with 2 Google calls, on either edition', async () => {
    for (const stack of [free, premium]) {
      // The organization's caches warm up: the project list, and the groups of alice and bob.
      await stack.as('alice@example.com').get('/api/v1/projects');
      await stack.as('bob@example.com').get('/api/v1/projects');
      stack.emulator.state.calls.clear();
      const carol = await stack.as('carol@example.com').get('/api/v1/projects');
      expect(carol.body.projects.map((p: { id: string }) => p.id)).toEqual(['data-warehouse', 'prod-app', 'staging-app']);
      const groupsCall = stack === free ? 'cloudidentity.groups.memberships.searchDirectGroups' : 'cloudidentity.groups.memberships.searchTransitiveGroups';
      expect(callsOf(stack).byMethod).toEqual({ [groupsCall]: 1, 'cloudasset.searchAllIamPolicies': 1 });
    }
  });

  test('a user in twelve groups, searched for the first time: the project search is split to Google’s limit of 10 comparisons', async () => {
    for (const stack of [free, premium]) {
      stack.emulator.state.calls.clear();
      const erin = await stack.as('erin@example.com').get('/api/v1/projects');
      expect(erin.status).toBe(200);
      // finance-ledger comes from warehouse-observers (erin ⊂ finops ⊂ warehouse-observers).
      expect(erin.body.projects.map((p: { id: string }) => p.id)).toEqual(['data-warehouse', 'finance-ledger']);
      // Her address and 11 groups (everyone was searched for alice and bob): two queries.
      expect(callsOf(stack).byMethod['cloudasset.searchAllIamPolicies']).toBe(2);
      // What each of them is eligible for is kept for every user: her list again, once her own cache is gone, searches nothing.
      stack.service.catalog.invalidate('erin@example.com');
      stack.emulator.state.calls.clear();
      expect((await stack.as('erin@example.com').get('/api/v1/projects')).body.projects).toEqual(erin.body.projects);
      expect(callsOf(stack).byMethod['cloudasset.searchAllIamPolicies']).toBeUndefined();
    }
  });

  test.each(USERS)('%s sees the same on both editions', async (email) => {
    const [onFree, onPremium] = await Promise.all([viewOf(free, email), viewOf(premium, email)]);
    expect(onFree).toEqual(onPremium);
  });

  test('the comparison is not vacuous: nested groups, reviewers, titles of projects', async () => {
    const bob = await viewOf(free, 'bob@example.com');
    // bob is in on-call, nested in sre: the folder binding of sre reaches him.
    expect((bob.projects as any[]).map((p) => p.id)).toEqual(['data-warehouse', 'prod-app', 'staging-app']);
    expect((bob['prod-app'] as any).reviewers['prod-app:roles/compute.admin'].reviewers).toEqual(['alice@example.com', 'carol@example.com']);
    expect(bob.projects).toContainEqual({ id: 'prod-app', displayName: 'Production app' });
  });

  test('a group of another organization gives a warning naming it, never a failure, and the audit log says so', async () => {
    for (const stack of [free, premium]) {
      const res = await stack.as('alice@example.com').get('/api/v1/projects/staging-app/roles');
      expect(res.status).toBe(200);
      expect(res.body.roles.map((r: any) => r.role)).toEqual(['roles/compute.admin', 'roles/compute.viewer']);
      expect(res.body.warnings).toEqual([expect.stringContaining('partners@other.example')]);
      const skipped = await auditEvents(stack, 'catalog.group.skipped');
      expect(skipped.map((e) => e.jsonPayload?.group ?? e.jsonPayload?.fields?.group)).toContain('partners@other.example');
      // Activating what the readable groups grant still works.
      const activated = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', {
        roles: ['staging-app:roles/compute.admin'],
        justification: 'INC-1 editions',
        durationMinutes: 5,
      });
      expect(activated.status).toBe(201);
      // What only the unreadable group grants is refused as not eligible, not as a server error.
      const refused = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', {
        roles: ['staging-app:roles/pubsub.viewer'],
        justification: 'INC-1 editions',
        durationMinutes: 5,
      });
      expect([refused.status, refused.body.error.code]).toEqual([403, 'NOT_ELIGIBLE']);
    }
  });

  test('activation and peer approval give the same results, with the Google calls of each flow counted', async () => {
    const outcomes = [];
    for (const stack of [free, premium]) {
      const dave = stack.as('dave@example.com');
      // What dave sees first: the caches of lists are warm, so what follows counts only decisions.
      expect((await dave.get('/api/v1/projects/data-warehouse/roles')).status).toBe(200);
      stack.emulator.state.calls.clear();
      const activated = await dave.post('/api/v1/projects/data-warehouse/activations', {
        roles: ['data-warehouse:roles/bigquery.dataViewer'],
        justification: 'INC-2 editions',
        durationMinutes: 10,
      });
      expect(activated.status).toBe(201);
      const activationCalls = callsOf(stack).byMethod;

      stack.emulator.state.calls.clear();
      const requested = await dave.post('/api/v1/projects/data-warehouse/approval-requests', {
        role: 'data-warehouse:roles/bigquery.admin',
        justification: 'INC-2 editions',
        durationMinutes: 10,
        reviewers: ['erin@example.com'],
      });
      expect(requested.status).toBe(201);
      const requestCalls = callsOf(stack).byMethod;

      stack.emulator.state.calls.clear();
      const approved = await stack.as('erin@example.com').post(`/api/v1/approval-requests/${requested.body.token}/approve`);
      expect(approved.status).toBe(200);
      const approvalCalls = callsOf(stack).byMethod;

      outcomes.push({
        activated: activated.body.grants.map((g: any) => g.id),
        requested: [requested.body.request.reviewers, requested.body.status],
        approved: [approved.body.status, approved.body.approvedBy, approved.body.grant.id],
        calls: { activationCalls, requestCalls, approvalCalls },
      });
    }
    const [onFree, onPremium] = outcomes;
    expect({ ...onFree, calls: undefined }).toEqual({ ...onPremium, calls: undefined });
    expect(onFree.approved).toEqual(['approved', 'erin@example.com', 'data-warehouse:roles/bigquery.admin']);
    // Each decision reads fresh: the project's effective policies once (the eligibility check and the
    // reviewer check share the read in flight), the requester's groups, and the reviewers' groups.
    // Free: dave's own groups, which include data-eng, the group of the role's binding: no level above them
    // can change the answer, so none is read (the parents of data-eng and of everyone were read before).
    // data-eng's members.
    expect(onFree.calls).toEqual({
      activationCalls: {
        'cloudasset.effectiveIamPolicies.batchGet': 1,
        'cloudidentity.groups.memberships.searchDirectGroups': 1,
        'cloudresourcemanager.projects.getIamPolicy': 1,
        'cloudresourcemanager.projects.setIamPolicy': 1,
        'pubsub.projects.topics.publish': 1,
      },
      requestCalls: {
        'cloudasset.effectiveIamPolicies.batchGet': 1,
        'cloudidentity.groups.lookup': 1,
        'cloudidentity.groups.memberships.list': 1,
        'cloudidentity.groups.memberships.searchDirectGroups': 1,
        'iamcredentials.signJwt': 2,
        'pubsub.projects.topics.publish': 1,
      },
      approvalCalls: {
        'cloudasset.effectiveIamPolicies.batchGet': 1,
        'cloudidentity.groups.lookup': 1,
        'cloudidentity.groups.memberships.list': 1,
        'cloudidentity.groups.memberships.searchDirectGroups': 1,
        'cloudresourcemanager.projects.getIamPolicy': 1,
        'cloudresourcemanager.projects.setIamPolicy': 1,
        'pubsub.projects.topics.publish': 1,
      },
    });
    // Premium: one transitive search for dave's groups, one for data-eng's members (after its lookup).
    expect(onPremium.calls).toEqual({
      activationCalls: {
        'cloudasset.effectiveIamPolicies.batchGet': 1,
        'cloudidentity.groups.memberships.searchTransitiveGroups': 1,
        'cloudresourcemanager.projects.getIamPolicy': 1,
        'cloudresourcemanager.projects.setIamPolicy': 1,
        'pubsub.projects.topics.publish': 1,
      },
      requestCalls: {
        'cloudasset.effectiveIamPolicies.batchGet': 1,
        'cloudidentity.groups.lookup': 1,
        'cloudidentity.groups.memberships.searchTransitiveGroups': 1,
        'cloudidentity.groups.memberships.searchTransitiveMemberships': 1,
        'iamcredentials.signJwt': 2,
        'pubsub.projects.topics.publish': 1,
      },
      approvalCalls: {
        'cloudasset.effectiveIamPolicies.batchGet': 1,
        'cloudidentity.groups.lookup': 1,
        'cloudidentity.groups.memberships.searchTransitiveGroups': 1,
        'cloudidentity.groups.memberships.searchTransitiveMemberships': 1,
        'cloudresourcemanager.projects.getIamPolicy': 1,
        'cloudresourcemanager.projects.setIamPolicy': 1,
        'pubsub.projects.topics.publish': 1,
      },
    });
  });
});
