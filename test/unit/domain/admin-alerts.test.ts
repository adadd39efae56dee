import {
  breakGlassOutsideScheduleAlerts,
  breakGlassReviewOverdueAlerts,
  externalActivationAlerts,
  frequentActivationAlerts,
  notifiedAlertIds,
  parseFrequencyThreshold,
  type AuditTrailEntry,
} from '../../../server/domain/admin-alerts';
import { grantId } from '../../../server/domain/grant';
import type { Elevation } from '../../../server/domain/admin-elevation';

const at = (hhmm: string, day = '10') => new Date(`2040-01-${day}T${hhmm}:00Z`);
const USER = { email: 'alice@example.com', userId: '1', deviceId: 'd', accessLevels: [] };

/** An entry as AuditLog.record writes it and the audit feed reads it back. */
const entry = (time: Date, payload: Record<string, unknown>): AuditTrailEntry => ({ timestamp: time, payload: { outcome: 'success', ...payload } });
const activation = (time: Date, role = 'roles/cloudsql.admin', project = 'prod-app') =>
  entry(time, { event: 'activation.succeeded', user: USER, project, roles: [{ role, resourceCondition: null }], start: time.toISOString(), end: new Date(time.getTime() + 3_600_000).toISOString() });

describe('ALERT_FREQUENT_ACTIVATIONS', () => {
  test('COUNT/PERIOD in minutes, hours or days, or off; anything else says what is wrong', () => {
    expect(parseFrequencyThreshold('8/24h')).toEqual({ count: 8, periodMinutes: 1440 });
    expect(parseFrequencyThreshold(' 3 / 30m ')).toEqual({ count: 3, periodMinutes: 30 });
    expect(parseFrequencyThreshold('20/7d')).toEqual({ count: 20, periodMinutes: 7 * 1440 });
    expect(parseFrequencyThreshold('OFF')).toBeNull();
    expect(() => parseFrequencyThreshold('8')).toThrow('COUNT/PERIOD');
    expect(() => parseFrequencyThreshold('1/1h')).toThrow('COUNT must be from 2');
    expect(() => parseFrequencyThreshold('5/8d')).toThrow('PERIOD must be from 1 minute to 7 days');
    expect(() => parseFrequencyThreshold('5/0m')).toThrow('PERIOD');
  });
});

describe('frequent activations', () => {
  const threshold = { count: 3, periodMinutes: 60 };
  const from = at('00:00');
  const to = at('23:59');

  test('one alert at the activation that reaches the count within the period; none below it', () => {
    const entries = [activation(at('10:00')), activation(at('10:20')), activation(at('10:40'))];
    const alerts = frequentActivationAlerts(entries, threshold, from, to);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'frequent-activations', time: at('10:40'), user: 'alice@example.com', projectId: 'prod-app', role: 'roles/cloudsql.admin' });
    expect(alerts[0].message).toContain('3 times');
    expect(frequentActivationAlerts(entries.slice(0, 2), threshold, from, to)).toEqual([]);
    // Spread wider than the period: never 3 within an hour.
    expect(frequentActivationAlerts([activation(at('10:00')), activation(at('10:40')), activation(at('11:20'))], threshold, from, to)).toEqual([]);
  });

  test('staying above the threshold is one alert; falling below and reaching it again is another', () => {
    const times = ['10:00', '10:10', '10:20', '10:30', '10:40', '14:00', '14:10', '14:20'];
    const alerts = frequentActivationAlerts(times.map((t) => activation(at(t))), threshold, from, to);
    expect(alerts.map((a) => a.time)).toEqual([at('10:20'), at('14:20')]);
  });

  test('counted per user, project and role; peer approvals count for the requester, replays and extensions not at all', () => {
    const approved = (t: Date, extra: Record<string, unknown> = {}) =>
      entry(t, { event: 'approval.succeeded', user: { ...USER, email: 'bob@example.com' }, beneficiary: 'alice@example.com', project: 'prod-app', roles: [{ role: 'roles/cloudsql.admin', resourceCondition: null }], ...extra });
    const entries = [
      activation(at('10:00')),
      activation(at('10:05'), 'roles/compute.admin'),
      activation(at('10:06'), 'roles/cloudsql.admin', 'staging-app'),
      approved(at('10:10'), { alreadyApproved: true }),
      entry(at('10:15'), { event: 'grant.extended', user: USER, project: 'prod-app', roles: [{ role: 'roles/cloudsql.admin' }] }),
      entry(at('10:16'), { event: 'activation.failed', user: USER, project: 'prod-app', roles: [{ role: 'roles/cloudsql.admin' }], outcome: 'denied' }),
      approved(at('10:20')),
    ];
    expect(frequentActivationAlerts(entries, threshold, from, to)).toEqual([]);
    const alerts = frequentActivationAlerts([...entries, approved(at('10:30'))], threshold, from, to);
    expect(alerts.map((a) => [a.user, a.time])).toEqual([['alice@example.com', at('10:30')]]);
  });

  test('only alerts inside the period asked for; earlier activations still count towards them', () => {
    const entries = [activation(at('23:30', '09')), activation(at('23:50', '09')), activation(at('00:10'))];
    expect(frequentActivationAlerts(entries, threshold, from, to).map((a) => a.time)).toEqual([at('00:10')]);
    expect(frequentActivationAlerts(entries, threshold, at('01:00'), to)).toEqual([]);
  });

  test('the id is the same on every computation', () => {
    const entries = [activation(at('10:00')), activation(at('10:20')), activation(at('10:40'))];
    expect(frequentActivationAlerts(entries, threshold, from, to)[0].id).toBe(frequentActivationAlerts([...entries].reverse(), threshold, from, to)[0].id);
  });
});

/** A break-glass activation, as the break-glass flow audits it. */
const breakGlass = (time: Date, extra: Record<string, unknown> = {}) =>
  entry(time, {
    event: 'breakglass.activated',
    user: USER,
    activationId: 'bg-1',
    project: 'prod-app',
    roles: [{ role: 'roles/cloudsql.admin', resourceCondition: null }],
    durationMinutes: 30,
    reason: 'Database down',
    reviewers: ['user:sec@example.com'],
    reviewBy: new Date(time.getTime() + 4 * 3_600_000).toISOString(),
    outsideSchedule: false,
    rule: 'production',
    ...extra,
  });
const reviewed = (time: Date, activationId = 'bg-1') =>
  entry(time, { event: 'breakglass.reviewed', user: { ...USER, email: 'sec@example.com' }, activationId, reviewOutcome: 'acknowledged', note: 'ok', reviewer: 'sec@example.com' });

describe('break-glass outside the change windows', () => {
  test('an alert for an activation the flow marked outside the schedule, none for one inside', () => {
    const alerts = breakGlassOutsideScheduleAlerts([breakGlass(at('03:00'), { outsideSchedule: true }), breakGlass(at('10:00'), { activationId: 'bg-2' })], at('00:00'), at('23:00'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'break-glass-outside-schedule', time: at('03:00'), activationId: 'bg-1', user: 'alice@example.com', role: 'roles/cloudsql.admin' });
    expect(alerts[0].message).toContain("rule 'production'");
    expect(alerts[0].message).toContain('Database down');
  });

  test('a single role and resource condition instead of roles[] is read too', () => {
    const single = breakGlass(at('03:00'), { outsideSchedule: true, roles: undefined, role: 'roles/owner', resourceCondition: null });
    expect(breakGlassOutsideScheduleAlerts([single], at('00:00'), at('23:00')).map((a) => a.role)).toEqual(['roles/owner']);
  });
});

describe('break-glass not reviewed in time', () => {
  const bg = breakGlass(at('10:00')); // review by 14:00

  test('an alert at the deadline once it passed without a review', () => {
    expect(breakGlassReviewOverdueAlerts([bg], at('00:00'), at('13:59'))).toEqual([]);
    const alerts = breakGlassReviewOverdueAlerts([bg], at('00:00'), at('14:30'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: 'break-glass-review-overdue', severity: 'high', time: at('14:00'), activationId: 'bg-1' });
    expect(alerts[0].message).toContain('still not reviewed: remind user:sec@example.com');
  });

  test('none when reviewed by the deadline; a late review keeps the alert and says so', () => {
    expect(breakGlassReviewOverdueAlerts([bg, reviewed(at('13:00'))], at('00:00'), at('23:00'))).toEqual([]);
    expect(breakGlassReviewOverdueAlerts([bg, reviewed(at('13:00'), 'bg-other')], at('00:00'), at('23:00'))).toHaveLength(1);
    const late = breakGlassReviewOverdueAlerts([bg, reviewed(at('15:00'))], at('00:00'), at('23:00'));
    expect(late[0].message).toContain('reviewed late, at 2040-01-10T15:00:00.000Z by sec@example.com');
  });
});

describe('activations written outside the service', () => {
  const elevation = (start: Date, end: Date, user = 'alice@example.com', role = 'roles/cloudsql.admin'): Elevation => {
    const key = { projectId: 'prod-app', role, resourceCondition: null, start, end };
    return { ...key, id: grantId(key), user, approval: { type: 'self', justification: 'x' }, breakGlass: false };
  };
  const check = { readAt: at('12:00'), graceMs: 5 * 60_000 };

  test('a grant in force that no audit entry wrote is an alert; one an activation, approval, extension or break-glass wrote is not', () => {
    const ours = activation(at('10:00'));
    const approved = entry(at('10:30'), { event: 'approval.succeeded', user: { email: 'bob@example.com' }, beneficiary: 'carol@example.com', project: 'prod-app', roles: [{ role: 'roles/cloudsql.admin', resourceCondition: null }], start: at('10:30').toISOString(), end: at('11:30').toISOString() });
    const extended = entry(at('10:40'), { event: 'grant.extended', user: { email: 'dave@example.com' }, project: 'prod-app', roles: [{ role: 'roles/cloudsql.admin', resourceCondition: null }], start: at('10:40').toISOString(), end: at('12:40').toISOString() });
    const glass = breakGlass(at('10:50'), { user: { email: 'erin@example.com' }, start: at('10:50').toISOString(), end: at('11:20').toISOString() });
    const elevations = [
      elevation(at('10:00'), at('11:00')),
      elevation(at('10:30'), at('11:30'), 'carol@example.com'),
      elevation(at('10:40'), at('12:40'), 'dave@example.com'),
      elevation(at('10:50'), at('11:20'), 'erin@example.com'),
      elevation(at('09:00'), at('13:00'), 'frank@example.com'),
    ];
    const alerts = externalActivationAlerts(elevations, [ours, approved, extended, glass], check);
    expect(alerts.map((a) => a.user)).toEqual(['frank@example.com']);
    expect(alerts[0]).toMatchObject({ kind: 'external-activation', severity: 'high', time: at('09:00'), projectId: 'prod-app' });
  });

  test('a grant changed outside (another end, role or user than the entry says) is an alert', () => {
    const ours = activation(at('10:00'));
    expect(externalActivationAlerts([elevation(at('10:00'), at('15:00'))], [ours], check)).toHaveLength(1);
    expect(externalActivationAlerts([elevation(at('10:00'), at('11:00'), 'alice@example.com', 'roles/owner')], [ours], check)).toHaveLength(1);
    expect(externalActivationAlerts([elevation(at('10:00'), at('11:00'), 'mallory@example.com')], [ours], check)).toHaveLength(1);
    // A failed activation wrote nothing.
    expect(externalActivationAlerts([elevation(at('10:00'), at('11:00'))], [{ ...ours, payload: { ...ours.payload, outcome: 'failure' } }], check)).toHaveLength(1);
  });

  test('a grant younger than the grace period is not judged yet: its audit entry may not have been read', () => {
    expect(externalActivationAlerts([elevation(at('11:56'), at('12:30'))], [], check)).toEqual([]);
    expect(externalActivationAlerts([elevation(at('11:55'), at('12:30'))], [], check)).toHaveLength(1);
  });
});

describe('alert notifications', () => {
  test('the ids each destination was sent, from alert.notified entries', () => {
    const sent = notifiedAlertIds([
      entry(at('10:00'), { event: 'alert.notified', destination: 'email', alertIds: ['a', 'b'] }),
      entry(at('11:00'), { event: 'alert.notified', destination: 'email', alertIds: ['c'] }),
      entry(at('11:00'), { event: 'alert.notified', destination: 'chat:sre', alertIds: ['a'] }),
      entry(at('11:00'), { event: 'activation.succeeded', destination: 'email', alertIds: ['x'] }),
    ]);
    expect([...sent.get('email')!]).toEqual(['a', 'b', 'c']);
    expect([...sent.get('chat:sre')!]).toEqual(['a']);
  });
});
