// Grant-end reminders (a pass of /tasks/workflows) on the service clock: the holder of a grant is reminded once,
// by email with a link to My access, Pub/Sub and in the chat channels the rule names (not the default channel), when it
// ends within GRANT_END_REMINDER_MINUTES plus the task's interval — not before, not for a grant ended early, and
// never for a planted audit entry: each candidate is confirmed against the project's IAM policy first.
import { startSecondInstance, startStack, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
import { chatEnvironment } from '../../emulator/service-env';
import type { World } from '../../emulator/world';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const POLICY = `
version: 1
rules:
  - name: staging
    match: { projects: [ staging-app ] }
    notify: { chat: [ staging ] }
`;

const world: World = {
  ...demoWorld(),
  chatWebhooks: [
    { platform: 'googleChat', space: 'general', key: 'chat-key', token: 'chat-token' },
    { platform: 'googleChat', space: 'staging', key: 'chat-key-2', token: 'chat-token-2' },
  ],
};
const TOPIC = 'projects/jit-host/topics/jit-access-events';
const events = () => stack.emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));
let stack: Stack;
let env: Record<string, string>;

beforeAll(async () => {
  const file = temporaryAccessPolicy(POLICY).path;
  stack = await startStack({
    world,
    clock: true,
    // 15 minutes before the end, every 5 minutes: a grant is due once it ends within 20 minutes.
    env: (emulator) => (env = { PUBLIC_URL, ACCESS_POLICY: file, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, GRANT_END_REMINDER_MINUTES: '15', WORKFLOW_TASK_INTERVAL_MINUTES: '5', ...chatEnvironment(emulator, world) }),
  });
});
afterAll(() => stack.close());

async function reminders(url = stack.url, dryRun = false): Promise<{ done: string[]; pending: string[]; failures: unknown[] }> {
  const token = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${SCHEDULER}`,
    requestBody: { audience: `${PUBLIC_URL}/tasks/workflows`, includeEmail: true },
  });
  const res = await fetch(`${url}/tasks/workflows${dryRun ? '?dryRun=true' : ''}`, { method: 'POST', headers: { authorization: `Bearer ${token.data.token}` } });
  expect(res.status).toBe(200);
  const { name: _name, ...report } = ((await res.json()) as any).passes.find((p: any) => p.name === 'grantEndReminders');
  return report;
}

async function activate(projectId: string, role: string): Promise<{ id: string; end: string }> {
  const res = await stack.as('alice@example.com').post(`/api/v1/projects/${projectId}/activations`, { roles: [`${projectId}:${role}`], justification: 'INC-40 deploy', durationMinutes: 60 });
  expect(res.status).toBe(201);
  const grants = (await stack.as('alice@example.com').get('/api/v1/me/grants')).body.grants;
  return grants.find((g: any) => g.projectId === projectId && g.role === role);
}

test('reminded once, by email, Pub/Sub and the rule’s chat, within the lead time; never early, for an ended grant or a planted entry', async () => {
  const kept = await activate('staging-app', 'roles/compute.admin');
  const ended = await activate('prod-app', 'roles/cloudsql.admin');
  expect((await stack.as('alice@example.com').del(`/api/v1/me/grants/${ended.id}`, { reason: 'done early' })).status).toBe(200);
  // Planted: alice's entry copied for bob, who holds no such grant, and for alice's grant with another end.
  await stack.service.audit.flush();
  const entry = stack.emulator.state.logEntries.find((e: any) => e.jsonPayload?.event === 'activation.succeeded' && e.jsonPayload.project === 'staging-app') as any;
  const plant = (suffix: string, payload: Record<string, unknown>) =>
    stack.emulator.state.logEntries.push({ ...structuredClone(entry), insertId: `${entry.insertId}-${suffix}`, jsonPayload: { ...structuredClone(entry.jsonPayload), ...payload } });
  plant('bob', { user: { ...entry.jsonPayload.user, email: 'bob@example.com' } });
  plant('later', { grants: [{ ...entry.jsonPayload.grants[0], end: new Date(Date.parse(kept.end) + 5 * 60_000).toISOString() }] });
  stack.emulator.state.mail = [];
  stack.emulator.state.chat = [];
  stack.emulator.state.messages = [];

  // 21 minutes before the end: not yet.
  await stack.advance(39 * 60);
  expect(await reminders()).toEqual({ done: [], pending: [], failures: [] });
  // 19 minutes before: due; a dry run reports it, a run sends it once.
  await stack.advance(2 * 60);
  expect(await reminders(stack.url, true)).toEqual({ done: [], pending: [kept.id], failures: [] });
  expect(stack.emulator.state.mail).toEqual([]);
  expect(events()).toEqual([]);
  expect(await reminders()).toEqual({ done: [kept.id], pending: [], failures: [] });
  expect(stack.emulator.state.mail.map((m) => m.to)).toEqual(['alice@example.com']);
  expect(stack.emulator.state.mail[0].subject).toMatch(/^Your access to project staging-app ends at /);
  expect(stack.emulator.state.mail[0].text).toMatch(/\nMy access: https:\/\/jit\.example\.com\/my-access$/);
  expect(stack.emulator.state.chat.map((p) => p.destination)).toEqual(['staging']);
  expect(JSON.stringify(stack.emulator.state.chat[0].body)).toContain('Access ends soon');
  expect(events()).toEqual([
    {
      type: 'GrantEndingSoon',
      attributes: {
        grant_id: kept.id,
        beneficiary: 'alice@example.com',
        project_id: 'staging-app',
        role: 'roles/compute.admin',
        resource_condition: '',
        end_time: kept.end.replace('.000Z', 'Z'),
        base_url: `${PUBLIC_URL}/`,
      },
    },
  ]);

  // Once: on this instance, and on another that reads the reminder back from the log.
  expect(await reminders()).toEqual({ done: [], pending: [], failures: [] });
  await stack.service.audit.flush();
  await stack.advance(2);
  const other = await startSecondInstance(stack, world, env);
  try {
    expect(await reminders(other.url)).toEqual({ done: [], pending: [], failures: [] });
  } finally {
    await other.close();
  }
  expect(stack.emulator.state.mail).toHaveLength(1);
  expect(events()).toHaveLength(1);
  const sent = stack.emulator.state.logEntries.filter((e: any) => e.jsonPayload?.event === 'grant.reminder.sent').map((e: any) => e.jsonPayload);
  expect(sent).toEqual([expect.objectContaining({ beneficiary: 'alice@example.com', project: 'staging-app', grantId: kept.id, end: kept.end })]);

  // Once the grant has ended, nothing more.
  await stack.advance(20 * 60);
  expect(await reminders()).toEqual({ done: [], pending: [], failures: [] });
  expect(stack.emulator.state.mail).toHaveLength(1);
});
