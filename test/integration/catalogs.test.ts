// Both catalogs must give every user of the demo world the same projects and roles: they share the rules
// and differ only in where the bindings come from.
import { startStack, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';

const USERS = demoWorld().users;

/**
 * The demo world with Security Command Center Premium: without it the Policy Analyzer answers 20 queries
 * per organization and day, fewer than this comparison needs.
 */
function withSecurityCommandCenter() {
  const world = demoWorld();
  return { ...world, organization: { ...world.organization, securityCommandCenter: 'premium' as const } };
}

async function viewOf(stack: Stack, email: string) {
  const client = stack.as(email);
  const projects = (await client.get('/api/v1/projects')).body.projects.map((p: { id: string }) => p.id) as string[];
  const roles: Record<string, unknown> = {};
  for (const project of projects) roles[project] = (await client.get(`/api/v1/projects/${project}/roles`)).body.roles;
  return { projects, roles };
}

describe('AssetInventory and PolicyAnalyzer catalogs', () => {
  let assetInventory: Stack;
  let policyAnalyzer: Stack;
  beforeAll(async () => {
    [assetInventory, policyAnalyzer] = await Promise.all([startStack(), startStack({ world: withSecurityCommandCenter(), env: { RESOURCE_CATALOG: 'PolicyAnalyzer' } })]);
  });
  afterAll(async () => {
    await Promise.all([assetInventory.close(), policyAnalyzer.close()]);
  });

  test('each catalog uses its own API', async () => {
    assetInventory.emulator.state.calls.clear();
    policyAnalyzer.emulator.state.calls.clear();
    await viewOf(assetInventory, 'alice@example.com');
    await viewOf(policyAnalyzer, 'alice@example.com');
    expect(assetInventory.emulator.state.calls.get('cloudasset.analyzeIamPolicy')).toBeUndefined();
    expect(assetInventory.emulator.state.calls.get('cloudasset.effectiveIamPolicies.batchGet')).toBeGreaterThan(0);
    expect(policyAnalyzer.emulator.state.calls.get('cloudasset.analyzeIamPolicy')).toBeGreaterThan(0);
    expect(policyAnalyzer.emulator.state.calls.get('cloudasset.effectiveIamPolicies.batchGet')).toBeUndefined();
  });

  test.each(USERS)('agree for %s', async (email) => {
    const [a, b] = await Promise.all([viewOf(assetInventory, email), viewOf(policyAnalyzer, email)]);
    expect(b).toEqual(a);
  });

  test('the comparison is not vacuous: most users see projects and roles', async () => {
    const views = await Promise.all(USERS.map((u) => viewOf(assetInventory, u)));
    expect(views.filter((v) => v.projects.length > 0).length).toBeGreaterThanOrEqual(7);
    expect(views.flatMap((v) => Object.values(v.roles).flat()).length).toBeGreaterThanOrEqual(15);
  });

});
