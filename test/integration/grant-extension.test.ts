// Extending a grant that needs approval: the holder asks the role's reviewers, whose approval rewrites the grant's
// one binding to end later (from its start, so it continues the current window) — only while the grant still has
// the window the request names. Against the emulator, through the real client libraries.
import { startStack, policyOf, withdrawPendingRequests, type Stack } from '../support/stack';
import { googleClients } from '../support/emulator';
import type { MailMessage } from '../../emulator/state';

const ROLE = 'prod-app:roles/compute.admin';
const SERVICE_ACCOUNT = 'jitaccess@jit-host.iam.gserviceaccount.com';
const TOPIC = 'projects/jit-host/topics/jit-access-events';
const ALICE = 'alice@example.com';
const MINUTE = 60_000;

function tokenIn(mail: MailMessage): string {
  const m = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mail.text);
  if (!m) throw new Error(`no approval link in: ${mail.text}`);
  return m[1];
}

const activationsOf = (bindings: any[], user = ALICE) => bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${user}`));
const decisionsIn = (bindings: any[]) => bindings.filter((b) => b.condition?.title === 'JIT access decision');
const seconds = (iso: string) => iso.replace('.000Z', 'Z');
const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * MINUTE).toISOString();

describe('extending a grant that needs approval', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(async () => {
    await stack.service.audit.flush();
    stack.emulator.state.reset();
    await withdrawPendingRequests(stack.as(ALICE));
    stack.emulator.state.reset();
  });

  /** Alice's grant of ROLE, approved by bob: the grant as GET /me/grants lists it. */
  async function peerGrant(durationMinutes = 30): Promise<any> {
    const requested = await stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-77 disk full', durationMinutes, reviewers: ['bob@example.com'] });
    expect(requested.status).toBe(201);
    const approved = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${tokenIn(stack.emulator.state.mail.at(-1)!)}/approve`);
    expect(approved.status).toBe(200);
    const { grants } = (await stack.as(ALICE).get('/api/v1/me/grants')).body;
    expect(grants).toHaveLength(1);
    return grants[0];
  }

  async function requestExtension(grantId: string, body: Record<string, unknown> = {}) {
    return stack.as(ALICE).post(`/api/v1/me/grants/${grantId}/extension-requests`, { justification: 'INC-77 still running', durationMinutes: 45, reviewers: ['carol@example.com'], ...body });
  }

  test('approved, the grant continues its current window: same start, ends the requested minutes later, one binding', async () => {
    const grant = await peerGrant();
    const created = await requestExtension(grant.id);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'pending', grant: null });
    expect(created.body.request).toMatchObject({
      beneficiary: ALICE,
      roleId: ROLE,
      reviewers: ['carol@example.com'],
      durationMinutes: 45,
      windowFromApproval: false,
      start: grant.end,
      end: plus(grant.end, 45),
      extendsGrant: { id: grant.id, start: grant.start, end: grant.end },
    });
    // It can be approved only while the grant lasts.
    expect(Date.parse(created.body.request.expiresAt)).toBeLessThanOrEqual(Date.parse(grant.end));

    // The reviewers are told it is an extension, by email and Pub/Sub.
    const mail = stack.emulator.state.mail.at(-1)!;
    expect(mail.envelope.to).toContain('carol@example.com');
    expect(mail.subject).toBe(`${ALICE} requests an extension of their access to project prod-app`);
    expect(mail.text).toMatch(/requests your approval to extend their grant of roles\/compute\.admin on the Google Cloud project prod-app, ending at .+, by 45 minutes\./);
    const published = stack.emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));
    expect(published.at(-1)).toMatchObject({ type: 'RequestActivation', attributes: { extended_grant_start_time: seconds(grant.start), extended_grant_end_time: seconds(grant.end) } });

    // The claims carry the grant and its end.
    const token = tokenIn(mail);
    const jwt = `ey${token.replaceAll('~~', '.ey').replaceAll('~', '.')}`;
    expect(JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8')).extendsGrant).toEqual({ id: grant.id, end: Date.parse(grant.end) / 1000 });

    const approved = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: 'carol@example.com', grant: { outcome: 'extended', start: grant.start, end: plus(grant.end, 45), previousEnd: grant.end } });

    const [binding, ...others] = activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings);
    expect(others).toEqual([]);
    expect(binding.condition.expression).toContain(`request.time >= timestamp("${seconds(grant.start)}")`);
    expect(binding.condition.expression).toContain(`request.time < timestamp("${seconds(plus(grant.end, 45))}")`);
    expect(binding.condition.description).toBe('Approved by carol@example.com, justification: INC-77 still running');
    const after = (await stack.as(ALICE).get('/api/v1/me/grants')).body.grants;
    expect(after).toEqual([expect.objectContaining({ start: grant.start, end: plus(grant.end, 45), approval: { type: 'peer', approver: 'carol@example.com', justification: 'INC-77 still running' } })]);
    expect(stack.emulator.state.mail.at(-1)!.text).toMatch(/carol@example\.com approved your request to extend your grant of roles\/compute\.admin .* by 45 minutes: it now ends at/);
  });

  test('the inbox and My requests list it as an extension, and it can be opened from the list (the same signed claims)', async () => {
    const grant = await peerGrant();
    const created = await requestExtension(grant.id);
    await stack.service.audit.flush();
    const { waiting } = (await stack.as('carol@example.com').get('/api/v1/me/reviews')).body;
    expect(waiting).toEqual([expect.objectContaining({ request: expect.objectContaining({ id: created.body.request.id, extendsGrant: { id: grant.id, start: grant.start, end: grant.end } }) })]);
    const mine = (await stack.as(ALICE).get('/api/v1/me/requests')).body.requests;
    expect(mine.find((r: any) => r.request.id === created.body.request.id)).toMatchObject({ status: 'pending', request: { extendsGrant: { id: grant.id } } });
    const reissued = await stack.as('carol@example.com').post('/api/v1/approval-request-tokens', { requestId: created.body.request.id });
    expect(reissued.status).toBe(200);
    expect(reissued.body.token).toBe(tokenIn(stack.emulator.state.mail.find((m) => m.subject.includes('an extension'))!));
  });

  test('a grant ended before the approval is not extended: 409, nothing granted, no decision recorded', async () => {
    const grant = await peerGrant();
    await requestExtension(grant.id);
    const token = tokenIn(stack.emulator.state.mail.at(-1)!);
    expect((await stack.as(ALICE).del(`/api/v1/me/grants/${grant.id}`, { reason: 'done early' })).status).toBe(200);
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    const approved = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(approved.status).toBe(409);
    expect(approved.body.error.code).toBe('GRANT_ENDED');
    expect(approved.body.error.message).toContain('has ended or was revoked');
    const after = await policyOf(stack.emulator, 'prod-app');
    expect(after).toEqual(before);
    expect(activationsOf(after.bindings)).toEqual([]);
    expect(decisionsIn(after.bindings).filter((b) => b.members.includes('user:carol@example.com'))).toEqual([]);
  });

  test('a second extension of the same end, after the first was applied, is refused: 409, the grant unchanged', async () => {
    const grant = await peerGrant();
    // Two requests that extend the same end: one through the API, one the service signed with the same claims
    // shape (a user has one pending request per role as far as the log tells, which other instances may not share yet).
    await requestExtension(grant.id);
    const first = tokenIn(stack.emulator.state.mail.at(-1)!);
    const now = Math.floor(Date.now() / 1000);
    const end = Date.parse(grant.end) / 1000;
    const claims = {
      jti: 'mpa-secondextension1',
      beneficiary: ALICE,
      reviewers: ['bob@example.com'],
      entitlement: ROLE,
      justification: 'INC-77 still running',
      start: end,
      end: end + 600,
      iss: SERVICE_ACCOUNT,
      aud: SERVICE_ACCOUNT,
      iat: now,
      exp: Math.min(now + 3600, end),
      extendsGrant: { id: grant.id, end },
    };
    const signed = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.signJwt({ name: `projects/-/serviceAccounts/${SERVICE_ACCOUNT}`, requestBody: { payload: JSON.stringify(claims) } });
    const second = signed.data.signedJwt!.slice(2).replaceAll('.ey', '~~').replaceAll('.', '~');

    expect((await stack.as('carol@example.com').post(`/api/v1/approval-requests/${first}/approve`)).status).toBe(200);
    const extended = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    const again = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${second}/approve`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('GRANT_ALREADY_EXTENDED');
    expect(again.body.error.message).toContain('was extended or replaced since');
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(extended);
    const [binding] = activationsOf(extended.bindings);
    expect(binding.condition.expression).toContain(seconds(plus(grant.end, 45)));
  });

  test('the requester cannot approve their own extension', async () => {
    const grant = await peerGrant();
    await requestExtension(grant.id);
    const token = tokenIn(stack.emulator.state.mail.at(-1)!);
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
    const own = await stack.as(ALICE).post(`/api/v1/approval-requests/${token}/approve`);
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('SELF_APPROVAL');
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
    // Nor can they name themselves a reviewer.
    await withdrawPendingRequests(stack.as(ALICE));
    const self = await requestExtension(grant.id, { reviewers: [ALICE] });
    expect(self.status).toBe(400);
    expect(self.body.error.message).toContain('You cannot review your own request');
  });

  test.each([
    ['longer than the maximum duration', { durationMinutes: 121 }, 400, 'no longer than 120 minutes'],
    ['without a justification', { justification: ' ' }, 400, 'justification'],
    ['with a reviewer who cannot approve the role', { reviewers: ['dave@example.com'] }, 403, 'not allowed to approve'],
    ['with an unknown field', { role: ROLE }, 400, 'unknown field "role"'],
  ])('a request %s is refused and sends nothing', async (_name, body, status, message) => {
    const grant = await peerGrant();
    const mails = stack.emulator.state.mail.length;
    const res = await requestExtension(grant.id, body);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(message);
    expect(stack.emulator.state.mail).toHaveLength(mails);
  });

  test('a grant the caller does not hold cannot be extended: 404', async () => {
    const grant = await peerGrant();
    const res = await stack.as('carol@example.com').post(`/api/v1/me/grants/${grant.id}/extension-requests`, { justification: 'INC-1', durationMinutes: 30, reviewers: ['bob@example.com'] });
    expect(res.status).toBe(404);
  });

  test('a self-approved grant without approval still extends directly; it takes no extension request', async () => {
    const activated = await stack.as(ALICE).post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-8', durationMinutes: 10 });
    expect(activated.status).toBe(201);
    const [grant] = (await stack.as(ALICE).get('/api/v1/me/grants')).body.grants;
    const asked = await stack.as(ALICE).post(`/api/v1/me/grants/${grant.id}/extension-requests`, { justification: 'INC-8', durationMinutes: 30, reviewers: ['bob@example.com'] });
    expect(asked.status).toBe(403);
    expect(asked.body.error.code).toBe('NOT_ELIGIBLE');
    expect(asked.body.error.message).toContain('needs no approval. Extend it yourself');
    const extended = await stack.as(ALICE).post(`/api/v1/me/grants/${grant.id}/extend`, { durationMinutes: 60 });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.grant.end)).toBeGreaterThan(Date.parse(grant.end));
  });
});
