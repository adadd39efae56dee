import { parseAccessPolicy } from '../../../server/domain/access-policy';
import { demandsOf, type PolicyTarget } from '../../../server/domain/access-policy-demands';
import { activationDescription, isBreakGlassDescription } from '../../../server/domain/activation-binding';
import { parseApproval } from '../../../server/domain/grant';
import { breakGlassCasesOf, breakGlassRefusal, markBreakGlass, principalsOf, reviewerAddresses, reviewsActivation, MARK_KEPT_MS } from '../../../server/domain/break-glass';
import { decisionsIn, removeExpiredDecisions } from '../../../server/domain/request-decision';

const base = { maxDurationMinutes: 120, justification: { pattern: '.*', hint: 'h', maxLength: 100 } };
const MONDAY_NOON_UTC = new Date('2026-01-05T12:00:00Z');
const SUNDAY_NOON_UTC = new Date('2026-01-04T12:00:00Z');
const target = (type: 'self' | 'peer'): PolicyTarget => ({ projectId: 'prod-app', folders: [], labels: {}, role: 'roles/compute.admin', type, resourceCondition: null });
const demands = (settings: string, type: 'self' | 'peer', now = MONDAY_NOON_UTC) =>
  demandsOf(parseAccessPolicy(`version: 1\nrules:\n  - name: r\n${settings}`), target(type), base, now);
const BG = '    breakGlass: { maxDuration: 30m, reviewers: [user:sec@example.com] }\n';

describe('breakGlassRefusal', () => {
  it('allows a peer-approval binding, and a self one that the rule or its schedule makes need approval', () => {
    expect(breakGlassRefusal(demands(BG, 'peer'), 'id', true, 30, MONDAY_NOON_UTC)).toBeNull();
    expect(breakGlassRefusal(demands(`    approval: peers\n${BG}`, 'self'), 'id', true, 30, MONDAY_NOON_UTC)).toBeNull();
    const schedule = '    schedule: { timeZone: UTC, windows: ["Mon-Fri 08:00-18:00"], outside: requireApproval }\n';
    expect(breakGlassRefusal(demands(schedule + BG, 'self', SUNDAY_NOON_UTC), 'id', true, 30, SUNDAY_NOON_UTC)).toBeNull();
    expect(breakGlassRefusal(demands(schedule + BG, 'self'), 'id', true, 30, MONDAY_NOON_UTC)?.code).toBe('BREAK_GLASS_NOT_NEEDED');
  });

  it.each([
    ['a rule without break-glass', '    approval: peers\n', true, 10, 'BREAK_GLASS_NOT_ALLOWED'],
    ['a user the rule does not list', BG, false, 10, 'BREAK_GLASS_NOT_ALLOWED'],
    ['a duration over the break-glass maximum', BG, true, 31, 'INVALID_ARGUMENT'],
    ['a schedule that denies', `    schedule: { timeZone: UTC, windows: ["Tue 08:00-09:00"] }\n${BG}`, true, 10, 'OUTSIDE_SCHEDULE'],
  ])('refuses %s', (_, settings, allowed, minutes, code) => {
    expect(breakGlassRefusal(demands(settings, 'peer'), 'id', allowed, minutes, MONDAY_NOON_UTC)?.code).toBe(code);
  });
});

describe('the break-glass mark of a grant', () => {
  it('is written in the description, recognised, and read back as a break-glass approval', () => {
    const description = activationDescription({ type: 'break-glass', justification: 'INC-1 down' });
    expect(isBreakGlassDescription(description)).toBe(true);
    expect(parseApproval(description)).toEqual({ type: 'break-glass', justification: 'INC-1 down' });
    expect(isBreakGlassDescription(activationDescription({ type: 'self', justification: 'Break-glass, reason: x' }))).toBe(false);
    expect(isBreakGlassDescription(null)).toBe(false);
  });
});

describe('markBreakGlass', () => {
  const policy = { etag: 'e', version: 3, bindings: [{ role: 'roles/viewer', members: ['user:a@example.com'] }] };
  const now = new Date('2026-01-05T12:00:00.500Z');

  it('records a review once, as a binding that grants nothing, kept a day', () => {
    const first = markBreakGlass(policy, { kind: 'acknowledged', activationId: 'bg-AAAAAAAAAAAAAAAA', actor: 'Dave@example.com', note: 'ok' }, now);
    expect(first.existing).toBeNull();
    const [decision] = decisionsIn(first.policy);
    expect(decision).toMatchObject({ kind: 'acknowledged', requestId: 'bg-AAAAAAAAAAAAAAAA', actor: 'dave@example.com', reason: 'ok' });
    expect(decision.until.getTime() - decision.at.getTime()).toBe(MARK_KEPT_MS);
    const second = markBreakGlass(first.policy, { kind: 'flagged', activationId: 'bg-AAAAAAAAAAAAAAAA', actor: 'erin@example.com', note: 'no' }, now);
    expect(second.policy).toBe(first.policy);
    expect(second.existing).toMatchObject({ kind: 'acknowledged', actor: 'dave@example.com' });
    // A reminder is a mark of its own kind; the review does not stand for it.
    expect(markBreakGlass(first.policy, { kind: 'reminded', activationId: 'bg-AAAAAAAAAAAAAAAA', actor: 'bob@example.com', note: null }, now).existing).toBeNull();
    // Swept after a day, like the decisions of expired requests.
    expect(removeExpiredDecisions(first.policy, new Date(now.getTime() + MARK_KEPT_MS + 1000)).removed).toBe(1);
  });
});

describe('break-glass cases from the audit log', () => {
  const activated = {
    event: 'breakglass.activated',
    activationId: 'bg-AAAAAAAAAAAAAAAA',
    user: { email: 'Bob@example.com' },
    project: 'prod-app',
    role: 'roles/compute.admin',
    resourceCondition: null,
    durationMinutes: 10,
    start: '2026-01-05T12:00:00.000Z',
    end: '2026-01-05T12:10:00.000Z',
    reason: 'INC-1',
    reviewers: ['user:dave@example.com', 'group:data-eng@example.com'],
    reviewBy: '2026-01-06T12:00:00.000Z',
    outsideSchedule: false,
    rule: 'r',
    bindingType: 'peer',
  };
  const at = (m: number) => new Date(Date.UTC(2026, 0, 5, 12, m));

  it('joins an activation with its first review and reminder; ignores other and malformed entries', () => {
    const cases = breakGlassCasesOf([
      { timestamp: at(0), payload: activated },
      { timestamp: at(1), payload: { event: 'breakglass.activated', activationId: 'bg-broken' } },
      { timestamp: at(2), payload: { event: 'breakglass.reminded', activationId: 'bg-AAAAAAAAAAAAAAAA' } },
      { timestamp: at(3), payload: { event: 'breakglass.reviewed', activationId: 'bg-AAAAAAAAAAAAAAAA', outcome: 'flagged', note: 'why', reviewer: 'Erin@example.com' } },
      { timestamp: at(4), payload: { event: 'breakglass.reviewed', activationId: 'bg-AAAAAAAAAAAAAAAA', outcome: 'acknowledged', note: null, reviewer: 'dave@example.com' } },
      { timestamp: at(5), payload: { event: 'activation.succeeded' } },
    ]);
    expect([...cases.keys()]).toEqual(['bg-AAAAAAAAAAAAAAAA']);
    const c = cases.get('bg-AAAAAAAAAAAAAAAA')!;
    expect(c.activation).toMatchObject({ user: 'bob@example.com', projectId: 'prod-app', reviewBy: new Date('2026-01-06T12:00:00.000Z') });
    expect(c.review).toEqual({ outcome: 'flagged', note: 'why', reviewer: 'erin@example.com', at: at(3) });
    expect(c.remindedAt).toEqual(at(2));
  });

  it('reviewers are the listed users and members of the listed groups, never the user who broke the glass', () => {
    const { activation } = breakGlassCasesOf([{ timestamp: at(0), payload: { ...activated, reviewers: [...activated.reviewers, 'user:bob@example.com'] } }]).get('bg-AAAAAAAAAAAAAAAA')!;
    expect(reviewsActivation(activation, principalsOf('dave@example.com', []))).toBe(true);
    expect(reviewsActivation(activation, principalsOf('erin@example.com', ['Data-Eng@example.com']))).toBe(true);
    expect(reviewsActivation(activation, principalsOf('alice@example.com', ['sre@example.com']))).toBe(false);
    expect(reviewsActivation(activation, principalsOf('bob@example.com', []))).toBe(false);
    expect(reviewerAddresses(activation.reviewers)).toEqual(['dave@example.com', 'data-eng@example.com', 'bob@example.com']);
  });
});
