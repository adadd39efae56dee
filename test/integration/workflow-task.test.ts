// /tasks/workflows: the same two callers as the sweeper (App Engine cron on App Engine, Cloud Scheduler with a
// Google-signed OIDC token of CLEANUP_INVOKER_SERVICE_ACCOUNT), the token issued for this task's own URL.
import { startStack, mintAssertion, type Stack } from '../support/stack';
import { googleClients } from '../support/emulator';

const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';

async function idToken(stack: Stack, serviceAccount: string, audience: string): Promise<string> {
  const res = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${serviceAccount}`,
    requestBody: { audience, includeEmail: true },
  });
  return res.data.token!;
}

async function call(url: string, options: { query?: string; headers?: Record<string, string>; method?: 'GET' | 'POST' } = {}) {
  const res = await fetch(`${url}/tasks/workflows${options.query ?? ''}`, { method: options.method ?? 'POST', headers: options.headers ?? {} });
  return { status: res.status, body: (await res.json()) as any };
}

async function auditEntries(stack: Stack, event: string): Promise<any[]> {
  await stack.service.audit.flush();
  return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event);
}

describe('/tasks/workflows callers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { PUBLIC_URL, CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER } });
  });
  afterAll(() => stack.close());

  test('the scheduler’s token for PUBLIC_URL/tasks/workflows runs every pass, and the run is audited', async () => {
    const token = await idToken(stack, SCHEDULER, `${PUBLIC_URL}/tasks/workflows`);
    const res = await call(stack.url, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(false);
    expect(res.body.passes.map((p: any) => p.name)).toEqual(['escalation', 'scheduledStarts', 'grantEndReminders']);
    const [run] = await auditEntries(stack, 'workflows.run');
    expect(run.jsonPayload).toMatchObject({ invoker: `serviceAccount:${SCHEDULER}`, dryRun: false });
    const dry = await call(stack.url, { query: '?dryRun=true', headers: { authorization: `Bearer ${token}` } });
    expect(dry.body.dryRun).toBe(true);
    const bad = await call(stack.url, { query: '?dryRun=yes', headers: { authorization: `Bearer ${token}` } });
    expect(bad.status).toBe(400);
  });

  test.each([
    ['no credentials', async () => ({}), 401, 'App Engine cron'],
    ['the cron header off App Engine', async () => ({ 'x-appengine-cron': 'true' }), 403, 'trusted only on App Engine'],
    ['a token for the sweeper’s URL', async (s: Stack) => ({ authorization: `Bearer ${await idToken(s, SCHEDULER, `${PUBLIC_URL}/tasks/cleanup`)}` }), 401, 'audience'],
    ['a token of another account', async (s: Stack) => ({ authorization: `Bearer ${await idToken(s, 'jitaccess@jit-host.iam.gserviceaccount.com', `${PUBLIC_URL}/tasks/workflows`)}` }), 403, 'CLEANUP_INVOKER_SERVICE_ACCOUNT'],
    ['an IAP assertion', async (s: Stack) => ({ authorization: `Bearer ${await mintAssertion(s.emulator, { email: SCHEDULER })}` }), 401, 'RS256'],
  ])('%s → refused, and no pass runs', async (_name, headers, status, message) => {
    const runs = (await auditEntries(stack, 'workflows.run')).length;
    const res = await call(stack.url, { headers: await headers(stack), method: 'GET' });
    expect(res.status).toBe(status);
    expect(res.body.error.message).toContain(message);
    expect(await auditEntries(stack, 'workflows.run')).toHaveLength(runs);
  });
});

test('GRANT_END_REMINDER_MINUTES=off: the task runs no reminder pass', async () => {
  const off = await startStack({ env: { PUBLIC_URL, CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, GRANT_END_REMINDER_MINUTES: 'off' } });
  try {
    const res = await call(off.url, { headers: { authorization: `Bearer ${await idToken(off, SCHEDULER, `${PUBLIC_URL}/tasks/workflows`)}` } });
    expect(res.body.passes.map((p: any) => p.name)).toEqual(['escalation', 'scheduledStarts']);
  } finally {
    await off.close();
  }
});
