// The approver inbox, "my requests", the pending state of the roles list and the second-request refusal, all
// read from the audit log through the shared feed; and requests re-established from the inbox without the email.
import { startStack, type Stack } from '../support/stack';
import { googleClients } from '../support/emulator';
import { tokenFromLink } from '../../server/domain/approval-link';
import type { MailMessage } from '../../emulator/state';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const ROLE = 'prod-app:roles/compute.admin';
const WAREHOUSE = 'data-warehouse:roles/bigquery.admin';
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const DAVE = 'dave@example.com';

function tokenIn(mail: MailMessage): string {
  const m = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mail.text);
  if (!m) throw new Error(`no approval link in: ${mail.text}`);
  return m[1];
}

/** Only Date is faked: servers, sockets and timers keep running in real time. */
function travelTo(instant: number): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'], now: instant });
}

describe('inbox and my requests, from the audit log', () => {
  let stack: Stack;

  beforeAll(async () => {
    // Two of three designated approvers must approve bigquery.admin on data-warehouse (dave is eligible).
    const file = temporaryAccessPolicy(
      `version: 1
rules:
  - name: warehouse-admin
    match: { projects: [data-warehouse], roles: [roles/bigquery.admin] }
    approval: { kind: approvers, principals: [user:admin@example.com, user:carol@example.com, user:erin@example.com], requiredApprovals: 2 }
  # dave and erin hold bigquery.dataViewer through a self-approval binding, here under their peers' approval.
  - name: warehouse-readers
    match: { projects: [data-warehouse], roles: [roles/bigquery.dataViewer] }
    approval: peers
`,
    ).path;
    stack = await startStack({ env: { ACCESS_POLICY: file, AUDIT_POLL_SECONDS: '1' } });
  });
  afterAll(() => stack.close());
  afterEach(() => jest.useRealTimers());

  async function request(reviewers = [BOB, CAROL]): Promise<{ id: string; token: string }> {
    const res = await stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-77 disk full', durationMinutes: 30, reviewers });
    expect(res.status).toBe(201);
    return { id: res.body.request.id, token: tokenIn(stack.emulator.state.mail.at(-1)!) };
  }

  const mine = async (email = ALICE) => {
    const res = await stack.as(email).get('/api/v1/me/requests');
    expect(res.status).toBe(200);
    return res.body;
  };
  const inboxOf = async (email: string) => {
    const res = await stack.as(email).get('/api/v1/me/reviews');
    expect(res.status).toBe(200);
    return res.body;
  };
  const ids = (items: any[]) => items.map((i) => i.request.id);
  const roleOf = async (email: string, projectId: string, roleId: string) => (await stack.as(email).get(`/api/v1/projects/${projectId}/roles`)).body.roles.find((r: any) => r.id === roleId);
  const mineOf = async (id: string, email = ALICE) => (await mine(email)).requests.find((r: any) => r.request.id === id);

  test('a new request: pending in my requests and in the inbox of each reviewer, pending in the roles list; a second one is refused', async () => {
    const { id } = await request();
    const body = await mine();
    expect(body.freshness).toContain('Cloud Logging');
    expect(Date.parse(body.readAt)).not.toBeNaN();
    expect(body.requests[0]).toMatchObject({
      request: { id, roleId: ROLE, beneficiary: ALICE, reviewers: [BOB, CAROL], justification: 'INC-77 disk full', durationMinutes: 30, requiredApprovals: 1 },
      status: 'pending',
      approvals: [],
      requiredApprovals: 1,
      deniedBy: null,
      reason: null,
      decidedAt: null,
    });
    for (const reviewer of [BOB, CAROL]) {
      const inbox = await inboxOf(reviewer);
      expect(ids(inbox.waiting)).toContain(id);
      expect(inbox.waiting.find((i: any) => i.request.id === id).myDecision).toBeNull();
      expect(ids(inbox.decided)).not.toContain(id);
    }
    expect(ids((await inboxOf(DAVE)).waiting)).not.toContain(id);
    expect(ids((await mine(BOB)).requests)).not.toContain(id);

    expect(await roleOf(ALICE, 'prod-app', ROLE)).toMatchObject({ status: 'pending', pendingRequest: { id, approvals: [], requiredApprovals: 1 } });
    // Bob is eligible for the same role, and has no request of his own.
    expect(await roleOf(BOB, 'prod-app', ROLE)).toMatchObject({ status: 'eligible', pendingRequest: null });

    const mails = stack.emulator.state.mail.length;
    const second = await stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-78 again', durationMinutes: 30, reviewers: [BOB] });
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'REQUEST_PENDING', pendingRequestId: id, pendingRequestPage: `/requests#${id}` });
    expect(second.body.error.message).toContain(`pending request ${id}`);
    expect(stack.emulator.state.mail).toHaveLength(mails);

    await stack.as(ALICE).post(`/api/v1/approval-requests/${tokenIn(stack.emulator.state.mail.at(-1)!)}/cancel`);
  });

  test('approvals towards N, then approved: counted in my requests, the roles list and each approver\'s inbox', async () => {
    const created = await stack.as(DAVE).post('/api/v1/projects/data-warehouse/approval-requests', { role: WAREHOUSE, justification: 'INC-6 reload', durationMinutes: 30, reviewers: ['admin@example.com', CAROL, 'erin@example.com'] });
    expect(created.status).toBe(201);
    const id = created.body.request.id;
    const token = created.body.token;
    expect(await mineOf(id, DAVE)).toMatchObject({ status: 'pending', requiredApprovals: 2, approvals: [] });

    expect((await stack.as(CAROL).post(`/api/v1/approval-requests/${token}/approve`)).body.status).toBe('pending');
    expect(await mineOf(id, DAVE)).toMatchObject({ status: 'pending', requiredApprovals: 2, approvals: [{ approver: CAROL }] });
    expect(await roleOf(DAVE, 'data-warehouse', WAREHOUSE)).toMatchObject({ status: 'pending', pendingRequest: { id, requiredApprovals: 2, approvals: [{ approver: CAROL }] } });
    const carol = await inboxOf(CAROL);
    expect(ids(carol.waiting)).not.toContain(id);
    expect(carol.decided.find((i: any) => i.request.id === id)).toMatchObject({ status: 'pending', myDecision: { decision: 'approved' } });
    expect(ids((await inboxOf('erin@example.com')).waiting)).toContain(id);

    expect((await stack.as('erin@example.com').post(`/api/v1/approval-requests/${token}/approve`)).body.status).toBe('approved');
    const approved = await mineOf(id, DAVE);
    expect(approved).toMatchObject({ status: 'approved', approvals: [{ approver: CAROL }, { approver: 'erin@example.com' }] });
    expect(approved.decidedAt).not.toBeNull();
    expect(await roleOf(DAVE, 'data-warehouse', WAREHOUSE)).toMatchObject({ status: 'active', pendingRequest: null });
    expect((await inboxOf('erin@example.com')).decided.find((i: any) => i.request.id === id)).toMatchObject({ status: 'approved', myDecision: { decision: 'approved' } });
    // Nobody waits on a decided request any more.
    expect(ids((await inboxOf('admin@example.com')).waiting)).not.toContain(id);
  });

  test('denied: the reason and who denied in my requests; in the denier\'s decided list, gone from the other waiting lists; the role can be requested again', async () => {
    const { id, token } = await request();
    const denied = await stack.as(CAROL).post(`/api/v1/approval-requests/${token}/deny`, { reason: 'not during the freeze' });
    expect(denied.status).toBe(200);
    expect(await mineOf(id)).toMatchObject({ status: 'denied', deniedBy: CAROL, reason: 'not during the freeze' });
    expect((await inboxOf(CAROL)).decided.find((i: any) => i.request.id === id)).toMatchObject({ status: 'denied', myDecision: { decision: 'denied' } });
    expect(ids((await inboxOf(BOB)).waiting)).not.toContain(id);
    expect(ids((await inboxOf(BOB)).decided)).not.toContain(id);
    expect(await roleOf(ALICE, 'prod-app', ROLE)).toMatchObject({ status: 'eligible', pendingRequest: null });
    const again = await request();
    await stack.as(ALICE).post(`/api/v1/approval-requests/${again.token}/cancel`);
  });

  test('cancelled: in my requests as cancelled, out of every inbox', async () => {
    const { id, token } = await request();
    expect((await stack.as(ALICE).post(`/api/v1/approval-requests/${token}/cancel`)).status).toBe(200);
    const cancelled = await mineOf(id);
    expect(cancelled).toMatchObject({ status: 'cancelled', approvals: [] });
    expect(cancelled.decidedAt).not.toBeNull();
    for (const reviewer of [BOB, CAROL]) {
      const inbox = await inboxOf(reviewer);
      expect([...ids(inbox.waiting), ...ids(inbox.decided)]).not.toContain(id);
    }
  });

  describe('re-establishing a request from the inbox', () => {
    test('a reviewer gets the very token the email carried, and decides with it; the requester can cancel with theirs', async () => {
      const { id, token } = await request();
      const reopened = await stack.as(BOB).post('/api/v1/approval-request-tokens', { requestId: id });
      expect(reopened.status).toBe(200);
      expect(reopened.body).toEqual({ requestId: id, token });
      const own = await stack.as(ALICE).post('/api/v1/approval-request-tokens', { requestId: id });
      expect(own.body.token).toBe(token);
      const view = await stack.as(BOB).get(`/api/v1/approval-requests/${reopened.body.token}`);
      expect(view.body).toMatchObject({ status: 'pending', viewer: { isReviewer: true, canApprove: true } });
      const approved = await stack.as(BOB).post(`/api/v1/approval-requests/${reopened.body.token}/approve`);
      expect(approved.body).toMatchObject({ status: 'approved', alreadyApproved: false });
      // Decided: nothing to re-establish any more, for anyone.
      const again = await stack.as(CAROL).post('/api/v1/approval-request-tokens', { requestId: id });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('REQUEST_APPROVED');
      // The token never reaches the audit log, only its digest.
      await stack.service.audit.flush();
      const logged = JSON.stringify(await googleClients(stack.emulator).logging.entries.list({ requestBody: { resourceNames: ['projects/jit-host'] } }).then((r) => r.data.entries));
      expect(logged).not.toContain(token);
      expect(logged).toContain('request.reissued');
      const ended = (await stack.as(ALICE).get('/api/v1/me/grants')).body.grants.find((g: any) => g.role === 'roles/compute.admin');
      await stack.as(ALICE).del(`/api/v1/me/grants/${encodeURIComponent(ended.id)}`, { reason: 'done' });
    });

    test('a request for a self-approval binding is re-established with its binding type: the very token the email carried', async () => {
      const res = await stack.as(DAVE).post('/api/v1/projects/data-warehouse/approval-requests', { role: 'data-warehouse:roles/bigquery.dataViewer', justification: 'INC-78 report', durationMinutes: 30, reviewers: ['erin@example.com'] });
      expect(res.status).toBe(201);
      const token = tokenIn(stack.emulator.state.mail.at(-1)!);
      const claims = JSON.parse(Buffer.from(tokenFromLink(token).split('.')[1], 'base64url').toString());
      expect(claims.bindingType).toBe('self');
      const reopened = await stack.as('erin@example.com').post('/api/v1/approval-request-tokens', { requestId: res.body.request.id });
      expect(reopened.status).toBe(200);
      expect(reopened.body.token).toBe(token);
      expect((await stack.as(DAVE).post(`/api/v1/approval-requests/${token}/cancel`)).status).toBe(200);
    });

    test('someone outside the request, an unknown id and a malformed id are refused', async () => {
      const { id, token } = await request();
      const outsider = await stack.as(DAVE).post('/api/v1/approval-request-tokens', { requestId: id });
      expect(outsider.status).toBe(403);
      expect(outsider.body.error.code).toBe('NOT_A_PARTICIPANT');
      expect(JSON.stringify(outsider.body)).not.toContain(token);
      const unknown = await stack.as(BOB).post('/api/v1/approval-request-tokens', { requestId: 'mpa-doesnotexist' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('REQUEST_NOT_FOUND');
      const malformed = await stack.as(BOB).post('/api/v1/approval-request-tokens', { requestId: '../x' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toContain('requestId');
      await stack.as(ALICE).post(`/api/v1/approval-request-tokens`, { requestId: id });
      await stack.as(ALICE).post(`/api/v1/approval-requests/${token}/cancel`);
    });

    test('an entry written by someone else who may write the log lists, but never yields a token', async () => {
      const { id, token } = await request();
      await stack.service.audit.flush();
      const logging = googleClients(stack.emulator).logging;
      const { data } = await logging.entries.list({ requestBody: { resourceNames: ['projects/jit-host'], filter: 'jsonPayload.event="request.created"' } });
      const original = data.entries!.find((e) => (e.jsonPayload as any).activationId === id)!;
      // A copy naming dave as a reviewer, under another id, with the genuine entry's digest.
      const forged = { ...(original.jsonPayload as any), activationId: 'mpa-forged1', reviewers: [DAVE] };
      await logging.entries.write({ requestBody: { logName: original.logName, resource: { type: 'global' }, entries: [{ severity: 'NOTICE', jsonPayload: forged }] } });
      // The feed reads the log again after AUDIT_POLL_SECONDS.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(ids((await inboxOf(DAVE)).waiting)).toContain('mpa-forged1');
      const refused = await stack.as(DAVE).post('/api/v1/approval-request-tokens', { requestId: 'mpa-forged1' });
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('REQUEST_NOT_REESTABLISHED');
      expect(JSON.stringify(refused.body)).not.toContain(token.slice(-20));
      // The forged entry shows alice's role as pending, but never keeps her from requesting it.
      await stack.as(ALICE).post(`/api/v1/approval-requests/${token}/cancel`);
      expect(await roleOf(ALICE, 'prod-app', ROLE)).toMatchObject({ status: 'pending', pendingRequest: { id: 'mpa-forged1' } });
      const next = await request();
      await stack.as(ALICE).post(`/api/v1/approval-requests/${next.token}/cancel`);
    });
  });

  // Last: the feed's clock jumps forward with Date, so its next poll would wait for the present to catch up.
  test('expired: undecided past its expiry, out of the inbox, and it can no longer be opened from the list', async () => {
    const { id, token } = await request();
    const expiresAt = Date.parse((await mineOf(id)).request.expiresAt);
    travelTo(expiresAt + 1000);
    expect(await mineOf(id)).toMatchObject({ status: 'expired', decidedAt: null });
    expect(ids((await inboxOf(BOB)).waiting)).not.toContain(id);
    expect(await roleOf(ALICE, 'prod-app', ROLE)).toMatchObject({ status: 'eligible', pendingRequest: null });
    const reopened = await stack.as(BOB).post('/api/v1/approval-request-tokens', { requestId: id });
    expect(reopened.status).toBe(410);
    expect(reopened.body.error.code).toBe('REQUEST_EXPIRED');
    // Back in the present, the request is pending again: withdraw it for the tests that follow.
    jest.useRealTimers();
    await stack.as(ALICE).post(`/api/v1/approval-requests/${token}/cancel`);
  });
});

describe('a request escalated by the workflow task, in the inbox', () => {
  const PUBLIC_URL = 'https://jit.example.com';
  const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
  const ESCALATION_APPROVER = 'admin@example.com';
  let stack: Stack;

  beforeAll(async () => {
    const file = temporaryAccessPolicy(`version: 1
rules:
  - name: escalated-peers
    match: { activationType: peer }
    approval:
      kind: peers
      escalation: { after: 30m, approvers: [ "user:${ESCALATION_APPROVER}" ] }
`).path;
    stack = await startStack({ clock: true, env: { PUBLIC_URL, ACCESS_POLICY: file, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER } });
  });
  afterAll(() => stack.close());

  async function escalate(): Promise<string[]> {
    const token = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
      name: `projects/-/serviceAccounts/${SCHEDULER}`,
      requestBody: { audience: `${PUBLIC_URL}/tasks/workflows`, includeEmail: true },
    });
    const res = await fetch(`${stack.url}/tasks/workflows`, { method: 'POST', headers: { authorization: `Bearer ${token.data.token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as any).passes.find((p: any) => p.name === 'escalation').done;
  }
  const waitingOf = async (email: string, id: string) => {
    const res = await stack.as(email).get('/api/v1/me/reviews');
    expect(res.status).toBe(200);
    return res.body.waiting.find((i: any) => i.request.id === id);
  };

  test('its escalation approver past the delay sees it marked escalated to them, since when; its reviewer sees it unmarked', async () => {
    const created = await stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-78 disk full', durationMinutes: 30, reviewers: [BOB] });
    expect(created.status).toBe(201);
    const id = created.body.request.id;
    expect(await waitingOf(BOB, id)).toMatchObject({ escalatedToMe: null });
    expect(await waitingOf(ESCALATION_APPROVER, id)).toBeUndefined();

    await stack.advance(31 * 60);
    expect(await escalate()).toEqual([id]);
    await stack.service.audit.flush();
    const entry = stack.emulator.state.logEntries.find((e: any) => e.jsonPayload?.event === 'request.escalated' && e.jsonPayload.activationId === id)!;
    expect(await waitingOf(ESCALATION_APPROVER, id)).toMatchObject({ escalatedToMe: { at: new Date(entry.timestamp).toISOString() }, status: 'pending' });
    expect(await waitingOf(BOB, id)).toMatchObject({ escalatedToMe: null });
  });
});
