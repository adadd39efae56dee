// Break-glass end to end: where the rule allows it, an eligible user activates a role that needs approval at
// once, with a reason and at most the break-glass duration; the grant is marked; the rule's reviewers hear of
// it by email, Pub/Sub and chat; a reviewer acknowledges or flags it once; an overdue review is reminded once.
import { policyOf, startStack, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
import { chatEnvironment } from '../../emulator/service-env';
import type { World } from '../../emulator/world';
import type { RunningEmulator } from '../../emulator/server';
import { isBreakGlassDescription } from '../../server/domain/activation-binding';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const ROLE = 'prod-app:roles/compute.admin'; // peer-approval for group sre (alice, bob, carol)
const SELF_ROLE = 'prod-app:roles/cloudsql.admin'; // self-approval for alice
const STAGING_ROLE = 'staging-app:roles/compute.admin'; // self-approval for sre
const TOPIC = 'projects/jit-host/topics/jit-access-events';
const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const HOSTILE = 'INC-9 db down <!channel> <b>x</b> & <script>y</script>';

const POLICY = `
version: 1
rules:
  - name: prod-compute
    match: { projects: [ prod-app ], roles: [ roles/compute.admin ] }
    approval: peers
    maxDuration: 2h
    breakGlass:
      principals: [ group:oncall@example.com ]
      maxDuration: 30m
      reviewers: [ user:dave@example.com, group:data-eng@example.com ]
      reviewWithin: 4h
    notify: { chat: [ sre ], emails: [ security@example.com ] }
  - name: prod-sql
    match: { projects: [ prod-app ], roles: [ roles/cloudsql.* ] }
    approval: self
  - name: staging
    match: { projects: [ staging-app ] }
    approval: self
    breakGlass: { maxDuration: 30m, reviewers: [ user:dave@example.com ] }
`;

const world: World = {
  ...demoWorld(),
  chatWebhooks: [
    { platform: 'googleChat', space: 'approvers', key: 'chat-key', token: 'chat-token' },
    { platform: 'slack', path: 'T01/B01/slacksecret', channel: '#sre' },
  ],
};

const activations = (bindings: any[], user: string) => bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${user}`));
const events = (emulator: RunningEmulator) => emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The chat channels' URLs name the emulator, so the service starts once the emulator listens (as in chat.test.ts).
let stack: Stack;
beforeAll(async () => {
  const file = temporaryAccessPolicy(POLICY).path;
  stack = await startStack({
    world,
    env: (emulator) => ({ ACCESS_POLICY: file, PUBLIC_URL, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000', ...chatEnvironment(emulator, world), CHAT_DEFAULT_CHANNEL: 'approvers' }),
  });
});
afterAll(() => stack.close());
beforeEach(async () => {
  await stack.service.audit.flush();
  stack.emulator.state.reset();
});

/** Waits until the shared audit feed may read the log again (AUDIT_POLL_SECONDS=1), after the entries are written. */
async function auditWritten(): Promise<void> {
  await stack.service.audit.flush();
  await sleep(1100);
}

async function breakGlass(user: string, body: Record<string, unknown>) {
  return stack.as(user).post(`/api/v1/projects/${String(body.role).split(':')[0]}/break-glass`, body);
}

test('the roles list offers break-glass to on-call only; bob breaks the glass: the grant is written at once, marked, audited', async () => {
  const bobRoles = await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles');
  expect(bobRoles.body.roles.find((r: any) => r.id === ROLE).policy.breakGlass).toEqual({ available: true, maxDurationMinutes: 30, reviewers: ['user:dave@example.com', 'group:data-eng@example.com'] });
  const aliceRoles = await stack.as('alice@example.com').get('/api/v1/projects/prod-app/roles');
  expect(aliceRoles.body.roles.find((r: any) => r.id === ROLE).policy.breakGlass.available).toBe(false);

  stack.emulator.state.calls.clear();
  const res = await breakGlass('bob@example.com', { role: ROLE, reason: 'INC-9 database down', durationMinutes: 20 });
  expect(res.status).toBe(201);
  // Eligibility, the rule's break-glass principals and the break-glass check each need bob's groups read now:
  // the request reads each member's direct groups once (bob, oncall, sre, everyone) and the checks share them.
  expect(stack.emulator.state.calls.get('cloudidentity.groups.memberships.searchDirectGroups')).toBe(4);
  const { activation, grant } = res.body;
  expect(activation).toMatchObject({ user: 'bob@example.com', projectId: 'prod-app', role: 'roles/compute.admin', durationMinutes: 20, reason: 'INC-9 database down', rule: 'prod-compute', outsideSchedule: false });
  expect(activation.activationId).toMatch(/^bg-[A-Za-z0-9_-]{16}$/);
  expect(new Date(activation.reviewBy).getTime() - new Date(activation.start).getTime()).toBe(4 * 3_600_000);
  expect(grant.outcome).toBe('granted');
  expect(new Date(grant.end).getTime() - new Date(grant.start).getTime()).toBe(20 * 60_000);

  const [binding] = activations((await policyOf(stack.emulator, 'prod-app')).bindings, 'bob@example.com');
  expect(binding.role).toBe('roles/compute.admin');
  expect(binding.condition.description).toBe('Break-glass, reason: INC-9 database down');
  expect(isBreakGlassDescription(binding.condition.description)).toBe(true);

  const mine = await stack.as('bob@example.com').get('/api/v1/me/grants');
  expect(mine.body.grants.find((g: any) => g.role === 'roles/compute.admin').approval).toEqual({ type: 'break-glass', justification: 'INC-9 database down' });

  await stack.service.audit.flush();
  const entry = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).find((p: any) => p?.event === 'breakglass.activated');
  expect(entry).toMatchObject({
    activationId: activation.activationId,
    project: 'prod-app',
    role: 'roles/compute.admin',
    resourceCondition: null,
    durationMinutes: 20,
    reason: 'INC-9 database down',
    reviewers: ['user:dave@example.com', 'group:data-eng@example.com'],
    reviewBy: activation.reviewBy,
    outsideSchedule: false,
    rule: 'prod-compute',
  });
});

test.each([
  ['a rule without break-glass', 'alice@example.com', { role: SELF_ROLE, reason: 'INC-1', durationMinutes: 10 }, 403, 'BREAK_GLASS_NOT_ALLOWED'],
  ['a user the rule does not list', 'alice@example.com', { role: ROLE, reason: 'INC-1', durationMinutes: 10 }, 403, 'BREAK_GLASS_NOT_ALLOWED'],
  ['longer than the break-glass maximum', 'bob@example.com', { role: ROLE, reason: 'INC-1', durationMinutes: 31 }, 400, 'INVALID_ARGUMENT'],
  ['without a reason', 'bob@example.com', { role: ROLE, reason: '  ', durationMinutes: 10 }, 400, 'INVALID_ARGUMENT'],
  ['a reason of two lines', 'bob@example.com', { role: ROLE, reason: 'INC-1\nrm', durationMinutes: 10 }, 400, 'INVALID_ARGUMENT'],
  ['a role that needs no approval', 'bob@example.com', { role: STAGING_ROLE, reason: 'INC-1', durationMinutes: 10 }, 400, 'BREAK_GLASS_NOT_NEEDED'],
  ['a role the user is not eligible for', 'mallory@example.com', { role: ROLE, reason: 'INC-1', durationMinutes: 10 }, 403, 'NOT_ELIGIBLE'],
])('refused: %s, nothing granted, no notification', async (_what, user, body, status, code) => {
  const res = await breakGlass(user, body);
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  const [projectId, role] = String(body.role).split(':');
  expect(activations((await policyOf(stack.emulator, projectId)).bindings, user).filter((b) => b.role === role)).toEqual([]);
  expect(stack.emulator.state.mail).toEqual([]);
  expect(stack.emulator.state.chat).toEqual([]);
});

test('a rule without break-glass refuses it by name', async () => {
  const res = await breakGlass('alice@example.com', { role: SELF_ROLE, reason: 'INC-1', durationMinutes: 10 });
  expect(res.body.error).toMatchObject({ code: 'BREAK_GLASS_NOT_ALLOWED' });
  expect(res.body.error.message).toContain("Rule 'prod-sql'");
});

test('the reviewers are told at once: email with the review link, Pub/Sub, and chat (escaped) on the rule\'s channel', async () => {
  const res = await breakGlass('carol@example.com', { role: ROLE, reason: HOSTILE, durationMinutes: 15 });
  expect(res.status).toBe(201);
  expect(res.body.notificationFailures).toEqual([]);
  const id = res.body.activation.activationId;

  const mail = stack.emulator.state.mail.find((m) => m.to === 'dave@example.com, data-eng@example.com')!;
  expect(mail).toBeDefined();
  expect(mail.cc).toBe('carol@example.com');
  expect(mail.subject).toBe('Break-glass: carol@example.com activated roles/compute.admin on project prod-app');
  expect(mail.text).toContain(`${PUBLIC_URL}/break-glass/${id}`);
  expect(mail.html).not.toContain('<script>');
  expect(mail.html).toContain('&lt;script&gt;');

  // The rule's extra recipients get a notice, without the review link (they are not reviewers).
  const notice = stack.emulator.state.mail.find((m) => m.to === 'security@example.com')!;
  expect(notice.subject).toBe('Break-glass: carol@example.com activated roles/compute.admin on project prod-app');
  expect(notice.text).not.toContain('/break-glass/');

  const [event] = events(stack.emulator);
  expect(event).toMatchObject({ type: 'BreakGlassActivated', attributes: { activation_id: id, beneficiary: 'carol@example.com', project_id: 'prod-app', role: 'roles/compute.admin', rule: 'prod-compute', review_url: `${PUBLIC_URL}/break-glass/${id}` } });

  const chat = stack.emulator.state.chat;
  const slack = chat.find((p) => p.platform === 'slack')!;
  expect(slack).toBeDefined();
  const text = JSON.stringify(slack.body);
  expect(text).toContain('Break-glass used');
  expect(text).not.toContain('<!channel>');
  expect(text).toContain('&lt;!channel&gt;');
  expect(text).toContain(`${PUBLIC_URL}/break-glass/${id}`);
});

describe('review afterwards', () => {
  async function broken(): Promise<string> {
    const res = await breakGlass('bob@example.com', { role: ROLE, reason: 'INC-10 outage', durationMinutes: 10 });
    expect(res.status).toBe(201);
    await auditWritten();
    return res.body.activation.activationId;
  }

  const inboxOf = async (email: string) => {
    const res = await stack.as(email).get('/api/v1/me/reviews');
    expect(res.status).toBe(200);
    return res.body;
  };
  const breakGlassIn = async (email: string) => (await inboxOf(email)).breakGlass.map((b: any) => b.activation.activationId);

  test('listed in the inbox of its reviewers (directly and through a group), not of others; a reviewer acknowledges it once', async () => {
    const id = await broken();
    const forDave = await inboxOf('dave@example.com');
    const item = forDave.breakGlass.find((b: any) => b.activation.activationId === id);
    expect(item).toEqual({
      activation: expect.objectContaining({ user: 'bob@example.com', projectId: 'prod-app', role: 'roles/compute.admin', reason: 'INC-10 outage', durationMinutes: 10, rule: 'prod-compute', reviewers: ['user:dave@example.com', 'group:data-eng@example.com'] }),
      overdue: false,
    });
    const { start, end, reviewBy } = item.activation;
    expect(Date.parse(end) - Date.parse(start)).toBe(10 * 60_000);
    expect(Date.parse(reviewBy) - Date.parse(start)).toBe(4 * 3_600_000);
    // A review is not a request to decide: the request lists do not hold it.
    expect(forDave.waiting.map((r: any) => r.request.id)).not.toContain(id);
    expect(await breakGlassIn('erin@example.com')).toContain(id);
    expect(await breakGlassIn('alice@example.com')).toEqual([]);

    const view = await stack.as('dave@example.com').get(`/api/v1/break-glass/${id}`);
    expect(view.body).toMatchObject({ review: null, overdue: false, viewer: { isReviewer: true, canReview: true, isActivator: false } });
    expect((await stack.as('alice@example.com').get(`/api/v1/break-glass/${id}`)).status).toBe(403);

    const ack = await stack.as('dave@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'acknowledge', note: 'checked with bob' });
    expect(ack.status).toBe(200);
    expect(ack.body.review).toMatchObject({ outcome: 'acknowledged', note: 'checked with bob', reviewer: 'dave@example.com' });

    // A second review, even by another reviewer before the audit log shows the first, is refused.
    const second = await stack.as('erin@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'flag', note: 'why?' });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('ALREADY_REVIEWED');
    expect(second.body.error.message).toContain('dave@example.com');

    await auditWritten();
    const reviewed = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === 'breakglass.reviewed');
    expect(reviewed).toEqual([expect.objectContaining({ activationId: id, outcome: 'acknowledged', note: 'checked with bob', reviewer: 'dave@example.com' })]);
    expect(await breakGlassIn('erin@example.com')).not.toContain(id);
    expect(await breakGlassIn('dave@example.com')).not.toContain(id);
    expect((await stack.as('erin@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'acknowledge' })).body.error.code).toBe('ALREADY_REVIEWED');
  });

  test('a reviewer flags it with a note; the user and non-reviewers cannot review; a flag needs a note of one line', async () => {
    const id = await broken();
    expect((await stack.as('bob@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'acknowledge' })).body.error.code).toBe('SELF_REVIEW');
    expect((await stack.as('alice@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'acknowledge' })).body.error.code).toBe('NOT_A_REVIEWER');
    expect((await stack.as('dave@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'flag' })).status).toBe(400);
    expect((await stack.as('dave@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'flag', note: 'a\nb' })).status).toBe(400);
    expect((await stack.as('dave@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'flag', note: 'x'.repeat(501) })).status).toBe(400);
    expect((await stack.as('dave@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'approve' })).status).toBe(400);

    const flag = await stack.as('erin@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'flag', note: 'no incident INC-10 exists' });
    expect(flag.status).toBe(200);
    expect(flag.body.review).toMatchObject({ outcome: 'flagged', reviewer: 'erin@example.com' });
    await stack.service.audit.flush();
    const entry = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).find((p: any) => p?.event === 'breakglass.reviewed');
    expect(entry).toMatchObject({ activationId: id, outcome: 'flagged', note: 'no incident INC-10 exists', reviewer: 'erin@example.com' });
  });

  test('an activation entry planted in the log is reviewed by nobody the access policy does not name now: nothing is written', async () => {
    const id = await broken();
    const entry = stack.emulator.state.logEntries.find((e: any) => e.jsonPayload?.event === 'breakglass.activated' && e.jsonPayload.activationId === id)! as any;
    const plant = (activationId: string, payload: Record<string, unknown>) =>
      stack.emulator.state.logEntries.push({ ...structuredClone(entry), insertId: `${entry.insertId}-${activationId}`, jsonPayload: { ...entry.jsonPayload, activationId, ...payload } });
    // Naming a reviewer of its writer's choice; and naming a real reviewer for a role whose rule has no break-glass.
    const mallorys = 'bg-PlantedMallory00';
    const noBreakGlass = 'bg-PlantedNoRule000';
    plant(mallorys, { reviewers: ['user:mallory@example.com'] });
    plant(noBreakGlass, { role: 'roles/cloudsql.admin', roles: [{ role: 'roles/cloudsql.admin', resourceCondition: null }], rule: 'prod-sql' });
    await auditWritten();
    const before = structuredClone(await policyOf(stack.emulator, 'prod-app'));

    const view = await stack.as('mallory@example.com').get(`/api/v1/break-glass/${mallorys}`);
    expect(view.body.viewer).toMatchObject({ isReviewer: true, canReview: false });
    for (const [reviewer, activationId] of [
      ['mallory@example.com', mallorys],
      ['dave@example.com', noBreakGlass],
    ]) {
      const refused = await stack.as(reviewer).post(`/api/v1/break-glass/${activationId}/review`, { decision: 'acknowledge' });
      expect([refused.status, refused.body.error.code]).toEqual([403, 'NOT_A_POLICY_REVIEWER']);
      expect(refused.body.error.message).toContain('not among the break-glass reviewers the access policy names');
    }
    expect(await policyOf(stack.emulator, 'prod-app')).toEqual(before);
    await stack.service.audit.flush();
    const entries = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload);
    expect(entries.filter((p: any) => p?.event === 'breakglass.reviewed')).toEqual([]);
    expect(entries.filter((p: any) => p?.event === 'breakglass.review.failed').map((p: any) => [p.activationId, p.error.code])).toEqual([
      [mallorys, 'NOT_A_POLICY_REVIEWER'],
      [noBreakGlass, 'NOT_A_POLICY_REVIEWER'],
    ]);
    // The genuine activation is still reviewed by a reviewer the policy names.
    expect((await stack.as('dave@example.com').get(`/api/v1/break-glass/${id}`)).body.viewer).toMatchObject({ isReviewer: true, canReview: true });
    expect((await stack.as('dave@example.com').post(`/api/v1/break-glass/${id}/review`, { decision: 'acknowledge' })).status).toBe(200);
  });

  test('an unknown activation id is 404, a malformed one 400', async () => {
    await auditWritten();
    expect((await stack.as('dave@example.com').get('/api/v1/break-glass/bg-AAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await stack.as('dave@example.com').get('/api/v1/break-glass/mpa-x')).status).toBe(400);
  });
});

test('an unreviewed activation past its review deadline is reminded by the sweeper, once', async () => {
  const res = await breakGlass('bob@example.com', { role: ROLE, reason: 'INC-11 outage', durationMinutes: 10 });
  expect(res.status).toBe(201);
  await stack.service.audit.flush();
  // The same activation as its audit entry would read four hours later: its review is due.
  const entry = stack.emulator.state.logEntries.find((e: any) => e.jsonPayload?.event === 'breakglass.activated')! as any;
  const overdueId = 'bg-OverdueOverdue01';
  stack.emulator.state.logEntries.push({ ...structuredClone(entry), insertId: `${entry.insertId}-overdue`, jsonPayload: { ...entry.jsonPayload, activationId: overdueId, reviewBy: new Date(Date.now() - 60_000).toISOString() } });
  // Written by someone else, naming reviewers of their choice: the service must not mail them.
  const forgedId = 'bg-ForgedForged0001';
  stack.emulator.state.logEntries.push({
    ...structuredClone(entry),
    insertId: `${entry.insertId}-forged`,
    jsonPayload: { ...entry.jsonPayload, activationId: forgedId, reviewers: ['user:victim@example.com'], reviewBy: new Date(Date.now() - 60_000).toISOString() },
  });
  await sleep(1100);
  stack.emulator.state.mail = [];
  stack.emulator.state.chat = [];

  const sweep = async () => {
    const r = await fetch(`${stack.url}/tasks/cleanup`, { method: 'POST', headers: { authorization: `Bearer ${await schedulerToken(stack.emulator)}` } });
    expect(r.status).toBe(200);
    return (await r.json()) as any;
  };
  const first = await sweep();
  expect(first.breakGlassReminders).toEqual({
    reminded: [overdueId],
    pending: [],
    failures: [{ activationId: forgedId, message: expect.stringContaining('are not break-glass reviewers the access policy names') }],
  });
  expect(stack.emulator.state.mail.map((m) => m.subject)).toEqual(['Review overdue: Break-glass: bob@example.com activated roles/compute.admin on project prod-app']);
  expect(stack.emulator.state.mail[0].to).toBe('dave@example.com, data-eng@example.com');
  expect(stack.emulator.state.chat.map((p) => JSON.stringify(p.body))).toEqual(expect.arrayContaining([expect.stringContaining('Break-glass review overdue')]));
  expect(events(stack.emulator).map((e) => e.type)).toContain('BreakGlassReviewOverdue');

  // Run again at once (before the audit log shows the reminder) and later: no second reminder.
  const again = await sweep();
  expect(again.breakGlassReminders.reminded).toEqual([]);
  await auditWritten();
  const later = await sweep();
  expect(later.breakGlassReminders.reminded).toEqual([]);
  expect(stack.emulator.state.mail).toHaveLength(1);

  // A reviewed activation is not reminded, and the reminded one is still open to review: first in the inbox, overdue.
  const view = await stack.as('dave@example.com').get(`/api/v1/break-glass/${overdueId}`);
  expect(view.body).toMatchObject({ overdue: true, review: null });
  expect(view.body.remindedAt).not.toBeNull();
  const inbox = (await stack.as('dave@example.com').get('/api/v1/me/reviews')).body;
  expect(inbox.breakGlass[0]).toMatchObject({ activation: { activationId: overdueId }, overdue: true });
  expect(inbox.breakGlass.find((b: any) => b.activation.activationId === res.body.activation.activationId)).toMatchObject({ overdue: false });
});

/** A Google-signed OIDC token of the scheduler's service account, as Cloud Scheduler presents it. */
async function schedulerToken(emulator: RunningEmulator): Promise<string> {
  const res = await googleClients(emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${SCHEDULER}`,
    requestBody: { audience: `${PUBLIC_URL}/tasks/cleanup`, includeEmail: true },
  });
  return res.data.token!;
}
