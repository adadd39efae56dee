// Fuzzing every route the service serves (found in its router, so a new route is fuzzed without a change
// here): random methods, parameters, query strings, headers, assertions and bodies, some of them nearly
// valid so that the checks behind validation are reached too. Whatever arrives: never a 5xx, an /api
// error is always `{"error": {code, message}}`, nothing crashes, and IAM changes only when the service
// answered 2xx to a request that grants or ends access, and then only by activation bindings.
import fc from 'fast-check';
import type { Express } from 'express';
import { startStack, mintAssertion, policyOf, type Stack } from '../support/stack';
import { CaseCounter, fuzzParameters, fuzzSeed } from '../support/fuzz';

interface Route {
  method: string;
  /** Express pattern: `/api/v1/projects/:projectId/roles`, `/{*splat}`. */
  path: string;
}

/** Every route of the app, read from Express's router: routers mounted on a path contribute their routes. */
function routesOf(app: Express): Route[] {
  const routes: Route[] = [];
  const walk = (layers: any[], prefix: string) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) routes.push({ method: method.toUpperCase(), path: `${prefix}${layer.route.path}` });
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : ''));
      }
    }
  };
  walk((app as any).router.stack, '');
  return routes;
}

const routeName = (r: Route) => `${r.method} ${r.path}`;

/** Requests that may change IAM when they succeed; anything else must leave every policy alone. */
const GRANTING = new Set([
  'POST /api/v1/projects/:projectId/activations',
  'POST /api/v1/approval-requests/:token/approve',
  'POST /api/v1/approval-requests/:token/deny',
  'POST /api/v1/approval-requests/:token/cancel',
  'DELETE /api/v1/me/grants/:grantId',
  'POST /api/v1/me/grants/:grantId/extend',
  'GET /tasks/cleanup',
  'POST /tasks/cleanup',
]);

function projectPolicies(stack: Stack): string {
  return JSON.stringify([...stack.emulator.state.policies].filter(([name]) => name.startsWith('projects/')).sort(([a], [b]) => a.localeCompare(b)));
}

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), printable(30));

describe('fuzz: every route', () => {
  let stack: Stack;
  let routes: Route[];
  const cases = new CaseCounter('fuzz (HTTP routes)');
  const perRoute = new Map<string, number>();
  /** Answers to /api requests by status class: the fuzzing must reach successes, not only refusals. */
  const apiStatuses = new Map<string, number>();
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  /** Values the service issued, so that random requests reach past the parsers too. */
  const issued = { roleIds: [] as string[], selfRoles: [] as { email: string; project: string; ids: string[] }[], grantId: '', token: '' };
  let assertions: (string | undefined)[] = [];
  const callers = new Map<string, string>();

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    stack = await startStack();
    routes = routesOf(stack.service.app);
    const mint = (options: Record<string, unknown>) => mintAssertion(stack.emulator, options);
    assertions = await Promise.all([
      ...['alice@example.com', 'bob@example.com', 'carol@example.com', 'mallory@example.com', 'frank@example.com', 'Stranger@Elsewhere.org'].map((email) => mint({ email })),
      mint({ email: 'alice@example.com', expiresInSeconds: -100 }),
      mint({ email: 'alice@example.com', alg: 'HS256' }),
      mint({ email: 'alice@example.com', alg: 'none' }),
      mint({ email: 'alice@example.com', audience: '/projects/1/apps/elsewhere' }),
    ]);
    ['alice@example.com', 'bob@example.com', 'carol@example.com', 'mallory@example.com'].forEach((email, i) => callers.set(email, assertions[i]!));
    // Mostly valid callers, so that most cases get past authentication to what lies behind it.
    assertions = [...assertions.slice(0, 6), ...assertions.slice(0, 6), ...assertions, undefined, 'garbage', 'a.b.c'];

    for (const email of ['alice@example.com', 'bob@example.com']) {
      for (const project of ['prod-app', 'staging-app']) {
        const roles = (await stack.as(email).get(`/api/v1/projects/${project}/roles`)).body.roles;
        issued.roleIds.push(...roles.map((r: any) => r.id));
        issued.selfRoles.push({ email, project, ids: roles.filter((r: any) => r.activationType === 'self').map((r: any) => r.id) });
      }
    }
    const alice = stack.as('alice@example.com');
    await alice.post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-1', durationMinutes: 30 });
    issued.grantId = (await alice.get('/api/v1/me/grants')).body.grants[0].id;
    issued.token = (await alice.post('/api/v1/projects/prod-app/approval-requests', { role: 'prod-app:roles/compute.admin', justification: 'INC-2', durationMinutes: 30, reviewers: ['bob@example.com'] })).body.token;
    await stack.service.audit.flush();
    stack.emulator.state.reset();
  });

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    cases.report(`answers on /api by status: ${[...apiStatuses].sort().map(([status, n]) => `${status}: ${n}`).join(', ')}`);
    await stack?.close();
  });

  function parameter(name: string): fc.Arbitrary<string> {
    const raw = fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '%2e%2e%2fhealth', '%00', 'a%2Fb');
    const encoded = (values: fc.Arbitrary<string>) => values.map((v) => encodeURIComponent(v));
    if (name === 'projectId') return fc.oneof(fc.constantFrom('prod-app', 'staging-app', 'finance-ledger', 'jit-host', 'old-prototype', 'not-a-project'), encoded(anyText), raw);
    if (name === 'grantId') return fc.oneof(fc.constant(issued.grantId), fc.base64String().map((s) => s.replace(/[+/=]/g, '_')), encoded(anyText), raw);
    if (name === 'token') return fc.oneof(fc.constant(issued.token), fc.constant(issued.token.slice(0, -7)), fc.constant(`${issued.token}~x`), encoded(anyText), raw);
    return fc.oneof(encoded(anyText), raw, fc.constantFrom('', 'index.html', 'assets/x.js', 'api/v1/me'));
  }

  function pathOf(route: Route): fc.Arbitrary<string> {
    const names = [...route.path.matchAll(/:(\w+)|\{\*(\w+)\}/g)].map((m) => m[1] ?? m[2]);
    return fc.tuple(...names.map(parameter)).map((values) => names.reduce((path, name, i) => path.replace(new RegExp(`:${name}|\\{\\*${name}\\}`), values[i]), route.path));
  }

  const roleId = () => fc.oneof(fc.constantFrom(...issued.roleIds), anyText, fc.constantFrom('prod-app:roles/storage.objectAdmin:dHJ1ZQ==', 'prod-app:roles/compute.admin:', ':', 'prod-app::'));
  const duration = fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double(), fc.constantFrom(Number.MAX_SAFE_INTEGER, 1e308, '30', null));
  const justification = fc.oneof(anyText, fc.constantFrom('INC-1', 'INC-1") || true || ("', 'a'.repeat(200), ' '));
  const email = fc.oneof(fc.constantFrom('bob@example.com', 'carol@example.com', 'alice@example.com', 'BOB@example.com'), fc.emailAddress(), anyText);

  function bodyOf(route: Route): fc.Arbitrary<unknown> {
    const nearlyValid: Record<string, fc.Arbitrary<unknown>> = {
      'POST /api/v1/projects/:projectId/activations': fc.record({ roles: fc.array(roleId(), { maxLength: 12 }), justification, durationMinutes: duration }, { requiredKeys: ['roles', 'justification'] }),
      'POST /api/v1/projects/:projectId/approval-requests': fc.record({ role: roleId(), justification, durationMinutes: duration, reviewers: fc.array(email, { maxLength: 12 }) }, { requiredKeys: ['role'] }),
      'POST /api/v1/me/grants/:grantId/extend': fc.record({ durationMinutes: duration, justification }, { requiredKeys: [] }),
      'DELETE /api/v1/me/grants/:grantId': fc.record({ reason: justification }, { requiredKeys: [] }),
    };
    const shaped = nearlyValid[routeName(route)];
    return fc.oneof(...(shaped ? [shaped, shaped] : []), fc.jsonValue(), fc.constant(undefined), anyText.map((text) => ({ raw: text })), fc.constant({ raw: 'x'.repeat(70_000) }));
  }

  const headers = fc.record({
    assertion: fc.nat(),
    csrf: fc.oneof({ weight: 6, arbitrary: fc.constant('1') }, fc.constant(undefined), printable(3)),
    contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', undefined),
    extra: fc.dictionary(fc.constantFrom('x-goog-authenticated-user-email', 'x-forwarded-proto', 'x-cloud-trace-context', 'authorization', 'x-appengine-cron', 'accept', 'x-debug-principal'), printable(40), { maxKeys: 3 }),
  });

  const query = fc.dictionary(fc.constantFrom('role', 'dryRun', 'activation', 'x', 'role[]'), fc.oneof(fc.constantFrom(...issued.roleIds.slice(0, 1), 'true', 'false'), anyText), { maxKeys: 3 });

  interface Case {
    name: string;
    method: string;
    path: string;
    /** The route's own path pattern, to tell a granting request. */
    pattern: string;
    query?: Record<string, string>;
    assertion?: string;
    headers?: Record<string, string>;
    contentType?: string;
    body?: unknown;
  }

  /** Sends one case and checks what must hold for any input; returns the answer for further checks. */
  async function sendAndCheck(c: Case): Promise<{ status: number; body: any; where: string }> {
    cases.count(c.name);
    const before = projectPolicies(stack);
    const search = new URLSearchParams(c.query ?? {}).toString();
    const sendsBody = c.body !== undefined && c.method !== 'GET' && c.method !== 'HEAD';
    const res = await fetch(`${stack.url}${c.path}${search ? `?${search}` : ''}`, {
      method: c.method,
      headers: {
        ...c.headers,
        ...(c.assertion ? { 'x-goog-iap-jwt-assertion': c.assertion } : {}),
        ...(c.contentType && sendsBody ? { 'content-type': c.contentType } : {}),
      },
      body: sendsBody ? (typeof c.body === 'object' && c.body !== null && 'raw' in c.body ? String((c.body as { raw: string }).raw) : JSON.stringify(c.body)) : undefined,
    });
    const text = await res.text();
    const where = `${c.method} ${c.path} → ${res.status} ${text.slice(0, 300)}`;
    if (c.path.startsWith('/api/')) apiStatuses.set(String(res.status), (apiStatuses.get(String(res.status)) ?? 0) + 1);

    expect([where, res.status < 500]).toEqual([where, true]);
    const body = text !== '' && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text;
    if (c.path.startsWith('/api/') && res.status >= 400 && c.method !== 'HEAD') {
      expect([where, typeof body.error?.code, typeof body.error?.message, body.error?.message.length > 0]).toEqual([where, 'string', 'string', true]);
    }
    const after = projectPolicies(stack);
    const granted = res.status >= 200 && res.status < 300 && GRANTING.has(`${c.method} ${c.pattern}`);
    if (!granted) {
      expect([where, after === before]).toEqual([where, true]);
    } else if (after !== before) {
      // What a granted request may change: activation bindings and the decisions that gate them, nothing else.
      const ours = new Set(['JIT access activation', 'JIT access decision']);
      const others = (json: string) => JSON.parse(json).map(([name, p]: [string, any]) => [name, p.bindings.filter((b: any) => !ours.has(b.condition?.title)).map((b: any) => JSON.stringify(b)).sort()]);
      expect([where, others(after)]).toEqual([where, others(before)]);
    }
    return { status: res.status, body, where };
  }

  async function resetIfChanged(before: string): Promise<void> {
    if (projectPolicies(stack) === before) return;
    await stack.service.audit.flush();
    stack.emulator.state.reset();
  }

  test('never a 5xx, always a JSON error on /api, IAM changed only by granted requests, no crash', async () => {
    expect(routes.filter((r) => r.path.startsWith('/api/')).length).toBeGreaterThanOrEqual(10);
    const requestTo = (route: Route) =>
      fc.record({
        route: fc.constant(route),
        method: fc.oneof(fc.constant(route.method), fc.constant(route.method), fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD')),
        path: pathOf(route),
        query,
        headers,
        body: bodyOf(route),
      });
    const request = fc.constantFrom(...routes).chain(requestTo);
    // One case per route before the random ones, so every route is fuzzed whatever the seed and the number of routes.
    const oneCasePerRoute = routes.map((route) => {
      const [value] = fc.sample(requestTo(route), { numRuns: 1, seed: fuzzSeed });
      return [value] as [typeof value];
    });

    await fc.assert(
      fc.asyncProperty(request, async ({ route, method, path, query: q, headers: h, body }) => {
        perRoute.set(routeName(route), (perRoute.get(routeName(route)) ?? 0) + 1);
        const before = projectPolicies(stack);
        await sendAndCheck({
          name: routeName(route),
          method,
          path,
          pattern: route.path,
          query: q as Record<string, string>,
          assertion: assertions[h.assertion % assertions.length],
          headers: { ...h.extra, ...(h.csrf !== undefined ? { 'x-jitaccess': h.csrf } : {}) },
          contentType: h.contentType,
          body,
        });
        await resetIfChanged(before);
      }),
      { ...fuzzParameters(150), examples: oneCasePerRoute },
    );

    expect(unhandled).toEqual([]);
    const answered = (status: number) => apiStatuses.get(String(status)) ?? 0;
    expect([answered(200), answered(400), answered(401), answered(403), answered(404)].every((n) => n > 0)).toBe(true);
    expect([...routes.map(routeName)].filter((r) => !perRoute.has(r))).toEqual([]);
    expect((await fetch(`${stack.url}/health/alive`)).status).toBe(200);
  });

  test('nearly valid requests reach the writes: what is granted is what was asked, with the text as given', async () => {
    const as = (email: string) => ({ assertion: callers.get(email)!, headers: { 'x-jitaccess': '1' }, contentType: 'application/json' });
    const selfActivation = fc.constantFrom(...issued.selfRoles).chain((eligible) =>
      fc.record({ kind: fc.constant('activate' as const), eligible: fc.constant(eligible), roles: fc.subarray(eligible.ids, { minLength: 1 }), justification, durationMinutes: duration }),
    );
    const approvalRequest = fc.record({
      kind: fc.constant('request' as const),
      reviewers: fc.array(email, { maxLength: 4 }),
      justification,
      durationMinutes: duration,
    });
    const approval = fc.record({ kind: fc.constant('approve' as const), approver: fc.constantFrom('bob@example.com', 'carol@example.com', 'alice@example.com', 'mallory@example.com') });
    const grantChange = fc.record({
      kind: fc.constantFrom('extend' as const, 'end' as const),
      caller: fc.constantFrom('alice@example.com', 'alice@example.com', 'bob@example.com'),
      justification: fc.option(justification, { nil: undefined }),
      durationMinutes: duration,
    });

    let activations = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(selfActivation, approvalRequest, approval, grantChange), async (c) => {
        const before = projectPolicies(stack);
        if (c.kind === 'activate') {
          const { eligible } = c;
          const res = await sendAndCheck({
            name: 'nearly valid: self-activation',
            method: 'POST',
            path: `/api/v1/projects/${eligible.project}/activations`,
            pattern: '/api/v1/projects/:projectId/activations',
            ...as(eligible.email),
            body: { roles: c.roles, justification: c.justification, durationMinutes: c.durationMinutes },
          });
          if (res.status === 201) {
            activations++;
            const written = (await policyOf(stack.emulator, eligible.project)).bindings.filter((b: any) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${eligible.email}`));
            for (const grant of res.body.grants) {
              const binding = written.find((b: any) => b.role === grant.role);
              expect([res.where, binding?.condition.description]).toEqual([res.where, `Self-approved, justification: ${c.justification}`]);
              expect(binding.condition.expression).toContain(`request.time < timestamp("${grant.end.replace('.000Z', 'Z')}")`);
            }
          }
        } else if (c.kind === 'request') {
          await sendAndCheck({
            name: 'nearly valid: approval request',
            method: 'POST',
            path: '/api/v1/projects/prod-app/approval-requests',
            pattern: '/api/v1/projects/:projectId/approval-requests',
            ...as('alice@example.com'),
            body: { role: 'prod-app:roles/compute.admin', reviewers: c.reviewers, justification: c.justification, durationMinutes: c.durationMinutes },
          });
        } else if (c.kind === 'approve') {
          await sendAndCheck({
            name: 'nearly valid: approval',
            method: 'POST',
            path: `/api/v1/approval-requests/${issued.token}/approve`,
            pattern: '/api/v1/approval-requests/:token/approve',
            ...as(c.approver),
          });
        } else {
          await stack.as('alice@example.com').post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-1', durationMinutes: 30 });
          const [grant] = (await stack.as('alice@example.com').get('/api/v1/me/grants')).body.grants;
          const extend = c.kind === 'extend';
          await sendAndCheck({
            name: `nearly valid: ${c.kind} a grant`,
            method: extend ? 'POST' : 'DELETE',
            path: `/api/v1/me/grants/${grant.id}${extend ? '/extend' : ''}`,
            pattern: `/api/v1/me/grants/:grantId${extend ? '/extend' : ''}`,
            ...as(c.caller),
            body: extend ? { durationMinutes: c.durationMinutes, ...(c.justification === undefined ? {} : { justification: c.justification }) } : { reason: c.justification },
          });
        }
        await resetIfChanged(before);
      }),
      fuzzParameters(60),
    );
    expect(activations).toBeGreaterThan(0);
    expect(unhandled).toEqual([]);
  });
});
