// The access policy enforced against the emulator: the roles list carries each role's rule, and
// activation, peer requests, approval and extension refuse what a rule forbids, naming the rule. The
// policy reloads from a file and from Secret Manager; an invalid new version is refused and audited.
import { startStack, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';
import { WEEKDAYS } from '../../server/domain/access-policy-schedule';
import { temporaryAccessPolicy, type TemporaryAccessPolicy } from '../support/access-policy-file';

/** A whole day three days from today (UTC): never the current time while a test runs. */
const OTHER_DAY = `${WEEKDAYS[((new Date().getUTCDay() + 6) % 7 + 3) % 7]} 00:00-24:00`;

const POLICY = `version: 1
defaults:
  maxDuration: 2h
rules:
  - name: prod-databases
    match: { projects: [prod-*], roles: [roles/cloudsql.*] }
    maxDuration: 30m
    defaultDuration: 15m
    ticket: { pattern: "CHG-[0-9]+", hint: a change ticket }
    breakGlass: { principals: [group:oncall@example.com], maxDuration: 10m, reviewers: [user:admin@example.com] }
  - name: log-bucket
    match: { resourceCondition: true }
    schedule: { timeZone: Europe/Berlin, windows: ["${OTHER_DAY}"], outside: deny }
  - name: prod-compute-lax
    match: { projects: [prod-app], roles: [roles/compute.admin] }
    approval: self
  - name: warehouse-admin
    match: { projects: [data-warehouse], roles: [roles/bigquery.admin] }
    approval: { kind: approvers, principals: [user:admin@example.com, user:erin@example.com], requiredApprovals: 2 }
  - name: engineering-compute
    match: { folders: ["200000000001"], roles: [roles/compute.*], activationType: self }
    maxActiveGrantsPerUser: 1
    maxDuration: 1h
`;

async function auditEntries(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

describe('access policy (file)', () => {
  let stack: Stack;
  let policyFile: TemporaryAccessPolicy;

  const activate = (user: string, role: string, justification: string, durationMinutes: number, project = role.split(':')[0]) =>
    stack.as(user).post(`/api/v1/projects/${project}/activations`, { roles: [role], justification, durationMinutes });

  /** Puts a policy text in force now, as the periodic re-read would. */
  async function usePolicy(text: string): Promise<void> {
    policyFile.write(text);
    await stack.service.accessPolicy!.refresh();
  }

  beforeAll(async () => {
    policyFile = temporaryAccessPolicy(POLICY);
    stack = await startStack({ env: { ACCESS_POLICY: policyFile.path } });
  });
  afterAll(() => stack?.close());
  afterEach(() => usePolicy(POLICY));

  test('the roles list carries the rule of each role, structured and in words', async () => {
    const res = await stack.as('alice@example.com').get('/api/v1/projects/prod-app/roles');
    expect(res.status).toBe(200);
    const byRole = Object.fromEntries(res.body.roles.map((r: any) => [r.role, r.policy]));
    expect(byRole['roles/cloudsql.admin']).toEqual({
      rule: 'prod-databases',
      summary: 'no approval · up to 30 min · ticket required · break-glass up to 10 min',
      approval: { kind: 'self', requiredApprovals: 0, approvers: [] },
      maxDurationMinutes: 30,
      defaultDurationMinutes: 15,
      justification: { pattern: '.*', hint: 'Bug or case number' },
      ticket: { pattern: 'CHG-[0-9]+', hint: 'a change ticket' },
      schedule: null,
      maxActiveGrantsPerUser: null,
      // alice is not on call: the group is resolved through Cloud Identity.
      breakGlass: { available: false, maxDurationMinutes: 10, reviewers: ['user:admin@example.com'] },
      scheduling: null,
      notes: [],
    });
    // A rule that says `self` for a peer-approval binding is overruled, and says so.
    expect(byRole['roles/compute.admin']).toMatchObject({ rule: 'prod-compute-lax', approval: { kind: 'peers', requiredApprovals: 1 }, notes: [expect.stringContaining('cannot waive')] });
    const bob = await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles');
    const bucket = bob.body.roles.find((r: any) => r.role === 'roles/storage.objectAdmin').policy;
    expect(bucket).toMatchObject({ rule: 'log-bucket', schedule: { timeZone: 'Europe/Berlin', windows: [OTHER_DAY], outside: 'deny', insideNow: false } });
  });

  test('self-activation is refused over the rule\'s duration and without its ticket, naming the rule', async () => {
    const long = await activate('alice@example.com', 'prod-app:roles/cloudsql.admin', 'CHG-1 migration', 31);
    expect(long.status).toBe(400);
    expect(long.body.error.message).toBe("Rule 'prod-databases' of the access policy: The activation duration must be no longer than 30 minutes");
    const noTicket = await activate('alice@example.com', 'prod-app:roles/cloudsql.admin', 'INC-1 migration', 30);
    expect(noTicket.status).toBe(400);
    expect(noTicket.body.error.message).toBe("Rule 'prod-databases' of the access policy requires a ticket in the justification (a change ticket), matching /CHG-[0-9]+/");
    const ok = await activate('alice@example.com', 'prod-app:roles/cloudsql.admin', 'CHG-1 migration', 30);
    expect(ok.status).toBe(201);
    const failures = await auditEntries(stack, 'activation.failed');
    expect(failures.at(-1).jsonPayload.error.message).toContain("Rule 'prod-databases'");
  });

  test('outside the schedule\'s windows, activation is refused', async () => {
    const res = await activate('bob@example.com', (await storageRoleOf(stack)).id, 'INC-2 logs', 10, 'prod-app');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('OUTSIDE_SCHEDULE');
    expect(res.body.error.message).toMatch(/^Rule 'log-bucket' of the access policy allows activation only \w{3} 00:00-24:00 \(Europe\/Berlin\); it is \w{3} \d\d:\d\d there now\.$/);
  });

  test('outside the windows, requireApproval refuses self-activation', async () => {
    await usePolicy(`version: 1\nrules:\n  - name: office-hours\n    match: { projects: [staging-app] }\n    schedule: { timeZone: UTC, windows: ["${OTHER_DAY}"], outside: requireApproval }\n`);
    const res = await activate('alice@example.com', 'staging-app:roles/compute.admin', 'INC-3', 10);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'APPROVAL_REQUIRED', message: expect.stringContaining("Rule 'office-hours' of the access policy requires 1 approval from peers") });
  });

  test('over the simultaneous-grant limit, activation is refused; the limit counts only the rule\'s scope', async () => {
    await usePolicy(`version: 1
rules:
  - name: buckets
    match: { roles: [roles/storage.*] }
  - name: engineering-compute
    match: { folders: ["200000000001"], roles: [roles/compute.*], activationType: self }
    maxActiveGrantsPerUser: 1
`);
    // carol is on call: the log bucket on prod-app, and compute.viewer across engineering (through sre).
    expect((await activate('carol@example.com', (await storageRoleOf(stack)).id, 'INC-4', 30, 'prod-app')).status).toBe(201);
    expect((await activate('carol@example.com', 'staging-app:roles/compute.viewer', 'INC-4', 30)).status).toBe(201);
    const second = await activate('carol@example.com', 'prod-app:roles/compute.viewer', 'INC-4', 30);
    expect(second.status).toBe(403);
    expect(second.body.error).toEqual({
      code: 'TOO_MANY_GRANTS',
      message: "Rule 'engineering-compute' of the access policy allows at most 1 grant in force at once under it, and carol@example.com holds 1. End one first.",
    });
  });

  test('rules are checked again at approval', async () => {
    const requested = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', {
      role: 'prod-app:roles/compute.admin',
      justification: 'INC-7 disk full',
      durationMinutes: 90,
      reviewers: ['bob@example.com'],
    });
    expect(requested.status).toBe(201);
    const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(stack.emulator.state.mail.at(-1)!.text)![1];
    await usePolicy(`version: 1\nrules:\n  - name: short-compute\n    match: { roles: [roles/compute.*] }\n    maxDuration: 1h\n`);
    const approved = await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`);
    expect(approved.status).toBe(403);
    expect(approved.body.error).toEqual({
      code: 'REQUEST_NO_LONGER_VALID',
      message: "This request no longer meets the rules: Rule 'short-compute' of the access policy: The activation duration must be no longer than 60 minutes. Ask alice@example.com to send a new request.",
    });
  });

  test('rules are checked again at extension', async () => {
    const first = await activate('alice@example.com', 'staging-app:roles/compute.admin', 'INC-8', 30);
    expect(first.status).toBe(201);
    const grants = (await stack.as('alice@example.com').get('/api/v1/me/grants')).body.grants;
    const grant = grants.find((g: any) => g.projectId === 'staging-app' && g.role === 'roles/compute.admin');
    const extended = await stack.as('alice@example.com').post(`/api/v1/me/grants/${grant.id}/extend`, { durationMinutes: 90 });
    expect(extended.status).toBe(400);
    expect(extended.body.error.message).toBe("Rule 'engineering-compute' of the access policy: The activation duration must be no longer than 60 minutes");
  });

  test('an invalid new version is refused with an audit entry, the last valid one stays, /health/ready shows digest and source', async () => {
    const before = (await stack.as('alice@example.com').get('/health/ready')).body.configuration.accessPolicy;
    expect(before).toMatchObject({ source: policyFile.path, digest: expect.stringMatching(/^sha256:/), rules: 5, refused: null });
    await usePolicy('version: 1\nrules:\n  - name: broken\n    maxDuration: forever\n');
    const refused = await auditEntries(stack, 'policy.refused');
    expect(refused.at(-1).jsonPayload.message).toContain(`${policyFile.path}:4:18: rules.0.maxDuration:`);
    expect(stack.service.accessPolicy!.status()).toMatchObject({ digest: before.digest, refused: expect.stringContaining('is not a valid policy') });
    const ok = await activate('alice@example.com', 'prod-app:roles/cloudsql.admin', 'INC-9', 10);
    expect(ok.body.error.message).toContain("Rule 'prod-databases'");
  });
});

async function storageRoleOf(stack: Stack): Promise<{ id: string }> {
  const roles = (await stack.as('bob@example.com').get('/api/v1/projects/prod-app/roles')).body.roles;
  return roles.find((r: any) => r.role === 'roles/storage.objectAdmin');
}

describe('access policy (Secret Manager)', () => {
  const SECRET = 'projects/jit-host/secrets/access-policy';
  let stack: Stack;

  beforeAll(async () => {
    const world = demoWorld();
    world.secrets[SECRET] = ['version: 1\nrules:\n  - { name: first, maxDuration: 20m }\n'];
    stack = await startStack({ world, env: { ACCESS_POLICY: `${SECRET}/versions/latest` } });
  });
  afterAll(() => stack?.close());

  test('a new version of the secret is put in force when re-read', async () => {
    const activate = (minutes: number) => stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-10', durationMinutes: minutes });
    expect((await activate(25)).body.error.message).toContain("Rule 'first'");
    const first = stack.service.accessPolicy!.status()!;
    expect(first.source).toBe(`${SECRET}/versions/latest`);
    stack.emulator.state.secrets.get(SECRET)!.push('version: 1\nrules:\n  - { name: second, maxDuration: 40m }\n');
    await stack.service.accessPolicy!.refresh();
    expect(stack.service.accessPolicy!.status()!.digest).not.toBe(first.digest);
    expect((await activate(25)).status).toBe(201);
    const loaded = await auditEntries(stack, 'policy.loaded');
    expect(loaded.map((e) => e.jsonPayload.policy.digest)).toEqual([first.digest, stack.service.accessPolicy!.status()!.digest]);
  });
});
