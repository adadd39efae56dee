// A rule's auto-approval: which conditions a request meets, where a rule may approve by itself at all, how the
// policy file is checked, and how the rule's approval is recorded in the project's IAM policy.
import { AccessPolicyError, parseAccessPolicy } from '../../../server/domain/access-policy';
import { demandsOf, describeDemands, unmetAutoApproval, type PolicyTarget } from '../../../server/domain/access-policy-demands';
import type { Policy } from '../../../server/domain/iam-policy';
import { decide, decisionsIn, parseDecisionBinding, requestStateOf } from '../../../server/domain/request-decision';

const base = { maxDurationMinutes: 120, justification: { pattern: '.*', hint: 'Bug or case number', maxLength: 100 } };
const target = (over: Partial<PolicyTarget> = {}): PolicyTarget => ({
  projectId: 'prod-app',
  folders: [],
  labels: {},
  role: 'roles/cloudsql.admin',
  type: 'self',
  resourceCondition: null,
  ...over,
});
const MONDAY_NOON_UTC = new Date('2026-01-05T12:00:00Z');
const SUNDAY_NOON_UTC = new Date('2026-01-11T12:00:00Z');

const POLICY = `version: 1
rules:
  - name: short-db
    approval: { kind: approvers, principals: [user:lead@example.com, user:boss@example.com], requiredApprovals: 2 }
    ticket: { pattern: "CHG-[0-9]+" }
    schedule: { timeZone: UTC, windows: ["Mon-Fri 08:00-18:00"], outside: requireApproval }
    autoApprove: { maxDuration: 15m, insideSchedule: true, ticketValid: true, requesters: [group:oncall@example.com] }
`;

const ONCALL = new Set(['user:alice@example.com', 'group:oncall@example.com']);
const demands = (now = MONDAY_NOON_UTC, over: Partial<PolicyTarget> = {}) => demandsOf(parseAccessPolicy(POLICY), target(over), base, now);
const ok = { justification: 'CHG-42 rotate keys', durationMinutes: 15 };

describe('unmetAutoApproval', () => {
  test('a request meeting every condition is approved by the rule', () => {
    expect(unmetAutoApproval(demands(), ok, ONCALL)).toEqual([]);
  });

  test.each([
    ['longer than the maximum', demands(), { ...ok, durationMinutes: 16 }, ONCALL, '16 min is longer than 15 min'],
    ['outside the windows', demands(SUNDAY_NOON_UTC), ok, ONCALL, "it is outside the schedule's windows"],
    ['without a ticket', demands(), { ...ok, justification: 'rotate keys' }, ONCALL, 'the justification names no ticket'],
    ['by someone outside the requesters', demands(), ok, new Set(['user:bob@example.com']), 'the requester is none of group:oncall@example.com'],
  ])('%s: not approved by the rule, and said why', (_, d, request, requester, why) => {
    expect(unmetAutoApproval(d, request, requester)).toEqual([why]);
  });

  test('every condition not met is named', () => {
    expect(unmetAutoApproval(demands(SUNDAY_NOON_UTC), { justification: 'x', durationMinutes: 60 }, new Set())).toHaveLength(4);
  });

  test('a rule without autoApprove approves nothing itself', () => {
    const d = demandsOf(parseAccessPolicy('version: 1\nrules:\n  - { name: r, approval: peers }\n'), target(), base, MONDAY_NOON_UTC);
    expect(d.autoApprove).toBeNull();
    expect(unmetAutoApproval(d, ok, ONCALL)).toBeNull();
  });

  test('a peer-approval binding is never approved by a rule: people approve it, and the explanation says so', () => {
    const d = demands(MONDAY_NOON_UTC, { type: 'peer' });
    expect(d.autoApprove).toBeNull();
    expect(d.notes.join(' ')).toContain('cannot waive');
    expect(unmetAutoApproval(d, ok, ONCALL)).toBeNull();
  });

  test('the demands in words mention it', () => {
    expect(describeDemands(demands())).toContain('approved by the rule up to 15 min');
  });
});

describe('autoApprove in the policy file', () => {
  const problemsOf = (text: string) => {
    try {
      parseAccessPolicy(text);
    } catch (e) {
      return (e as AccessPolicyError).problems.map((p) => `${p.path}: ${p.message}`);
    }
    return [];
  };

  test.each([
    ['no condition', 'autoApprove: {}', 'rules.0.autoApprove: autoApprove needs at least one condition'],
    ['insideSchedule without a schedule', 'autoApprove: { insideSchedule: true }', 'rules.0.autoApprove.insideSchedule: insideSchedule needs a schedule'],
    ['ticketValid without ticket settings', 'autoApprove: { ticketValid: true }', 'rules.0.autoApprove.ticketValid: ticketValid needs ticket settings'],
    ['a maximum over the rule\'s', 'autoApprove: { maxDuration: 2h }', 'rules.0.autoApprove.maxDuration: autoApprove maxDuration (2h) exceeds maxDuration (1h)'],
    ['an unknown condition', 'autoApprove: { riskScore: 3 }', "rules.0.autoApprove: unknown field 'riskScore'"],
  ])('%s is refused', (_, field, problem) => {
    const problems = problemsOf(`version: 1\nrules:\n  - name: r\n    approval: peers\n    maxDuration: 1h\n    ${field}\n`);
    expect(problems.some((p) => p.startsWith(problem))).toBe(true);
  });

  test('it cannot be a default: the rule approves under its name', () => {
    expect(problemsOf('version: 1\ndefaults:\n  autoApprove: { maxDuration: 15m }\n')).toEqual([
      'defaults.autoApprove: autoApprove belongs on a rule, which approves under its name; it cannot be a default',
    ]);
  });
});

describe("the rule's approval in the project's policy", () => {
  const EMPTY: Policy = { bindings: [] };
  const request = { id: 'mpa-abc', beneficiary: 'alice@example.com', expiresAt: new Date('2026-01-05T13:00:00Z'), requiredApprovals: 2 };

  test('counts as every required approval, is held by the requester, and reads back as the rule', () => {
    const { policy, outcome } = decide(EMPTY, request, { kind: 'approve', actor: 'rule:short-db' }, MONDAY_NOON_UTC);
    expect(outcome.type).toBe('granted');
    const [binding] = policy.bindings!;
    expect(binding.members).toEqual(['user:alice@example.com']);
    expect(binding.condition!.description).toBe('granted mpa-abc at 2026-01-05T12:00:00Z until 2026-01-05T13:00:00Z: by rule:short-db');
    expect(parseDecisionBinding(binding)).toEqual([expect.objectContaining({ kind: 'granted', actor: 'rule:short-db', holder: 'alice@example.com', reason: null })]);
    const state = requestStateOf(request, decisionsIn(policy), MONDAY_NOON_UTC);
    expect(state).toMatchObject({ status: 'approved', approvals: [{ approver: 'rule:short-db' }] });
  });

  test('a denial whose reason looks like a rule is still a denial by its reviewer', () => {
    const { policy } = decide(EMPTY, request, { kind: 'deny', actor: 'lead@example.com', reason: 'by rule:short-db' }, MONDAY_NOON_UTC);
    expect(parseDecisionBinding(policy.bindings![0])).toEqual([expect.objectContaining({ kind: 'denied', actor: 'lead@example.com', reason: 'by rule:short-db' })]);
  });

  test('after a cancellation, the rule approves nothing', () => {
    const cancelled = decide(EMPTY, request, { kind: 'cancel', actor: 'alice@example.com' }, MONDAY_NOON_UTC).policy;
    expect(decide(cancelled, request, { kind: 'approve', actor: 'rule:short-db' }, MONDAY_NOON_UTC).outcome.type).toBe('refused');
  });
});
