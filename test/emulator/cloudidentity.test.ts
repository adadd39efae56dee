// Cloud Identity groups (lookup, get, memberships, transitive searches) through the googleapis client.
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';
import { groupIdOf } from '../../emulator/apis/cloudidentity';
import type { RunningEmulator } from '../../emulator/server';
import type { World } from '../../emulator/world';

const LABEL = "'cloudidentity.googleapis.com/groups.discussion_forum' in labels";
const name = (email: string) => `groups/${groupIdOf(email)}`;

/**
 * The demo world on the premium edition (the transitive methods exist only there), with bob also a direct
 * member of sre (he is already in it through on-call).
 */
function world(extra: Partial<World> = {}): World {
  const w = demoWorld();
  w.organization = { ...w.organization, edition: 'premium' };
  w.groups.find((g) => g.email === 'sre@example.com')!.members.push('user:bob@example.com');
  w.callers = { 'alice-token': 'user:alice@example.com', 'bob-token': 'user:bob@example.com' };
  return { ...w, ...extra };
}

let emulator: RunningEmulator;
let ci: ReturnType<typeof googleClients>['cloudidentity'];

beforeAll(async () => {
  emulator = await startTestEmulator(world());
  ci = googleClients(emulator).cloudidentity;
});
afterAll(() => emulator.close());

const searchGroups = (query: string, extra: { pageSize?: number; pageToken?: string } = {}, client = ci) =>
  client.groups.memberships.searchTransitiveGroups({ parent: 'groups/-', query, ...extra }, { retry: false });

describe('groups.lookup and groups.get', () => {
  it('resolves an email to a stable opaque group name and returns the group', async () => {
    const { data } = await ci.groups.lookup({ 'groupKey.id': 'SRE@example.com' });
    expect(data).toEqual({ name: name('sre@example.com') });
    expect(data.name).toMatch(/^groups\/0[0-9a-z]{14}$/);
    expect(data.name).not.toContain('sre');

    const group = (await ci.groups.get({ name: data.name! })).data;
    expect(group).toEqual({
      name: data.name,
      groupKey: { id: 'sre@example.com' },
      parent: 'customers/C01demo42',
      displayName: 'SRE',
      labels: { 'cloudidentity.googleapis.com/groups.discussion_forum': '' },
      createTime: expect.any(String),
      updateTime: expect.any(String),
    });
  });

  it('answers 404 for an unknown email and 403 Error(2028) for an unknown group id', async () => {
    await expectGoogleError(ci.groups.lookup({ 'groupKey.id': 'nobody@example.com' }, { retry: false }), 404);
    await expectGoogleError(ci.groups.lookup({ 'groupKey.id': 'alice@example.com' }, { retry: false }), 404);
    const err = await expectGoogleError(ci.groups.get({ name: 'groups/0zzzzzzzzzzzzzz' }, { retry: false }), 403);
    expect(err.message).toMatch(/^Error\(2028\): Permission denied for resource groups\/0zzzzzzzzzzzzzz \(or it may not exist\)\./);
  });
});

describe('groups.memberships.list', () => {
  it('lists direct members with their types, in pages', async () => {
    const first = await ci.groups.memberships.list({ parent: name('sre@example.com'), pageSize: 2 });
    expect(first.data.memberships).toEqual([
      { name: expect.stringMatching(new RegExp(`^${name('sre@example.com')}/memberships/[0-9]{21}$`)), preferredMemberKey: { id: 'alice@example.com' }, roles: [{ name: 'MEMBER' }], type: 'USER' },
      { name: `${name('sre@example.com')}/memberships/${groupIdOf('oncall@example.com')}`, preferredMemberKey: { id: 'oncall@example.com' }, roles: [{ name: 'MEMBER' }], type: 'GROUP' },
    ]);
    expect(first.data.nextPageToken).toBeTruthy();
    const second = await ci.groups.memberships.list({ parent: name('sre@example.com'), pageSize: 2, pageToken: first.data.nextPageToken! });
    expect(second.data.memberships!.map((m) => m.preferredMemberKey!.id)).toEqual(['bob@example.com']);
    expect(second.data.nextPageToken).toBeUndefined();
  });

  it('adds times in the FULL view and validates view and pageSize', async () => {
    const full = await ci.groups.memberships.list({ parent: name('oncall@example.com'), view: 'FULL' });
    expect(full.data.memberships![0]).toMatchObject({ createTime: expect.any(String), preferredMemberKey: { id: 'bob@example.com' } });
    const basic = await ci.groups.memberships.list({ parent: name('oncall@example.com') });
    expect(basic.data.memberships![0]).not.toHaveProperty('createTime');
    await expectGoogleError(ci.groups.memberships.list({ parent: name('oncall@example.com'), view: 'EVERYTHING' }, { retry: false }), 400);
    await expectGoogleError(ci.groups.memberships.list({ parent: name('oncall@example.com'), view: 'FULL', pageSize: 501 }, { retry: false }), 400);
  });

  it('rejects a page token replayed against another group', async () => {
    const first = await ci.groups.memberships.list({ parent: name('everyone@example.com'), pageSize: 1 });
    await expectGoogleError(ci.groups.memberships.list({ parent: name('sre@example.com'), pageSize: 1, pageToken: first.data.nextPageToken! }, { retry: false }), 400);
  });
});

describe('groups.memberships.searchTransitiveGroups', () => {
  it('finds nested groups with DIRECT, INDIRECT and DIRECT_AND_INDIRECT relations', async () => {
    const { data } = await searchGroups(`member_key_id == 'bob@example.com' && ${LABEL}`);
    const relations = Object.fromEntries(data.memberships!.map((m) => [m.groupKey!.id, m.relationType]));
    expect(relations).toEqual({ 'oncall@example.com': 'DIRECT', 'sre@example.com': 'DIRECT_AND_INDIRECT', 'everyone@example.com': 'INDIRECT' });
    expect(data.memberships!.find((m) => m.groupKey!.id === 'oncall@example.com')).toEqual({
      group: name('oncall@example.com'),
      groupKey: { id: 'oncall@example.com' },
      displayName: 'On-call',
      labels: { 'cloudidentity.googleapis.com/groups.discussion_forum': '' },
      relationType: 'DIRECT',
      roles: [{ role: 'MEMBER' }],
    });
  });

  it('pages, and returns nothing for a label no group has or a member nobody is', async () => {
    const query = `member_key_id == 'bob@example.com' && ${LABEL}`;
    const first = await searchGroups(query, { pageSize: 2 });
    expect(first.data.memberships).toHaveLength(2);
    const second = await searchGroups(query, { pageSize: 2, pageToken: first.data.nextPageToken! });
    expect(second.data.memberships).toHaveLength(1);
    expect(second.data.nextPageToken).toBeUndefined();

    expect((await searchGroups(`member_key_id == 'bob@example.com' && 'cloudidentity.googleapis.com/groups.security' in labels`)).data).toEqual({});
    expect((await searchGroups(`member_key_id == 'ghost@example.com' && ${LABEL}`)).data).toEqual({});
  });

  it('rejects a query without the label clause or the member, an unknown clause, and a parent other than groups/-', async () => {
    expect((await expectGoogleError(searchGroups(`member_key_id == 'bob@example.com'`), 400)).message).toMatch(/label clause/);
    expect((await expectGoogleError(searchGroups(LABEL), 400)).message).toMatch(/member specification/);
    expect((await expectGoogleError(searchGroups(`member_key_id == 'bob@example.com' && ${LABEL} && email == 'x'`), 400)).message).toMatch(/Invalid query clause/);
    await expectGoogleError(
      ci.groups.memberships.searchTransitiveGroups({ parent: name('sre@example.com'), query: `member_key_id == 'bob@example.com' && ${LABEL}` }, { retry: false }),
      400,
    );
  });
});

describe('groups.memberships.checkTransitiveMembership', () => {
  it('answers hasMembership true through nesting, and an empty object for a non-member', async () => {
    const check = (group: string, member: string) =>
      ci.groups.memberships.checkTransitiveMembership({ parent: name(group), query: `member_key_id == '${member}'` }, { retry: false });
    expect((await check('everyone@example.com', 'carol@example.com')).data).toEqual({ hasMembership: true });
    expect((await check('oncall@example.com', 'alice@example.com')).data).toEqual({});
    await expectGoogleError(ci.groups.memberships.checkTransitiveMembership({ parent: name('oncall@example.com'), query: LABEL }, { retry: false }), 400);
  });
});

describe('groups.memberships.searchTransitiveMemberships', () => {
  it('lists users of nested groups and the nested groups themselves, with their relation', async () => {
    const { data } = await ci.groups.memberships.searchTransitiveMemberships({ parent: name('everyone@example.com') });
    const byEmail = Object.fromEntries(data.memberships!.map((m) => [m.preferredMemberKey![0].id, m]));
    expect(Object.keys(byEmail).sort()).toEqual(
      ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'mallory', 'sre', 'oncall', 'data-eng'].map((n) => `${n}@example.com`).sort(),
    );
    expect(byEmail['frank@example.com']).toMatchObject({ relationType: 'DIRECT', member: expect.stringMatching(/^users\/[0-9]+$/), roles: [{ role: 'MEMBER' }] });
    expect(byEmail['bob@example.com'].relationType).toBe('INDIRECT');
    expect(byEmail['oncall@example.com'].member).toBe(name('oncall@example.com'));

    const first = await ci.groups.memberships.searchTransitiveMemberships({ parent: name('everyone@example.com'), pageSize: 10 });
    const rest = await ci.groups.memberships.searchTransitiveMemberships({ parent: name('everyone@example.com'), pageSize: 10, pageToken: first.data.nextPageToken! });
    expect([...first.data.memberships!, ...rest.data.memberships!]).toEqual(data.memberships);
  });
});

describe('authorization (Groups Reader admin role)', () => {
  it('denies a caller who is not a groups reader on every method, in Google’s Error(2028) wording', async () => {
    const alice = googleClients(emulator, 'alice-token').cloudidentity;
    const calls = [
      () => alice.groups.lookup({ 'groupKey.id': 'sre@example.com' }, { retry: false }),
      () => alice.groups.get({ name: name('sre@example.com') }, { retry: false }),
      () => alice.groups.memberships.list({ parent: name('sre@example.com') }, { retry: false }),
      () => searchGroups(`member_key_id == 'alice@example.com' && ${LABEL}`, {}, alice),
      () => alice.groups.memberships.checkTransitiveMembership({ parent: name('sre@example.com'), query: "member_key_id == 'alice@example.com'" }, { retry: false }),
      () => alice.groups.memberships.searchTransitiveMemberships({ parent: name('sre@example.com') }, { retry: false }),
    ];
    for (const call of calls) {
      const err = await expectGoogleError(call(), 403);
      expect(err.message).toMatch(/^Error\(2028\): Permission denied for resource groups\/\S+ \(or it may not exist\)\. The caller needs the Groups Reader admin role/);
    }
  });

  it('honours an explicit groupsReaders list in the world', async () => {
    const other = await startTestEmulator(world({ groupsReaders: ['group:oncall@example.com'] }));
    try {
      const bob = googleClients(other, 'bob-token').cloudidentity;
      expect((await bob.groups.lookup({ 'groupKey.id': 'sre@example.com' })).data.name).toBe(name('sre@example.com'));
      await expectGoogleError(googleClients(other).cloudidentity.groups.lookup({ 'groupKey.id': 'sre@example.com' }, { retry: false }), 403);
    } finally {
      await other.close();
    }
  });

  it('counts calls per method', () => {
    expect(emulator.state.calls.get('cloudidentity.groups.lookup')).toBeGreaterThan(0);
    expect(emulator.state.calls.get('cloudidentity.groups.memberships.searchTransitiveGroups')).toBeGreaterThan(0);
    expect(emulator.state.calls.get('cloudidentity.groups.memberships.checkTransitiveMembership')).toBeGreaterThan(0);
  });
});

describe('groups.memberships.searchDirectGroups', () => {
  const direct = (query: string, extra: { pageSize?: number; pageToken?: string; orderBy?: string } = {}, client = ci) =>
    client.groups.memberships.searchDirectGroups({ parent: 'groups/-', query, ...extra }, { retry: false });

  it('finds only the groups a member belongs to directly, with the membership name, in pages', async () => {
    const { data } = await direct(`member_key_id == 'bob@example.com' && ${LABEL}`);
    expect(data.memberships!.map((m) => m.groupKey!.id)).toEqual(['oncall@example.com', 'sre@example.com']);
    expect(data.memberships![0]).toEqual({
      group: name('oncall@example.com'),
      groupKey: { id: 'oncall@example.com' },
      displayName: 'On-call',
      labels: { 'cloudidentity.googleapis.com/groups.discussion_forum': '' },
      membership: expect.stringMatching(new RegExp(`^${name('oncall@example.com')}/memberships/[0-9]{21}$`)),
      roles: [{ name: 'MEMBER' }],
    });
    // A nested group is a member too; the label clause may be left out, as jit-groups does.
    expect((await direct("member_key_id=='oncall@example.com'")).data.memberships!.map((m) => m.groupKey!.id)).toEqual(['sre@example.com']);

    const first = await direct("member_key_id == 'bob@example.com'", { pageSize: 1 });
    const second = await direct("member_key_id == 'bob@example.com'", { pageSize: 1, pageToken: first.data.nextPageToken! });
    expect([...first.data.memberships!, ...second.data.memberships!].map((m) => m.groupKey!.id)).toEqual(['oncall@example.com', 'sre@example.com']);
    expect(second.data.nextPageToken).toBeUndefined();
    expect((await direct("member_key_id == 'bob@example.com'", { orderBy: 'group_key desc' })).data.memberships!.map((m) => m.groupKey!.id)).toEqual([
      'sre@example.com',
      'oncall@example.com',
    ]);
  });

  it('rejects a query without a member, a parent other than groups/- and an unknown order; returns nothing for a stranger', async () => {
    expect((await expectGoogleError(direct(LABEL), 400)).message).toMatch(/member specification/);
    await expectGoogleError(ci.groups.memberships.searchDirectGroups({ parent: name('sre@example.com'), query: "member_key_id == 'bob@example.com'" }, { retry: false }), 400);
    await expectGoogleError(direct("member_key_id == 'bob@example.com'", { orderBy: 'create_time' }), 400);
    expect((await direct("member_key_id == 'ghost@example.com'")).data).toEqual({});
  });

  it('silently leaves out every group for a caller without Groups Reader', async () => {
    const alice = googleClients(emulator, 'alice-token').cloudidentity;
    expect((await direct("member_key_id == 'bob@example.com'", {}, alice)).data).toEqual({});
  });
});

describe('editions and groups of other organizations', () => {
  /** The demo world on the free edition, alice also in a partner's group, which nests nothing of ours. */
  const freeWorld = (edition: 'free' | 'premium'): World => {
    const w = world();
    w.organization = { ...w.organization, edition };
    if (!w.groups.some((g) => g.email === 'partners@other.example')) w.groups.push({ email: 'partners@other.example', external: true, members: ['user:alice@example.com'] });
    return w;
  };
  let free: RunningEmulator;
  let premium: RunningEmulator;
  beforeAll(async () => {
    [free, premium] = await Promise.all([startTestEmulator(freeWorld('free')), startTestEmulator(freeWorld('premium'))]);
  });
  afterAll(() => Promise.all([free.close(), premium.close()]));

  it('answers every transitive method with 403 Error(3005) on the free edition', async () => {
    const c = googleClients(free).cloudidentity;
    const calls = [
      () => searchGroups(`member_key_id == 'bob@example.com' && ${LABEL}`, {}, c),
      () => c.groups.memberships.checkTransitiveMembership({ parent: name('sre@example.com'), query: "member_key_id == 'bob@example.com'" }, { retry: false }),
      () => c.groups.memberships.searchTransitiveMemberships({ parent: name('sre@example.com') }, { retry: false }),
    ];
    for (const call of calls) {
      const err = await expectGoogleError(call(), 403);
      expect(err).toMatchObject({ status: 'PERMISSION_DENIED' });
      expect(err.message).toMatch(/^Error\(3005\): This feature is only available to Google Workspace Enterprise Standard, Enterprise Plus, and Enterprise for Education; and Cloud Identity Premium accounts\.$/);
    }
  });

  it('serves the direct methods on the free edition, leaving the external group out', async () => {
    const c = googleClients(free).cloudidentity;
    const groups = (await c.groups.memberships.searchDirectGroups({ parent: 'groups/-', query: "member_key_id == 'alice@example.com'" })).data.memberships!;
    expect(groups.map((m) => m.groupKey!.id)).toEqual(['sre@example.com']);
    expect((await c.groups.memberships.list({ parent: name('sre@example.com') })).data.memberships).toHaveLength(3);
  });

  it('denies reading an external group and any transitive query that reaches it, premium or not', async () => {
    const c = googleClients(premium).cloudidentity;
    const partners = name('partners@other.example');
    for (const call of [
      () => c.groups.memberships.list({ parent: partners }, { retry: false }),
      () => c.groups.get({ name: partners }, { retry: false }),
      () => c.groups.lookup({ 'groupKey.id': 'partners@other.example' }, { retry: false }),
      () => searchGroups(`member_key_id == 'alice@example.com' && ${LABEL}`, {}, c),
    ]) {
      expect((await expectGoogleError(call(), 403)).message).toBe(`Error(2028): Permission denied for resource ${partners} (or it may not exist).`);
    }
    // Queries whose graph stays inside the organization still work.
    expect((await searchGroups(`member_key_id == 'bob@example.com' && ${LABEL}`, {}, c)).data.memberships).toHaveLength(3);
    await expectGoogleError(googleClients(free).cloudidentity.groups.memberships.list({ parent: partners }, { retry: false }), 403);
  });

  it('fails a transitive query on a group that nests an external group', async () => {
    const w = freeWorld('premium');
    w.groups.find((g) => g.email === 'everyone@example.com')!.members.push('group:partners@other.example');
    const nested = await startTestEmulator(w);
    try {
      const c = googleClients(nested).cloudidentity;
      await expectGoogleError(c.groups.memberships.searchTransitiveMemberships({ parent: name('everyone@example.com') }, { retry: false }), 403);
      await expectGoogleError(c.groups.memberships.checkTransitiveMembership({ parent: name('everyone@example.com'), query: "member_key_id == 'bob@example.com'" }, { retry: false }), 403);
      expect((await c.groups.memberships.searchTransitiveMemberships({ parent: name('sre@example.com') })).data.memberships).toHaveLength(4);
    } finally {
      await nested.close();
    }
  });

  it('defaults to the free edition when the world says nothing', async () => {
    const w = world();
    delete w.organization.edition;
    const plain = await startTestEmulator(w);
    try {
      await expectGoogleError(searchGroups(`member_key_id == 'bob@example.com' && ${LABEL}`, {}, googleClients(plain).cloudidentity), 403);
    } finally {
      await plain.close();
    }
  });
});
