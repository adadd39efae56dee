// The request lifecycle against the emulator, with two service instances sharing it: decisions recorded as
// bindings that grant nothing, approve/deny/cancel racing across instances, replays, window from approval.
import { policyOf, startSecondInstance, startStack, withdrawPendingRequests, type ApiClient, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
import type { MailMessage } from '../../emulator/state';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const ROLE = 'prod-app:roles/compute.admin';
const TOPIC = 'projects/jit-host/topics/jit-access-events';
const SERVICE_ACCOUNT = 'jitaccess@jit-host.iam.gserviceaccount.com';

function tokenIn(mail: MailMessage): string {
  const m = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mail.text);
  if (!m) throw new Error(`no approval link in: ${mail.text}`);
  return m[1];
}

const activations = (bindings: any[], user = 'alice@example.com') => bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${user}`));
const decisions = (bindings: any[]) => bindings.filter((b) => b.condition?.title === 'JIT access decision');
const eventTypes = (stack: Stack) => stack.emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));

describe('request lifecycle, two service instances on one emulator', () => {
  let stack: Stack;
  let second: Awaited<ReturnType<typeof startSecondInstance>>;
  /** A client of the second instance. */
  const other = (email: string): ApiClient => second.as(email);

  beforeAll(async () => {
    stack = await startStack();
    second = await startSecondInstance(stack, demoWorld());
  });
  afterAll(async () => {
    await second.close();
    await stack.close();
  });
  beforeEach(async () => {
    await stack.service.audit.flush();
    // One pending request per role: what earlier tests left pending is withdrawn (after a first reset, which
    // wipes decisions this instance's log may not show yet), then the world is reset again.
    stack.emulator.state.reset();
    await withdrawPendingRequests(stack.as('alice@example.com'));
    stack.emulator.state.reset();
  });

  async function request(reviewers = ['bob@example.com', 'carol@example.com'], durationMinutes = 30): Promise<string> {
    const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-77 disk full', durationMinutes, reviewers });
    expect(res.status).toBe(201);
    return tokenIn(stack.emulator.state.mail.at(-1)!);
  }

  test('approve and deny at the same moment on two instances: exactly one outcome', async () => {
    const token = await request();
    const [approved, denied] = await Promise.all([
      stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`),
      other('carol@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'not during the freeze' }),
    ]);
    expect([approved.status, denied.status].sort()).toEqual([200, 409]);
    const { bindings } = await policyOf(stack.emulator, 'prod-app');
    const recorded = decisions(bindings).map((b) => b.condition.description.split(' ')[0]);
    if (approved.status === 200) {
      expect(denied.body.error.code).toBe('REQUEST_APPROVED');
      expect(activations(bindings)).toHaveLength(1);
      expect(recorded).toEqual(['granted']);
    } else {
      expect(approved.body.error.code).toBe('REQUEST_DENIED');
      expect(activations(bindings)).toHaveLength(0);
      expect(recorded).toEqual(['denied']);
    }
    // Both instances read the same state.
    const views = await Promise.all([stack.as('alice@example.com').get(`/api/v1/approval-requests/${token}`), other('alice@example.com').get(`/api/v1/approval-requests/${token}`)]);
    expect(views[0].body.status).toBe(approved.status === 200 ? 'approved' : 'denied');
    expect(views[1].body.status).toBe(views[0].body.status);
  });

  test('cancel and approve at the same moment on two instances: exactly one outcome', async () => {
    const token = await request();
    const [cancelled, approved] = await Promise.all([
      stack.as('alice@example.com').post(`/api/v1/approval-requests/${token}/cancel`),
      other('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`),
    ]);
    expect([cancelled.status, approved.status].sort()).toEqual([200, 409]);
    const { bindings } = await policyOf(stack.emulator, 'prod-app');
    expect(activations(bindings)).toHaveLength(approved.status === 200 ? 1 : 0);
    expect(decisions(bindings)).toHaveLength(1);
  });

  test('a decision binding grants nothing: a never-true condition on roles/browser, the decider as member, the request in the description', async () => {
    const token = await request();
    const approved = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(approved.status).toBe(200);
    const [binding] = decisions((await policyOf(stack.emulator, 'prod-app')).bindings);
    expect(binding).toEqual({
      role: 'roles/browser',
      members: ['user:bob@example.com'],
      condition: {
        title: 'JIT access decision',
        expression: 'request.time < timestamp("1970-01-01T00:00:00Z")',
        description: expect.stringMatching(new RegExp(`^granted ${approved.body.request.id.replace(/[+/]/g, '\\$&')} at \\S+Z until \\S+Z$`)),
      },
    });
    // The emulator evaluates the condition as IAM does: bob holds no browser role through it.
    const bob = await stack.as('bob@example.com').get('/api/v1/me/grants');
    expect(bob.body.grants).toEqual([]);
  });

  test('a replay after the grant was ended grants nothing, on either instance', async () => {
    const token = await request();
    expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
    const grants = (await stack.as('alice@example.com').get('/api/v1/me/grants')).body.grants;
    expect(grants).toHaveLength(1);
    const ended = await stack.as('alice@example.com').del(`/api/v1/me/grants/${encodeURIComponent(grants[0].id)}`, { reason: 'done' });
    expect(ended.status).toBe(200);
    expect(activations((await policyOf(stack.emulator, 'prod-app')).bindings)).toEqual([]);
    for (const replay of [stack.as('bob@example.com'), other('carol@example.com')]) {
      const res = await replay.post(`/api/v1/approval-requests/${token}/approve`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'approved', alreadyApproved: true, grant: null, approvedBy: 'bob@example.com' });
    }
    expect(activations((await policyOf(stack.emulator, 'prod-app')).bindings)).toEqual([]);
  });

  test('approving an old, short request never cuts a newer, longer grant short', async () => {
    // A user has one pending request per role as far as the audit log tells, which two instances may not yet
    // share: the short request is one the service signed as well, just not through this instance.
    const now = Math.floor(Date.now() / 1000);
    const claims = { jti: 'mpa-shortrequest1', beneficiary: 'alice@example.com', reviewers: ['bob@example.com'], entitlement: ROLE, justification: 'INC-77 disk full', start: now, end: now + 300, iss: SERVICE_ACCOUNT, aud: SERVICE_ACCOUNT, iat: now, exp: now + 3600, windowFromApproval: true };
    const signed = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.signJwt({ name: `projects/-/serviceAccounts/${SERVICE_ACCOUNT}`, requestBody: { payload: JSON.stringify(claims) } });
    const short = signed.data.signedJwt!.slice(2).replaceAll('.ey', '~~').replaceAll('.', '~');
    const long = await request(['bob@example.com'], 120);
    const first = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${long}/approve`);
    expect(first.body.grant.outcome).toBe('granted');
    const second = await other('bob@example.com').post(`/api/v1/approval-requests/${short}/approve`);
    expect(second.status).toBe(200);
    expect(second.body.grant).toMatchObject({ outcome: 'kept', end: first.body.grant.end });
    const [binding] = activations((await policyOf(stack.emulator, 'prod-app')).bindings);
    expect(binding.condition.expression).toContain(first.body.grant.end.replace('.000Z', 'Z'));
  });

  describe('deny', () => {
    test('ends the request for every reviewer; the requester is told why, by email and Pub/Sub', async () => {
      const token = await request();
      const denied = await other('carol@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'not during the freeze' });
      expect(denied.status).toBe(200);
      expect(denied.body).toMatchObject({ status: 'denied', deniedBy: 'carol@example.com', reason: 'not during the freeze', alreadyDecided: false, notificationFailures: [] });
      const mail = stack.emulator.state.mail.at(-1)!;
      expect(mail.to).toBe('alice@example.com');
      expect(mail.text).toContain('carol@example.com denied the request of alice@example.com');
      expect(mail.text).toContain('Reason: not during the freeze');
      expect(eventTypes(stack).at(-1)).toMatchObject({ type: 'RequestDenied', attributes: { actor: 'carol@example.com', reason: 'not during the freeze', beneficiary: 'alice@example.com' } });

      const approve = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
      expect(approve.status).toBe(409);
      expect(approve.body.error).toMatchObject({ code: 'REQUEST_DENIED' });
      expect(approve.body.error.message).toContain('denied by carol@example.com (not during the freeze)');
      const view = await stack.as('bob@example.com').get(`/api/v1/approval-requests/${token}`);
      expect(view.body).toMatchObject({ status: 'denied', deniedBy: 'carol@example.com', reason: 'not during the freeze', viewer: { canApprove: false, canDeny: false } });
      // Denying again is harmless and tells nobody again.
      const mails = stack.emulator.state.mail.length;
      const again = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'not during the freeze' });
      expect(again.body).toMatchObject({ status: 'denied', alreadyDecided: true });
      expect(stack.emulator.state.mail).toHaveLength(mails);
      expect(activations((await policyOf(stack.emulator, 'prod-app')).bindings)).toEqual([]);
    });

    test.each([
      ['no reason', {}, 'reason'],
      ['a blank reason', { reason: '   ' }, 'must say why'],
      ['a reason over 500 characters', { reason: 'x'.repeat(501) }, 'at most 500'],
      ['a reason on two lines', { reason: 'one\ntwo' }, 'one line'],
    ])('%s is a 400 and changes nothing', async (_name, body, message) => {
      const token = await request();
      const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
      const res = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/deny`, body);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(message);
      expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
    });

    test('the requester cannot deny (they cancel), nor can someone outside the request', async () => {
      const token = await request(['bob@example.com']);
      const own = await stack.as('alice@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'x' });
      expect(own.status).toBe(403);
      expect(own.body.error.message).toContain('cancel it instead');
      const outsider = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'x' });
      expect(outsider.status).toBe(403);
      expect(outsider.body.error.code).toBe('NOT_A_REVIEWER');
    });
  });

  describe('cancel', () => {
    test('the requester withdraws a pending request; the reviewers are told; nobody can approve it', async () => {
      const token = await request();
      const cancelled = await stack.as('alice@example.com').post(`/api/v1/approval-requests/${token}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', alreadyDecided: false });
      const mail = stack.emulator.state.mail.at(-1)!;
      expect(mail.envelope.to.sort()).toEqual(['bob@example.com', 'carol@example.com']);
      expect(mail.text).toContain('alice@example.com cancelled their request');
      expect(eventTypes(stack).at(-1)).toMatchObject({ type: 'RequestCancelled', attributes: { actor: 'alice@example.com' } });
      const approve = await other('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
      expect(approve.status).toBe(409);
      expect(approve.body.error.code).toBe('REQUEST_CANCELLED');
      const view = await stack.as('alice@example.com').get(`/api/v1/approval-requests/${token}`);
      expect(view.body).toMatchObject({ status: 'cancelled', viewer: { canCancel: false } });
    });

    test('only the requester can cancel, and not once the request granted', async () => {
      const token = await request();
      const byReviewer = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/cancel`);
      expect(byReviewer.status).toBe(403);
      expect(byReviewer.body.error.code).toBe('NOT_THE_REQUESTER');
      expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
      const late = await stack.as('alice@example.com').post(`/api/v1/approval-requests/${token}/cancel`);
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('REQUEST_APPROVED');
    });
  });
});

describe('N-of-M and designated approvers (access policy), two instances', () => {
  const WAREHOUSE = 'data-warehouse:roles/bigquery.admin';
  let stack: Stack;
  let second: Awaited<ReturnType<typeof startSecondInstance>>;
  const other = (email: string): ApiClient => second.as(email);

  beforeAll(async () => {
    // admin and carol are not eligible for bigquery.admin themselves; erin is.
    const file = temporaryAccessPolicy(
      `version: 1
rules:
  - name: warehouse-admin
    match: { projects: [data-warehouse], roles: [roles/bigquery.admin] }
    approval: { kind: approvers, principals: [user:admin@example.com, user:carol@example.com, user:erin@example.com], requiredApprovals: 2 }
`,
    ).path;
    stack = await startStack({ env: { ACCESS_POLICY: file } });
    second = await startSecondInstance(stack, demoWorld(), { ACCESS_POLICY: file });
  });
  afterAll(async () => {
    await second.close();
    await stack.close();
  });
  beforeEach(async () => {
    await stack.service.audit.flush();
    // One pending request per role: what earlier tests left pending is withdrawn (after a first reset, which
    // wipes decisions this instance's log may not show yet), then the world is reset again.
    stack.emulator.state.reset();
    await withdrawPendingRequests(stack.as('dave@example.com'));
    stack.emulator.state.reset();
  });

  async function requestByDave(reviewers = ['admin@example.com', 'carol@example.com', 'erin@example.com']) {
    return stack.as('dave@example.com').post('/api/v1/projects/data-warehouse/approval-requests', { role: WAREHOUSE, justification: 'INC-6 reload', durationMinutes: 30, reviewers });
  }

  test('the reviewers offered are the designated approvers, eligible or not', async () => {
    const res = await stack.as('dave@example.com').get(`/api/v1/projects/data-warehouse/reviewers?role=${encodeURIComponent(WAREHOUSE)}`);
    expect(res.body.reviewers.sort()).toEqual(['admin@example.com', 'carol@example.com', 'erin@example.com']);
  });

  test('a request names at least as many reviewers as approvals needed, all designated', async () => {
    const few = await requestByDave(['erin@example.com']);
    expect(few.status).toBe(400);
    expect(few.body.error.message).toContain('needs 2 approvals from different reviewers');
    const outsider = await requestByDave(['erin@example.com', 'mallory@example.com']);
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.message).toContain('mallory@example.com is not among the designated approvers');
  });

  test('three approvers approving together with requiredApprovals 2: one grant, two approvals recorded', async () => {
    const created = await requestByDave();
    expect(created.status).toBe(201);
    expect(created.body.request.requiredApprovals).toBe(2);
    const token = tokenIn(stack.emulator.state.mail.at(-1)!);
    const answers = await Promise.all([
      stack.as('admin@example.com').post(`/api/v1/approval-requests/${token}/approve`),
      other('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`),
      other('erin@example.com').post(`/api/v1/approval-requests/${token}/approve`),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.filter((a) => a.body.grant !== null)).toHaveLength(1);
    const { bindings } = await policyOf(stack.emulator, 'data-warehouse');
    expect(activations(bindings, 'dave@example.com')).toHaveLength(1);
    expect(decisions(bindings).map((b) => b.condition.description.split(' ')[0]).sort()).toEqual(['approved', 'granted']);
    const view = await stack.as('dave@example.com').get(`/api/v1/approval-requests/${token}`);
    expect(view.body).toMatchObject({ status: 'approved', requiredApprovals: 2 });
    expect(view.body.approvals).toHaveLength(2);
  });

  test('one approval of two grants nothing yet and says so; the second grants from its own moment', async () => {
    await requestByDave();
    const token = tokenIn(stack.emulator.state.mail.at(-1)!);
    const first = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'pending', grant: null, alreadyApproved: false, approvals: [{ approver: 'carol@example.com' }], requiredApprovals: 2 });
    expect(activations((await policyOf(stack.emulator, 'data-warehouse')).bindings, 'dave@example.com')).toEqual([]);
    expect(stack.emulator.state.mail.at(-1)!.text).toContain('1 of 2 approvals');
    expect(eventTypes(stack).at(-1)).toMatchObject({ type: 'ApprovalRecorded', attributes: { actor: 'carol@example.com', approvals: '1', required_approvals: '2' } });
    // Carol again: still one approval.
    const again = await other('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(again.body).toMatchObject({ status: 'pending', alreadyApproved: true, approvals: [{ approver: 'carol@example.com' }] });
    const view = await stack.as('carol@example.com').get(`/api/v1/approval-requests/${token}`);
    expect(view.body.viewer).toMatchObject({ canApprove: false, canDeny: true });
    // The requester never counts, even if named.
    expect((await stack.as('dave@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(403);
    const second = await other('admin@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(second.body).toMatchObject({ status: 'approved', approvedBy: 'admin@example.com' });
    expect(Date.parse(second.body.grant.start)).toBeGreaterThanOrEqual(Date.parse(first.body.approvals[0].at));
    expect(Date.parse(second.body.grant.end) - Date.parse(second.body.grant.start)).toBe(30 * 60_000);
  });
});
