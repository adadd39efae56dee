// Peer approval against the emulator, through the real client libraries: reviewers, requests signed with
// IAM Credentials and sent by email, approval, Pub/Sub events, and every refusal (none changes IAM).
import { createSign, generateKeyPairSync } from 'node:crypto';
import { startStack, policyOf, withdrawPendingRequests, type Stack } from '../support/stack';
import { googleClients } from '../support/emulator';
import type { MailMessage } from '../../emulator/state';
import { tokenFromLink } from '../../server/domain/approval-link';

const ROLE = 'prod-app:roles/compute.admin';
const SERVICE_ACCOUNT = 'jitaccess@jit-host.iam.gserviceaccount.com';
const OTHER_SERVICE_ACCOUNT = 'deployer@jit-host.iam.gserviceaccount.com';
const TOPIC = 'projects/jit-host/topics/jit-access-events';

async function auditEntries(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

function activationsOf(bindings: any[], user: string): any[] {
  return bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${user}`));
}

/** Pub/Sub events as subscribers read them: the JSON in each message's data. */
function events(stack: Stack): { type: string; attributes: Record<string, any> }[] {
  return stack.emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));
}

function tokenIn(mail: MailMessage): string {
  const m = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mail.text);
  if (!m) throw new Error(`no approval link in: ${mail.text}`);
  return m[1];
}

/** The JWT behind a link token (reference §2.5), to tamper with it. */
function jwtOf(token: string): string {
  return `ey${token.replaceAll('~~', '.ey').replaceAll('~', '.')}`;
}

function linkTokenOf(jwt: string): string {
  return jwt.slice(2).replaceAll('.ey', '~~').replaceAll('.', '~');
}

function claimsOf(jwt: string): Record<string, any> {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

/** Signs claims through the emulator's IAM Credentials, as any service account of the world. */
async function signAs(stack: Stack, serviceAccount: string, claims: Record<string, unknown>): Promise<string> {
  const { iamcredentials } = googleClients(stack.emulator);
  const res = await iamcredentials.projects.serviceAccounts.signJwt({ name: `projects/-/serviceAccounts/${serviceAccount}`, requestBody: { payload: JSON.stringify(claims) } });
  return res.data.signedJwt!;
}

function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    jti: 'mpa-AAAAAAAAAAAAAAAA',
    beneficiary: 'alice@example.com',
    reviewers: ['bob@example.com'],
    entitlement: ROLE,
    justification: 'INC-9',
    start: now,
    end: now + 600,
    iss: SERVICE_ACCOUNT,
    aud: SERVICE_ACCOUNT,
    iat: now,
    exp: now + 600,
    ...overrides,
  };
}

async function requestAs(stack: Stack, email: string, body: Record<string, unknown>) {
  return stack.as(email).post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-77 disk full', durationMinutes: 30, ...body });
}

/** A request by alice for prod-app compute.admin; returns the link token read from the email. */
async function requestByAlice(stack: Stack, reviewers = ['bob@example.com'], justification = 'INC-77 disk full'): Promise<{ token: string; body: any }> {
  const res = await requestAs(stack, 'alice@example.com', { reviewers, justification });
  expect(res.status).toBe(201);
  return { token: tokenIn(stack.emulator.state.mail.at(-1)!), body: res.body };
}

describe('peer approval (demo world, default settings)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    await stack.service.audit.flush();
    // One pending request per role: what earlier tests left pending is withdrawn (after a first reset, which
    // wipes decisions this instance's log may not show yet), then the world is reset again.
    stack.emulator.state.reset();
    await withdrawPendingRequests(stack.as('alice@example.com'));
    stack.emulator.state.reset();
  });

  describe('reviewers', () => {
    test('lists the other holders of the peer-approval binding, through nested groups, without the caller', async () => {
      const alice = await stack.as('alice@example.com').get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent(ROLE)}`);
      expect(alice.status).toBe(200);
      expect(alice.body).toEqual({ role: ROLE, reviewers: ['bob@example.com', 'carol@example.com'], warnings: [] });
      const bob = await stack.as('bob@example.com').get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent(ROLE)}`);
      expect(bob.body.reviewers).toEqual(['alice@example.com', 'carol@example.com']);
    });

    test('only someone eligible to request the role may list its reviewers', async () => {
      const mallory = await stack.as('mallory@example.com').get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent(ROLE)}`);
      expect(mallory.status).toBe(403);
      expect(mallory.body.error.code).toBe('NOT_ELIGIBLE');
      expect(JSON.stringify(mallory.body)).not.toContain('bob@example.com');
      const selfRole = await stack.as('alice@example.com').get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent('prod-app:roles/cloudsql.admin')}`);
      expect(selfRole.status).toBe(403);
      expect(selfRole.body.error.message).toContain('needs no approval');
      const [entry] = await auditEntries(stack, 'reviewers.list.failed');
      expect(entry.labels.user).toBe('mallory@example.com');
    });

    test('a missing role or a role of another project is a 400', async () => {
      expect((await stack.as('alice@example.com').get('/api/v1/projects/prod-app/reviewers')).body.error.message).toContain('role');
      const foreign = await stack.as('alice@example.com').get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent('staging-app:roles/compute.admin')}`);
      expect(foreign.status).toBe(400);
      expect(foreign.body.error.message).toContain('belongs to project staging-app');
    });
  });

  describe('the whole way: request, email, approval', () => {
    test('alice asks bob, bob approves from the emailed link, alice holds the role', async () => {
      const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
      const created = await requestAs(stack, 'alice@example.com', { reviewers: ['Bob@Example.com'] });
      expect(created.status).toBe(201);
      const { request } = created.body;
      expect(request).toMatchObject({
        projectId: 'prod-app',
        roleId: ROLE,
        role: 'roles/compute.admin',
        resourceCondition: null,
        beneficiary: 'alice@example.com',
        reviewers: ['bob@example.com'],
        justification: 'INC-77 disk full',
        durationMinutes: 30,
      });
      expect(request.id).toMatch(/^mpa-[A-Za-z0-9+/]{16}$/);
      expect(new Date(request.end).getTime() - new Date(request.start).getTime()).toBe(30 * 60_000);
      // The window starts at the approval, so the request stays approvable for ACTIVATION_REQUEST_TIMEOUT (60 min), past its nominal end.
      expect(new Date(request.expiresAt).getTime() - new Date(request.start).getTime()).toBe(60 * 60_000);
      expect(request).toMatchObject({ windowFromApproval: true, requiredApprovals: 1 });
      expect(created.body.notificationFailures).toEqual([]);
      // Nothing is granted by asking.
      expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);

      // The request email: to the reviewer, the requester in copy, a link to the SPA's approval page.
      expect(stack.emulator.state.mail).toHaveLength(1);
      const mail = stack.emulator.state.mail[0];
      expect(mail.envelope.to.sort()).toEqual(['alice@example.com', 'bob@example.com']);
      expect(mail.to).toBe('bob@example.com');
      expect(mail.cc).toBe('alice@example.com');
      expect(mail.from).toBe('"JIT Access" <jit-access@example.com>');
      expect(mail.subject).toBe('alice@example.com requests access to project prod-app');
      expect(mail.headers.precedence).toBe('bulk');
      const token = tokenIn(mail);
      expect(token).toBe(created.body.token);
      // Without PUBLIC_URL, the link points where the request came from (the Host header).
      expect(mail.html).toContain(`href="${stack.url}/approve/${token}"`);
      expect(mail.text).toContain(`${stack.url}/approve/${token}`);
      expect(mail.html).toContain('INC-77 disk full');
      expect(mail.html).toContain('roles/compute.admin');

      // The token is an RS256 JWT of the service account with jit-access 1.8.1's claims.
      const jwt = jwtOf(token);
      expect(JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString())).toMatchObject({ alg: 'RS256' });
      expect(claimsOf(jwt)).toEqual({
        jti: request.id,
        beneficiary: 'alice@example.com',
        reviewers: ['bob@example.com'],
        entitlement: ROLE,
        justification: 'INC-77 disk full',
        start: new Date(request.start).getTime() / 1000,
        end: new Date(request.end).getTime() / 1000,
        iss: SERVICE_ACCOUNT,
        aud: SERVICE_ACCOUNT,
        iat: new Date(request.start).getTime() / 1000,
        exp: new Date(request.expiresAt).getTime() / 1000,
        // The one claim 1.x does not know: the grant starts at the approval.
        windowFromApproval: true,
      });

      // Pub/Sub: the request, in the reference's format.
      expect(events(stack)).toEqual([
        {
          type: 'RequestActivation',
          attributes: {
            beneficiary: 'alice@example.com',
            reviewers: ['bob@example.com'],
            project_id: 'prod-app',
            role: 'roles/compute.admin',
            resource_condition: '',
            start_time: request.start.replace('.000Z', 'Z'),
            end_time: request.end.replace('.000Z', 'Z'),
            justification: 'INC-77 disk full',
            request_expiry_time: request.expiresAt.replace('.000Z', 'Z'),
            base_url: `${stack.url}/`,
            action_url: `${stack.url}/?activation=${token}&projectId=prod-app`,
          },
        },
      ]);

      // Bob opens the link: he sees the request and may approve it.
      const view = await stack.as('bob@example.com').get(`/api/v1/approval-requests/${token}`);
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ status: 'pending', approvedBy: null, viewer: { email: 'bob@example.com', isReviewer: true, isBeneficiary: false, canApprove: true } });
      expect(view.body.request).toEqual(request);

      const approved = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'approved', alreadyApproved: false, approvedBy: 'bob@example.com', notificationFailures: [] });
      // The grant starts at the approval and lasts the requested 30 minutes.
      const { grant } = approved.body;
      expect(grant).toMatchObject({ id: ROLE, role: 'roles/compute.admin', resourceCondition: null, outcome: 'granted', previousEnd: null });
      expect(Date.parse(grant.start)).toBeGreaterThanOrEqual(Date.parse(request.start));
      expect(Date.parse(grant.end) - Date.parse(grant.start)).toBe(30 * 60_000);
      expect(approved.body).toMatchObject({ approvals: [{ approver: 'bob@example.com', at: grant.start }], requiredApprovals: 1, deniedBy: null, reason: null });

      // The binding: jit-access 1.x's format, the approval's window, the approver in the description.
      const added = activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com');
      expect(added).toEqual([
        {
          role: 'roles/compute.admin',
          members: ['user:alice@example.com'],
          condition: {
            title: 'JIT access activation',
            description: 'Approved by bob@example.com, justification: INC-77 disk full',
            expression: `(request.time >= timestamp("${grant.start.replace('.000Z', 'Z')}") && request.time < timestamp("${grant.end.replace('.000Z', 'Z')}"))`,
          },
        },
      ]);
      expect(stack.emulator.state.requestReasons.at(-1)).toEqual({ resource: 'projects/prod-app', reason: 'Approved by bob@example.com, justification: INC-77 disk full' });

      // The approval email: to the requester, the reviewers in copy, in the same thread.
      expect(stack.emulator.state.mail).toHaveLength(2);
      const news = stack.emulator.state.mail[1];
      expect(news.to).toBe('alice@example.com');
      expect(news.cc).toBe('bob@example.com');
      expect(news.subject).toBe('Re: alice@example.com requests access to project prod-app');
      expect(news.html).toContain('bob@example.com approved your request to access the Google Cloud project prod-app.');
      expect(news.text).toContain('bob@example.com approved your request');
      expect(news.headers['in-reply-to']).toBe(mail.headers['message-id']);

      expect(events(stack).map((e) => e.type)).toEqual(['RequestActivation', 'ActivationApproved']);
      expect(events(stack)[1].attributes).toMatchObject({ approver: 'bob@example.com', beneficiary: 'alice@example.com', reviewers: ['bob@example.com'], project_id: 'prod-app', base_url: `${stack.url}/` });

      const [createdEntry] = await auditEntries(stack, 'request.created');
      expect(createdEntry.jsonPayload).toMatchObject({ activationId: request.id, project: 'prod-app', reviewers: ['bob@example.com'], justification: 'INC-77 disk full' });
      const [approvedEntry] = await auditEntries(stack, 'approval.succeeded');
      expect(approvedEntry.labels).toMatchObject({ user: 'bob@example.com', activation_id: request.id });
      expect(approvedEntry.jsonPayload).toMatchObject({ beneficiary: 'alice@example.com', alreadyApproved: false });
      // No token in the audit trail: neither its claims as signed nor its signature (the request record logged
      // with the request shares only its header, which names the signing key).
      const trail = JSON.stringify(stack.emulator.state.logEntries);
      for (const part of tokenFromLink(token).split('.').slice(1)) expect(trail).not.toContain(part);

      // Alice now sees the role as active, and the request as approved.
      const roles = (await stack.as('alice@example.com').get('/api/v1/projects/prod-app/roles')).body.roles;
      expect(roles.find((r: any) => r.id === ROLE)).toMatchObject({ status: 'active', activeUntil: grant.end });
      const after = await stack.as('alice@example.com').get(`/api/v1/approval-requests/${token}`);
      expect(after.body).toMatchObject({ status: 'approved', approvedBy: 'bob@example.com', viewer: { isBeneficiary: true, isReviewer: false, canApprove: false } });
    });

    test('a second approval adds no binding, sends nothing and says it was already approved', async () => {
      const { token } = await requestByAlice(stack, ['bob@example.com', 'carol@example.com']);
      expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
      const afterFirst = structuredClone(await policyOf(stack.emulator, 'prod-app'));
      const mails = stack.emulator.state.mail.length;
      const messages = stack.emulator.state.messages.length;
      stack.emulator.state.calls.clear();

      for (const reviewer of ['carol@example.com', 'bob@example.com']) {
        const again = await stack.as(reviewer).post(`/api/v1/approval-requests/${token}/approve`);
        expect(again.status).toBe(200);
        expect(again.body).toMatchObject({ alreadyApproved: true, approvedBy: 'bob@example.com', notificationFailures: [] });
      }
      expect(await policyOf(stack.emulator, 'prod-app')).toEqual(afterFirst);
      expect(stack.emulator.state.calls.get('cloudresourcemanager.projects.setIamPolicy')).toBeUndefined();
      expect(activationsOf(afterFirst.bindings, 'alice@example.com')).toHaveLength(1);
      expect(stack.emulator.state.mail).toHaveLength(mails);
      expect(stack.emulator.state.messages).toHaveLength(messages);
      const entries = await auditEntries(stack, 'approval.succeeded');
      expect(entries.map((e) => e.jsonPayload.alreadyApproved)).toEqual([false, true, true]);
      // Carol's click came after Bob's approval: the trail must not say she approved anything.
      expect(entries[1].jsonPayload.message).toMatch(/^User carol@example\.com tried to approve .*; it was already granted \(approved by bob@example\.com\), nothing changed$/);
      expect(entries[2].jsonPayload.message).toMatch(/^User bob@example\.com approved .* again; it was already granted/);
    });

    test('two reviewers approving at the same moment add exactly one binding', async () => {
      const { token } = await requestByAlice(stack, ['bob@example.com', 'carol@example.com']);
      const results = await Promise.all(['bob@example.com', 'carol@example.com'].map((r) => stack.as(r).post(`/api/v1/approval-requests/${token}/approve`)));
      expect(results.map((r) => r.status)).toEqual([200, 200]);
      expect(results.map((r) => r.body.alreadyApproved).sort()).toEqual([false, true]);
      expect(activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com')).toHaveLength(1);
    });
  });

  describe('requests that are refused (nothing sent, nothing granted)', () => {
    test.each([
      ['no reviewer', { reviewers: [] }, 400, 'Select at least 1 reviewer'],
      ['too many reviewers', { reviewers: Array.from({ length: 11 }, (_, i) => `user${i}@example.com`) }, 400, 'Select at most 10 reviewers'],
      ['the requester as a reviewer', { reviewers: ['bob@example.com', 'alice@example.com'] }, 400, 'cannot review your own request'],
      ['a reviewer who is not eligible', { reviewers: ['bob@example.com', 'mallory@example.com'] }, 403, 'mallory@example.com is not allowed to approve'],
      ['an unknown reviewer', { reviewers: ['nobody@example.com'] }, 403, 'nobody@example.com is not allowed to approve'],
      ['a reviewer that is not an email', { reviewers: ['bob'] }, 400, 'reviewers.0: must be an email address'],
      ['a self-approval role', { role: 'prod-app:roles/cloudsql.admin', reviewers: ['bob@example.com'] }, 403, 'needs no approval'],
      ['two roles', { roles: [ROLE, 'prod-app:roles/cloudsql.admin'], reviewers: ['bob@example.com'] }, 400, 'unknown field "roles"'],
      ['a duration over the maximum', { durationMinutes: 121, reviewers: ['bob@example.com'] }, 400, 'no longer than 120 minutes'],
      ['a blank justification', { justification: '  ', reviewers: ['bob@example.com'] }, 400, 'Provide a justification'],
      ['a justification with CR/LF (header injection)', { justification: 'INC-1\r\nBcc: mallory@example.com', reviewers: ['bob@example.com'] }, 400, 'single line'],
    ])('%s', async (_name, body, status, message) => {
      const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
      const res = await requestAs(stack, 'alice@example.com', body);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toContain(message);
      expect(stack.emulator.state.mail).toEqual([]);
      expect(stack.emulator.state.messages).toEqual([]);
      expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
      const [entry] = await auditEntries(stack, 'request.failed');
      expect(entry.jsonPayload.outcome).toBe('denied');
      expect(entry.labels.user).toBe('alice@example.com');
    });

    test('a requester who is not eligible for peer approval', async () => {
      const res = await requestAs(stack, 'mallory@example.com', { reviewers: ['bob@example.com'] });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain("You (mallory@example.com) are not allowed to request it with peer approval: 'prod-app:roles/compute.admin' is not eligible");
      expect(stack.emulator.state.mail).toEqual([]);
    });

    test('signJwt denied (403): a clear error naming the permission, nothing sent', async () => {
      stack.emulator.state.faults.errors['iamcredentials.signJwt'] = { rate: 1, status: 403 };
      const res = await requestAs(stack, 'alice@example.com', { reviewers: ['bob@example.com'] });
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('BACKEND_PERMISSION_DENIED');
      expect(res.body.error.message).toContain('iam.serviceAccounts.signJwt');
      expect(res.body.error.message).toContain(`roles/iam.serviceAccountTokenCreator on ${SERVICE_ACCOUNT}`);
      expect(stack.emulator.state.mail).toEqual([]);
      expect(stack.emulator.state.messages).toEqual([]);
      const [entry] = await auditEntries(stack, 'request.failed');
      expect(entry.jsonPayload).toMatchObject({ outcome: 'failure', error: { code: 'BACKEND_PERMISSION_DENIED' } });
    });

    test('SMTP down: the request fails clearly, no event is published, nothing granted', async () => {
      const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));
      stack.emulator.state.faults.smtpRejections = -1;
      const res = await requestAs(stack, 'alice@example.com', { reviewers: ['bob@example.com'] });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('NOTIFICATION_FAILED');
      expect(res.body.error.message).toContain('Your request was not sent, so nobody can approve it');
      expect(res.body.error.message).toContain('The request email to bob@example.com could not be sent');
      expect(stack.emulator.state.messages).toEqual([]);
      expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
      expect((await auditEntries(stack, 'notification.failed'))[0].jsonPayload).toMatchObject({ channel: 'email', notification: 'RequestActivation' });
      expect((await auditEntries(stack, 'request.failed'))[0].jsonPayload).toMatchObject({ outcome: 'failure', error: { code: 'NOTIFICATION_FAILED' } });
      expect(await auditEntries(stack, 'request.created')).toEqual([]);
    });
  });

  describe('markup and header injection through the justification', () => {
    test('HTML in a justification is escaped in the HTML part and never reaches a header', async () => {
      const justification = `<img src=x onerror=alert(1)> "quoted" & 'single'`;
      const { token } = await requestByAlice(stack, ['bob@example.com'], justification);
      const mail = stack.emulator.state.mail[0];
      expect(mail.html).not.toContain('<img src=x');
      expect(mail.html).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot; &amp; &#39;single&#39;');
      expect(mail.text).toContain(`Justification: ${justification}`);
      for (const [name, value] of Object.entries(mail.headers)) {
        expect(`${name}: ${value}`).not.toMatch(/onerror|img src/);
      }
      expect(Object.keys(mail.headers)).not.toContain('bcc');
      expect(mail.envelope.to.sort()).toEqual(['alice@example.com', 'bob@example.com']);

      expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
      const news = stack.emulator.state.mail[1];
      expect(news.html).not.toContain('<img src=x');
      expect(news.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
      // The justification goes into the description verbatim: IAM does not render it.
      const [binding] = activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com');
      expect(binding.condition.description).toBe(`Approved by bob@example.com, justification: ${justification}`);
    });
  });

  describe('approvals that are refused (no IAM change)', () => {
    let before: any;
    async function expectRefusal(email: string, token: string, status: number, code: string, message: string) {
      before ??= structuredClone(await policyOf(stack.emulator, 'prod-app'));
      const mails = stack.emulator.state.mail.length;
      const res = await stack.as(email).post(`/api/v1/approval-requests/${token}/approve`);
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
      expect(res.body.error.message).toContain(message);
      expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
      expect(stack.emulator.state.mail).toHaveLength(mails);
      const entries = await auditEntries(stack, 'approval.failed');
      expect(entries.at(-1).jsonPayload).toMatchObject({ outcome: status >= 500 ? 'failure' : 'denied', step: 'approve', error: { code } });
      expect(entries.at(-1).labels.user).toBe(email);
    }
    beforeEach(() => {
      before = undefined;
    });

    test('a tampered token (longer window)', async () => {
      const { token } = await requestByAlice(stack);
      const [header, payload, signature] = jwtOf(token).split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, end: claims.end + 3600 })).toString('base64url')}.${signature}`;
      await expectRefusal('bob@example.com', linkTokenOf(tampered), 403, 'INVALID_APPROVAL_TOKEN', 'signature does not match');
    });

    test('a token signed by another service account of the same project', async () => {
      const forged = await signAs(stack, OTHER_SERVICE_ACCOUNT, validClaims());
      await expectRefusal('bob@example.com', linkTokenOf(forged), 403, 'INVALID_APPROVAL_TOKEN', `not signed by ${SERVICE_ACCOUNT}`);
    });

    test("a token signed by a local key that claims our key's id", async () => {
      const jwks = (await (await fetch(`${stack.emulator.url}/service_accounts/v1/metadata/jwk/${SERVICE_ACCOUNT}`)).json()) as { keys: { kid: string }[] };
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const input = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: jwks.keys[0].kid, typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(validClaims())).toString('base64url')}`;
      const forged = `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
      await expectRefusal('bob@example.com', linkTokenOf(forged), 403, 'INVALID_APPROVAL_TOKEN', 'signature does not match');
    });

    test('an unsigned token (alg none)', async () => {
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(validClaims())).toString('base64url')}.`;
      await expectRefusal('bob@example.com', linkTokenOf(unsigned), 403, 'INVALID_APPROVAL_TOKEN', 'RS256');
    });

    test.each([
      ['issuer', { iss: OTHER_SERVICE_ACCOUNT }],
      ['audience', { aud: 'https://elsewhere.example.com' }],
    ])('a token of our key with another %s', async (_name, overrides) => {
      const token = await signAs(stack, SERVICE_ACCOUNT, validClaims(overrides));
      await expectRefusal('bob@example.com', linkTokenOf(token), 403, 'INVALID_APPROVAL_TOKEN', 'issued for another service');
    });

    test('an expired request says so', async () => {
      const now = Math.floor(Date.now() / 1000);
      // Signed while the emulator's clock is 10 minutes behind, so it accepts an exp that has passed by now.
      stack.emulator.state.clockOffsetMs = -10 * 60_000;
      const expired = await signAs(stack, SERVICE_ACCOUNT, validClaims({ iat: now - 300, start: now - 300, end: now + 600, exp: now - 60 }));
      stack.emulator.state.clockOffsetMs = 0;
      await expectRefusal('bob@example.com', linkTokenOf(expired), 410, 'REQUEST_EXPIRED', `expired at ${new Date((now - 60) * 1000).toISOString()}`);
      // Its participants can still see what it asked for, marked expired and not approvable.
      const view = await stack.as('bob@example.com').get(`/api/v1/approval-requests/${linkTokenOf(expired)}`);
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({ status: 'expired', viewer: { canApprove: false }, request: { beneficiary: 'alice@example.com', expiresAt: new Date((now - 60) * 1000).toISOString() } });
      const outsider = await stack.as('carol@example.com').get(`/api/v1/approval-requests/${linkTokenOf(expired)}`);
      expect(outsider.status).toBe(403);
      // Expiry does not excuse any other check.
      stack.emulator.state.clockOffsetMs = -10 * 60_000;
      const foreign = await signAs(stack, SERVICE_ACCOUNT, validClaims({ aud: 'https://elsewhere.example.com', iat: now - 300, start: now - 300, end: now + 600, exp: now - 60 }));
      stack.emulator.state.clockOffsetMs = 0;
      const refused = await stack.as('bob@example.com').get(`/api/v1/approval-requests/${linkTokenOf(foreign)}`);
      expect(refused.body.error.code).toBe('INVALID_APPROVAL_TOKEN');
    });

    test('a link cut short', async () => {
      const { token } = await requestByAlice(stack);
      await expectRefusal('bob@example.com', token.slice(0, 30), 400, 'INVALID_ARGUMENT', 'damaged or incomplete');
    });

    test('a reviewer who is not listed in the request', async () => {
      const { token } = await requestByAlice(stack, ['bob@example.com']);
      await expectRefusal('carol@example.com', token, 403, 'NOT_A_REVIEWER', 'You (carol@example.com) are not among the reviewers');
    });

    test('the requester approving their own request', async () => {
      const { token } = await requestByAlice(stack);
      await expectRefusal('alice@example.com', token, 403, 'SELF_APPROVAL', 'cannot approve your own request');
    });

    test('a requester who listed themself in a token still cannot approve it', async () => {
      const token = await signAs(stack, SERVICE_ACCOUNT, validClaims({ reviewers: ['alice@example.com', 'bob@example.com'] }));
      await expectRefusal('alice@example.com', linkTokenOf(token), 403, 'SELF_APPROVAL', 'cannot approve your own request');
    });

    test('a reviewer who lost eligibility since the request', async () => {
      const { token } = await requestByAlice(stack, ['bob@example.com']);
      const oncall = stack.emulator.state.groups.get('oncall@example.com')!;
      oncall.members = oncall.members.filter((m) => m !== 'user:bob@example.com');
      await expectRefusal('bob@example.com', token, 403, 'NOT_ELIGIBLE', 'You (bob@example.com) no longer hold the peer-approval eligible role');
    });

    test('a requester who lost eligibility since the request', async () => {
      const { token } = await requestByAlice(stack, ['bob@example.com']);
      const sre = stack.emulator.state.groups.get('sre@example.com')!;
      sre.members = sre.members.filter((m) => m !== 'user:alice@example.com');
      await expectRefusal('bob@example.com', token, 403, 'NOT_ELIGIBLE', 'The requester alice@example.com is not allowed to request it with peer approval');
    });

    test('a justification that does not meet the rules at approval time', async () => {
      const token = await signAs(stack, SERVICE_ACCOUNT, validClaims({ justification: 'x'.repeat(101) }));
      await expectRefusal('bob@example.com', linkTokenOf(token), 403, 'REQUEST_NO_LONGER_VALID', 'The justification is too long');
    });

    test('someone outside the request may not even open it', async () => {
      const { token } = await requestByAlice(stack, ['bob@example.com']);
      const res = await stack.as('mallory@example.com').get(`/api/v1/approval-requests/${token}`);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('NOT_A_PARTICIPANT');
      expect(res.body.error.message).toContain('neither the requester nor a reviewer');
      const [entry] = await auditEntries(stack, 'approval.failed');
      expect(entry.jsonPayload).toMatchObject({ step: 'view', outcome: 'denied', activationId: claimsOf(jwtOf(token)).jti });
      await expectRefusal('mallory@example.com', token, 403, 'NOT_A_REVIEWER', 'not among the reviewers');
    });
  });

  describe('notifications failing after a grant', () => {
    test('SMTP down during approval: the grant stands, the response and the audit trail say what was not sent', async () => {
      const { token } = await requestByAlice(stack);
      stack.emulator.state.faults.smtpRejections = -1;
      const res = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
      expect(res.status).toBe(200);
      expect(res.body.alreadyApproved).toBe(false);
      expect(res.body.notificationFailures).toHaveLength(1);
      expect(res.body.notificationFailures[0]).toContain('The approval email to alice@example.com could not be sent');
      expect(activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com')).toHaveLength(1);
      expect(stack.emulator.state.mail).toHaveLength(1);
      expect(events(stack).map((e) => e.type)).toEqual(['RequestActivation', 'ActivationApproved']);
      const [failure] = await auditEntries(stack, 'notification.failed');
      expect(failure.jsonPayload).toMatchObject({ channel: 'email', notification: 'ActivationApproved', outcome: 'failure' });
      expect(failure.labels.user).toBe('bob@example.com');
      expect(await auditEntries(stack, 'approval.succeeded')).toHaveLength(1);
    });

    test('Pub/Sub down during self-activation: the activation stands and the failure is reported', async () => {
      stack.emulator.state.faults.errors['pubsub.projects.topics.publish'] = { rate: 1, status: 403 };
      const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: ['prod-app:roles/cloudsql.admin'], justification: 'INC-5', durationMinutes: 5 });
      expect(res.status).toBe(201);
      expect(res.body.notificationFailures).toHaveLength(1);
      expect(res.body.notificationFailures[0]).toContain(`The Pub/Sub message ActivationSelfApproved could not be published to ${TOPIC}`);
      expect(activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'alice@example.com')).toHaveLength(1);
      expect((await auditEntries(stack, 'notification.failed'))[0].jsonPayload).toMatchObject({ channel: 'pubsub', notification: 'ActivationSelfApproved' });
    });

    test('self-activation publishes ActivationSelfApproved and sends no email', async () => {
      const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: ['prod-app:roles/cloudsql.admin'], justification: 'INC-6', durationMinutes: 5 });
      expect(res.status).toBe(201);
      const { start, end } = res.body.grants[0];
      expect(events(stack)).toEqual([
        {
          type: 'ActivationSelfApproved',
          attributes: {
            beneficiary: 'alice@example.com',
            project_id: 'prod-app',
            role: 'roles/cloudsql.admin',
            start_time: start.replace('.000Z', 'Z'),
            end_time: end.replace('.000Z', 'Z'),
            justification: 'INC-6',
          },
        },
      ]);
      expect(stack.emulator.state.mail).toEqual([]);
    });
  });
});

describe('peer approval with PUBLIC_URL, SMTP_SECRET, SMTP_ADDRESS_MAPPING, a time zone and two reviewers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        PUBLIC_URL: 'https://jit.example.com/',
        SMTP_USERNAME: 'jit-mailer',
        SMTP_SECRET: 'projects/jit-host/secrets/smtp-password/versions/latest',
        SMTP_ADDRESS_MAPPING: "user.email.extract('{handle}@example.com') + '@mail.example.com'",
        NOTIFICATION_TIMEZONE: 'Australia/Sydney',
        ACTIVATION_REQUEST_MIN_REVIEWERS: '2',
      },
    });
  });
  afterAll(() => stack.close());

  test('fewer reviewers than ACTIVATION_REQUEST_MIN_REVIEWERS are refused', async () => {
    const res = await requestAs(stack, 'alice@example.com', { reviewers: ['bob@example.com'] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('Select at least 2 reviewers (you selected 1)');
  });

  test('mail goes to mapped addresses, links use PUBLIC_URL, times are local, the secret is read once', async () => {
    stack.emulator.state.calls.clear();
    const { token, body } = await requestByAlice(stack, ['bob@example.com', 'carol@example.com']);
    const mail = stack.emulator.state.mail.at(-1)!;
    expect(mail.envelope.to.sort()).toEqual(['alice@mail.example.com', 'bob@mail.example.com', 'carol@mail.example.com']);
    expect(mail.cc).toBe('alice@mail.example.com');
    expect(mail.text).toContain(`https://jit.example.com/approve/${token}`);
    // Sydney is UTC+10 or +11; the reference's RFC 1123 form.
    expect(mail.text).toContain('Duration: 30 minutes, from the moment the request is approved');
    expect(mail.text).toMatch(/expires on (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+1[01]00/);
    expect((await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
    expect(stack.emulator.state.mail.at(-1)!.envelope.to.sort()).toEqual(['alice@mail.example.com', 'bob@mail.example.com', 'carol@mail.example.com']);
    expect(stack.emulator.state.calls.get('secretmanager.projects.secrets.versions.access')).toBe(1);
    expect(events(stack).at(-1)!.attributes.base_url).toBe('https://jit.example.com/');
    expect(body.request.reviewers).toEqual(['bob@example.com', 'carol@example.com']);
  });
});

describe('peer approval without any notification channel', () => {
  test('is unavailable, and says why', async () => {
    const stack = await startStack({ env: { SMTP_SENDER_ADDRESS: '', NOTIFICATION_TOPIC: '' } });
    try {
      const res = await requestAs(stack, 'alice@example.com', { reviewers: ['bob@example.com'] });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('PEER_APPROVAL_UNAVAILABLE');
      expect(res.body.error.message).toContain('neither email (SMTP_SENDER_ADDRESS) nor Pub/Sub (NOTIFICATION_TOPIC) is configured');
    } finally {
      await stack.close();
    }
  });
});
