// Escalation (a pass of /tasks/workflows) on the service clock: a request nobody decided within its rule's
// `escalation.after` is offered once to the escalation approvers (email to their inbox, Pub/Sub, chat, audited), who may
// then decide it — not before (403 saying from when). A denied request is never offered, and an escalation
// approver and a reviewer approving at the same moment on two instances grant once.
import { policyOf, startSecondInstance, startStack, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
import { chatEnvironment } from '../../emulator/service-env';
import type { World } from '../../emulator/world';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const ESCALATION_APPROVER = 'admin@example.com';
const POLICY = `
version: 1
rules:
  - name: escalated-peers
    match: { activationType: peer }
    approval:
      kind: peers
      escalation: { after: 30m, approvers: [ "user:${ESCALATION_APPROVER}" ] }
    notify: { chat: [ approvers ] }
`;

const TOPIC = 'projects/jit-host/topics/jit-access-events';
const events = () => stack.emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));

const world: World = { ...demoWorld(), chatWebhooks: [{ platform: 'googleChat', space: 'approvers', key: 'chat-key', token: 'chat-token' }] };
let stack: Stack;
let env: Record<string, string>;

beforeAll(async () => {
  const file = temporaryAccessPolicy(POLICY).path;
  stack = await startStack({
    world,
    clock: true,
    env: (emulator) => (env = { PUBLIC_URL, ACCESS_POLICY: file, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, ...chatEnvironment(emulator, world) }),
  });
});
afterAll(() => stack.close());

async function workflows(dryRun = false): Promise<{ name: string; done: string[]; pending: string[]; failures: unknown[] }> {
  const token = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${SCHEDULER}`,
    requestBody: { audience: `${PUBLIC_URL}/tasks/workflows`, includeEmail: true },
  });
  const res = await fetch(`${stack.url}/tasks/workflows${dryRun ? '?dryRun=true' : ''}`, { method: 'POST', headers: { authorization: `Bearer ${token.data.token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as any).passes.find((p: any) => p.name === 'escalation');
}

async function request(requester: string, projectId: string, role: string, reviewer: string): Promise<{ id: string; token: string; start: string }> {
  const res = await stack.as(requester).post(`/api/v1/projects/${projectId}/approval-requests`, { role: `${projectId}:${role}`, justification: 'INC-31 outage', durationMinutes: 30, reviewers: [reviewer] });
  expect(res.status).toBe(201);
  // A request is issued when its window would start: the delay counts from there.
  return { id: res.body.request.id, token: res.body.token, start: res.body.request.start };
}

const escalatedEntries = async () => {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.jsonPayload?.event === 'request.escalated').map((e: any) => e.jsonPayload);
};

test('offered once to the escalation approvers after the delay, never before and never when denied; they may decide it only then', async () => {
  const pending = await request('alice@example.com', 'prod-app', 'roles/compute.admin', 'bob@example.com');
  const denied = await request('carol@example.com', 'prod-app', 'roles/compute.admin', 'bob@example.com');
  expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${denied.token}/deny`, { reason: 'not now' })).status).toBe(200);
  stack.emulator.state.mail = [];
  stack.emulator.state.chat = [];
  stack.emulator.state.messages = [];

  // Before the delay: nothing is offered, and the escalation approver may neither open nor approve it.
  await stack.advance(29 * 60);
  expect(await workflows()).toMatchObject({ done: [], pending: [], failures: [] });
  const early = await stack.as(ESCALATION_APPROVER).post(`/api/v1/approval-requests/${pending.token}/approve`);
  expect(early.status).toBe(403);
  expect(early.body.error.code).toBe('ESCALATION_NOT_DUE');
  expect(early.body.error.message).toContain(`you can approve it from ${new Date(Date.parse(pending.start) + 30 * 60_000).toISOString()} (30 minutes after it was made)`);
  expect((await stack.as(ESCALATION_APPROVER).get(`/api/v1/approval-requests/${pending.token}`)).body.error.code).toBe('ESCALATION_NOT_DUE');
  expect((await stack.as('mallory@example.com').post(`/api/v1/approval-requests/${pending.token}/approve`)).body.error.code).toBe('NOT_A_REVIEWER');
  expect(stack.emulator.state.mail).toEqual([]);
  expect(events()).toEqual([]);

  // After it: a dry run reports it, then one run offers it, by email to the inbox, Pub/Sub and chat; the denied one never.
  await stack.advance(2 * 60);
  expect(await workflows(true)).toMatchObject({ done: [], pending: [pending.id], failures: [] });
  expect(stack.emulator.state.mail).toEqual([]);
  expect(await workflows()).toMatchObject({ done: [pending.id], pending: [], failures: [] });
  expect(stack.emulator.state.mail.map((m) => [m.to, m.subject])).toEqual([[ESCALATION_APPROVER, 'Escalated: alice@example.com requests access to project prod-app']]);
  expect(stack.emulator.state.mail[0].text).toMatch(/\nYour inbox: https:\/\/jit\.example\.com\/inbox$/);
  const chat = stack.emulator.state.chat.map((p) => JSON.stringify(p.body));
  expect(chat).toHaveLength(1);
  expect(chat[0]).toContain('Request escalated');
  expect(events()).toEqual([
    {
      type: 'RequestEscalated',
      attributes: expect.objectContaining({
        request_id: pending.id,
        beneficiary: 'alice@example.com',
        reviewers: ['bob@example.com'],
        project_id: 'prod-app',
        role: 'roles/compute.admin',
        approvals: '0',
        required_approvals: '1',
        escalated_to: [ESCALATION_APPROVER],
        escalation_after_minutes: '30',
        base_url: `${PUBLIC_URL}/`,
      }),
    },
  ]);
  expect(await escalatedEntries()).toEqual([expect.objectContaining({ activationId: pending.id, escalatedTo: [ESCALATION_APPROVER], escalationAfterMinutes: 30 })]);

  // Once: neither this instance nor, once the log serves the entry back, any other offers it again.
  expect(await workflows()).toMatchObject({ done: [], failures: [] });
  await stack.advance(2);
  const other = await startSecondInstance(stack, world, env);
  try {
    const res = await fetch(`${other.url}/tasks/workflows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({ name: `projects/-/serviceAccounts/${SCHEDULER}`, requestBody: { audience: `${PUBLIC_URL}/tasks/workflows`, includeEmail: true } })).data.token}` },
    });
    expect(((await res.json()) as any).passes.find((p: any) => p.name === 'escalation')).toMatchObject({ done: [], failures: [] });
  } finally {
    await other.close();
  }
  expect(stack.emulator.state.mail).toHaveLength(1);
  expect(events()).toHaveLength(1);

  // The escalation approver's inbox lists it; they open it as a reviewer and approve it.
  const inbox = await stack.as(ESCALATION_APPROVER).get('/api/v1/me/reviews');
  expect(inbox.body.waiting.map((r: any) => r.request.id)).toEqual([pending.id]);
  const view = await stack.as(ESCALATION_APPROVER).get(`/api/v1/approval-requests/${pending.token}`);
  expect(view.body.viewer).toMatchObject({ isReviewer: true, canApprove: true, canDeny: true });
  const approved = await stack.as(ESCALATION_APPROVER).post(`/api/v1/approval-requests/${pending.token}/approve`);
  expect(approved.status).toBe(200);
  expect(approved.body.status).toBe('approved');
  expect(approved.body.grant).not.toBeNull();
});

test('an escalation approver and a reviewer approving at the same moment on two instances grant once', async () => {
  const frank = await request('frank@example.com', 'finance-ledger', 'roles/cloudsql.admin', 'grace@example.com');
  await stack.advance(31 * 60);
  const second = await startSecondInstance(stack, world, env);
  try {
    const [byReviewer, byEscalation] = await Promise.all([
      stack.as('grace@example.com').post(`/api/v1/approval-requests/${frank.token}/approve`),
      second.as(ESCALATION_APPROVER).post(`/api/v1/approval-requests/${frank.token}/approve`),
    ]);
    expect([byReviewer.status, byEscalation.status]).toEqual([200, 200]);
    expect([byReviewer.body.grant, byEscalation.body.grant].filter((g) => g !== null)).toHaveLength(1);
    expect([byReviewer.body.alreadyApproved, byEscalation.body.alreadyApproved].sort()).toEqual([false, true]);
  } finally {
    await second.close();
  }
  const grants = (await policyOf(stack.emulator, 'finance-ledger')).bindings.filter((b: any) => b.condition?.title === 'JIT access activation' && b.members.includes('user:frank@example.com'));
  expect(grants).toHaveLength(1);
});
