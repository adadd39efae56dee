import { decisionBy, escalationTo, requestsInLog, waitsFor } from '../../../server/domain/request-log';

const T0 = new Date('2040-01-01T10:00:00Z').getTime();
const at = (minutes: number) => new Date(T0 + minutes * 60_000);
const user = (email: string) => ({ email, userId: 'x', deviceId: 'x', accessLevels: [] });

function created(id: string, overrides: Record<string, unknown> = {}) {
  return {
    timestamp: at(0),
    payload: {
      event: 'request.created',
      outcome: 'success',
      user: user('alice@example.com'),
      project: 'prod-app',
      activationId: id,
      roleId: 'prod-app:roles/compute.admin',
      roles: [{ role: 'roles/compute.admin', resourceCondition: null }],
      reviewers: ['bob@example.com', 'carol@example.com'],
      justification: 'INC-1',
      start: at(0).toISOString(),
      end: at(30).toISOString(),
      issuedAt: at(0).toISOString(),
      expiresAt: at(60).toISOString(),
      windowFromApproval: true,
      requiredApprovals: 2,
      tokenDigest: 'digest',
      ...overrides,
    },
  };
}

const decision = (minutes: number, event: string, actor: string, id: string, extra: Record<string, unknown> = {}) => ({
  timestamp: at(minutes),
  payload: { event, outcome: 'success', user: user(actor), activationId: id, ...extra },
});

describe('requests in the audit log', () => {
  test('approvals towards N, then granted; repeats and decisions after the end change nothing', () => {
    const [r] = requestsInLog(
      [
        created('mpa-1'),
        decision(1, 'approval.recorded', 'bob@example.com', 'mpa-1', { alreadyApproved: false }),
        decision(2, 'approval.succeeded', 'bob@example.com', 'mpa-1', { alreadyApproved: true }),
        decision(3, 'approval.succeeded', 'carol@example.com', 'mpa-1', { alreadyApproved: false }),
        decision(4, 'request.denied', 'bob@example.com', 'mpa-1', { alreadyDecided: false, reason: 'late' }),
      ],
      at(5),
    );
    expect(r).toMatchObject({ status: 'approved', deniedBy: null, decidedAt: at(3), tokenDigest: 'digest', roleId: 'prod-app:roles/compute.admin' });
    expect(r.approvals).toEqual([
      { approver: 'bob@example.com', at: at(1) },
      { approver: 'carol@example.com', at: at(3) },
    ]);
    expect(r.request).toMatchObject({ id: 'mpa-1', beneficiary: 'alice@example.com', requiredApprovals: 2, entitlement: { projectId: 'prod-app', role: 'roles/compute.admin', resourceCondition: null } });
    expect(decisionBy(r, 'carol@example.com')).toEqual({ decision: 'approved', at: at(3) });
    expect(decisionBy(r, 'dave@example.com')).toBeNull();
  });

  test('the signed request record an entry carries; a malformed or missing one is none, and the request is still listed', () => {
    const record = { protected: 'eyJhbGciOiJSUzI1NiJ9', payload: 'eyJqdGkiOiJtcGEtciJ9', signature: 'c2lnbmF0dXJl' };
    const [withRecord, malformed, without] = requestsInLog(
      [created('mpa-r', { requestRecord: record }), created('mpa-m', { requestRecord: { protected: 'a.b', payload: 'c', signature: 'd' } }), created('mpa-n')],
      at(1),
    );
    expect([withRecord.request.id, withRecord.requestRecord]).toEqual(['mpa-r', record]);
    expect([malformed.request.id, malformed.requestRecord]).toEqual(['mpa-m', null]);
    expect([without.request.id, without.requestRecord]).toEqual(['mpa-n', null]);
  });

  test("a request's binding type as its entry logs it; an entry without one (written before) is for a peer-approval binding", () => {
    const [self, older] = requestsInLog([created('mpa-s', { bindingType: 'self' }), created('mpa-o')], at(1));
    expect(self.request.bindingType).toBe('self');
    expect(older.request.bindingType).toBe('peer');
  });

  test('denied with its reason; cancelled; expired once undecided past its expiry; waiting only for reviewers who have not approved', () => {
    const requests = requestsInLog(
      [
        created('mpa-d'),
        created('mpa-c'),
        created('mpa-e'),
        created('mpa-p'),
        decision(1, 'request.denied', 'carol@example.com', 'mpa-d', { alreadyDecided: false, reason: 'no' }),
        decision(1, 'request.cancelled', 'alice@example.com', 'mpa-c', { alreadyDecided: false }),
        decision(1, 'approval.recorded', 'bob@example.com', 'mpa-p', { alreadyApproved: false }),
      ],
      at(59),
    );
    const byId = new Map(requests.map((r) => [r.request.id, r]));
    expect(byId.get('mpa-d')).toMatchObject({ status: 'denied', deniedBy: 'carol@example.com', reason: 'no' });
    expect(decisionBy(byId.get('mpa-d')!, 'carol@example.com')).toEqual({ decision: 'denied', at: at(1) });
    expect(byId.get('mpa-c')).toMatchObject({ status: 'cancelled', cancelledAt: at(1) });
    expect(waitsFor(byId.get('mpa-p')!, 'bob@example.com')).toBe(false);
    expect(waitsFor(byId.get('mpa-p')!, 'carol@example.com')).toBe(true);
    expect(waitsFor(byId.get('mpa-p')!, 'dave@example.com')).toBe(false);
    expect(requestsInLog([created('mpa-e')], at(60))[0].status).toBe('expired');
  });

  test('an escalated request waits for its escalation approvers from the escalation on, and says since when to them only', () => {
    const escalated = (minutes: number, to: string[]) => ({ timestamp: at(minutes), payload: { event: 'request.escalated', outcome: 'success', activationId: 'mpa-e', escalatedTo: to } });
    const [r] = requestsInLog([created('mpa-e'), escalated(30, ['Admin@example.com', 'bob@example.com']), escalated(35, ['admin@example.com', 'erin@example.com'])], at(40));
    expect(escalationTo(r, 'admin@example.com')).toEqual({ at: at(30) });
    expect(escalationTo(r, 'erin@example.com')).toEqual({ at: at(35) });
    expect(waitsFor(r, 'erin@example.com')).toBe(true);
    // Its reviewers were chosen, not offered it: never marked, even when an entry names them.
    expect(escalationTo(r, 'bob@example.com')).toBeNull();
    expect(waitsFor(r, 'bob@example.com')).toBe(true);
    expect(escalationTo(r, 'dave@example.com')).toBeNull();
    expect(waitsFor(r, 'dave@example.com')).toBe(false);
    // An escalation entry before its request's is ignored, as a decision would be.
    const [early] = requestsInLog([escalated(0, ['admin@example.com']), created('mpa-e')], at(1));
    expect(escalationTo(early, 'admin@example.com')).toBeNull();
  });

  test("a rule that approves a request itself is its approver, not the requester the entry names as user", () => {
    const [r] = requestsInLog([created('mpa-a', { requiredApprovals: 1 }), decision(0, 'approval.succeeded', 'alice@example.com', 'mpa-a', { alreadyApproved: false, approvedBy: 'rule:auto' })], at(1));
    expect(r).toMatchObject({ status: 'approved', approvals: [{ approver: 'rule:auto', at: at(0) }] });
    expect(decisionBy(r, 'alice@example.com')).toBeNull();
  });

  test('entries that do not describe a request are skipped: failures, missing claims, bad role ids, decisions without their request; the first entry of an id counts', () => {
    const requests = requestsInLog(
      [
        created('mpa-f', { outcome: 'denied' }),
        created('mpa-m', { requiredApprovals: undefined }),
        created('mpa-r', { roleId: 'not a role' }),
        created('mpa-x', { reviewers: ['mallory@example.com'] }),
        created('mpa-x', { reviewers: ['dave@example.com'] }),
        decision(1, 'approval.succeeded', 'bob@example.com', 'mpa-unknown', { alreadyApproved: false }),
        created('not-an-id'),
      ],
      at(1),
    );
    expect(requests.map((r) => r.request.id)).toEqual(['mpa-x']);
    expect(requests[0].request.reviewers).toEqual(['mallory@example.com']);
  });
});
