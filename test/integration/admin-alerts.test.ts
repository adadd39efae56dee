// Alerts of the Admin area on the emulator: each alert appears on a world or audit trail that triggers it and
// not otherwise; an activation binding written straight into a project's IAM policy is detected; admins and
// auditors read, others get 403; new alerts are sent once to the configured destinations by the scheduled task.
import { chatEnvironment } from '../../emulator/service-env';
import type { World } from '../../emulator/world';
import { demoWorld, googleClients } from '../support/emulator';
import { policyOf, startSecondInstance, startStack, type Stack } from '../support/stack';

const ADMIN = 'bob@example.com'; // in oncall@example.com
const AUDITOR = 'dave@example.com'; // in data-eng@example.com
const ORDINARY = 'frank@example.com';
const ALICE = 'alice@example.com'; // eligible for roles/cloudsql.admin on prod-app (self-approval)
const ROLE = 'roles/cloudsql.admin';
const TITLE = 'JIT access activation';
const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const MINUTE = 60_000;
const ENV = { ADMIN_GROUPS: 'oncall@example.com', AUDITOR_GROUPS: 'data-eng@example.com', AUDIT_POLL_SECONDS: '1' };

const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
/** Whole seconds, as activation bindings carry them. */
const minutesAgo = (n: number) => new Date(Math.floor((Date.now() - n * MINUTE) / 1000) * 1000);

/** The demo world, with condition titles not searchable: the strict reading of Asset Inventory. */
function world(): World {
  const w = structuredClone(demoWorld());
  w.assetInventory = { ...w.assetInventory, conditionTitlesIndexed: false };
  return w;
}

/** An activation binding written straight into the project's policy, as someone outside the service would. */
async function plantBinding(stack: Stack, projectId: string, user: string, start: Date, end: Date, role = ROLE) {
  (await policyOf(stack.emulator, projectId)).bindings.push({
    role,
    members: [`user:${user}`],
    condition: { title: TITLE, description: 'Self-approved, justification: planted', expression: `(request.time >= timestamp("${iso(start)}") && request.time < timestamp("${iso(end)}"))` },
  });
}

/**
 * Audit entries written through the Logging API at the given times, in the log and shape `AuditLog` writes
 * (jsonPayload = the event); break-glass events as the break-glass flow writes them.
 */
async function writeAudit(stack: Stack, entries: { time: Date; payload: Record<string, unknown> }[]) {
  await googleClients(stack.emulator).logging.entries.write({
    requestBody: {
      entries: entries.map((e) => ({
        logName: 'projects/jit-host/logs/jitaccess',
        resource: { type: 'global' },
        severity: 'NOTICE',
        timestamp: e.time.toISOString(),
        labels: { event: String(e.payload.event), outcome: 'success' },
        jsonPayload: { outcome: 'success', ...e.payload },
      })),
    },
  });
}

const user = (email: string) => ({ email, userId: `id-${email}`, deviceId: 'device', accessLevels: [] });
const activationEntry = (email: string, start: Date, end: Date, role = ROLE) => ({
  time: start,
  payload: { event: 'activation.succeeded', user: user(email), project: 'prod-app', activationId: `self-${start.getTime()}`, roles: [{ role, resourceCondition: null }], start: start.toISOString(), end: end.toISOString(), justification: 'INC-1' },
});
const breakGlassEntry = (time: Date, extra: Record<string, unknown>) => ({
  time,
  payload: {
    event: 'breakglass.activated',
    user: user('erin@example.com'),
    activationId: 'bg-7',
    project: 'prod-app',
    roles: [{ role: 'roles/owner', resourceCondition: null }],
    start: time.toISOString(),
    end: new Date(time.getTime() + 30 * MINUTE).toISOString(),
    durationMinutes: 30,
    reason: 'Production down',
    reviewers: ['user:grace@example.com'],
    reviewBy: new Date(time.getTime() + 60 * MINUTE).toISOString(),
    outsideSchedule: false,
    rule: 'production',
    ...extra,
  },
});

const kinds = (body: any) => body.alerts.map((a: any) => `${a.kind} ${a.user} ${a.role}`).sort();

describe('alerts: who may read them', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ world: world(), env: ENV });
  });
  afterAll(() => stack.close());

  test('admins and auditors read them, with where they come from; anyone else gets 403; a bad period is 400', async () => {
    for (const who of [ADMIN, AUDITOR]) {
      const res = await stack.as(who).get('/api/v1/admin/alerts');
      expect(res.status).toBe(200);
      expect(res.body.alerts).toEqual([]);
      expect(res.body.frequentActivations).toEqual({ count: 8, periodMinutes: 1440 });
      expect(res.body.freshness).toContain('audit log');
    }
    const denied = await stack.as(ORDINARY).get('/api/v1/admin/alerts');
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('NOT_ADMIN');
    for (const days of ['0', '31', 'week']) {
      const bad = await stack.as(ADMIN).get(`/api/v1/admin/alerts?days=${days}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('days');
    }
  });

  test('the check of the caller is fresh: taken out of the auditor group, no more alerts', async () => {
    expect((await stack.as(AUDITOR).get('/api/v1/admin/alerts')).status).toBe(200);
    const group = stack.emulator.state.groups.get('data-eng@example.com')!;
    group.members = group.members.filter((m) => m !== `user:${AUDITOR}`);
    expect((await stack.as(AUDITOR).get('/api/v1/admin/alerts')).status).toBe(403);
  });
});

describe('alerts: each one on the trail that triggers it, and not otherwise', () => {
  let stack: Stack;
  afterEach(() => stack.close());

  test('an activation binding written straight into the IAM policy is detected; grants the audit log explains are not', async () => {
    stack = await startStack({ world: world(), env: ENV });
    // Ours: written by the service (audited), 20 minutes ago.
    const start = minutesAgo(20);
    const end = new Date(start.getTime() + 60 * MINUTE);
    await plantBinding(stack, 'prod-app', ALICE, start, end);
    await writeAudit(stack, [activationEntry(ALICE, start, end)]);
    // Theirs: no audit entry; one old enough to judge, one too young (its entry may still be on its way).
    await plantBinding(stack, 'staging-app', 'carol@example.com', minutesAgo(10), minutesAgo(-50), 'roles/compute.admin');
    await plantBinding(stack, 'data-warehouse', 'erin@example.com', minutesAgo(1), minutesAgo(-50), 'roles/bigquery.dataViewer');
    stack.emulator.state.calls.clear();

    const res = await stack.as(AUDITOR).get('/api/v1/admin/alerts');
    expect(res.status).toBe(200);
    expect(kinds(res.body)).toEqual(['external-activation carol@example.com roles/compute.admin']);
    expect(res.body.alerts[0]).toMatchObject({ severity: 'high', projectId: 'staging-app', activationId: null });
    expect(res.body.alerts[0].message).toContain('no audit entry');
    // From what the other views read: one Asset search, one log read.
    expect(stack.emulator.state.calls.get('cloudasset.searchAllIamPolicies')).toBe(1);
    expect(stack.emulator.state.calls.get('logging.entries.list')).toBe(1);
  });

  test('a grant the service wrote, then changed outside it (its end moved in the policy), is detected', async () => {
    stack = await startStack({ world: world(), env: ENV });
    const start = minutesAgo(30);
    const end = new Date(start.getTime() + 60 * MINUTE);
    await writeAudit(stack, [activationEntry(ALICE, start, end)]);
    await plantBinding(stack, 'prod-app', ALICE, start, new Date(end.getTime() + 600 * MINUTE));
    const res = await stack.as(ADMIN).get('/api/v1/admin/alerts');
    expect(kinds(res.body)).toEqual([`external-activation ${ALICE} ${ROLE}`]);
  });

  test('a user activating the same role unusually often (ALERT_FREQUENT_ACTIVATIONS), through the API', async () => {
    stack = await startStack({ world: world(), env: { ...ENV, ALERT_FREQUENT_ACTIVATIONS: '3/1h' } });
    const activate = async (minutes: number) => {
      const res = await stack.as(ALICE).post('/api/v1/projects/prod-app/activations', { roles: [`prod-app:${ROLE}`], justification: 'INC-7', durationMinutes: minutes });
      expect(res.status).toBe(201);
      await stack.service.audit.flush();
    };
    await activate(30);
    await activate(40);
    const below = await stack.as(ADMIN).get('/api/v1/admin/alerts');
    expect(below.body.alerts).toEqual([]);
    expect(below.body.frequentActivations).toEqual({ count: 3, periodMinutes: 60 });
    await activate(50);
    await new Promise((r) => setTimeout(r, 1100)); // the feed reads new entries every AUDIT_POLL_SECONDS (1 s here)
    const res = await stack.as(ADMIN).get('/api/v1/admin/alerts');
    expect(kinds(res.body)).toEqual([`frequent-activations ${ALICE} ${ROLE}`]);
    expect(res.body.alerts[0].message).toContain('3 times');
  });

  test('break-glass outside the change windows, and break-glass not reviewed by its deadline', async () => {
    stack = await startStack({ world: world(), env: ENV });
    const bindingsOf = (time: Date) => plantBinding(stack, 'prod-app', 'erin@example.com', time, new Date(time.getTime() + 30 * MINUTE), 'roles/owner');
    // bg-7: outside the windows, 3 hours ago, due for review 2 hours ago, never reviewed.
    // bg-8: inside the windows, reviewed in time. bg-9: reviewed, but after its deadline.
    // bg-10: due for review in the future.
    const t7 = minutesAgo(180);
    const t8 = minutesAgo(170);
    const t9 = minutesAgo(160);
    const t10 = minutesAgo(20);
    await bindingsOf(t10);
    await writeAudit(stack, [
      breakGlassEntry(t7, { outsideSchedule: true }),
      breakGlassEntry(t8, { activationId: 'bg-8' }),
      { time: minutesAgo(150), payload: { event: 'breakglass.reviewed', user: user('grace@example.com'), activationId: 'bg-8', reviewOutcome: 'acknowledged', note: 'fine', reviewer: 'grace@example.com' } },
      breakGlassEntry(t9, { activationId: 'bg-9' }),
      { time: minutesAgo(30), payload: { event: 'breakglass.reviewed', user: user('grace@example.com'), activationId: 'bg-9', reviewOutcome: 'flagged', note: 'why?', reviewer: 'grace@example.com' } },
      breakGlassEntry(t10, { activationId: 'bg-10' }),
    ]);
    const res = await stack.as(AUDITOR).get('/api/v1/admin/alerts');
    const summary = res.body.alerts.map((a: any) => `${a.kind} ${a.activationId}`).sort();
    expect(summary).toEqual(['break-glass-outside-schedule bg-7', 'break-glass-review-overdue bg-7', 'break-glass-review-overdue bg-9']);
    const late = res.body.alerts.find((a: any) => a.activationId === 'bg-9');
    expect(late.message).toContain('reviewed late');
    // bg-10's grant is in force and written by the break-glass flow: not an external activation.
    expect(res.body.alerts.some((a: any) => a.kind === 'external-activation')).toBe(false);
    // Newest first.
    const times = res.body.alerts.map((a: any) => a.time);
    expect([...times].sort().reverse()).toEqual(times);
  });
});

describe('alerts: sent once to the configured destinations by the scheduled task', () => {
  let stack: Stack;
  afterAll(() => stack.close());

  const runTask = async (url: string, query = '') => {
    const token = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
      name: `projects/-/serviceAccounts/${SCHEDULER}`,
      requestBody: { audience: `${PUBLIC_URL}/tasks/cleanup`, includeEmail: true },
    });
    const res = await fetch(`${url}/tasks/cleanup${query}`, { method: 'POST', headers: { authorization: `Bearer ${token.data.token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as any).alerts;
  };
  const alertMail = () => stack.emulator.state.mail.filter((m) => m.to.includes('security@example.com'));

  test('each new alert goes once to the email recipients and each chat channel, across instances; a dry run sends nothing', async () => {
    const w = world();
    const base = { ...ENV, PUBLIC_URL, CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000' };
    stack = await startStack({ world: w, env: base });
    // Without destinations the task sends nothing and says so.
    expect(await runTask(stack.url)).toBeNull();
    // The chat channels' URLs name the emulator: instances that send alerts start once it listens.
    // ALERT_EMAILS are mailboxes, not users: SMTP_ADDRESS_MAPPING, which maps users' emails, leaves them alone.
    const notifying = {
      ...base,
      ...chatEnvironment(stack.emulator, w),
      ALERT_EMAILS: 'security@example.com, soc@example.com',
      ALERT_CHAT_CHANNELS: 'sre',
      SMTP_ADDRESS_MAPPING: "user.email.extract('{handle}@example.com') + '@mail.example.com'",
    };
    const one = await startSecondInstance(stack, w, notifying);
    try {
      await plantBinding(stack, 'staging-app', 'carol@example.com', minutesAgo(10), minutesAgo(-50), 'roles/compute.admin');
      expect(await runTask(one.url, '?dryRun=true')).toBeNull();
      expect(alertMail()).toEqual([]);

      const first = await runTask(one.url);
      expect(first.failures).toEqual([]);
      expect(first.alerts).toBe(1);
      expect(first.sent.map((s: any) => [s.destination, s.alertIds.length])).toEqual([
        ['email', 1],
        ['chat:sre', 1],
      ]);
      const mail = alertMail();
      expect(mail).toHaveLength(1);
      expect(mail[0].to).toBe('security@example.com, soc@example.com');
      expect(mail[0].subject).toContain('Activation written outside JIT Access');
      expect(mail[0].text).toContain('carol@example.com');
      expect(mail[0].text).toContain(`${PUBLIC_URL}/admin`);
      const posts = stack.emulator.state.chat.filter((p) => p.platform === 'slack');
      expect(posts).toHaveLength(1);
      expect(JSON.stringify(posts[0].body)).toContain('carol@example.com');
      expect(stack.emulator.state.chat.filter((p) => p.platform === 'googleChat')).toEqual([]); // not CHAT_DEFAULT_CHANNEL
      await one.service.audit.flush();

      // Sent once: neither this instance nor another, which knows only the audit log, sends it again.
      expect((await runTask(one.url)).sent).toEqual([]);
      const two = await startSecondInstance(stack, w, notifying);
      try {
        const again = await runTask(two.url);
        expect(again.alerts).toBe(1);
        expect(again.sent).toEqual([]);
      } finally {
        await two.close();
      }
      expect(alertMail()).toHaveLength(1);

      // A new alert is sent by the next run, alone.
      await writeAudit(stack, [breakGlassEntry(new Date(), { outsideSchedule: true })]);
      await new Promise((r) => setTimeout(r, 1100)); // the feed reads new entries every AUDIT_POLL_SECONDS (1 s here)
      const next = await runTask(one.url);
      expect(next.sent.map((s: any) => [s.destination, s.alertIds.map((id: string) => id.split(':')[0])])).toEqual([
        ['email', ['break-glass-outside-schedule']],
        ['chat:sre', ['break-glass-outside-schedule']],
      ]);
      expect(alertMail()).toHaveLength(2);
    } finally {
      await one.close();
    }
  });
});
