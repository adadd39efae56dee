// The `jit` command line end to end: its main function with argv, as the shell calls it, signing in
// through the emulator's IAP proxy in front of the service (--emulator URL --user EMAIL).
import { run } from '../../cli/main';
import { EXIT } from '../../cli/commands';
import { localTime } from '../../cli/output';
import { openApiDocument } from '../../server/api/openapi';
import { DEPLOYER, policyOf, startStack, worldWithPipeline, type Stack } from '../support/stack';
import { temporaryAccessPolicy } from '../support/access-policy-file';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ world: worldWithPipeline(), iapProxy: true });
}, 60_000);

afterAll(async () => {
  await stack?.close();
});

async function jitWith(env: NodeJS.ProcessEnv, args: string[]): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env });
  return { code, stdout, stderr };
}

/** `jit --emulator PROXY --user EMAIL ARGS…` */
function jit(user: string, ...args: string[]): Promise<Outcome> {
  return jitWith({}, ['--emulator', stack.iapUrl!, '--user', user, ...args]);
}

async function jitJson<T = any>(user: string, ...args: string[]): Promise<T> {
  const out = await jit(user, ...args, '--json');
  if (out.code !== EXIT.ok) throw new Error(`jit ${args.join(' ')} exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

async function auditEntries(event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

const activationsOf = async (projectId: string, member: string) =>
  (await policyOf(stack.emulator, projectId)).bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(member));

describe('help and usage', () => {
  test('--help lists every command; COMMAND --help shows its arguments; neither needs a service', async () => {
    const main = await jitWith({}, ['--help']);
    expect(main.code).toBe(EXIT.ok);
    for (const c of ['projects', 'roles', 'activate', 'request', 'requests', 'reviews', 'approve', 'wait', 'grants', 'end', 'extend']) expect(main.stdout).toContain(`  ${c} `);
    expect((await jitWith({}, ['reviews', '--help'])).stdout).toContain('jit approve ID');
    const activate = await jitWith({}, ['activate', '--help']);
    expect(activate.stdout).toContain('Usage: jit activate PROJECT ROLE... -j JUSTIFICATION -d DURATION [--start T]');
    expect(activate.stdout).toContain("--start T               start later, where the role's rule allows it: +2h (from now) or 2040-01-01T09:00:00Z;");
    const wait = await jitWith({}, ['wait', '--help']);
    expect(wait.code).toBe(EXIT.ok);
    expect(wait.stdout).toContain('Usage: jit wait REQUEST');
    expect(wait.stdout).toMatch(/0 approved, 3 denied, 4 expired, 6 cancelled, 5 timeout, 1 error/);
  });

  test('mistakes exit 2 and say what to do: no command, an unknown one, missing arguments, no URL, a bad duration', async () => {
    expect(await jitWith({}, [])).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('jit --help') });
    expect(await jitWith({}, ['frobnicate'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('unknown command "frobnicate"') });
    expect(await jitWith({}, ['roles'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('missing PROJECT') });
    expect(await jitWith({}, ['projects'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('set JIT_URL') });
    expect(await jitWith({ JIT_URL: 'https://jit.example.com' }, ['projects'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('JIT_IAP_AUDIENCE') });
    expect(await jit('alice@example.com', 'activate', 'staging-app', 'compute.admin', '-j', 'x', '-d', 'soon')).toMatchObject({
      code: EXIT.usage,
      stderr: expect.stringContaining('write it as 30m, 2h, 1h30m'),
    });
    expect(await jitWith({}, ['--user', 'alice@example.com', 'projects'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('only with --emulator') });
  });

  test('an unreachable emulator and an unknown user are errors (exit 1) that say what to check', async () => {
    expect(await jitWith({}, ['--emulator', 'http://127.0.0.1:9', '--user', 'alice@example.com', 'projects'])).toMatchObject({ code: EXIT.error, stderr: expect.stringContaining('Could not reach') });
    const stranger = await jit('nobody@example.com', 'projects', '--json');
    expect(stranger.code).toBe(EXIT.error);
    expect(JSON.parse(stranger.stderr).error.message).toContain('not a user or service account of the emulator');
  });
});

describe('projects, roles and self-activation', () => {
  test('projects and roles, as JSON and for people', async () => {
    expect((await jitJson('alice@example.com', 'projects')).projects.map((p: any) => p.id)).toEqual(expect.arrayContaining(['prod-app', 'staging-app']));
    const projects = await jit('alice@example.com', 'projects');
    expect(projects.stdout.split('\n')).toContain('staging-app');
    const roles = await jit('alice@example.com', 'roles', 'prod-app');
    expect(roles.code).toBe(EXIT.ok);
    expect(roles.stdout).toMatch(/roles\/compute\.admin\s+peer approval\s+eligible/);
    expect(roles.stdout).toMatch(/roles\/cloudsql\.admin\s+self-approval\s+eligible/);
  });

  test('activate, then grants, extend and end', async () => {
    const activated = await jitJson('alice@example.com', 'activate', 'staging-app', 'compute.admin', '-j', 'INC-1 deploy', '-d', '30m');
    expect(activated.grants).toHaveLength(1);
    expect(activated.grants[0].role).toBe('roles/compute.admin');
    expect(await activationsOf('staging-app', 'user:alice@example.com')).toHaveLength(1);

    const { grants } = await jitJson('alice@example.com', 'grants');
    const grant = grants.find((g: any) => g.projectId === 'staging-app' && g.role === 'roles/compute.admin');
    expect(grant).toMatchObject({ approval: { type: 'self', justification: 'INC-1 deploy' } });
    const listed = await jit('alice@example.com', 'grants');
    expect(listed.stdout).toContain(grant.id);

    const extended = await jitJson('alice@example.com', 'extend', grant.id, '-d', '1h');
    expect(Date.parse(extended.grant.end)).toBeGreaterThan(Date.parse(grant.end));
    expect(extended.previousEnd).toBe(grant.end);

    const ended = await jit('alice@example.com', 'end', extended.grant.id, '--reason', 'done');
    expect(ended.code).toBe(EXIT.ok);
    expect(ended.stdout).toContain('Ended roles/compute.admin on staging-app');
    expect((await jitJson('alice@example.com', 'grants')).grants.filter((g: any) => g.projectId === 'staging-app')).toEqual([]);
  });

  test('human output of an activation names the role and the end in local time', async () => {
    const out = await jit('alice@example.com', 'activate', 'prod-app', 'roles/cloudsql.admin', '-j', 'INC-2 migration', '-d', '1h30m');
    expect(out.code).toBe(EXIT.ok);
    expect(out.stdout).toMatch(/^Activated roles\/cloudsql\.admin on prod-app until .+\.\n$/);
    const [binding] = await activationsOf('prod-app', 'user:alice@example.com');
    const [, start, end] = /timestamp\("([^"]+)"\).*timestamp\("([^"]+)"\)/.exec(binding.condition.expression)!;
    expect(Date.parse(end) - Date.parse(start)).toBe(90 * 60_000);
  });

  test("the server's refusal is passed on with exit 1; a role not offered is named with what to do", async () => {
    const peer = await jit('alice@example.com', 'activate', 'prod-app', 'compute.admin', '-j', 'INC-3', '-d', '30m', '--json');
    expect(peer.code).toBe(EXIT.error);
    expect(JSON.parse(peer.stderr).error.message).toContain('needs peer approval');
    const unknown = await jit('alice@example.com', 'activate', 'staging-app', 'owner', '-j', 'INC-3', '-d', '30m');
    expect(unknown).toMatchObject({ code: EXIT.error, stderr: expect.stringContaining('`jit roles staging-app` lists') });
  });

  test('activate --start: a malformed start is a usage mistake; without an access policy the service refuses a later start, and nothing is granted', async () => {
    const bad = await jit('alice@example.com', 'activate', 'prod-app', 'cloudsql.admin', '-j', 'CHG-1', '-d', '30m', '--start', 'tonight');
    expect(bad).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('--start "tonight" is not an instant; write +2h (from now) or a timestamp with a time zone') });
    expect(bad.stderr).toContain('`jit activate --help` shows how to use it');
    const zoneless = await jit('alice@example.com', 'activate', 'prod-app', 'cloudsql.admin', '-j', 'CHG-1', '-d', '30m', '--start', '2040-01-01T09:00:00');
    expect(zoneless.code).toBe(EXIT.usage);

    const refused = await jit('alice@example.com', 'activate', 'staging-app', 'compute.admin', '-j', 'CHG-1', '-d', '30m', '--start', '+2h', '--json');
    expect(refused.code).toBe(EXIT.error);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: 'SCHEDULING_NOT_ALLOWED', message: expect.stringContaining('only a rule of one (scheduling.maxDelay) allows a later start') });
    expect(await activationsOf('staging-app', 'user:alice@example.com')).toEqual([]);
  });
});

describe('peer approval', () => {
  test('request --start is sent as the request\'s start: without an access policy the service refuses a later start, saying why', async () => {
    const later = await jit('alice@example.com', 'request', 'prod-app', 'compute.admin', '--reviewer', 'bob@example.com', '-j', 'INC-4 outage', '-d', '1h', '--start', '+2h');
    expect(later).toMatchObject({ code: EXIT.error, stderr: expect.stringContaining('only a rule of one (scheduling.maxDelay) allows a later start') });
    const bad = await jit('alice@example.com', 'request', 'prod-app', 'compute.admin', '--reviewer', 'bob@example.com', '-j', 'INC-4 outage', '-d', '1h', '--start', 'tomorrow');
    expect(bad).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('--start "tomorrow" is not an instant') });
  });

  test('request, approve, wait: the token on stdout, wait exits 0 once approved', async () => {
    const requested = await jit('alice@example.com', 'request', 'prod-app', 'compute.admin', '--reviewer', 'bob@example.com', '-j', 'INC-4 outage', '-d', '1h');
    expect(requested.code).toBe(EXIT.ok);
    expect(requested.stderr).toContain('Requested roles/compute.admin on prod-app for 1h from bob@example.com');
    const token = requested.stdout.trim();
    expect(token).toMatch(/^[A-Za-z0-9_~.-]+$/);

    const approved = await jitJson('bob@example.com', 'approve', token);
    expect(approved).toMatchObject({ status: 'approved', alreadyApproved: false, approvedBy: 'bob@example.com' });
    const waited = await jit('alice@example.com', 'wait', token, '--json');
    expect(waited.code).toBe(EXIT.ok);
    expect(JSON.parse(waited.stdout)).toMatchObject({ status: 'approved', approvedBy: 'bob@example.com' });
    expect(await activationsOf('prod-app', 'user:alice@example.com')).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'roles/compute.admin' })]));
  });

  test('extend --reviewer asks them to extend a peer-approved grant; approved, it ends that much later', async () => {
    const { token: first } = await jitJson('alice@example.com', 'request', 'prod-app', 'compute.admin', '--reviewer', 'bob@example.com', '-j', 'INC-4 outage', '-d', '1h');
    expect((await jitJson('bob@example.com', 'approve', first)).status).toBe('approved');
    const grant = (await jitJson('alice@example.com', 'grants')).grants.find((g: any) => g.projectId === 'prod-app' && g.role === 'roles/compute.admin');
    expect(await jit('alice@example.com', 'extend', grant.id, '-d', '30m', '--reviewer', 'carol@example.com')).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('--justification is required') });

    const asked = await jit('alice@example.com', 'extend', grant.id, '-d', '30m', '--reviewer', 'carol@example.com', '-j', 'INC-4 still open');
    expect(asked.code).toBe(EXIT.ok);
    expect(asked.stderr).toContain('Asked carol@example.com to extend roles/compute.admin on prod-app by 30m');
    const approved = await jitJson('carol@example.com', 'approve', asked.stdout.trim());
    expect(approved.grant).toMatchObject({ outcome: 'extended', start: grant.start, end: new Date(Date.parse(grant.end) + 30 * 60_000).toISOString(), previousEnd: grant.end });
  });

  test('deny with a reason: wait exits 3 and says who denied it and why', async () => {
    const { token } = await jitJson('frank@example.com', 'request', 'finance-ledger', 'cloudsql.admin', '--reviewer', 'grace@example.com', '-j', 'INC-7', '-d', '30m');
    expect(await jit('grace@example.com', 'deny', token)).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('--reason is required') });
    const denied = await jitJson('grace@example.com', 'deny', token, '--reason', 'not during the freeze');
    expect(denied).toMatchObject({ status: 'denied', deniedBy: 'grace@example.com', alreadyDecided: false });
    const waited = await jit('frank@example.com', 'wait', token);
    expect(waited.code).toBe(EXIT.denied);
    expect(waited.stdout).toContain('was denied by grace@example.com: not during the freeze');
    expect(await activationsOf('finance-ledger', 'user:frank@example.com')).toEqual([]);
  });

  test('cancel by the requester: wait exits 6; approving afterwards is refused', async () => {
    const { token } = await jitJson('grace@example.com', 'request', 'finance-ledger', 'cloudsql.admin', '--reviewer', 'frank@example.com', '-j', 'INC-8', '-d', '30m');
    expect(await jit('grace@example.com', 'cancel', token)).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('Cancelled: your request for roles/cloudsql.admin on finance-ledger') });
    expect((await jit('grace@example.com', 'wait', token, '--json')).code).toBe(EXIT.cancelled);
    expect((await jit('frank@example.com', 'approve', token)).code).toBe(EXIT.error);
    expect(await activationsOf('finance-ledger', 'user:grace@example.com')).toEqual([]);
  });

  test('wait gives up with exit 5 while the request is pending', async () => {
    const { token } = await jitJson('dave@example.com', 'request', 'data-warehouse', 'bigquery.admin', '--reviewer', 'erin@example.com', '-j', 'INC-5', '-d', '30m');
    const waited = await jit('dave@example.com', 'wait', token, '--timeout', '2s', '--interval', '1s');
    expect(waited.code).toBe(EXIT.timeout);
    expect(waited.stdout).toContain('still pending');
    await jit('dave@example.com', 'cancel', token);
  });

  test('requests and reviews list from the audit log, in local time; a request is decided and cancelled by its id', async () => {
    const { request } = await jitJson('dave@example.com', 'request', 'data-warehouse', 'bigquery.admin', '--reviewer', 'erin@example.com', '-j', 'INC-9 inbox', '-d', '45m');
    const mine = await jitJson('dave@example.com', 'requests');
    expect(mine.requests[0]).toMatchObject({ request: { id: request.id, role: 'roles/bigquery.admin' }, status: 'pending', approvals: [], requiredApprovals: 1 });
    const human = await jit('dave@example.com', 'requests');
    expect(human.code).toBe(EXIT.ok);
    expect(human.stdout).toMatch(/^REQUESTED\s+PROJECT\s+ROLE\s+FOR\s+STATUS\s+ID/);
    expect(human.stdout).toContain(`data-warehouse  roles/bigquery.admin  45m  pending (0 of 1 approvals)  ${request.id}`);
    expect(human.stdout).toContain(localTime(mine.requests[0].createdAt));
    expect(human.stderr).toContain('From the audit log as read at');
    expect((await jit('dave@example.com', 'roles', 'data-warehouse')).stdout).toContain('pending (0 of 1 approvals)');

    const inbox = await jit('erin@example.com', 'reviews');
    expect(inbox.stdout).toContain('Waiting for you:');
    expect(inbox.stdout).toContain(`dave@example.com  data-warehouse  roles/bigquery.admin  45m  0 of 1`);
    expect(inbox.stdout).toContain(request.id);
    expect((await jitJson('erin@example.com', 'reviews')).waiting.map((r: any) => r.request.id)).toContain(request.id);

    // A second request for the role is refused, pointing at the pending one; cancelled by its id, the role is free again.
    const second = await jit('dave@example.com', 'request', 'data-warehouse', 'bigquery.admin', '--reviewer', 'erin@example.com', '-j', 'INC-10', '-d', '30m');
    expect(second).toMatchObject({ code: EXIT.error, stderr: expect.stringContaining(`pending request ${request.id}`) });
    expect(second.stderr).toContain('`jit cancel ID` withdraws it');
    expect(await jit('dave@example.com', 'cancel', request.id)).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('Cancelled: your request for roles/bigquery.admin') });
    expect((await jitJson('dave@example.com', 'requests')).requests.find((r: any) => r.request.id === request.id).status).toBe('cancelled');

    const again = await jitJson('dave@example.com', 'request', 'data-warehouse', 'bigquery.admin', '--reviewer', 'erin@example.com', '-j', 'INC-11', '-d', '30m');
    expect(await jit('erin@example.com', 'approve', again.request.id)).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('Approved. dave@example.com holds roles/bigquery.admin') });
    const decided = await jit('erin@example.com', 'reviews');
    expect(decided.stdout).toContain('Decided by you in the last 7 days:');
    expect(decided.stdout).toMatch(/approved\s+dave@example.com\s+data-warehouse\s+roles\/bigquery.admin\s+approved by erin@example.com/);
  });

  test('a request needs reviewers', async () => {
    expect(await jit('dave@example.com', 'request', 'data-warehouse', 'bigquery.admin', '-j', 'INC-6', '-d', '30m')).toMatchObject({
      code: EXIT.usage,
      stderr: expect.stringContaining('jit reviewers data-warehouse bigquery.admin'),
    });
    expect((await jitJson('dave@example.com', 'reviewers', 'data-warehouse', 'bigquery.admin')).reviewers).toEqual(['erin@example.com']);
  });
});

describe('a service account as requester', () => {
  test('activates through IAP like a person: the binding names serviceAccount:, the audit says so', async () => {
    expect((await jitJson(DEPLOYER, 'whoami')).user.email).toBe(DEPLOYER);
    expect((await jitJson(DEPLOYER, 'roles', 'staging-app')).roles.map((r: any) => r.role)).toEqual(['roles/compute.admin']);
    await jitJson(DEPLOYER, 'activate', 'staging-app', 'compute.admin', '-j', 'release 1.2.3', '-d', '15m');
    expect(await activationsOf('staging-app', `serviceAccount:${DEPLOYER}`)).toHaveLength(1);
    const [entry] = (await auditEntries('activation.succeeded')).filter((e) => e.labels.user === DEPLOYER);
    expect(entry.labels.principal_type).toBe('serviceAccount');
    const { grants } = await jitJson(DEPLOYER, 'grants');
    expect(grants.map((g: any) => g.projectId)).toEqual(['staging-app']);
    // A pipeline ends what it activated by project and role, without looking up the grant's id.
    expect((await jitJson(DEPLOYER, 'end', 'staging-app', 'compute.admin')).ended.id).toBe(grants[0].id);
    expect(await activationsOf('staging-app', `serviceAccount:${DEPLOYER}`)).toEqual([]);
    expect(await jit(DEPLOYER, 'end', 'staging-app', 'compute.admin')).toMatchObject({ code: EXIT.error, stderr: expect.stringContaining('You hold no grant of roles/compute.admin on staging-app') });
  });

  test('requests a peer-approval role; a person approves it; the service account may not approve (the default)', async () => {
    const { token } = await jitJson(DEPLOYER, 'request', 'finance-ledger', 'cloudsql.admin', '--reviewer', 'frank@example.com', '-j', 'schema migration', '-d', '30m');
    expect((await jitJson('frank@example.com', 'approve', token)).approvedBy).toBe('frank@example.com');
    expect(await jit(DEPLOYER, 'wait', token)).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining(`Approved by frank@example.com: ${DEPLOYER} holds roles/cloudsql.admin`) });
    expect(await activationsOf('finance-ledger', `serviceAccount:${DEPLOYER}`)).toHaveLength(1);

    // Frank's own request: the service account is not offered as a reviewer, cannot be named, and cannot approve.
    expect((await jitJson('frank@example.com', 'reviewers', 'finance-ledger', 'cloudsql.admin')).reviewers).toEqual(['grace@example.com']);
    const named = await jit('frank@example.com', 'request', 'finance-ledger', 'cloudsql.admin', '--reviewer', DEPLOYER, '-j', 'audit', '-d', '30m');
    expect(named).toMatchObject({ code: EXIT.error, stderr: expect.stringContaining(`${DEPLOYER} is not allowed to approve`) });
    const { token: franks } = await jitJson('frank@example.com', 'request', 'finance-ledger', 'cloudsql.admin', '--reviewer', 'grace@example.com', '-j', 'audit', '-d', '30m');
    const refused = await jit(DEPLOYER, 'approve', franks, '--json');
    expect(refused.code).toBe(EXIT.error);
    expect(JSON.parse(refused.stderr).error).toMatchObject({ code: 'SERVICE_ACCOUNT_CANNOT_APPROVE' });
  });
});

test('the service publishes its OpenAPI document behind IAP', async () => {
  const res = await stack.as('alice@example.com').get('/api/openapi.json');
  expect(res.status).toBe(200);
  expect(res.body).toEqual(openApiDocument());
});

describe('with an access policy: a request it approves itself, break-glass, a scheduled activation', () => {
  let ruled: Stack;

  beforeAll(async () => {
    // dave holds bigquery.dataViewer on data-warehouse through a self-approval binding (demo world).
    const file = temporaryAccessPolicy(
      `version: 1
rules:
  - name: short-reads
    match: { projects: [data-warehouse], roles: [roles/bigquery.dataViewer] }
    approval: peers
    autoApprove: { maxDuration: 15m }
  - name: prod-compute
    match: { projects: [prod-app], roles: [roles/compute.admin] }
    approval: peers
    breakGlass: { principals: [group:oncall@example.com], maxDuration: 30m, reviewers: [user:dave@example.com] }
  - name: planned-sql
    match: { projects: [prod-app], roles: [roles/cloudsql.admin, roles/compute.viewer] }
    approval: self
    scheduling: { maxDelay: 1d }
`,
    ).path;
    ruled = await startStack({ world: worldWithPipeline(), iapProxy: true, env: { ACCESS_POLICY: file } });
  }, 60_000);
  afterAll(() => ruled?.close());

  test('`jit request` says it was granted at once, by which rule and until when, and `jit wait` agrees', async () => {
    const as = (...args: string[]) => jitWith({}, ['--emulator', ruled.iapUrl!, '--user', 'dave@example.com', ...args]);
    const out = await as('request', 'data-warehouse', 'bigquery.dataViewer', '--reviewer', 'erin@example.com', '-j', 'read the logs', '-d', '10m');
    expect(out.code).toBe(EXIT.ok);
    const [binding] = (await policyOf(ruled.emulator, 'data-warehouse')).bindings.filter(
      (b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:dave@example.com'),
    );
    expect(binding).toBeDefined();
    const end = /timestamp\("([^"]+)"\)\)?\s*$/.exec(binding.condition!.expression)?.[1];
    expect(out.stderr).toContain(`Approved at once by the access policy (rule:short-reads): roles/bigquery.dataViewer on data-warehouse is granted until ${localTime(end!)}.`);
    expect(out.stderr).not.toContain('expires unless approved');
    const token = out.stdout.trim();
    expect(await as('wait', token)).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('Approved by rule:short-reads') });
  });

  test('`jit activate --start` schedules the roles together: nothing is granted yet, `jit grants` lists it; --json prints the API\'s answer', async () => {
    const as = (...args: string[]) => jitWith({}, ['--emulator', ruled.iapUrl!, '--user', 'alice@example.com', ...args]);
    const start = new Date(Math.ceil((Date.now() + 3 * 3600_000) / 1000) * 1000).toISOString();
    const out = await as('activate', 'prod-app', 'cloudsql.admin', 'compute.viewer', '-j', 'CHG-12 failover test', '-d', '1h', '--start', start);
    expect(out.code).toBe(EXIT.ok);
    const end = new Date(Date.parse(start) + 3600_000).toISOString();
    const scheduledId = /`jit unschedule ([A-Za-z0-9_-]+)`/.exec(out.stdout)?.[1];
    expect(out.stdout).toBe(
      `Scheduled roles/cloudsql.admin, roles/compute.viewer on prod-app from ${localTime(start)} until ${localTime(end)}: nothing is granted until then, and then only if you are still eligible and the rule still allows it.\n` +
        `\`jit unschedule ${scheduledId}\` cancels it before it starts; \`jit grants\` lists it.\n`,
    );
    const granted = (await policyOf(ruled.emulator, 'prod-app')).bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'));
    expect(granted).toEqual([]);

    const grants = JSON.parse((await as('grants', '--json')).stdout);
    expect(grants.grants).toEqual([]);
    expect(grants.scheduled).toEqual([
      expect.objectContaining({ projectId: 'prod-app', type: 'self', justification: 'CHG-12 failover test', start, end, roles: [{ role: 'roles/cloudsql.admin', conditional: false }, { role: 'roles/compute.viewer', conditional: false }] }),
    ]);
    const listed = await as('grants');
    expect(listed.stdout).toContain('You hold no grant now.');
    expect(listed.stdout).toContain('Scheduled to start later (`jit unschedule SCHEDULED` cancels one before it starts):');
    expect(listed.stdout).toMatch(/PROJECT\s+ROLES\s+FROM\s+UNTIL\s+APPROVAL\s+SCHEDULED/);
    expect(listed.stdout).toContain(`prod-app  roles/cloudsql.admin, roles/compute.viewer  ${localTime(start)}  ${localTime(end)}  self-approved  ${scheduledId}`);
    expect(grants.scheduled[0].scheduledId).toBe(scheduledId);

    // `jit unschedule` cancels it: no longer listed, still nothing granted; the same id again is the API's refusal.
    const unscheduled = await as('unschedule', scheduledId!);
    expect(unscheduled).toMatchObject({ code: EXIT.ok, stdout: 'Cancelled the scheduled grant of roles/cloudsql.admin, roles/compute.viewer on prod-app: nothing of it will be granted.\n' });
    expect(JSON.parse((await as('grants', '--json')).stdout).scheduled).toEqual([]);
    const again = await as('unschedule', scheduledId!);
    expect(again.code).toBe(EXIT.error);
    expect(again.stderr).toContain('have no scheduled grant');
    expect(again.stderr).toContain('it has started, was cancelled, or is not yours');
    expect((await policyOf(ruled.emulator, 'prod-app')).bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'))).toEqual([]);

    // --json prints the API's 202 body as it is: the id that cancels it, the window, the roles.
    const json = await as('activate', 'prod-app', 'cloudsql.admin', '-j', 'CHG-13', '-d', '30m', '--start', '+2h', '--json');
    expect(json.code).toBe(EXIT.ok);
    const body = JSON.parse(json.stdout);
    expect(body).toEqual({
      scheduledId: expect.any(String),
      activationId: expect.stringMatching(/^jit-/),
      projectId: 'prod-app',
      user: 'alice@example.com',
      justification: 'CHG-13',
      roles: [{ role: 'roles/cloudsql.admin', conditional: false }],
      start: expect.any(String),
      end: new Date(Date.parse(body.start) + 30 * 60_000).toISOString(),
    });
    expect(JSON.parse((await as('grants', '--json')).stdout).scheduled.map((g: any) => g.scheduledId)).toContain(body.scheduledId);
    const cancelled = await as('unschedule', body.scheduledId, '--json');
    expect(cancelled.code).toBe(EXIT.ok);
    expect(JSON.parse(cancelled.stdout)).toEqual({ projectId: 'prod-app', activationId: body.activationId, roles: ['roles/cloudsql.admin'] });
  });

  test("`jit activate --start` passes on the rule's refusal: a role whose rule allows no later start, a start beyond maxDelay", async () => {
    const as = (...args: string[]) => jitWith({}, ['--emulator', ruled.iapUrl!, '--user', 'alice@example.com', ...args]);
    const unruled = await as('activate', 'staging-app', 'compute.admin', '-j', 'CHG-14', '-d', '30m', '--start', '+1h');
    expect(unruled.code).toBe(EXIT.error);
    expect(unruled.stderr).toContain('does not allow a later start (it sets no scheduling.maxDelay): leave the start out to start at once');
    const tooFar = await as('activate', 'prod-app', 'cloudsql.admin', '-j', 'CHG-14', '-d', '30m', '--start', '+2d', '--json');
    expect(tooFar.code).toBe(EXIT.error);
    expect(JSON.parse(tooFar.stderr).error).toMatchObject({ code: 'SCHEDULING_NOT_ALLOWED', message: expect.stringContaining("Rule 'planned-sql' of the access policy allows a start at most") });
    for (const projectId of ['staging-app', 'prod-app']) {
      const bindings = (await policyOf(ruled.emulator, projectId)).bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'));
      expect(bindings).toEqual([]);
    }
  });

  test('`jit reviews` lists the break-glass activations waiting for your review, with the link to review each', async () => {
    const broken = await ruled.as('bob@example.com').post('/api/v1/projects/prod-app/break-glass', { role: 'prod-app:roles/compute.admin', reason: 'INC-12 outage', durationMinutes: 10 });
    expect(broken.status).toBe(201);
    const { activationId, start, reviewBy } = broken.body.activation;
    const out = await jitWith({}, ['--emulator', ruled.iapUrl!, '--user', 'dave@example.com', 'reviews']);
    expect(out.code).toBe(EXIT.ok);
    expect(out.stdout).toContain('Break-glass activations waiting for your review');
    expect(out.stdout).toMatch(/ACTIVATED\s+BY\s+PROJECT\s+ROLE\s+REVIEW BY\s+LINK/);
    expect(out.stdout).toContain(`${localTime(start)}  bob@example.com  prod-app  roles/compute.admin  ${localTime(reviewBy)}  ${ruled.iapUrl}/break-glass/${activationId}`);
    const json = await jitWith({}, ['--emulator', ruled.iapUrl!, '--user', 'dave@example.com', 'reviews', '--json']);
    expect(JSON.parse(json.stdout).breakGlass).toEqual([expect.objectContaining({ activation: expect.objectContaining({ activationId }), overdue: false })]);
    // Not a reviewer: nothing listed.
    expect((await jitWith({}, ['--emulator', ruled.iapUrl!, '--user', 'erin@example.com', 'reviews'])).stdout).not.toContain('Break-glass');
  });
});
