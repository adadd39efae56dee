import { expandNested, GroupMemberships, unreadableGroupWarning } from '../../../server/services/group-memberships';
import { GroupNotReadable, TransitiveSearchRefused, type CloudIdentity, type DirectMembers } from '../../../server/google/cloud-identity';
import { withRequestReads } from '../../../server/services/request-reads';

/** A directory: each group's direct members; `external` groups cannot be read. */
function directory(groups: Record<string, string[]>, external: string[] = []) {
  const reads: string[] = [];
  const next = async (group: string): Promise<DirectMembers> => {
    reads.push(group);
    if (external.includes(group)) throw new GroupNotReadable(group, 'Error(2028): Permission denied');
    const members = groups[group] ?? [];
    return { users: members.filter((m) => !m.endsWith('.grp')), groups: members.filter((m) => m.endsWith('.grp')) };
  };
  return { next, reads };
}

const bounds = { maxDepth: 10, maxGroups: 100 };

describe('expandNested', () => {
  test('follows nesting breadth-first, collecting users and every group reached', async () => {
    const d = directory({ 'a.grp': ['u1', 'b.grp'], 'b.grp': ['u2', 'c.grp'], 'c.grp': ['u3'] });
    const e = await expandNested(['a.grp'], d.next, bounds);
    expect(e).toEqual({ groups: ['a.grp', 'b.grp', 'c.grp'], users: ['u1', 'u2', 'u3'], unreadable: [], truncated: false });
  });

  test('a cycle ends: each group is read once', async () => {
    const d = directory({ 'a.grp': ['u1', 'b.grp'], 'b.grp': ['u2', 'a.grp'], 'c.grp': [] });
    const e = await expandNested(['a.grp', 'A.grp'], d.next, bounds);
    expect(e.users.sort()).toEqual(['u1', 'u2']);
    expect(d.reads).toEqual(['a.grp', 'b.grp']);
    expect(e.truncated).toBe(false);
  });

  test('an unreadable group is skipped and named; the others are still read', async () => {
    const d = directory({ 'a.grp': ['u1', 'x.grp', 'b.grp'], 'b.grp': ['u2'] }, ['x.grp']);
    const e = await expandNested(['a.grp'], d.next, bounds);
    expect(e.users.sort()).toEqual(['u1', 'u2']);
    expect(e.unreadable).toEqual(['x.grp']);
  });

  test('stops at the depth bound and says so', async () => {
    const d = directory({ 'a.grp': ['b.grp'], 'b.grp': ['c.grp'], 'c.grp': ['u-deep'] });
    const e = await expandNested(['a.grp'], d.next, { maxDepth: 2, maxGroups: 100 });
    expect(d.reads).toEqual(['a.grp', 'b.grp']);
    expect(e.users).toEqual([]);
    expect(e.truncated).toBe(true);
  });

  test('stops at the group-count bound and says so', async () => {
    const d = directory({ 'a.grp': ['b.grp', 'c.grp', 'd.grp'], 'b.grp': ['u1'], 'c.grp': ['u2'], 'd.grp': ['u3'] });
    const e = await expandNested(['a.grp'], d.next, { maxDepth: 10, maxGroups: 3 });
    expect(d.reads).toHaveLength(3);
    expect(e.truncated).toBe(true);
  });

  test('within the bounds exactly, nothing is reported as truncated', async () => {
    const d = directory({ 'a.grp': ['b.grp'], 'b.grp': ['u1'] });
    expect((await expandNested(['a.grp'], d.next, { maxDepth: 2, maxGroups: 2 })).truncated).toBe(false);
  });

  test('any other failure fails the expansion', async () => {
    await expect(expandNested(['a.grp'], async () => Promise.reject(new Error('HTTP 500')), bounds)).rejects.toThrow('HTTP 500');
  });
});

/** A Cloud Identity of a world: `premium` answers the transitive searches, like Google's editions. */
function fakeIdentity(options: { premium: boolean; parents: Record<string, string[]>; members: Record<string, string[]>; external?: string[] }) {
  const calls: string[] = [];
  const external = options.external ?? [];
  const refuse = (reason: 'edition' | 'graph') => new TransitiveSearchRefused(reason, reason === 'edition' ? 'Error(3006): only available to Cloud Identity Premium' : 'Permission denied');
  const reachesExternal = (group: string, seen = new Set<string>()): boolean =>
    external.includes(group) || (!seen.has(group) && (seen.add(group), (options.members[group] ?? []).some((m) => m.endsWith('.grp') && reachesExternal(m, seen))));
  const identity = {
    async directGroupsOf(member: string) {
      calls.push(`direct:${member}`);
      return (options.parents[member] ?? []).filter((g) => !external.includes(g));
    },
    async directMembersOf(group: string) {
      calls.push(`members:${group}`);
      if (external.includes(group)) throw new GroupNotReadable(group, 'denied');
      const m = options.members[group] ?? [];
      return { users: m.filter((x) => !x.endsWith('.grp')), groups: m.filter((x) => x.endsWith('.grp')) };
    },
    async transitiveGroupsOf(user: string) {
      calls.push(`transitive:${user}`);
      if (!options.premium) throw refuse('edition');
      if ((options.parents[user] ?? []).some((g) => external.includes(g))) throw refuse('graph');
      const found = new Set<string>();
      const visit = (m: string) => (options.parents[m] ?? []).forEach((g) => !found.has(g) && (found.add(g), visit(g)));
      visit(user);
      return [...found];
    },
    async transitiveUsersOf(group: string) {
      calls.push(`transitiveUsers:${group}`);
      if (!options.premium) throw refuse('edition');
      if (external.includes(group)) throw new GroupNotReadable(group, 'denied');
      if (reachesExternal(group)) throw refuse('graph');
      const users = new Set<string>();
      const visit = (g: string, seen: Set<string>) => {
        if (seen.has(g)) return;
        seen.add(g);
        for (const m of options.members[g] ?? []) m.endsWith('.grp') ? visit(m, seen) : users.add(m);
      };
      visit(group, new Set());
      return [...users];
    },
  };
  return { identity: identity as unknown as CloudIdentity, calls };
}

const world = {
  parents: { 'alice@x': ['sre.grp', 'partners.grp'], 'sre.grp': ['all.grp'], 'oncall.grp': ['sre.grp'], 'bob@x': ['oncall.grp'] },
  members: { 'sre.grp': ['alice@x', 'oncall.grp'], 'oncall.grp': ['bob@x'], 'all.grp': ['sre.grp', 'partners.grp'], 'partners.grp': ['alice@x'] },
  external: ['partners.grp'],
};
const settings = { resolution: 'auto' as const, cacheSeconds: 300, maxDepth: 10, maxGroups: 100 };

describe('GroupMemberships', () => {
  test.each([true, false])('gives the same answers on both editions (premium: %s)', async (premium) => {
    const { identity } = fakeIdentity({ premium, ...world });
    const groups = new GroupMemberships(identity, settings);
    expect((await groups.groupsOf('alice@x')).emails).toEqual(['all.grp', 'sre.grp']);
    expect((await groups.groupsOf('bob@x')).emails).toEqual(['all.grp', 'oncall.grp', 'sre.grp']);
    expect(await groups.usersOf('sre.grp')).toEqual({ emails: ['alice@x', 'bob@x'], warnings: [] });
    expect(await groups.usersOf('all.grp')).toEqual({ emails: ['alice@x', 'bob@x'], warnings: [unreadableGroupWarning('partners.grp')] });
  });

  test('auto: the edition refusal is remembered, so a free edition costs one refused call in all', async () => {
    const { identity, calls } = fakeIdentity({ premium: false, ...world });
    const groups = new GroupMemberships(identity, settings);
    await groups.groupsOf('alice@x');
    await groups.groupsOf('bob@x');
    await groups.usersOf('oncall.grp');
    expect(calls.filter((c) => c.startsWith('transitive'))).toEqual(['transitive:alice@x']);
  });

  test("each group's parents are read once for every user; a decision reads them again", async () => {
    const { identity, calls } = fakeIdentity({ premium: false, ...world });
    const groups = new GroupMemberships(identity, { ...settings, resolution: 'direct' });
    await groups.groupsOf('alice@x');
    await groups.groupsOf('bob@x');
    expect(calls.filter((c) => c === 'direct:sre.grp')).toHaveLength(1);
    await groups.groupsOf('bob@x', true);
    expect(calls.filter((c) => c === 'direct:sre.grp')).toHaveLength(2);
    expect(calls.filter((c) => c === 'direct:bob@x')).toHaveLength(2);
  });

  test('a decision reads the parents of the groups last resolved beside the user’s own groups, not level after level', async () => {
    const { identity, calls } = fakeIdentity({ premium: false, ...world });
    const groups = new GroupMemberships(identity, { ...settings, resolution: 'direct' });
    await groups.groupsOf('bob@x');
    calls.length = 0;
    let release!: () => void;
    const userRead = new Promise<void>((r) => (release = r));
    const directGroupsOf = identity.directGroupsOf.bind(identity);
    identity.directGroupsOf = async (member: string) => {
      const answer = await directGroupsOf(member);
      if (member === 'bob@x') await userRead;
      return answer;
    };
    const resolving = groups.groupsOf('bob@x', true);
    await new Promise((r) => setImmediate(r));
    // Every level is read while bob's own groups are still being read.
    expect(calls.sort()).toEqual(['direct:all.grp', 'direct:bob@x', 'direct:oncall.grp', 'direct:sre.grp']);
    release();
    expect((await resolving).emails).toEqual(['all.grp', 'oncall.grp', 'sre.grp']);
    // Nothing is read twice: the early reads are the expansion's reads.
    expect(calls).toHaveLength(4);
  });

  test('a fresh resolution follows the groups the user is in now, not the ones last resolved', async () => {
    const parents: Record<string, string[]> = { ...world.parents, 'bob@x': ['oncall.grp'] };
    const { identity } = fakeIdentity({ premium: false, ...world, parents });
    const groups = new GroupMemberships(identity, { ...settings, resolution: 'direct' });
    expect((await groups.groupsOf('bob@x', true)).emails).toEqual(['all.grp', 'oncall.grp', 'sre.grp']);
    parents['bob@x'] = ['partners-internal.grp'];
    parents['oncall.grp'] = [];
    expect((await groups.groupsOf('bob@x', true)).emails).toEqual(['partners-internal.grp']);
    parents['bob@x'] = ['oncall.grp'];
    parents['oncall.grp'] = ['sre.grp'];
    expect((await groups.groupsOf('bob@x', true)).emails).toEqual(['all.grp', 'oncall.grp', 'sre.grp']);
  });

  test('forced transitive on a free edition is an error that names the setting', async () => {
    const { identity } = fakeIdentity({ premium: false, ...world });
    const groups = new GroupMemberships(identity, { ...settings, resolution: 'transitive' });
    await expect(groups.groupsOf('alice@x')).rejects.toThrow(/GROUP_RESOLUTION=auto or direct/);
  });

  test('a skipped group is reported once per expansion, for the audit log', async () => {
    const { identity } = fakeIdentity({ premium: true, ...world });
    const skipped: string[] = [];
    const groups = new GroupMemberships(identity, settings, (g) => skipped.push(g));
    await groups.usersOf('all.grp');
    await groups.usersOf('all.grp');
    expect(skipped).toEqual(['partners.grp']);
  });

  test('a decision that only needs some groups reads no further level once they are found', async () => {
    const { identity, calls } = fakeIdentity({ premium: false, ...world });
    const groups = new GroupMemberships(identity, { ...settings, resolution: 'direct' });
    const found = await groups.freshGroupsUntil('bob@x', Promise.resolve((g) => g.has('oncall.grp')));
    expect(found.emails).toEqual(['oncall.grp']);
    expect(calls).toEqual(['direct:bob@x']);
    calls.length = 0;
    // A group further up is found level by level, each read fresh; the parents of all.grp are not read.
    expect((await groups.freshGroupsUntil('bob@x', Promise.resolve((g) => g.has('all.grp')))).emails).toEqual(['all.grp', 'oncall.grp', 'sre.grp']);
    expect(calls).toEqual(['direct:bob@x', 'direct:oncall.grp', 'direct:sre.grp']);
  });

  test('a decision reads the parents of the groups last resolved early, unless the question asked of what was read before says the user’s own groups answer it', async () => {
    const { identity, calls } = fakeIdentity({ premium: false, ...world });
    const groups = new GroupMemberships(identity, { ...settings, resolution: 'direct' });
    await groups.groupsOf('bob@x');
    const everyLevel = ['direct:all.grp', 'direct:bob@x', 'direct:oncall.grp', 'direct:sre.grp'];
    const ask = async (group: string, likelyEnough?: (g: ReadonlySet<string>) => boolean) => {
      calls.length = 0;
      const found = await groups.freshGroupsUntil('bob@x', Promise.resolve((g) => g.has(group)), likelyEnough);
      expect(found.emails).toContain(group);
      return [...calls].sort();
    };
    expect(await ask('oncall.grp')).toEqual(everyLevel);
    expect(await ask('oncall.grp', (g) => g.has('oncall.grp'))).toEqual(['direct:bob@x']);
    expect(await ask('all.grp', (g) => g.has('all.grp'))).toEqual(everyLevel);
    // A wrong guess costs time, not the answer: the levels above are read after the user's own groups.
    calls.length = 0;
    expect((await groups.freshGroupsUntil('bob@x', Promise.resolve((g) => g.has('all.grp')), () => true)).emails).toEqual(['all.grp', 'oncall.grp', 'sre.grp']);
    expect(calls).toEqual(['direct:bob@x', 'direct:oncall.grp', 'direct:sre.grp']);
  });

  test('the checks of one request share its fresh reads; another request reads again', async () => {
    const { identity, calls } = fakeIdentity({ premium: false, ...world });
    const groups = new GroupMemberships(identity, { ...settings, resolution: 'direct' });
    const request = () =>
      withRequestReads(async () => {
        await groups.freshGroupsUntil('bob@x', Promise.resolve((g) => g.has('oncall.grp')));
        return groups.groupsOf('bob@x', true);
      });
    expect((await request()).emails).toEqual(['all.grp', 'oncall.grp', 'sre.grp']);
    expect(calls.sort()).toEqual(['direct:all.grp', 'direct:bob@x', 'direct:oncall.grp', 'direct:sre.grp']);
    calls.length = 0;
    await request();
    expect(calls.filter((c) => c === 'direct:bob@x')).toHaveLength(1);
    calls.length = 0;
    // Outside a request, every fresh resolution reads.
    await groups.groupsOf('bob@x', true);
    await groups.groupsOf('bob@x', true);
    expect(calls.filter((c) => c === 'direct:bob@x')).toHaveLength(2);
  });
});
