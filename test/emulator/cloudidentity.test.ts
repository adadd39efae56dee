// Cloud Identity groups (lookup, get, memberships, transitive searches) through the googleapis client.
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';
import { groupIdOf } from '../../emulator/apis/cloudidentity';
import type { RunningEmulator } from '../../emulator/server';
import type { World } from '../../emulator/world';

const LABEL = "'cloudidentity.googleapis.com/groups.discussion_forum' in labels";
const name = (email: string) => `groups/${groupIdOf(email)}`;

/** The demo world, with bob also a direct member of sre (he is already in it through on-call). */
function world(extra: Partial<World> = {}): World {
  const w = demoWorld();
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
