import type { Binding, Policy } from '../../../server/domain/iam-policy';
import {
  decide,
  decisionBindingOf,
  decisionDescription,
  decisionsIn,
  DECISION_ROLE,
  DECISION_TITLE,
  MAX_DECISIONS_PER_ACTOR,
  MAX_DECISIONS_PER_PROJECT,
  MAX_DESCRIPTION_LENGTH,
  NEVER_TRUE,
  parseDecisionBinding,
  removeExpiredDecisions,
  requestStateOf,
  type DecidedRequest,
  type Decision,
} from '../../../server/domain/request-decision';

const T0 = new Date('2040-01-01T10:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const REQUEST: DecidedRequest = { id: 'mpa-abc+/=_-1', beneficiary: 'alice@example.com', expiresAt: at(60), requiredApprovals: 2 };
const OTHER: Binding = { role: 'roles/viewer', members: ['user:alice@example.com'] };
const policyOf = (...bindings: Binding[]): Policy => ({ version: 1, etag: 'BwX1', bindings });

const decision = (overrides: Partial<Decision> = {}): Decision => ({
  kind: 'approved',
  requestId: REQUEST.id,
  actor: 'bob@example.com',
  at: T0,
  until: REQUEST.expiresAt,
  reason: null,
  ...overrides,
});

describe('decision bindings', () => {
  it('grant nothing: a condition never true, a title of their own, the request in the description', () => {
    expect(decisionBindingOf(decision())).toEqual({
      role: DECISION_ROLE,
      members: ['user:bob@example.com'],
      condition: { title: DECISION_TITLE, expression: NEVER_TRUE, description: `approved ${REQUEST.id} at 2040-01-01T10:00:00Z until 2040-01-01T11:00:00Z` },
    });
  });

  it('read back as the decision they record, one per member when Google merged two', () => {
    const binding = decisionBindingOf(decision({ kind: 'denied', reason: 'not during the freeze' }));
    expect(parseDecisionBinding(binding)).toEqual([decision({ kind: 'denied', reason: 'not during the freeze' })]);
    const merged = { ...decisionBindingOf(decision()), members: ['user:bob@example.com', 'user:Carol@example.com'] };
    expect(parseDecisionBinding(merged).map((d) => d.actor)).toEqual(['bob@example.com', 'carol@example.com']);
  });

  it('are not read from bindings of another shape', () => {
    const binding = decisionBindingOf(decision());
    expect(parseDecisionBinding({ ...binding, role: 'roles/compute.admin' })).toEqual([]);
    expect(parseDecisionBinding({ ...binding, condition: { ...binding.condition, expression: 'true' } })).toEqual([]);
    expect(parseDecisionBinding({ ...binding, condition: { ...binding.condition, title: 'JIT access activation' } })).toEqual([]);
    expect(parseDecisionBinding({ ...binding, condition: { ...binding.condition, description: 'approved by me' } })).toEqual([]);
    expect(parseDecisionBinding({ ...binding, members: ['group:ops@example.com'] })).toEqual([]);
  });

  it('shorten a long denial reason to fit the description, on one line', () => {
    const description = decisionDescription({ ...decision({ kind: 'denied' }), reason: `line one\nline two ${'x'.repeat(500)}` });
    expect(description.length).toBe(MAX_DESCRIPTION_LENGTH);
    expect(description).toMatch(/: line one line two x+…$/);
  });
});

describe('requestStateOf', () => {
  it('is pending until the request expires, then expired', () => {
    expect(requestStateOf(REQUEST, [], at(59)).status).toBe('pending');
    expect(requestStateOf(REQUEST, [], at(60)).status).toBe('expired');
  });

  it('lists distinct approvals in order and says approved once granted, also after expiry', () => {
    const state = requestStateOf(REQUEST, [decision({ kind: 'granted', actor: 'carol@example.com', at: at(2) }), decision({ at: at(1) })], at(90));
    expect(state).toEqual({
      status: 'approved',
      approvals: [
        { approver: 'bob@example.com', at: at(1) },
        { approver: 'carol@example.com', at: at(2) },
      ],
      requiredApprovals: 2,
      deniedBy: null,
      reason: null,
      decidedAt: at(2),
    });
  });

  it('names who denied and why, and ignores decisions of other requests', () => {
    const state = requestStateOf(REQUEST, [decision({ kind: 'denied', reason: 'no', actor: 'dan@example.com' }), decision({ kind: 'granted', requestId: 'mpa-other' })], at(1));
    expect(state).toMatchObject({ status: 'denied', deniedBy: 'dan@example.com', reason: 'no', approvals: [] });
  });
});

describe('decide', () => {
  const approve = (actor: string) => ({ kind: 'approve' as const, actor });

  it('records an approval towards N, then grants with the last one, never mutating its input', () => {
    const start = policyOf(OTHER);
    const first = decide(start, REQUEST, approve('bob@example.com'), at(1));
    expect(first.outcome.type).toBe('approval-recorded');
    expect(start.bindings).toEqual([OTHER]);
    expect(first.policy).toMatchObject({ version: 3, etag: 'BwX1' });
    const second = decide(first.policy, REQUEST, approve('carol@example.com'), at(2));
    expect(second.outcome).toMatchObject({ type: 'granted', at: at(2), state: { status: 'approved' } });
    expect(second.outcome.state.approvals.map((a) => a.approver)).toEqual(['bob@example.com', 'carol@example.com']);
    expect(decisionsIn(second.policy).map((d) => d.kind)).toEqual(['approved', 'granted']);
  });

  it('counts a repeated approval by the same person once', () => {
    const first = decide(policyOf(), REQUEST, approve('bob@example.com'), at(1));
    const again = decide(first.policy, REQUEST, approve('BOB@example.com'), at(2));
    expect(again.outcome.type).toBe('unchanged');
    expect(again.policy).toBe(first.policy);
  });

  it('never grants twice: approving a granted request changes nothing, also after its grant ended', () => {
    const granted = decide(policyOf(), { ...REQUEST, requiredApprovals: 1 }, approve('bob@example.com'), at(1));
    expect(granted.outcome.type).toBe('granted');
    const replay = decide(granted.policy, { ...REQUEST, requiredApprovals: 1 }, approve('carol@example.com'), at(50));
    expect(replay.outcome).toMatchObject({ type: 'unchanged', state: { status: 'approved' } });
    expect(replay.policy).toBe(granted.policy);
  });

  it('refuses approval after a denial, and denial after the grant', () => {
    const denied = decide(policyOf(), REQUEST, { kind: 'deny', actor: 'dan@example.com', reason: 'freeze' }, at(1));
    expect(denied.outcome).toMatchObject({ type: 'denied', state: { status: 'denied', deniedBy: 'dan@example.com', reason: 'freeze' } });
    expect(decide(denied.policy, REQUEST, approve('bob@example.com'), at(2)).outcome).toMatchObject({ type: 'refused', state: { status: 'denied' } });
    expect(decide(denied.policy, REQUEST, { kind: 'deny', actor: 'dan@example.com', reason: 'freeze' }, at(2)).outcome.type).toBe('unchanged');
    expect(decide(denied.policy, REQUEST, { kind: 'deny', actor: 'eve@example.com', reason: 'also' }, at(2)).outcome.type).toBe('refused');

    const granted = decide(policyOf(), { ...REQUEST, requiredApprovals: 1 }, approve('bob@example.com'), at(1));
    expect(decide(granted.policy, REQUEST, { kind: 'deny', actor: 'dan@example.com', reason: 'late' }, at(2)).outcome.type).toBe('refused');
    expect(decide(granted.policy, REQUEST, { kind: 'cancel', actor: 'alice@example.com' }, at(2)).outcome.type).toBe('refused');
  });

  it('ends a request for good on cancellation, keeping approvals so far', () => {
    const first = decide(policyOf(), REQUEST, approve('bob@example.com'), at(1));
    const cancelled = decide(first.policy, REQUEST, { kind: 'cancel', actor: 'alice@example.com' }, at(2));
    expect(cancelled.outcome).toMatchObject({ type: 'cancelled', state: { status: 'cancelled', approvals: [{ approver: 'bob@example.com' }] } });
    expect(decide(cancelled.policy, REQUEST, approve('carol@example.com'), at(3)).outcome.type).toBe('refused');
  });

  it('refuses every decision once the request expired', () => {
    expect(decide(policyOf(), REQUEST, approve('bob@example.com'), at(60)).outcome).toMatchObject({ type: 'refused', state: { status: 'expired' } });
  });

  it('drops records of expired requests as it writes', () => {
    const old = decisionBindingOf(decision({ requestId: 'mpa-old', until: at(-1) }));
    const edit = decide(policyOf(OTHER, old), REQUEST, approve('bob@example.com'), at(1));
    expect(edit.policy.bindings!.filter((b) => b === old || b.condition?.description?.includes('mpa-old'))).toEqual([]);
    expect(edit.policy.bindings).toContainEqual(OTHER);
  });

  it("keeps within Google's 20 conditional bindings per role and principal, and the project's bound", () => {
    const mine = Array.from({ length: MAX_DECISIONS_PER_ACTOR }, (_, i) => decisionBindingOf(decision({ requestId: `mpa-r${i}`, until: at(10 + i) })));
    const full = decide(policyOf(...mine), REQUEST, approve('bob@example.com'), at(1));
    expect(full.outcome).toMatchObject({ type: 'full', scope: 'actor', retryAfter: new Date(at(10).getTime() + 1000) });
    expect(decide(policyOf(...mine), REQUEST, approve('carol@example.com'), at(1)).outcome.type).toBe('approval-recorded');

    const many = Array.from({ length: MAX_DECISIONS_PER_PROJECT }, (_, i) => decisionBindingOf(decision({ requestId: `mpa-p${i}`, actor: `u${i}@example.com` })));
    expect(decide(policyOf(...many), REQUEST, approve('bob@example.com'), at(1)).outcome).toMatchObject({ type: 'full', scope: 'project' });
  });
});

describe('removeExpiredDecisions', () => {
  it('removes the records of expired requests and nothing else', () => {
    const live = decisionBindingOf(decision());
    const expired = decisionBindingOf(decision({ requestId: 'mpa-old', until: at(-1) }));
    const result = removeExpiredDecisions(policyOf(OTHER, live, expired), T0);
    expect(result.removed).toBe(1);
    expect(result.policy.bindings).toEqual([OTHER, live]);
    const untouched = policyOf(OTHER, live);
    expect(removeExpiredDecisions(untouched, T0).policy).toBe(untouched);
  });
});
