// Attacks on the service, beyond those in core.test.ts (expired, wrong audience or issuer, foreign key,
// alg none, missing CSRF header) and approval.test.ts (tampered, foreign and replayed approval tokens,
// reviewers outside the request): broken and forged IAP assertions, identities smuggled past IAP, other
// users' grants, projects outside RESOURCE_SCOPE, conditions smuggled through role ids, and CEL in a
// justification. Every refusal is a 4xx that says why, and none changes IAM.
import { startStack, mintAssertion, apiClient, policyOf, type Stack } from '../support/stack';

const STORAGE = 'prod-app:roles/storage.objectAdmin';
/** Bob's eligible binding on prod-app: self-activation, limited to one bucket (demo world). */
const BUCKET_CONDITION = 'resource.name.startsWith("projects/_/buckets/prod-app-logs")';
const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The bindings of every project: an attack must leave all of them as they were. */
function allPolicies(stack: Stack): Record<string, unknown> {
  return structuredClone(Object.fromEntries([...stack.emulator.state.policies].filter(([name]) => name.startsWith('projects/'))));
}

async function auditEntries(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

function activationsOf(bindings: any[], user: string): any[] {
  return bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${user}`));
}

describe('against the demo world', () => {
  let stack: Stack;
  let before: Record<string, unknown>;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());
  beforeEach(async () => {
    await stack.service.audit.flush();
    stack.emulator.state.reset();
    before = allPolicies(stack);
  });

  describe('broken and forged IAP assertions (401, no IAM change)', () => {
    const activation = { roles: ['staging-app:roles/compute.admin'], justification: 'INC-1', durationMinutes: 5 };
    const withAssertion = (assertion: string) => apiClient(stack.url, async () => assertion);
    const valid = () => mintAssertion(stack.emulator, { email: 'alice@example.com' });

    test.each<[string, () => Promise<string>, string]>([
      ['an empty header', async () => ' ', 'no x-goog-iap-jwt-assertion header'],
      ['garbage', async () => 'not-a-jwt', 'malformed'],
      ['a truncated assertion', async () => (await valid()).slice(0, -20), 'signature is invalid'],
      ['an assertion cut inside its payload', async () => (await valid()).split('.').slice(0, 2).join('.').slice(0, 60), 'malformed'],
      ['a two-part assertion (no signature)', async () => (await valid()).split('.').slice(0, 2).join('.'), 'malformed'],
      ['a four-part assertion', async () => `${await valid()}.AAAA`, 'malformed'],
      ['an HS256 assertion keyed with the public key (algorithm confusion)', () => mintAssertion(stack.emulator, { email: 'alice@example.com', alg: 'HS256' }), 'not signed with ES256'],
      ['an assertion naming a key IAP does not publish', () => mintAssertion(stack.emulator, { email: 'alice@example.com', kid: 'unknown-key' }), 'a key IAP does not publish'],
      ['an assertion issued an hour in the future', () => mintAssertion(stack.emulator, { email: 'alice@example.com', issuedAtOffsetSeconds: 3600, expiresInSeconds: 3900 }), 'not valid yet'],
      ['an assertion issued 20 minutes ago that claims to live an hour', () => mintAssertion(stack.emulator, { email: 'alice@example.com', issuedAtOffsetSeconds: -1200, expiresInSeconds: 2400 }), 'expired'],
    ])('%s', async (_name, assertion, reason) => {
      const res = await withAssertion(await assertion()).post('/api/v1/projects/staging-app/activations', activation);
      expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
      expect(res.body.error.message).toContain(reason);
      expect(allPolicies(stack)).toEqual(before);
      expect(stack.emulator.state.calls.get('cloudresourcemanager.projects.setIamPolicy')).toBeUndefined();
      expect((await auditEntries(stack, 'auth.failed')).length).toBe(1);
    });

    test('an assertion too large for a header is refused before it reaches the service', async () => {
      const res = await fetch(`${stack.url}/api/v1/me`, { headers: { 'x-goog-iap-jwt-assertion': 'a'.repeat(20_000), 'x-jitaccess': '1' } });
      expect(res.status).toBe(431);
    });

    test.each(['0', 'true', '11', ''])('an X-JITACCESS header of %p is refused like a missing one', async (value) => {
      const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', activation, { 'x-jitaccess': value });
      expect([res.status, res.body.error.code]).toEqual([403, 'CSRF_HEADER_MISSING']);
      expect(allPolicies(stack)).toEqual(before);
    });
  });

  describe('identities smuggled past the assertion', () => {
    test('headers claiming another user are ignored: the assertion alone says who calls', async () => {
      const spoofed = {
        'x-goog-authenticated-user-email': 'accounts.google.com:bob@example.com',
        'x-goog-authenticated-user-id': 'accounts.google.com:1',
        'x-debug-principal': 'bob@example.com',
        'x-forwarded-user': 'bob@example.com',
      };
      const me = await stack.as('alice@example.com').get('/api/v1/me', spoofed);
      expect(me.body.user.email).toBe('alice@example.com');
      // Bob's bucket role stays out of reach for alice, whatever the headers say.
      const res = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: [`${STORAGE}:${base64(BUCKET_CONDITION)}`], justification: 'INC-1', durationMinutes: 5 }, spoofed);
      expect([res.status, res.body.error.code]).toEqual([403, 'NOT_ELIGIBLE']);
      expect(res.body.error.message).toContain('alice@example.com');
      expect(allPolicies(stack)).toEqual(before);
    });

    test('a body naming another user is refused, not obeyed', async () => {
      const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', {
        roles: ['staging-app:roles/compute.admin'],
        justification: 'INC-1',
        durationMinutes: 5,
        user: 'bob@example.com',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('unknown field "user"');
      expect(allPolicies(stack)).toEqual(before);
    });

    test("a valid assertion replayed on another user's grant can neither end nor extend it", async () => {
      const granted = await stack.as('bob@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-2', durationMinutes: 10 });
      expect(granted.status).toBe(201);
      const [bobsGrant] = (await stack.as('bob@example.com').get('/api/v1/me/grants')).body.grants;
      const afterGrant = allPolicies(stack);
      stack.emulator.state.calls.clear();

      const alice = stack.as('alice@example.com');
      const ended = await alice.del(`/api/v1/me/grants/${bobsGrant.id}`, { reason: 'mischief' });
      const extended = await alice.post(`/api/v1/me/grants/${bobsGrant.id}/extend`, { durationMinutes: 120 });
      for (const res of [ended, extended]) {
        expect(res.status).toBe(404);
        expect(res.body.error.message).toContain('alice@example.com');
      }
      expect(allPolicies(stack)).toEqual(afterGrant);
      expect(stack.emulator.state.calls.get('cloudresourcemanager.projects.setIamPolicy')).toBeUndefined();
      expect((await stack.as('bob@example.com').get('/api/v1/me/grants')).body.grants).toEqual([bobsGrant]);
    });
  });

  describe('resource conditions smuggled through role ids (no grant wider than the eligible binding)', () => {
    /** A condition whose standard base64 has `+` or `/`, so its URL-safe form differs. */
    const SLASHY = 'resource.name == "???>>>"';

    test.each<[string, string, number, string]>([
      ['unpadded base64', `${STORAGE}:${base64('true').replace(/=+$/, '')}`, 400, 'padded standard base64'],
      ['URL-safe base64', `${STORAGE}:${Buffer.from(SLASHY).toString('base64url')}`, 400, 'padded standard base64'],
      ['base64 with whitespace', `${STORAGE}:${base64(BUCKET_CONDITION).replace(/(.{8})/, '$1 ')}`, 400, 'padded standard base64'],
      ['the eligible condition, not canonical (single quotes)', `${STORAGE}:${base64(BUCKET_CONDITION.replaceAll('"', "'"))}`, 400, 'not in canonical form'],
      ['the eligible condition with a comment', `${STORAGE}:${base64(`${BUCKET_CONDITION} // ok`)}`, 400, 'not in canonical form'],
      ['the eligible condition in redundant parentheses', `${STORAGE}:${base64(`(${BUCKET_CONDITION})`)}`, 400, 'not in canonical form'],
      ['a condition that breaks out of its parentheses', `${STORAGE}:${base64('true) || (true')}`, 400, 'not a valid CEL expression'],
      ['an extra ":" part', `${STORAGE}:${base64(BUCKET_CONDITION)}:dHJ1ZQ==`, 400, 'is not an entitlement id'],
      ['a condition hidden in the role', `prod-app:roles/storage.objectAdmin:x:${base64(BUCKET_CONDITION)}`, 400, 'is not an entitlement id'],
      ['a widened condition (OR true)', `${STORAGE}:${base64(`${BUCKET_CONDITION} || true`)}`, 403, 'is not eligible'],
      ['the condition "true"', `${STORAGE}:${base64('true')}`, 403, 'is not eligible'],
      ['no condition at all (the whole project)', `${STORAGE}:`, 403, 'is not eligible'],
      ['another bucket', `${STORAGE}:${base64(BUCKET_CONDITION.replace('prod-app-logs', 'prod-app-data'))}`, 403, 'is not eligible'],
    ])('%s', async (_name, roleId, status, message) => {
      expect(Buffer.from(SLASHY).toString('base64')).toMatch(/[+/]/);
      const activation = await stack.as('bob@example.com').post('/api/v1/projects/prod-app/activations', { roles: [roleId], justification: 'INC-1', durationMinutes: 5 });
      expect(activation.status).toBe(status);
      expect(activation.body.error.message).toContain(message);
      const request = await stack.as('bob@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: roleId, justification: 'INC-1', durationMinutes: 5, reviewers: ['carol@example.com'] });
      expect(request.status).toBe(status);
      expect(allPolicies(stack)).toEqual(before);
      expect(stack.emulator.state.mail).toEqual([]);
    });

    test('the canonical id is the one that works, and the grant carries exactly the eligible condition', async () => {
      const roleId = `${STORAGE}:${base64(BUCKET_CONDITION)}`;
      const res = await stack.as('bob@example.com').post('/api/v1/projects/prod-app/activations', { roles: [roleId], justification: 'INC-1', durationMinutes: 5 });
      expect(res.status).toBe(201);
      const [binding] = activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'bob@example.com').filter((b) => b.role === 'roles/storage.objectAdmin');
      const { start, end } = res.body.grants[0];
      const at = (iso: string) => iso.replace('.000Z', 'Z');
      expect(binding.condition.expression).toBe(`((request.time >= timestamp("${at(start)}") && request.time < timestamp("${at(end)}"))) && (${BUCKET_CONDITION})`);
    });
  });

  describe('numbers no activation can last (found by fuzzing: they once ended in a 500)', () => {
    test.each([Number.MAX_SAFE_INTEGER, 1e308, -1e308, 2 ** 53 + 2])('durationMinutes %p is a 400 everywhere a duration is accepted', async (durationMinutes) => {
      const activation = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-1', durationMinutes });
      const request = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: 'prod-app:roles/compute.admin', justification: 'INC-1', durationMinutes, reviewers: ['bob@example.com'] });
      for (const res of [activation, request]) {
        expect(res.status).toBe(400);
        expect(res.body.error.message).toMatch(/durationMinutes|duration/);
      }
      expect(allPolicies(stack)).toEqual(before);
      expect(stack.emulator.state.mail).toEqual([]);
    });
  });

  describe('CEL and quotes in a justification go into the description only', () => {
    test.each([
      `INC-1") || true || ("`,
      `INC-1' || true || '`,
      'INC-1)) || ((true',
      'INC-1 && request.time < timestamp("2099-01-01T00:00:00Z")',
      'has({}.jitAccessConstraint) // JIT access activation',
      'INC-1 /* */ \\" \\\\',
      '“INC-1” ‘quoted’ ＜fullwidth＞',
    ])('%p', async (justification) => {
      const roleId = `${STORAGE}:${base64(BUCKET_CONDITION)}`;
      const res = await stack.as('bob@example.com').post('/api/v1/projects/prod-app/activations', { roles: [roleId], justification, durationMinutes: 5 });
      expect(res.status).toBe(201);
      const [binding] = activationsOf((await policyOf(stack.emulator, 'prod-app')).bindings, 'bob@example.com').filter((b) => b.role === 'roles/storage.objectAdmin');
      const { start, end } = res.body.grants[0];
      const at = (iso: string) => iso.replace('.000Z', 'Z');
      expect(binding.condition).toEqual({
        title: 'JIT access activation',
        description: `Self-approved, justification: ${justification}`,
        expression: `((request.time >= timestamp("${at(start)}") && request.time < timestamp("${at(end)}"))) && (${BUCKET_CONDITION})`,
      });
      // The same text travels as the x-goog-request-reason header, made safe for a header.
      expect(stack.emulator.state.requestReasons.at(-1)!.reason).toMatch(/^[\x20-\x7e]+$/);
    });

    test.each(['INC-1 \u202Edesrever', 'INC-1\u2066isolated\u2069', 'INC-1\u200Bhidden', '\uFEFFINC-1'])('a justification with a text-direction or invisible character (%j) is refused, saying which', async (justification) => {
      const before = structuredClone(await policyOf(stack.emulator, 'staging-app'));
      const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification, durationMinutes: 5 });
      expect([res.status, res.body.error.code]).toEqual([400, 'INVALID_ARGUMENT']);
      expect(res.body.error.message).toMatch(/invisible or text-direction character \(U\+[0-9A-F]{4} at position \d+\)/);
      expect(await policyOf(stack.emulator, 'staging-app')).toEqual(before);
    });

    test('a tab in a justification is accepted, as in jit-access 1.x, and recorded as a space', async () => {
      const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-1\tdisk full', durationMinutes: 5 });
      expect(res.status).toBe(201);
      expect(res.body.justification).toBe('INC-1 disk full');
      const [binding] = activationsOf((await policyOf(stack.emulator, 'staging-app')).bindings, 'alice@example.com');
      expect(binding.condition.description).toBe('Self-approved, justification: INC-1 disk full');
    });

    test.each(['INC-1\nBcc: x', 'INC-1\u2028x', 'INC-1\u0000x', 'INC-1\rx'])('a justification with a line break or control character (%j) is refused', async (justification) => {
      const res = await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification, durationMinutes: 5 });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('single line');
      expect(allPolicies(stack)).toEqual(before);
    });
  });
});

describe('a project outside RESOURCE_SCOPE (scope: the finance folder)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { RESOURCE_SCOPE: 'folders/200000000002' } });
  });
  afterAll(() => stack.close());

  test('is not listed, its roles are the 404 of a project not offered, and nothing can be activated or requested on it', async () => {
    const before = allPolicies(stack);
    stack.emulator.state.calls.clear();
    const alice = stack.as('alice@example.com');
    expect((await alice.get('/api/v1/projects')).body.projects).toEqual([]);

    const roles = await alice.get('/api/v1/projects/prod-app/roles');
    expect(roles.status).toBe(404);
    expect(roles.body.error.message).toContain("no eligible role on project 'prod-app', or this service does not offer it");

    const activation = await alice.post('/api/v1/projects/prod-app/activations', { roles: ['prod-app:roles/cloudsql.admin'], justification: 'INC-1', durationMinutes: 5 });
    expect(activation.status).toBe(404);
    const request = await alice.post('/api/v1/projects/prod-app/approval-requests', { role: 'prod-app:roles/compute.admin', justification: 'INC-1', durationMinutes: 5, reviewers: ['bob@example.com'] });
    expect(request.status).toBe(404);
    const reviewers = await alice.get(`/api/v1/projects/prod-app/reviewers?role=${encodeURIComponent('prod-app:roles/compute.admin')}`);
    expect(reviewers.status).toBe(404);

    expect(stack.emulator.state.calls.get('cloudresourcemanager.projects.setIamPolicy')).toBeUndefined();
    expect(allPolicies(stack)).toEqual(before);
    expect(stack.emulator.state.mail).toEqual([]);
  });

  test('a project inside the scope works as usual', async () => {
    expect((await stack.as('frank@example.com').get('/api/v1/projects')).body.projects).toEqual([{ id: 'finance-ledger', displayName: 'Finance ledger' }]);
    const roles = await stack.as('frank@example.com').get('/api/v1/projects/finance-ledger/roles');
    expect(roles.body.roles.map((r: any) => r.role)).toEqual(['roles/cloudsql.admin']);
  });
});
