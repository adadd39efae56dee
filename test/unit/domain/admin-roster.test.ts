import { adminRoleOf, adminRosterOf, rosterNamesGroups } from '../../../server/domain/admin-roster';
import { elevationsOf, matchesFilter } from '../../../server/domain/admin-elevation';

describe('admin roster', () => {
  const settings = { adminGroups: ['Admins@Example.com'], auditorGroups: ['audit@example.com'] };

  test('the policy decides when there is one, even naming nobody; the settings only without a policy', () => {
    expect(adminRosterOf({ admins: ['user:Boss@example.com'] }, settings)).toEqual({ admins: ['user:boss@example.com'], auditors: [] });
    expect(adminRosterOf({}, settings)).toEqual({ admins: [], auditors: [] });
    expect(adminRosterOf(null, settings)).toEqual({ admins: ['group:admins@example.com'], auditors: ['group:audit@example.com'] });
  });

  test('admin wins over auditor; a user listed by name needs no groups; anyone else has no role', () => {
    const roster = { admins: ['group:admins@example.com'], auditors: ['user:ann@example.com', 'group:admins@example.com'] };
    expect(adminRoleOf(roster, 'x@example.com', ['ADMINS@example.com'])).toBe('admin');
    expect(adminRoleOf(roster, 'Ann@example.com', [])).toBe('auditor');
    expect(adminRoleOf(roster, 'x@example.com', ['other@example.com'])).toBeNull();
    expect(rosterNamesGroups(roster)).toBe(true);
    expect(rosterNamesGroups({ admins: ['user:a@example.com'], auditors: [] })).toBe(false);
  });
});

describe('elevations of a project', () => {
  const now = new Date('2040-01-01T00:10:00Z');
  const activation = (members: string[], from: string, to: string, title = 'JIT access activation') => ({
    role: 'roles/compute.admin',
    members,
    condition: { title, description: 'Approved by bob@example.com, justification: INC-1', expression: `(request.time >= timestamp("${from}") && request.time < timestamp("${to}"))` },
  });

  test('each user of an activation binding in force; not groups, not expired or future ones, not other titles', () => {
    const bindings = [
      activation(['user:Ann@example.com', 'user:cy@example.com', 'group:g@example.com'], '2040-01-01T00:00:00Z', '2040-01-01T01:00:00Z'),
      activation(['user:old@example.com'], '2039-12-31T00:00:00Z', '2040-01-01T00:10:00Z'),
      activation(['user:later@example.com'], '2040-01-01T00:11:00Z', '2040-01-01T01:00:00Z'),
      activation(['user:other@example.com'], '2040-01-01T00:00:00Z', '2040-01-01T01:00:00Z', 'Temporary'),
    ];
    const found = elevationsOf('p-1', bindings, now);
    expect(found.map((e) => e.user)).toEqual(['ann@example.com', 'cy@example.com']);
    expect(found[0]).toMatchObject({ projectId: 'p-1', role: 'roles/compute.admin', resourceCondition: null, approval: { type: 'peer', approver: 'bob@example.com' } });
    expect(found[0].id).toBe(found[1].id);
    expect(matchesFilter(found[0], { user: 'ANN@example.com', projectId: 'p-1', role: 'Compute' })).toBe(true);
    expect(matchesFilter(found[0], { role: 'storage' })).toBe(false);
    expect(matchesFilter(found[0], { projectId: 'p-2' })).toBe(false);
  });
});
