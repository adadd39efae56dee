// Scheduled start end to end: a self-activation asked to start later is checked as one at once (and the start
// against the rule's scheduling.maxDelay), recorded in the project's policy as a binding that grants nothing,
// listed in My access and cancellable; the workflow task grants it at its start only if the user is still
// eligible then, tells the user either way, never grants twice, and never grants for an audit entry alone.
import { policyOf, startSecondInstance, startStack, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const SQL = 'prod-app:roles/cloudsql.admin'; // self-approval for alice (a direct binding)
const STAGING = 'staging-app:roles/compute.admin'; // self-approval for the sre group
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const HOUR = 3600;

const POLICY = `
version: 1
rules:
  - name: sql-later
    match: { projects: [ prod-app ], roles: [ roles/cloudsql.* ] }
    approval: self
    maxDuration: 2h
    scheduling: { maxDelay: 7d }
    notify: { emails: [ security@example.com ] }
  - name: staging
    match: { projects: [ staging-app ] }
    approval: self
`;

let stack: Stack;
beforeAll(async () => {
  const file = temporaryAccessPolicy(POLICY).path;
  stack = await startStack({ clock: true, env: { ACCESS_POLICY: file, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, PUBLIC_URL: 'https://jit.example.com' } });
});
afterAll(() => stack.close());

const inHours = (hours: number) => new Date(stack.clock().getTime() + hours * HOUR * 1000);
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const records = async (projectId: string) => (await policyOf(stack.emulator, projectId)).bindings.filter((b: any) => b.condition?.title === 'JIT access scheduled activation');
const activations = async (projectId: string, user: string) =>
  (await policyOf(stack.emulator, projectId)).bindings.filter((b: any) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${user}`));
const logged = async (event: string) => {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === event);
};
const mailsTo = (user: string) => stack.emulator.state.mail.filter((m) => m.to.includes(user));

function schedule(user: string, role: string, start: string, durationMinutes = 60, justification = 'INC-1 planned maintenance') {
  return stack.as(user).post(`/api/v1/projects/${role.split(':')[0]}/activations`, { roles: [role], justification, durationMinutes, start });
}

async function schedulerToken(task = 'workflows'): Promise<string> {
  const res = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${SCHEDULER}`,
    requestBody: { audience: `https://jit.example.com/tasks/${task}`, includeEmail: true },
  });
  return res.data.token!;
}

async function runTask(url = stack.url) {
  return fetch(`${url}/tasks/workflows`, { method: 'POST', headers: { authorization: `Bearer ${await schedulerToken()}` } });
}

async function cancelAll(user: string) {
  const { body } = await stack.as(user).get('/api/v1/me/grants');
  for (const s of body.scheduled) await stack.as(user).del(`/api/v1/me/scheduled/${s.scheduledId}`);
}

describe('scheduling a self-activation', () => {
  afterEach(() => cancelAll('alice@example.com'));

  test('is recorded in the policy as a binding that grants nothing, audited, and listed with its start and end', async () => {
    const start = inHours(2);
    const res = await schedule('alice@example.com', SQL, start.toISOString());
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ projectId: 'prod-app', user: 'alice@example.com', roles: [{ role: 'roles/cloudsql.admin', conditional: false }], start: iso(start).replace('Z', '.000Z') });
    expect(new Date(res.body.end).getTime() - new Date(res.body.start).getTime()).toBe(60 * 60_000);

    const [record] = await records('prod-app');
    expect(record).toEqual({
      role: 'roles/browser',
      members: ['user:alice@example.com'],
      condition: {
        title: 'JIT access scheduled activation',
        expression: 'request.time < timestamp("1970-01-01T00:00:00Z")',
        description: `${res.body.activationId} roles/cloudsql.admin - from ${iso(start)} until ${iso(new Date(start.getTime() + 3_600_000))}: Self-approved, justification: INC-1 planned maintenance`,
      },
    });
    expect(await activations('prod-app', 'alice@example.com')).toEqual([]);

    const [entry] = await logged('activation.scheduled');
    expect(entry).toMatchObject({ activationId: res.body.activationId, project: 'prod-app', start: res.body.start, end: res.body.end, roles: [{ role: 'roles/cloudsql.admin', resourceCondition: null }] });

    const mine = await stack.as('alice@example.com').get('/api/v1/me/grants');
    expect(mine.body.scheduled).toEqual([
      {
        scheduledId: res.body.scheduledId,
        activationId: res.body.activationId,
        projectId: 'prod-app',
        type: 'self',
        justification: 'INC-1 planned maintenance',
        roles: [{ role: 'roles/cloudsql.admin', conditional: false }],
        start: res.body.start,
        end: res.body.end,
      },
    ]);
    expect(mine.body.grants.filter((g: any) => g.projectId === 'prod-app')).toEqual([]);
  });

  test.each([
    ['a start in the past', () => inHours(-1).toISOString(), 400, 'INVALID_ARGUMENT', /must be in the future/],
    ['a start beyond the rule\'s maxDelay', () => inHours(24 * 7 + 1).toISOString(), 403, 'SCHEDULING_NOT_ALLOWED', /Rule 'sql-later' of the access policy allows a start at most 7 d ahead/],
    ['a start without a time zone', () => '2040-01-01T10:00:00', 400, 'INVALID_ARGUMENT', /start: must be an RFC 3339 timestamp with a time zone/],
  ])('refuses %s, saying why, and records nothing', async (_what, start, status, code, message) => {
    const res = await schedule('alice@example.com', SQL, start());
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toMatch(message);
    expect(await records('prod-app')).toEqual([]);
  });

  test('refuses a later start where the rule sets no scheduling', async () => {
    const res = await schedule('alice@example.com', STAGING, inHours(1).toISOString());
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'SCHEDULING_NOT_ALLOWED', message: expect.stringMatching(/Rule 'staging' of the access policy does not allow a later start/) });
    expect(await records('staging-app')).toEqual([]);
  });

  test('refuses a role the user is not eligible for', async () => {
    const res = await schedule('frank@example.com', SQL, inHours(1).toISOString());
    expect(res.status).toBe(403);
    expect(await records('prod-app')).toEqual([]);
  });

  test('the user cancels it: the record is removed and audited; a second cancel, or anyone else\'s, finds nothing', async () => {
    const res = await schedule('alice@example.com', SQL, inHours(3).toISOString());
    expect((await stack.as('bob@example.com').del(`/api/v1/me/scheduled/${res.body.scheduledId}`)).status).toBe(404);
    expect(await records('prod-app')).toHaveLength(1);

    const cancelled = await stack.as('alice@example.com').del(`/api/v1/me/scheduled/${res.body.scheduledId}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ projectId: 'prod-app', activationId: res.body.activationId, roles: ['roles/cloudsql.admin'] });
    expect(await records('prod-app')).toEqual([]);
    expect((await logged('activation.scheduled.cancelled')).some((e) => e.activationId === res.body.activationId)).toBe(true);
    expect((await stack.as('alice@example.com').get('/api/v1/me/grants')).body.scheduled).toEqual([]);

    expect((await stack.as('alice@example.com').del(`/api/v1/me/scheduled/${res.body.scheduledId}`)).status).toBe(404);
    expect((await stack.as('alice@example.com').del('/api/v1/me/scheduled/not-an-id')).status).toBe(400);
  });
});

describe('the workflow task at the start', () => {
  test('grants a scheduled self-activation at its start, not before, with the window asked for; the user is told', async () => {
    const start = inHours(1);
    const res = await schedule('alice@example.com', SQL, start.toISOString(), 30);
    expect(res.status).toBe(202);

    const watched = mailsTo('security@example.com').length;
    expect((await runTask()).status).toBe(200);
    expect(await activations('prod-app', 'alice@example.com')).toEqual([]);
    expect(await records('prod-app')).toHaveLength(1);
    expect(mailsTo('security@example.com')).toHaveLength(watched);

    await stack.advance(HOUR - 60);
    const run = await runTask();
    expect(run.status).toBe(200);
    const [grant] = await activations('prod-app', 'alice@example.com');
    expect(grant.role).toBe('roles/cloudsql.admin');
    expect(grant.condition.expression).toBe(`(request.time >= timestamp("${iso(start)}") && request.time < timestamp("${iso(new Date(start.getTime() + 30 * 60_000))}"))`);
    expect(grant.condition.description).toBe('Self-approved, justification: INC-1 planned maintenance');
    expect(await records('prod-app')).toEqual([]);
    expect((await logged('activation.scheduled.started')).find((e) => e.activationId === res.body.activationId)).toMatchObject({ project: 'prod-app', beneficiary: 'alice@example.com', start: res.body.start, end: res.body.end });
    expect(mailsTo('alice@example.com').some((m: any) => m.subject === 'Your scheduled access to project prod-app started')).toBe(true);
    // The rule's extra recipients hear of it as of any self-activation, when it is granted.
    const notices = mailsTo('security@example.com').slice(watched);
    expect(notices).toHaveLength(1);
    expect(notices[0].text).toContain('INC-1 planned maintenance');
    // Written a minute ahead of its start, the grant is in force from the start on.
    await stack.advance(60);
    expect((await stack.as('alice@example.com').get('/api/v1/me/grants')).body.grants.some((g: any) => g.role === 'roles/cloudsql.admin')).toBe(true);

    // The next run finds nothing left to grant.
    await runTask();
    expect(await activations('prod-app', 'alice@example.com')).toHaveLength(1);
  });

  test('grants nothing when the user lost eligibility before the start: the record is removed, the user told why, audited', async () => {
    const res = await schedule('alice@example.com', SQL, inHours(2).toISOString());
    expect(res.status).toBe(202);
    const { crm } = googleClients(stack.emulator);
    const resource = 'projects/prod-app';
    const current = (await crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
    const eligible = (b: any) => b.role === 'roles/cloudsql.admin' && b.condition?.expression?.includes('jitAccessConstraint') && b.members.includes('user:alice@example.com');
    await crm.projects.setIamPolicy({ resource, requestBody: { policy: { ...current, version: 3, bindings: current.bindings!.filter((b) => !eligible(b)) } } });
    try {
      await stack.advance(2 * HOUR);
      expect((await runTask()).status).toBe(200);
      expect((await activations('prod-app', 'alice@example.com')).filter((b: any) => b.condition.expression.includes(iso(new Date(res.body.start))))).toEqual([]);
      expect(await records('prod-app')).toEqual([]);
      const refused = (await logged('activation.scheduled.refused')).find((e) => e.activationId === res.body.activationId);
      expect(refused.reason).toMatch(/alice@example.com is no longer eligible for 'roles\/cloudsql.admin' on prod-app/);
      const mail = mailsTo('alice@example.com').find((m: any) => m.subject === 'Your scheduled access to project prod-app was not granted');
      expect(mail!.text).toMatch(/no longer eligible/);
    } finally {
      const now = (await crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
      await crm.projects.setIamPolicy({ resource, requestBody: { policy: { ...now, version: 3, bindings: [...now.bindings!, ...current.bindings!.filter(eligible)] } } });
    }
  });

  test('an audit entry planted in the log grants nothing: only the record in the policy does', async () => {
    const [real] = await logged('activation.scheduled');
    const planted: any = structuredClone(stack.emulator.state.logEntries.find((e: any) => e.jsonPayload?.event === 'activation.scheduled'));
    planted.insertId = `${planted.insertId}-planted`;
    planted.timestamp = new Date(stack.clock().getTime() - 60_000).toISOString();
    planted.jsonPayload = { ...real, activationId: 'jit-PlantedPlantedPlanted', project: 'prod-app', start: stack.clock().toISOString(), user: { email: 'carol@example.com' } };
    stack.emulator.state.logEntries.push(planted);
    await new Promise((r) => setTimeout(r, 1100));
    const before = (await policyOf(stack.emulator, 'prod-app')).bindings.length;
    expect((await runTask()).status).toBe(200);
    expect((await policyOf(stack.emulator, 'prod-app')).bindings).toHaveLength(before);
    expect(await activations('prod-app', 'carol@example.com')).toEqual([]);
  });

  test('two instances running the task at once grant one binding', async () => {
    const second = await startSecondInstance(stack, demoWorld(), { ACCESS_POLICY: stack.service.config.accessPolicy!.source, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, PUBLIC_URL: 'https://jit.example.com' });
    try {
      const start = inHours(1);
      const sql = await schedule('alice@example.com', SQL, start.toISOString(), 45, 'INC-2 race');
      expect(sql.status).toBe(202);
      await stack.advance(HOUR);
      await new Promise((r) => setTimeout(r, 1100));
      const [a, b] = await Promise.all([stack.url, second.url].map((url) => runTask(url)));
      expect([a.status, b.status]).toEqual([200, 200]);
      const window = `request.time >= timestamp("${iso(start)}")`;
      expect((await activations('prod-app', 'alice@example.com')).filter((g: any) => g.condition.expression.includes(window))).toHaveLength(1);
      expect((await logged('activation.scheduled.started')).filter((e) => e.activationId === sql.body.activationId)).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

test('the sweeper removes a scheduled grant whose window ended before any task run started it', async () => {
  const res = await schedule('alice@example.com', SQL, inHours(1).toISOString(), 30);
  expect(res.status).toBe(202);
  await stack.advance(2 * HOUR);
  const sweep = await fetch(`${stack.url}/tasks/cleanup`, { method: 'POST', headers: { authorization: `Bearer ${await schedulerToken('cleanup')}` } });
  expect(sweep.status).toBe(200);
  expect(await records('prod-app')).toEqual([]);
  const [entry] = (await logged('cleanup.project')).filter((e) => e.scheduledRemoved?.some((r: any) => r.activationId === res.body.activationId));
  expect(entry.message).toMatch(/1 scheduled grant\(s\) whose window ended before they started/);
});
