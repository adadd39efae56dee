import {
  approvalClaims,
  approvalRequestOf,
  checkApprover,
  checkReviewers,
  distinctReviewers,
  durationMinutesOf,
  extendedWindowOf,
  findRecordedApproval,
  grantWindowOf,
  isParticipant,
  requestExpiry,
  type ApprovalRequest,
} from '../../../server/domain/approval-request';
import { activationBindingOf } from '../../../server/domain/activation-binding';
import { grantId } from '../../../server/domain/grant';
import { InvalidInputError } from '../../../server/domain/invalid-input-error';
import type { Policy } from '../../../server/domain/iam-policy';

const SA = 'jitaccess@jit-host.iam.gserviceaccount.com';
const CONDITION = 'resource.name.startsWith("projects/_/buckets/logs")';

const request: ApprovalRequest = {
  id: 'mpa-q3Zk2Jb0e1xPq9n+',
  beneficiary: 'alice@example.com',
  reviewers: ['bob@example.com', 'carol@example.com'],
  entitlement: { projectId: 'prod-app', role: 'roles/storage.admin', resourceCondition: CONDITION },
  justification: 'INC-1',
  start: new Date('2040-01-01T10:00:00Z'),
  end: new Date('2040-01-01T10:30:00Z'),
  windowFromApproval: false,
  requiredApprovals: 1,
  bindingType: 'peer',
  issuedAt: new Date('2040-01-01T10:00:00Z'),
  expiresAt: new Date('2040-01-01T10:30:00Z'),
};

describe('approval request claims (jit-access 1.8.1 layout)', () => {
  test('carry the request, epoch seconds, our account as issuer and audience', () => {
    expect(approvalClaims(request, SA)).toEqual({
      jti: 'mpa-q3Zk2Jb0e1xPq9n+',
      beneficiary: 'alice@example.com',
      reviewers: ['bob@example.com', 'carol@example.com'],
      entitlement: `prod-app:roles/storage.admin:${Buffer.from(CONDITION).toString('base64')}`,
      justification: 'INC-1',
      start: 2209024800,
      end: 2209026600,
      iss: SA,
      aud: SA,
      iat: 2209024800,
      exp: 2209026600,
    });
  });

  test('read back into the same request', () => {
    expect(approvalRequestOf(approvalClaims(request, SA))).toEqual(request);
  });

  test('a request of this service adds the window-from-approval and required-approvals claims, and reads back', () => {
    const ours = { ...request, windowFromApproval: true, requiredApprovals: 2 };
    expect(approvalClaims(ours, SA)).toMatchObject({ windowFromApproval: true, requiredApprovals: 2 });
    expect(approvalRequestOf(approvalClaims(ours, SA))).toEqual(ours);
    // 1.x's layout stays byte for byte for 1.x-style requests.
    expect(Object.keys(approvalClaims(request, SA))).not.toContain('windowFromApproval');
  });

  test('a request for a self-approval binding carries the binding type, and reads back; a peer one leaves the claim out', () => {
    const self = { ...request, windowFromApproval: true, bindingType: 'self' as const };
    expect(approvalClaims(self, SA)).toMatchObject({ bindingType: 'self' });
    expect(approvalRequestOf(approvalClaims(self, SA))).toEqual(self);
    expect(Object.keys(approvalClaims({ ...request, windowFromApproval: true }, SA))).not.toContain('bindingType');
  });

  test('a token without the binding-type claim (jit-access 1.x, or older requests of ours) is for a peer-approval binding', () => {
    // The claims jit-access 1.8.1 signs, and nothing else.
    const claims = { jti: 'mpa-x1', beneficiary: 'alice@example.com', reviewers: ['bob@example.com'], entitlement: 'prod-app:roles/storage.admin', justification: 'INC-1', start: 2209024800, end: 2209026600, iss: SA, aud: SA, iat: 2209024800, exp: 2209026600 };
    expect(approvalRequestOf(claims).bindingType).toBe('peer');
    expect(() => approvalRequestOf({ ...claims, bindingType: 'group' })).toThrow('claim "bindingType"');
  });

  test("the grant window: the token's for 1.x requests, from the approval for ours", () => {
    const approvedAt = new Date('2040-01-01T10:20:00Z');
    expect(grantWindowOf(request, approvedAt)).toEqual({ start: request.start, end: request.end });
    expect(grantWindowOf({ ...request, windowFromApproval: true }, approvedAt)).toEqual({ start: approvedAt, end: new Date('2040-01-01T10:50:00Z') });
  });

  test('lower-case and de-duplicate emails read from a token', () => {
    const claims = { ...approvalClaims(request, SA), beneficiary: 'Alice@Example.com', reviewers: ['Bob@example.com', 'bob@example.com'] };
    expect(approvalRequestOf(claims)).toMatchObject({ beneficiary: 'alice@example.com', reviewers: ['bob@example.com'] });
  });

  test.each([
    ['another kind of token', { jti: 'jit-AAAA' }, 'claim "jti"'],
    ['no reviewers', { reviewers: [] }, 'claim "reviewers" names no reviewer'],
    ['a reviewer that is not an email', { reviewers: ['bob'] }, 'claim "reviewers.0"'],
    ['a fractional start', { start: 1.5 }, 'claim "start"'],
    ['a missing justification', { justification: undefined }, 'claim "justification"'],
    ['a window that ends before it starts', { end: 2209024700 }, 'ends before it starts'],
    ['a malformed entitlement', { entitlement: 'prod-app' }, 'not an entitlement id'],
    ['no approvals required', { requiredApprovals: 0 }, 'claim "requiredApprovals"'],
  ])('refuse %s', (_name, overrides, message) => {
    const claims = { ...approvalClaims(request, SA), ...overrides };
    expect(() => approvalRequestOf(claims)).toThrow(InvalidInputError);
    expect(() => approvalRequestOf(claims)).toThrow(message);
  });
});

describe('requests for a later start', () => {
  const later: ApprovalRequest = { ...request, windowFromApproval: true, startsLater: true };

  test('carry the startsLater claim and read back; other requests leave it out', () => {
    expect(approvalClaims(later, SA)).toMatchObject({ startsLater: true, start: 2209024800, end: 2209026600 });
    expect(approvalRequestOf(approvalClaims(later, SA))).toEqual(later);
    expect(Object.keys(approvalClaims({ ...request, windowFromApproval: true }, SA))).not.toContain('startsLater');
  });

  test('the grant window: the requested one when approved before the start, else from the approval and as long', () => {
    expect(grantWindowOf(later, new Date('2040-01-01T09:00:00Z'))).toEqual({ start: later.start, end: later.end });
    const approvedAt = new Date('2040-01-01T10:20:00Z');
    expect(grantWindowOf(later, approvedAt)).toEqual({ start: approvedAt, end: new Date('2040-01-01T10:50:00Z') });
  });

  test.each([
    ['on a fixed-window (1.x) request', { windowFromApproval: undefined }],
    ['on an extension request', { extendsGrant: { id: 'x', end: 2209024800 } }],
    ['that is not true', { startsLater: false }],
  ])('refuse the claim %s', (_name, overrides) => {
    expect(() => approvalRequestOf({ ...approvalClaims(later, SA), ...overrides })).toThrow(InvalidInputError);
  });
});

describe('extension requests', () => {
  // Alice's grant of the request's entitlement, 09:30–10:00; the request adds 10:00–10:30 after it.
  const grant = { projectId: 'prod-app', role: 'roles/storage.admin', resourceCondition: CONDITION, start: new Date('2040-01-01T09:30:00Z'), end: new Date('2040-01-01T10:00:00Z') };
  const extension: ApprovalRequest = { ...request, extension: { grantId: grantId(grant), start: grant.start, end: grant.end } };

  test('carry the grant id and its end, and read back with the grant window', () => {
    expect(approvalClaims(extension, SA).extendsGrant).toEqual({ id: grantId(grant), end: 2209024800 });
    expect(approvalRequestOf(approvalClaims(extension, SA))).toEqual(extension);
    expect(Object.keys(approvalClaims(request, SA))).not.toContain('extendsGrant');
  });

  test('approved, the grant runs from its start to the end of the time added', () => {
    expect(extendedWindowOf(extension, extension.extension!)).toEqual({ start: grant.start, end: request.end });
  });

  test.each([
    ['a grant of another role', { id: grantId({ ...grant, role: 'roles/storage.objectViewer' }), end: 2209024800 }, {}, 'is of another role'],
    ['an end the grant id does not have', { id: grantId(grant), end: 2209024801 }, {}, 'does not end where the added time starts'],
    ['time added that does not start at the grant end', { id: grantId(grant), end: 2209024800 }, { start: 2209024860 }, 'does not end where the added time starts'],
    ['a window from the approval', { id: grantId(grant), end: 2209024800 }, { windowFromApproval: true }, 'does not end where the added time starts'],
    ['an id that is no grant id', { id: 'not-a-grant', end: 2209024800 }, {}, 'has no valid id'],
  ])('refuse %s', (_name, extendsGrant, overrides, message) => {
    const claims = { ...approvalClaims(extension, SA), extendsGrant, ...overrides };
    expect(() => approvalRequestOf(claims)).toThrow(InvalidInputError);
    expect(() => approvalRequestOf(claims)).toThrow(message);
  });
});

describe('request rules', () => {
  test('a request expires after the timeout, but never after its window ends', () => {
    const start = new Date('2040-01-01T10:00:00Z');
    expect(requestExpiry(start, new Date('2040-01-01T12:00:00Z'), 60)).toEqual(new Date('2040-01-01T11:00:00Z'));
    expect(requestExpiry(start, new Date('2040-01-01T10:10:00Z'), 60)).toEqual(new Date('2040-01-01T10:10:00Z'));
    // A window that starts at the approval has no end to bound it.
    expect(requestExpiry(start, new Date('2040-01-01T10:10:00Z'), 60, true)).toEqual(new Date('2040-01-01T11:00:00Z'));
  });

  test('reviewers: distinct, not the requester, within the limits', () => {
    expect(distinctReviewers(['Bob@example.com', 'bob@example.com', 'carol@example.com'])).toEqual(['bob@example.com', 'carol@example.com']);
    const limits = { min: 1, max: 2 };
    expect(checkReviewers('alice@example.com', ['bob@example.com'], limits)).toBeNull();
    expect(checkReviewers('Alice@example.com', ['alice@example.com'], limits)).toContain('cannot review your own request');
    expect(checkReviewers('alice@example.com', [], limits)).toBe('Select at least 1 reviewer (you selected 0)');
    expect(checkReviewers('alice@example.com', ['a@x.com', 'b@x.com', 'c@x.com'], limits)).toBe('Select at most 2 reviewers (you selected 3)');
  });

  test('only the requester and the reviewers take part', () => {
    expect(isParticipant(request, 'ALICE@example.com')).toBe(true);
    expect(isParticipant(request, 'carol@example.com')).toBe(true);
    expect(isParticipant(request, 'mallory@example.com')).toBe(false);
  });

  test('only a listed reviewer other than the requester may approve', () => {
    expect(checkApprover(request, 'Bob@example.com')).toBeNull();
    expect(checkApprover(request, 'alice@example.com')?.reason).toBe('self-approval');
    expect(checkApprover({ ...request, reviewers: ['alice@example.com'] }, 'alice@example.com')?.reason).toBe('self-approval');
    expect(checkApprover(request, 'mallory@example.com')).toMatchObject({ reason: 'not-a-reviewer', message: expect.stringContaining('mallory@example.com') });
  });

  test('duration in minutes', () => {
    expect(durationMinutesOf(request)).toBe(30);
  });
});

describe('finding a request that was approved already', () => {
  const grantOf = (overrides: Partial<Parameters<typeof activationBindingOf>[0]> = {}) =>
    activationBindingOf({
      user: 'alice@example.com',
      role: 'roles/storage.admin',
      resourceCondition: CONDITION,
      start: request.start,
      end: request.end,
      description: 'Approved by bob@example.com, justification: INC-1',
      ...overrides,
    });
  const policy = (...bindings: ReturnType<typeof grantOf>[]): Policy => ({ version: 3, etag: 'x', bindings: [{ role: 'roles/viewer', members: ['user:alice@example.com'] }, ...bindings] });

  test('finds the binding with the same user, role, condition and window, and its approver', () => {
    expect(findRecordedApproval(policy(grantOf()), request)).toEqual({ approver: 'bob@example.com' });
    expect(findRecordedApproval(policy(grantOf({ description: 'added by hand' })), request)).toEqual({ approver: null });
  });

  test.each([
    ['no activation', policy()],
    ['another window (another request)', policy(grantOf({ end: new Date('2040-01-01T10:31:00Z') }))],
    ['another user', policy(grantOf({ user: 'bob@example.com' }))],
    ['another role', policy(grantOf({ role: 'roles/storage.viewer' }))],
    ['no resource condition', policy(grantOf({ resourceCondition: null }))],
  ])('finds nothing with %s', (_name, p) => {
    expect(findRecordedApproval(p, request)).toBeNull();
  });
});
