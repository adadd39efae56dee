// A self-approval binding that the access policy puts under approval (by peers, by designated approvers, or
// outside a `requireApproval` schedule) is requested, approved and granted like a peer-approval one; the
// peers of a self-approval binding are the other holders of it, never those of a peer-approval binding of
// the same role, and a rule never lets a peer-approval binding be activated without approval.
import { WEEKDAYS } from '../../server/domain/access-policy-schedule';
import { demoWorld } from '../support/emulator';
import { policyOf, startStack, type Stack } from '../support/stack';
import { temporaryAccessPolicy, type TemporaryAccessPolicy } from '../support/access-policy-file';

/** A whole day three days from today (UTC): never the current time while a test runs. */
const OTHER_DAY = `${WEEKDAYS[(((new Date().getUTCDay() + 6) % 7) + 3) % 7]} 00:00-24:00`;

const POLICY = `version: 1
rules:
  # dave and erin hold bigquery.dataViewer through a self-approval binding (data-eng).
  - name: warehouse-readers
    match: { projects: [data-warehouse], roles: [roles/bigquery.dataViewer] }
    approval: peers
  # alice alone holds cloudsql.admin through a self-approval binding; frank and grace are not eligible for it.
  - name: prod-databases
    match: { projects: [prod-app], roles: [roles/cloudsql.admin] }
    approval: { kind: approvers, principals: [user:frank@example.com, user:grace@example.com], requiredApprovals: 2 }
  # compute.admin on prod-app: peer approval for sre, self-approval for dave (added below). The rule says
  # self, which cannot waive the peer-approval binding.
  - name: prod-compute
    match: { projects: [prod-app], roles: [roles/compute.admin] }
    approval: self
  # staging: self-approval for sre, but only with a peer's approval outside the (never current) window.
  - name: staging-hours
    match: { projects: [staging-app], roles: [roles/compute.admin] }
    schedule: { timeZone: UTC, windows: ["${OTHER_DAY}"], outside: requireApproval }
`;

const READER = 'data-warehouse:roles/bigquery.dataViewer';
const DATABASE = 'prod-app:roles/cloudsql.admin';
const COMPUTE = 'prod-app:roles/compute.admin';
const STAGING = 'staging-app:roles/compute.admin';

function tokenOfLastMail(stack: Stack): string {
  const mail = stack.emulator.state.mail.at(-1)!;
  const match = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mail.text);
  if (!match) throw new Error(`no approval link in: ${mail.text}`);
  return match[1];
}

function activationsOf(bindings: any[], role: string, email: string): any[] {
  return bindings.filter((b) => b.role === role && b.condition?.title === 'JIT access activation' && b.members.includes(`user:${email}`));
}

describe('approval of self-approval bindings under the access policy', () => {
  let stack: Stack;
  let policyFile: TemporaryAccessPolicy;

  beforeAll(async () => {
    policyFile = temporaryAccessPolicy(POLICY);
    const world = demoWorld();
    world.iam['projects/prod-app'].push({ role: 'roles/compute.admin', members: ['user:dave@example.com'], condition: { title: 'Eligible for JIT access', expression: 'has({}.jitAccessConstraint)' } });
    stack = await startStack({ world, env: { ACCESS_POLICY: policyFile.path } });
  });
  afterAll(() => stack?.close());
  afterEach(async () => {
    policyFile.write(POLICY);
    await stack.service.accessPolicy!.refresh();
  });

  const reviewersOf = async (email: string, roleId: string) => {
    const res = await stack.as(email).get(`/api/v1/projects/${roleId.split(':')[0]}/reviewers?role=${encodeURIComponent(roleId)}`);
    expect(res.status).toBe(200);
    return res.body.reviewers;
  };
  const request = (email: string, roleId: string, reviewers: string[], justification = 'INC-12 investigate') =>
    stack.as(email).post(`/api/v1/projects/${roleId.split(':')[0]}/approval-requests`, { role: roleId, justification, durationMinutes: 30, reviewers });

  test('approval by peers: the peers are the other holders of the self-approval binding; one approves, the grant is written', async () => {
    const self = await stack.as('dave@example.com').post('/api/v1/projects/data-warehouse/activations', { roles: [READER], justification: 'INC-12', durationMinutes: 30 });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('APPROVAL_REQUIRED');
    expect(await reviewersOf('dave@example.com', READER)).toEqual(['erin@example.com']);

    const created = await request('dave@example.com', READER, ['erin@example.com']);
    expect(created.status).toBe(201);
    expect(created.body.request).toMatchObject({ role: 'roles/bigquery.dataViewer', requiredApprovals: 1, reviewers: ['erin@example.com'] });
    const approved = await stack.as('erin@example.com').post(`/api/v1/approval-requests/${tokenOfLastMail(stack)}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: 'erin@example.com', grant: { role: 'roles/bigquery.dataViewer', outcome: 'granted' } });
    const [grant] = activationsOf((await policyOf(stack.emulator, 'data-warehouse')).bindings, 'roles/bigquery.dataViewer', 'dave@example.com');
    expect(grant.condition.description).toContain('erin@example.com');
    const roles = await stack.as('dave@example.com').get('/api/v1/projects/data-warehouse/roles');
    expect(roles.body.roles.find((r: any) => r.id === READER)).toMatchObject({ activationType: 'self', status: 'active' });
  });

  test('designated approvers: offered and required, two approvals grant, neither approver being eligible', async () => {
    expect(await reviewersOf('alice@example.com', DATABASE)).toEqual(['frank@example.com', 'grace@example.com']);
    const outsider = await request('alice@example.com', DATABASE, ['bob@example.com', 'grace@example.com'], 'CHG-1 migrate');
    expect(outsider.status).toBe(403);
    expect(outsider.body.error.message).toContain('bob@example.com is not among the designated approvers');
    const few = await request('alice@example.com', DATABASE, ['grace@example.com'], 'CHG-1 migrate');
    expect(few.status).toBe(400);
    expect(few.body.error.message).toContain('needs 2 approvals from different reviewers');

    expect((await request('alice@example.com', DATABASE, ['frank@example.com', 'grace@example.com'], 'CHG-1 migrate')).status).toBe(201);
    const token = tokenOfLastMail(stack);
    const first = await stack.as('frank@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(first.body).toMatchObject({ status: 'pending', grant: null, requiredApprovals: 2 });
    expect(activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'roles/cloudsql.admin', 'alice@example.com')).toEqual([]);
    const second = await stack.as('grace@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(second.body).toMatchObject({ status: 'approved', approvedBy: 'grace@example.com', grant: { outcome: 'granted' } });
    expect(activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'roles/cloudsql.admin', 'alice@example.com')).toHaveLength(1);
  });

  test('a peer-approval binding stays peer-approved under a rule saying self; its peers are the peer-approval holders only', async () => {
    const self = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: [COMPUTE], justification: 'INC-13', durationMinutes: 30 });
    expect(self.status).toBe(403);
    // dave holds the same role through a self-approval binding: not a peer of alice's peer-approval binding.
    expect(await reviewersOf('alice@example.com', COMPUTE)).toEqual(['bob@example.com', 'carol@example.com']);
    const refused = await request('alice@example.com', COMPUTE, ['dave@example.com']);
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toContain('a reviewer must hold the same peer-approval eligible role');
  });

  test('a self-approval binding whose rule needs no approval cannot be requested: it is activated', async () => {
    // dave's self-approval binding of compute.admin on prod-app is governed by a rule saying self.
    const res = await request('dave@example.com', COMPUTE, ['alice@example.com']);
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'NOT_ELIGIBLE',
      message: "You (dave@example.com) are not allowed to request it with peer approval: 'prod-app:roles/compute.admin' needs no approval. Activate it yourself.",
    });
    const reviewers = await stack.as('dave@example.com').get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent(COMPUTE)}`);
    expect(reviewers.status).toBe(403);
  });

  test('outside a requireApproval schedule, a self-approval binding is requested from its peers and granted on approval', async () => {
    expect(await reviewersOf('alice@example.com', STAGING)).toEqual(['bob@example.com', 'carol@example.com']);
    expect((await request('alice@example.com', STAGING, ['carol@example.com'])).status).toBe(201);
    const approved = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${tokenOfLastMail(stack)}/approve`);
    expect(approved.body).toMatchObject({ status: 'approved', grant: { role: 'roles/compute.admin', outcome: 'granted' } });
    // Someone not holding the binding cannot approve: dave holds compute.admin on prod-app, not on staging.
    expect((await request('alice@example.com', STAGING, ['dave@example.com'])).status).toBe(403);
  });

  test('a request made outside a requireApproval window is still approved by a peer once the rule needs no approval', async () => {
    expect((await request('alice@example.com', STAGING, ['bob@example.com'])).status).toBe(201);
    const token = tokenOfLastMail(stack);
    // Inside the window now: the rule asks for nothing, and the request keeps its approval by peers.
    policyFile.write(POLICY.replace(`windows: ["${OTHER_DAY}"]`, 'windows: ["Mon-Sun 00:00-24:00"]'));
    await stack.service.accessPolicy!.refresh();
    const approved = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', grant: { role: 'roles/compute.admin' } });
    // And a new request is refused: it is activated now.
    expect((await request('alice@example.com', STAGING, ['bob@example.com'])).body.error.message).toContain('needs no approval. Activate it yourself.');
  });

  test("a request's notices follow the rule of the binding it was made through: rules differing only by activation type", async () => {
    // The peer rule comes first: a request taken for a peer-approval one would follow it.
    const rules = (type: string, watcher: string) =>
      `  - name: readers-${type}\n    match: { projects: [data-warehouse], roles: [roles/bigquery.dataViewer], activationType: ${type} }\n    approval: peers\n    notify: { emails: [${watcher}] }\n`;
    policyFile.write(POLICY.replace('rules:\n', `rules:\n${rules('peer', 'peer-watch@example.com')}${rules('self', 'self-watch@example.com')}`));
    await stack.service.accessPolicy!.refresh();
    const mailTo = (address: string) => stack.emulator.state.mail.filter((m) => m.envelope.to.includes(address));
    const before = stack.emulator.state.mail.length;

    expect((await request('dave@example.com', READER, ['erin@example.com'])).status).toBe(201);
    const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(mailTo('erin@example.com').at(-1)!.text)![1];
    const approved = await stack.as('erin@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(approved.body).toMatchObject({ status: 'approved', approvedBy: 'erin@example.com' });
    const notices = stack.emulator.state.mail.slice(before).filter((m) => m.envelope.to.includes('self-watch@example.com'));
    // The request's notice, then the approval's in the same thread.
    expect(notices.map((m) => m.subject)).toEqual(['dave@example.com requests access to project data-warehouse', 'Re: dave@example.com requests access to project data-warehouse']);
    expect(mailTo('peer-watch@example.com')).toEqual([]);
  });

  test('a request reads the project\'s effective policy once: eligibility and peers share the read', async () => {
    stack.emulator.state.calls.clear();
    expect((await request('dave@example.com', READER, ['erin@example.com'])).status).toBe(201);
    expect(stack.emulator.state.calls.get('cloudasset.effectiveIamPolicies.batchGet')).toBe(1);
  });
});
