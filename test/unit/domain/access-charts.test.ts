import { accessChartsOf, median, utcDaysOf, MAX_SERIES, OTHER_SERIES, type AuditEntry } from '../../../server/domain/access-charts';

const at = (iso: string) => new Date(iso);
const entry = (iso: string, payload: Record<string, unknown>): AuditEntry => ({ timestamp: at(iso), payload: { outcome: 'success', ...payload } });
const role = (r: string) => ({ role: r, resourceCondition: null });

/** A self-activation of `roles` at `iso` for `hours`. */
function activated(iso: string, user: string, project: string, roles: string[], hours: number, outcome = 'added'): AuditEntry {
  const end = new Date(Date.parse(iso) + hours * 3_600_000).toISOString();
  return entry(iso, { event: 'activation.succeeded', user: { email: user }, project, start: iso, end, roles: roles.map(role), grants: roles.map((r) => ({ role: r, resourceCondition: null, outcome, end })) });
}

describe('median', () => {
  test('of an odd count is the middle value, of an even count the mean of the two middle ones, of none null', () => {
    expect(median([7, 1, 3])).toBe(3);
    expect(median([4, 1, 10, 2])).toBe(3);
    expect(median([5])).toBe(5);
    expect(median([])).toBeNull();
  });
});

describe('utcDaysOf', () => {
  test('every UTC day the period touches; an end at midnight does not add the next day', () => {
    expect(utcDaysOf({ from: at('2040-01-01T22:00:00Z'), to: at('2040-01-03T00:00:00Z') })).toEqual(['2040-01-01', '2040-01-02']);
    expect(utcDaysOf({ from: at('2040-01-01T00:00:00Z'), to: at('2040-01-01T00:00:01Z') })).toEqual(['2040-01-01']);
  });
});

describe('accessChartsOf', () => {
  const period = { from: at('2040-01-01T00:00:00Z'), to: at('2040-01-04T00:00:00Z') };
  const now = at('2040-01-03T12:00:00Z');

  test('elevations per day by project and by role count roles granted by activations and approvals, not kept ones or failures', () => {
    const charts = accessChartsOf(
      [
        activated('2039-12-31T23:00:00Z', 'a@x.com', 'p-one', ['roles/viewer'], 1),
        activated('2040-01-01T10:00:00Z', 'a@x.com', 'p-one', ['roles/viewer', 'roles/editor'], 1),
        activated('2040-01-02T10:00:00Z', 'b@x.com', 'p-two', ['roles/viewer'], 1),
        activated('2040-01-02T11:00:00Z', 'b@x.com', 'p-two', ['roles/viewer'], 1, 'kept'),
        entry('2040-01-02T12:00:00Z', { event: 'activation.succeeded', outcome: 'failure', user: { email: 'c@x.com' }, project: 'p-two', start: '2040-01-02T12:00:00Z', grants: [] }),
        entry('2040-01-03T09:00:00Z', { event: 'approval.succeeded', alreadyApproved: false, user: { email: 'peer@x.com' }, beneficiary: 'c@x.com', project: 'p-two', roles: [role('roles/editor')], start: '2040-01-03T09:00:00Z', end: '2040-01-03T10:00:00Z', activationId: 'r1' }),
        entry('2040-01-03T09:05:00Z', { event: 'approval.succeeded', alreadyApproved: true, user: { email: 'peer@x.com' }, beneficiary: 'c@x.com', project: 'p-two', roles: [role('roles/editor')], activationId: 'r1' }),
      ],
      period,
      now,
    );
    expect(charts.days).toEqual(['2040-01-01', '2040-01-02', '2040-01-03']);
    expect(charts.elevationsByProject).toEqual([
      { key: 'p-one', values: [2, 0, 0] },
      { key: 'p-two', values: [0, 1, 1] },
    ]);
    expect(charts.elevationsByRole).toEqual([
      { key: 'roles/editor', values: [1, 0, 1] },
      { key: 'roles/viewer', values: [1, 1, 0] },
    ]);
  });

  test('hours held are split across UTC days, cut by ends, revocations and extensions, and stop at now', () => {
    const charts = accessChartsOf(
      [
        // 22:00 on the day before the period to 04:00: only the 4 hours inside the period count.
        activated('2039-12-31T22:00:00Z', 'a@x.com', 'p-one', ['roles/viewer'], 6),
        // 2 hours planned, ended after 30 minutes.
        activated('2040-01-01T10:00:00Z', 'a@x.com', 'p-two', ['roles/editor'], 2),
        entry('2040-01-01T10:30:00Z', { event: 'grant.ended', user: { email: 'a@x.com' }, project: 'p-two', roles: [role('roles/editor')], start: '2040-01-01T10:00:00Z', end: '2040-01-01T12:00:00Z', endedAt: '2040-01-01T10:30:00Z' }),
        // 1 hour, extended after 15 minutes to end 2 hours later: 2 h 15 min held in all, across midnight.
        activated('2040-01-01T23:00:00Z', 'b@x.com', 'p-two', ['roles/editor'], 1),
        entry('2040-01-01T23:15:00Z', { event: 'grant.extended', user: { email: 'b@x.com' }, project: 'p-two', roles: [role('roles/editor')], start: '2040-01-01T23:15:00Z', end: '2040-01-02T01:15:00Z', previousEnd: '2040-01-02T00:00:00Z' }),
        // Revoked by an admin after 3 hours.
        activated('2040-01-02T06:00:00Z', 'c@x.com', 'p-one', ['roles/viewer'], 8),
        entry('2040-01-02T09:00:00Z', { event: 'grant.revoked', user: { email: 'admin@x.com' }, beneficiary: 'c@x.com', project: 'p-one', roles: [role('roles/viewer')], start: '2040-01-02T06:00:00Z', end: '2040-01-02T14:00:00Z', revokedAt: '2040-01-02T09:00:00Z' }),
        // Still running at now (12:00): 2 of its 4 hours held.
        activated('2040-01-03T10:00:00Z', 'd@x.com', 'p-one', ['roles/viewer'], 4),
      ],
      period,
      now,
    );
    expect(charts.hoursByProject).toEqual([
      { key: 'p-one', values: [4, 3, 2] },
      { key: 'p-two', values: [1.5, 1.25, 0] },
    ]);
    // An extension is not a new elevation.
    expect(charts.elevationsByProject.find((s) => s.key === 'p-two')!.values).toEqual([2, 0, 0]);
  });

  test('time to approval: the median of minutes from request to the approval that granted it, per day and overall', () => {
    const request = (iso: string, id: string) => entry(iso, { event: 'request.created', user: { email: 'a@x.com' }, project: 'p-one', roles: [role('roles/editor')], activationId: id });
    const approved = (iso: string, id: string) =>
      entry(iso, { event: 'approval.succeeded', alreadyApproved: false, beneficiary: 'a@x.com', project: 'p-one', roles: [role('roles/editor')], start: iso, end: iso, activationId: id });
    const charts = accessChartsOf(
      [
        request('2039-12-31T23:50:00Z', 'r0'),
        request('2040-01-01T10:00:00Z', 'r1'),
        request('2040-01-01T11:00:00Z', 'r2'),
        request('2040-01-01T12:00:00Z', 'r3'),
        approved('2040-01-01T00:10:00Z', 'r0'),
        approved('2040-01-01T10:30:00Z', 'r1'),
        approved('2040-01-01T11:05:00Z', 'r2'),
        approved('2040-01-03T12:00:00Z', 'r3'),
        // An approval whose request is not in the log read is not measured.
        approved('2040-01-03T12:00:00Z', 'unknown'),
        // Nor is a rule's own approval (auto-approval): it is an elevation, but nobody took time over it.
        request('2040-01-03T11:00:00Z', 'r4'),
        { ...approved('2040-01-03T11:00:01Z', 'r4'), payload: { ...approved('2040-01-03T11:00:01Z', 'r4').payload, approvedBy: 'rule:oncall' } },
      ],
      period,
      now,
    );
    expect(charts.approvals.medianMinutesByDay).toEqual([20, null, 2880]);
    expect(charts.approvals.countByDay).toEqual([3, 0, 1]);
    expect(charts.approvals.medianMinutes).toBe(25);
    expect(charts.approvals.count).toBe(4);
    expect(charts.elevationsByProject).toEqual([{ key: 'p-one', values: [3, 0, 3] }]);
  });

  test(`more than ${MAX_SERIES} projects: the smallest are summed as "${OTHER_SERIES}"`, () => {
    const entries = Array.from({ length: MAX_SERIES + 2 }, (_, i) =>
      Array.from({ length: MAX_SERIES + 2 - i }, () => activated('2040-01-01T10:00:00Z', `u${i}@x.com`, `project-${i}`, ['roles/viewer'], 1)),
    ).flat();
    const series = accessChartsOf(entries, period, now).elevationsByProject;
    expect(series.map((s) => s.key)).toEqual([...Array.from({ length: MAX_SERIES - 1 }, (_, i) => `project-${i}`), OTHER_SERIES]);
    expect(series.at(-1)!.values).toEqual([3 + 2 + 1, 0, 0]);
  });
});
