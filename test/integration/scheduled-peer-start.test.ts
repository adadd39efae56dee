// Scheduled start of a peer request: the request asks for a later start within the rule's scheduling.maxDelay
// and carries it in its signed claims; approved before the start, the approval records a scheduled grant in the
// project's policy instead of the grant, and the workflow task grants it at the start only if the requester is
// still eligible then; approved after the start, the grant starts at the approval. The inbox re-establishes
// such a request with the very token its reviewers were sent.
import { policyOf, startStack, type Stack } from '../support/stack';
import { googleClients } from '../support/emulator';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const ROLE = 'prod-app:roles/compute.admin'; // peer approval for alice, bob and carol (group sre)
const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const HOUR = 3600;

// Ticket write-back (the emulator's fake ITSM) hears of the approval when it lands and of the grant at its start.
const policy = (emulatorUrl: string) => `
version: 1
rules:
  - name: prod-peers-later
    match: { projects: [ prod-app ], roles: [ roles/compute.admin ] }
    approval: { kind: peers }
    maxDuration: 2h
    scheduling: { maxDelay: 1d }
    ticket:
      pattern: "CHG-[0-9]+"
      events: { url: "${emulatorUrl}/itsm/events", secret: projects/jit-host/secrets/itsm-signing-key/versions/latest, timeoutSeconds: 2 }
  - name: short-reads-later
    match: { projects: [ data-warehouse ], roles: [ roles/bigquery.dataViewer ] }
    approval: peers
    autoApprove: { maxDuration: 15m, requesters: [ user:dave@example.com ] }
    scheduling: { maxDelay: 1d }
`;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    clock: true,
    env: (emulator) => ({ ACCESS_POLICY: temporaryAccessPolicy(policy(emulator.url)).path, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, PUBLIC_URL: 'https://jit.example.com' }),
  });
});
const itsm = (activationId: string) => stack.emulator.state.itsmEvents.filter((e) => e.status === 200 && (e.event as any).activationId === activationId).map((e) => e.event as any);
afterAll(() => stack.close());

const inHours = (hours: number) => new Date(stack.clock().getTime() + hours * HOUR * 1000);
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const windowOf = (start: Date, minutes: number) => `(request.time >= timestamp("${iso(start)}") && request.time < timestamp("${iso(new Date(start.getTime() + minutes * 60_000))}"))`;
const records = async () => (await policyOf(stack.emulator, 'prod-app')).bindings.filter((b: any) => b.condition?.title === 'JIT access scheduled activation');
const activations = async () =>
  (await policyOf(stack.emulator, 'prod-app')).bindings.filter((b: any) => b.role === 'roles/compute.admin' && b.condition?.title === 'JIT access activation' && b.members.includes(`user:${ALICE}`));
const logged = async (event: string) => {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === event);
};

function request(start: string | undefined, durationMinutes = 30, justification = 'CHG-1234 planned database change') {
  return stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification, durationMinutes, reviewers: [BOB], ...(start ? { start } : {}) });
}

async function runTask() {
  const token = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${SCHEDULER}`,
    requestBody: { audience: 'https://jit.example.com/tasks/workflows', includeEmail: true },
  });
  const res = await fetch(`${stack.url}/tasks/workflows`, { method: 'POST', headers: { authorization: `Bearer ${token.data.token}` } });
  expect(res.status).toBe(200);
}

/** Ends whatever the previous test left: a scheduled grant, or a grant in force. */
async function cleanUp() {
  const { body } = await stack.as(ALICE).get('/api/v1/me/grants');
  for (const s of body.scheduled) await stack.as(ALICE).del(`/api/v1/me/scheduled/${s.scheduledId}`);
  for (const g of body.grants.filter((g: any) => g.role === 'roles/compute.admin')) await stack.as(ALICE).del(`/api/v1/me/grants/${encodeURIComponent(g.id)}`, { reason: 'test done' });
}
afterEach(cleanUp);

test.each([
  ['a start beyond the rule\'s maxDelay', () => inHours(25).toISOString(), 403, 'SCHEDULING_NOT_ALLOWED', /Rule 'prod-peers-later' of the access policy allows a start at most 1 d ahead/],
  ['a start in the past', () => inHours(-1).toISOString(), 400, 'INVALID_ARGUMENT', /must be in the future/],
])('refuses a request with %s, saying why, and asks nobody', async (_what, start, status, code, message) => {
  const mails = stack.emulator.state.mail.length;
  const res = await request(start());
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.message).toMatch(message);
  expect(stack.emulator.state.mail).toHaveLength(mails);
});

test('approved before its start: the approval schedules the grant (no grant yet); the task grants it at the start with the window asked for', async () => {
  const start = inHours(2);
  const before = stack.clock().getTime();
  const created = await request(start.toISOString(), 45);
  expect(created.status).toBe(201);
  const after = stack.clock().getTime();
  expect(created.body.request).toMatchObject({ startsLater: true, windowFromApproval: true, start: iso(start).replace('Z', '.000Z'), durationMinutes: 45 });
  // Expiry counts from when the request was made, as for any request: it may be decided after its start.
  // (Signed in whole seconds, so up to a second before `before`; however long the request took.)
  const expiresAt = new Date(created.body.request.expiresAt).getTime();
  expect(expiresAt).toBeGreaterThanOrEqual(before - 1000 + 60 * 60_000);
  expect(expiresAt).toBeLessThanOrEqual(after + 60 * 60_000);
  const id = created.body.request.id;

  // The inbox re-establishes it with the very token the reviewer was sent (the claim is in request.created).
  let reopened: any;
  for (let i = 0; i < 10 && reopened?.status !== 200; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    reopened = await stack.as(BOB).post('/api/v1/approval-request-tokens', { requestId: id });
  }
  expect(reopened.status).toBe(200);
  expect(reopened.body).toEqual({ requestId: id, token: created.body.token });
  expect((await logged('request.created')).find((e) => e.activationId === id)).toMatchObject({ startsLater: true, start: created.body.request.start });

  const approved = await stack.as(BOB).post(`/api/v1/approval-requests/${created.body.token}/approve`);
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'approved', approvedBy: BOB, grant: null, scheduled: { start: created.body.request.start, end: created.body.request.end } });
  expect(await activations()).toEqual([]);
  const [record] = await records();
  expect(record.members).toEqual([`user:${ALICE}`]);
  expect(record.condition.description).toBe(`${id} roles/compute.admin - from ${iso(start)} until ${iso(new Date(start.getTime() + 45 * 60_000))}: Approved by ${BOB}, justification: CHG-1234 planned database change`);
  expect((await logged('activation.scheduled')).find((e) => e.activationId === id)).toMatchObject({ project: 'prod-app', start: created.body.request.start, end: created.body.request.end });
  const notice = stack.emulator.state.mail.filter((m) => m.to.includes(ALICE)).at(-1)!;
  expect(notice.text).toMatch(/bob@example.com approved your request to access the Google Cloud project prod-app: it is scheduled from .* until .*, and granted then if you are still eligible\./);
  const mine = (await stack.as(ALICE).get('/api/v1/me/grants')).body;
  expect(mine.scheduled).toEqual([expect.objectContaining({ scheduledId: approved.body.scheduled.scheduledId, activationId: id, type: 'peer', justification: 'CHG-1234 planned database change' })]);
  // A second approval (a retry) changes nothing.
  expect((await stack.as(BOB).post(`/api/v1/approval-requests/${created.body.token}/approve`)).body).toMatchObject({ alreadyApproved: true, grant: null, scheduled: null });
  expect(await records()).toHaveLength(1);

  expect(itsm(id).map((e) => [e.event, e.actor])).toEqual([
    ['requested', ALICE],
    ['approved', BOB],
  ]);
  await runTask();
  expect(await activations()).toEqual([]);
  await stack.advance(2 * HOUR - 60);
  await runTask();
  const [grant] = await activations();
  expect(grant.condition.expression).toBe(windowOf(start, 45));
  expect(grant.condition.description).toBe(`Approved by ${BOB}, justification: CHG-1234 planned database change`);
  expect(await records()).toEqual([]);
  expect((await logged('activation.scheduled.started')).find((e) => e.activationId === id)).toMatchObject({ beneficiary: ALICE, start: created.body.request.start, end: created.body.request.end });
  expect(itsm(id).at(-1)).toMatchObject({ event: 'granted', actor: BOB, ticket: 'CHG-1234', window: { start: created.body.request.start, end: created.body.request.end } });
  await runTask();
  expect(await activations()).toHaveLength(1);
  // Written a minute ahead of its start, the grant is in force from the start on.
  await stack.advance(60);
  expect((await stack.as(ALICE).get('/api/v1/me/grants')).body.grants.some((g: any) => g.role === 'roles/compute.admin' && g.approval.type === 'peer')).toBe(true);
});

test('eligibility removed before the start: nothing is granted at the start, the record is removed and the requester told why', async () => {
  const created = await request(inHours(1).toISOString());
  expect(created.status).toBe(201);
  expect((await stack.as(BOB).post(`/api/v1/approval-requests/${created.body.token}/approve`)).body.scheduled).not.toBeNull();
  const { crm } = googleClients(stack.emulator);
  const resource = 'projects/prod-app';
  const current = (await crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
  const eligible = (b: any) => b.role === 'roles/compute.admin' && b.condition?.expression?.includes('multiPartyApprovalConstraint');
  await crm.projects.setIamPolicy({ resource, requestBody: { policy: { ...current, version: 3, bindings: current.bindings!.filter((b) => !eligible(b)) } } });
  try {
    await stack.advance(HOUR);
    await runTask();
    expect(await activations()).toEqual([]);
    expect(await records()).toEqual([]);
    const refused = (await logged('activation.scheduled.refused')).find((e) => e.activationId === created.body.request.id);
    expect(refused.reason).toMatch(/alice@example.com is no longer eligible for 'roles\/compute.admin' on prod-app/);
    const mail = stack.emulator.state.mail.filter((m) => m.to.includes(ALICE)).find((m: any) => m.subject === 'Your scheduled access to project prod-app was not granted');
    expect(mail!.text).toMatch(/no longer eligible/);
  } finally {
    const now = (await crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
    await crm.projects.setIamPolicy({ resource, requestBody: { policy: { ...now, version: 3, bindings: [...now.bindings!, ...current.bindings!.filter(eligible)] } } });
  }
});

test('approved after its start: the grant starts at the approval and lasts as long; nothing is scheduled', async () => {
  const created = await request(inHours(0.5).toISOString(), 20);
  expect(created.status).toBe(201);
  await stack.advance(HOUR / 2 + 300);
  const approvedAt = stack.clock();
  const approved = await stack.as(BOB).post(`/api/v1/approval-requests/${created.body.token}/approve`);
  expect(approved.status).toBe(200);
  expect(approved.body).toMatchObject({ status: 'approved', scheduled: null, grant: { outcome: 'granted' } });
  expect(Math.abs(new Date(approved.body.grant.start).getTime() - approvedAt.getTime())).toBeLessThan(2000);
  expect(new Date(approved.body.grant.end).getTime() - new Date(approved.body.grant.start).getTime()).toBe(20 * 60_000);
  const [grant] = await activations();
  expect(grant.condition.expression).toBe(windowOf(new Date(approved.body.grant.start), 20));
  expect(await records()).toEqual([]);
});

test('a request without a start is as before: no startsLater claim, the grant starts at the approval', async () => {
  const created = await request(undefined);
  expect(created.body.request.startsLater).toBe(false);
  expect((await logged('request.created')).find((e) => e.activationId === created.body.request.id).startsLater).toBeUndefined();
  const approved = await stack.as(BOB).post(`/api/v1/approval-requests/${created.body.token}/approve`);
  expect(approved.body).toMatchObject({ scheduled: null, grant: { outcome: 'granted' } });
  expect(await records()).toEqual([]);
});

test('the requester cancels a scheduled peer grant before its start: the record goes, and the task grants nothing; the reviewer cannot cancel it', async () => {
  const created = await request(inHours(1).toISOString());
  const { scheduled } = (await stack.as(BOB).post(`/api/v1/approval-requests/${created.body.token}/approve`)).body;
  expect((await stack.as(BOB).del(`/api/v1/me/scheduled/${scheduled.scheduledId}`)).status).toBe(404);
  const cancelled = await stack.as(ALICE).del(`/api/v1/me/scheduled/${scheduled.scheduledId}`);
  expect(cancelled.body).toEqual({ projectId: 'prod-app', activationId: created.body.request.id, roles: ['roles/compute.admin'] });
  expect(await records()).toEqual([]);
  await stack.advance(HOUR);
  await runTask();
  expect(await activations()).toEqual([]);
});

test('a request with a later start that its rule approves itself is scheduled, not granted, and answered so', async () => {
  const start = inHours(3);
  const created = await stack.as('dave@example.com').post('/api/v1/projects/data-warehouse/approval-requests', {
    role: 'data-warehouse:roles/bigquery.dataViewer',
    justification: 'INC-12 read the logs',
    durationMinutes: 15,
    reviewers: ['erin@example.com'],
    start: start.toISOString(),
  });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ status: 'approved', approvedBy: 'rule:short-reads-later', grant: null, scheduled: { start: iso(start).replace('Z', '.000Z') } });
  const { bindings } = await policyOf(stack.emulator, 'data-warehouse');
  const record = bindings.find((b: any) => b.condition?.title === 'JIT access scheduled activation' && b.members.includes('user:dave@example.com'));
  expect(record.condition.description).toContain(`${created.body.request.id} roles/bigquery.dataViewer - from ${iso(start)}`);
  expect(bindings.filter((b: any) => b.condition?.title === 'JIT access activation' && b.members.includes('user:dave@example.com'))).toEqual([]);
  expect((await stack.as('dave@example.com').del(`/api/v1/me/scheduled/${created.body.scheduled.scheduledId}`)).status).toBe(200);
});
