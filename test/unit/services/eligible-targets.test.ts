// AssetInventorySource's project list: what each principal is eligible for is searched once for every
// user, so a user whose groups others already brought costs one search, for their own address.
import { AssetInventorySource } from '../../../server/services/catalog';
import type { CloudAsset, PolicySearchResult, ProjectResource } from '../../../server/google/cloud-asset';
import type { GroupMemberships } from '../../../server/services/group-memberships';

const SELF = { title: 'Eligible', expression: 'has({}.jitAccessConstraint)' };
const PREFIX = '//cloudresourcemanager.googleapis.com/';

/** IAM policies of a small organization, searched as Google does: only the bindings naming a queried principal. */
const POLICIES: Record<string, { role: string; members: string[]; condition?: typeof SELF }[]> = {
  'projects/p1': [{ role: 'roles/viewer', members: ['group:g1@x'], condition: SELF }],
  'projects/p2': [
    { role: 'roles/viewer', members: ['group:g2@x', 'user:b@x'], condition: SELF },
    { role: 'roles/owner', members: ['group:g3@x'] },
  ],
  'folders/10': [{ role: 'roles/editor', members: ['group:g3@x'], condition: SELF }],
  'projects/p4': [{ role: 'roles/viewer', members: ['user:a@x'], condition: SELF }],
};
const PROJECTS: ProjectResource[] = ['p1', 'p2', 'p3', 'p4'].map((id) => ({ projectId: id, folders: id === 'p3' ? ['folders/10'] : [] }));
const GROUPS: Record<string, string[]> = { 'a@x': ['g1@x', 'g2@x', 'g3@x'], 'b@x': ['g1@x', 'g3@x'], 'c@x': ['g2@x'] };

function source(failFirst = false) {
  const searches: string[][] = [];
  const asset = {
    async searchPoliciesNaming(principals: readonly string[]): Promise<PolicySearchResult[]> {
      searches.push([...principals]);
      if (failFirst && searches.length === 1) throw new Error('HTTP 503');
      return Object.entries(POLICIES).flatMap(([name, bindings]) => {
        const matched = bindings.filter((b) => b.members.some((m) => principals.includes(m)));
        return matched.length ? [{ resource: PREFIX + name, folders: [], bindings: matched }] : [];
      });
    },
  } as unknown as CloudAsset;
  const groups = { groupsOf: async (user: string) => ({ emails: GROUPS[user] ?? [], warnings: [] }) } as unknown as GroupMemberships;
  return { source: new AssetInventorySource(asset, groups, async () => PROJECTS, 30), searches };
}

describe('AssetInventorySource.projectsWithEligibleBindings', () => {
  test('each principal is searched once for every user; a user whose groups are known costs a search for their own address', async () => {
    const { source: s, searches } = source();
    expect((await s.projectsWithEligibleBindings('a@x')).projectIds.sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(searches).toEqual([['user:a@x', 'group:g1@x', 'group:g2@x', 'group:g3@x']]);
    // b shares g1 and g3 with a: only b's own address is searched; p2 comes from b's own binding.
    expect((await s.projectsWithEligibleBindings('b@x')).projectIds.sort()).toEqual(['p1', 'p2', 'p3']);
    expect(searches[1]).toEqual(['user:b@x']);
    // Bindings that grant (no eligibility marker) count for nobody: g3's owner binding on p2 gave c nothing.
    expect((await s.projectsWithEligibleBindings('c@x')).projectIds).toEqual(['p2']);
    expect(searches[2]).toEqual(['user:c@x']);
  });

  test('users asking at the same moment share the searches in flight', async () => {
    const { source: s, searches } = source();
    await Promise.all([s.projectsWithEligibleBindings('a@x'), s.projectsWithEligibleBindings('b@x')]);
    expect(searches).toEqual([['user:a@x', 'group:g1@x', 'group:g2@x', 'group:g3@x'], ['user:b@x']]);
  });

  test('a failed search is kept by no principal: the next user searches again', async () => {
    const { source: s, searches } = source(true);
    await expect(s.projectsWithEligibleBindings('a@x')).rejects.toThrow('HTTP 503');
    expect((await s.projectsWithEligibleBindings('b@x')).projectIds.sort()).toEqual(['p1', 'p2', 'p3']);
    expect(searches[1]).toEqual(['user:b@x', 'group:g1@x', 'group:g3@x']);
  });
});
