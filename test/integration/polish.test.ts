// Defects found by trying the product as a new user, an attacker and a migrating team (issue 13): shared
// activation bindings, administrators' own time-bound bindings, projects pending deletion or outside the
// scope, project existence, tokens in logs, the order of sign-in and body parsing, and racing changes of
// one grant.
import { startStack, mintAssertion, apiClient, policyOf, type Stack } from '../support/stack';
import { googleClients } from '../support/emulator';

const TITLE = 'JIT access activation';
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
const temporary = (start: Date, end: Date) => `(request.time >= timestamp("${iso(start)}") && request.time < timestamp("${iso(end)}"))`;
const minutesFromNow = (n: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + n * 60_000);
const calls = (stack: Stack, method: string) => stack.emulator.state.calls.get(method) ?? 0;

async function grantsOf(stack: Stack, email: string): Promise<any[]> {
  const res = await stack.as(email).get('/api/v1/me/grants');
  expect(res.status).toBe(200);
  return res.body.grants;
}

function activationsOf(bindings: any[], user: string): any[] {
  return bindings.filter((b) => b.condition?.title === TITLE && b.members.includes(`user:${user}`));
}

describe('issue 13 against the demo world', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { CATALOG_CACHE_SECONDS: '0' } });
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    await stack.service.audit.flush();
    stack.emulator.state.reset();
  });

  describe('an activation binding Google merged for two users (same role, same condition)', () => {
    const start = minutesFromNow(-5);
    const end = minutesFromNow(25);
    const shared = () => ({
      role: 'roles/compute.admin',
      members: ['user:alice@example.com', 'user:carol@example.com'],
      condition: { title: TITLE, description: 'Self-approved, justification: INC-1', expression: temporary(start, end) },
    });
    beforeEach(async () => {
      (await policyOf(stack.emulator, 'staging-app')).bindings.push(shared());
    });

    test('each member holds the grant: My access lists it and the role shows active, for both', async () => {
      for (const user of ['alice@example.com', 'carol@example.com']) {
        expect((await grantsOf(stack, user)).map((g) => [g.projectId, g.role, g.end])).toEqual([['staging-app', 'roles/compute.admin', end.toISOString()]]);
        const role = (await stack.as(user).get('/api/v1/projects/staging-app/roles')).body.roles.find((r: any) => r.role === 'roles/compute.admin');
        expect(role).toMatchObject({ status: 'active', activeUntil: end.toISOString() });
      }
    });

    test('ending one member’s grant takes only that member out, in one write; the other keeps theirs', async () => {
      const [grant] = await grantsOf(stack, 'alice@example.com');
      stack.emulator.state.calls.clear();
      expect((await stack.as('alice@example.com').del(`/api/v1/me/grants/${grant.id}`)).status).toBe(200);
      expect(calls(stack, 'cloudresourcemanager.projects.setIamPolicy')).toBe(1);
      const bindings = (await policyOf(stack.emulator, 'staging-app')).bindings;
      expect(activationsOf(bindings, 'alice@example.com')).toEqual([]);
      expect(activationsOf(bindings, 'carol@example.com')).toEqual([{ ...shared(), members: ['user:carol@example.com'] }]);
      expect(await grantsOf(stack, 'alice@example.com')).toEqual([]);
      expect((await grantsOf(stack, 'carol@example.com')).map((g) => g.id)).toEqual([grant.id]);
    });

    test('extending one member’s grant gives that member a binding of their own; the other keeps the shared one', async () => {
      const [grant] = await grantsOf(stack, 'carol@example.com');
      const res = await stack.as('carol@example.com').post(`/api/v1/me/grants/${grant.id}/extend`, { durationMinutes: 60 });
      expect(res.status).toBe(200);
      const bindings = (await policyOf(stack.emulator, 'staging-app')).bindings;
      expect(activationsOf(bindings, 'alice@example.com')).toEqual([{ ...shared(), members: ['user:alice@example.com'] }]);
      expect(activationsOf(bindings, 'carol@example.com').map((b) => b.members)).toEqual([['user:carol@example.com']]);
      expect((await grantsOf(stack, 'carol@example.com')).map((g) => g.end)).toEqual([res.body.grant.end]);
    });

    test('re-activating for longer replaces only the member’s own share', async () => {
      const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-2', durationMinutes: 120 });
      expect(res.status).toBe(201);
      expect(res.body.grants[0]).toMatchObject({ outcome: 'extended', previousEnd: end.toISOString() });
      const bindings = (await policyOf(stack.emulator, 'staging-app')).bindings;
      expect(activationsOf(bindings, 'carol@example.com')).toEqual([{ ...shared(), members: ['user:carol@example.com'] }]);
      expect(activationsOf(bindings, 'alice@example.com').map((b) => b.condition.description)).toEqual(['Self-approved, justification: INC-2']);
    });
  });

  test('a self-activation leaves an administrator’s own time-bound binding of the same role alone', async () => {
    const shift = {
      role: 'roles/compute.admin',
      members: ['user:alice@example.com'],
      condition: { title: 'On-call shift', description: 'granted by the on-call rota', expression: temporary(minutesFromNow(-60), minutesFromNow(420)) },
    };
    (await policyOf(stack.emulator, 'staging-app')).bindings.push(structuredClone(shift));
    const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-3', durationMinutes: 5 });
    expect(res.status).toBe(201);
    const bindings = (await policyOf(stack.emulator, 'staging-app')).bindings;
    expect(bindings).toContainEqual(shift);
    expect(activationsOf(bindings, 'alice@example.com')).toHaveLength(1);
  });

  describe('projects that do not exist, are not the caller’s, are pending deletion, or lie outside the scope', () => {
    test('GET /projects/{id}/roles answers the same for a project that does not exist and one that offers the caller nothing', async () => {
      const missing = await stack.as('alice@example.com').get('/api/v1/projects/no-such-project/roles');
      const notMine = await stack.as('alice@example.com').get('/api/v1/projects/finance-ledger/roles');
      expect([missing.status, notMine.status]).toEqual([404, 404]);
      expect(notMine.body).toEqual(JSON.parse(JSON.stringify(missing.body).replaceAll('no-such-project', 'finance-ledger')));
    });

    test('a project pending deletion (DELETE_REQUESTED) is refused like a project that is not offered, with no write', async () => {
      const pending = await stack.as('alice@example.com').post('/api/v1/projects/old-prototype/activations', { roles: ['old-prototype:roles/compute.viewer'], justification: 'INC-4', durationMinutes: 5 });
      const missing = await stack.as('alice@example.com').post('/api/v1/projects/no-such-project/activations', { roles: ['no-such-project:roles/compute.viewer'], justification: 'INC-4', durationMinutes: 5 });
      expect([pending.status, pending.body.error.code]).toEqual([404, 'NOT_FOUND']);
      expect(pending.body.error.message).toBe(missing.body.error.message.replaceAll('no-such-project', 'old-prototype'));
      expect(calls(stack, 'cloudresourcemanager.projects.setIamPolicy')).toBe(0);
      expect((await policyOf(stack.emulator, 'old-prototype')).bindings.filter((b: any) => b.condition?.title === TITLE)).toEqual([]);
    });
  });

  describe('approval requests and tokens', () => {
    async function createRequest(): Promise<string> {
      const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', {
        role: 'prod-app:roles/compute.admin',
        justification: 'INC-5',
        durationMinutes: 30,
        reviewers: ['bob@example.com'],
      });
      expect(res.status).toBe(201);
      return res.body.token;
    }

    test('no token reaches the audit log, also when the approval routes are called with an expired IAP assertion', async () => {
      const token = await createRequest();
      const jwt = `ey${token.replaceAll('~~', '.ey').replaceAll('~', '.')}`;
      const expired = await mintAssertion(stack.emulator, { email: 'bob@example.com', issuedAtOffsetSeconds: -1200, expiresInSeconds: -600 });
      const bob = apiClient(stack.url, async () => expired);
      for (const link of [token, jwt]) {
        expect((await bob.get(`/api/v1/approval-requests/${link}`)).status).toBe(401);
        expect((await bob.post(`/api/v1/approval-requests/${link}/approve`)).status).toBe(401);
      }
      await stack.service.audit.flush();
      const failures = (stack.emulator.state.logEntries as any[]).filter((e: any) => e.labels?.event === 'auth.failed');
      expect(failures).toHaveLength(4);
      expect(failures[0].jsonPayload.message).toContain('/v1/approval-requests/[REDACTED]');
      const log = JSON.stringify(stack.emulator.state.logEntries);
      // Not the header: it names only the algorithm and the public key, as the request record logged with the request does.
      for (const secret of [token, jwt, ...jwt.split('.').slice(1), expired]) expect(log).not.toContain(secret);
    });

    test('a request for a project outside RESOURCE_SCOPE is refused before anything about the project is read', async () => {
      const scoped = await startStack({ env: { CATALOG_CACHE_SECONDS: '0', RESOURCE_SCOPE: 'folders/200000000003' } });
      try {
        const now = Math.floor(Date.now() / 1000);
        const claims = {
          jti: 'mpa-AAAAAAAAAAAAAAAA',
          beneficiary: 'frank@example.com',
          reviewers: ['grace@example.com'],
          entitlement: 'finance-ledger:roles/cloudsql.admin',
          justification: 'INC-6',
          start: now,
          end: now + 1800,
          iss: 'jitaccess@jit-host.iam.gserviceaccount.com',
          aud: 'jitaccess@jit-host.iam.gserviceaccount.com',
          iat: now,
          exp: now + 1800,
        };
        const { iamcredentials } = googleClients(scoped.emulator);
        const signed = await iamcredentials.projects.serviceAccounts.signJwt({ name: `projects/-/serviceAccounts/${claims.iss}`, requestBody: { payload: JSON.stringify(claims) } });
        const link = signed.data.signedJwt!.slice(2).replaceAll('.ey', '~~').replaceAll('.', '~');
        scoped.emulator.state.calls.clear();
        const view = await scoped.as('grace@example.com').get(`/api/v1/approval-requests/${link}`);
        const approve = await scoped.as('grace@example.com').post(`/api/v1/approval-requests/${link}/approve`);
        expect([view.status, approve.status]).toEqual([404, 404]);
        expect(approve.body.error.message).toContain("no eligible role on project 'finance-ledger', or this service does not offer it");
        const reads = [...scoped.emulator.state.calls.keys()].filter((m) => /getIamPolicy|setIamPolicy|effectiveIamPolicies|analyzeIamPolicy/.test(m));
        expect(reads).toEqual([]);
      } finally {
        await scoped.close();
      }
    });
  });

  describe('sign-in before anything else', () => {
    test.each([
      ['a body that is not JSON', '{"roles": [', {}],
      ['a body over the size limit', JSON.stringify({ justification: 'x'.repeat(100_000) }), {}],
    ])('an unauthenticated caller sending %s gets 401, not 400 or 413', async (_name, body) => {
      const anonymous = apiClient(stack.url, async () => undefined);
      const res = await anonymous.post('/api/v1/projects/staging-app/activations', body);
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
    });
  });

  test('racing an End and an Extend of one grant: one of them loses, and what is left agrees with the winner', async () => {
    const alice = stack.as('alice@example.com');
    expect((await alice.post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-7', durationMinutes: 10 })).status).toBe(201);
    const [grant] = await grantsOf(stack, 'alice@example.com');
    const [ended, extended] = await Promise.all([alice.del(`/api/v1/me/grants/${grant.id}`), alice.post(`/api/v1/me/grants/${grant.id}/extend`, { durationMinutes: 60 })]);
    const statuses = [ended.status, extended.status];
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409 || s === 404)).toHaveLength(1);
    const left = await grantsOf(stack, 'alice@example.com');
    if (ended.status === 200) expect(left).toEqual([]);
    else expect(left.map((g) => g.end)).toEqual([extended.body.grant.end]);
  });
});
