// Notices of a pending request's end, sent by the scheduled sweeper: once a pending request is within the hour of
// its expiry its reviewers hear ONCE that it expires soon, and once it expired undecided its requester hears ONCE;
// decided requests get nothing, and a dry run sends nothing. Requests are planted as their audit entries would
// read later, as the break-glass reminder test does.
import { loadConfig } from '../../server/config';
import { startServer } from '../../server/main';
import { apiClient, mintAssertion, stackEnv, type Stack } from '../support/stack';
import { demoWorld, googleClients, startTestEmulator } from '../support/emulator';
import { chatEnvironment } from '../../emulator/service-env';
import type { World } from '../../emulator/world';
import type { RunningEmulator } from '../../emulator/server';

const ROLE = 'prod-app:roles/compute.admin'; // peer approval among group sre (alice, bob, carol)
const TOPIC = 'projects/jit-host/topics/jit-access-events';
const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const EXPIRING = 'mpa-ExpiringSoon0001';
const EXPIRED = 'mpa-ExpiredAlready01';
const DENIED_SOON = 'mpa-DeniedExpiring01';

const world: World = { ...demoWorld(), chatWebhooks: [{ platform: 'googleChat', space: 'approvers', key: 'chat-key', token: 'chat-token' }] };
const events = (emulator: RunningEmulator) => emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: Stack;
beforeAll(async () => {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const emulator = await startTestEmulator(world);
  const env = { PUBLIC_URL, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000', ...chatEnvironment(emulator, world) };
  const started = await startServer(loadConfig(stackEnv(emulator, world, env)));
  stack = {
    emulator,
    service: started.service,
    url: started.url,
    as: (email) => apiClient(started.url, () => mintAssertion(emulator, { email })),
    close: async () => {
      await started.service.audit.flush();
      await new Promise<void>((resolve) => {
        started.server.close(() => resolve());
        started.server.closeAllConnections();
      });
      await emulator.close();
    },
  };
});
afterAll(() => stack.close());

async function schedulerToken(): Promise<string> {
  const res = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
    name: `projects/-/serviceAccounts/${SCHEDULER}`,
    requestBody: { audience: `${PUBLIC_URL}/tasks/cleanup`, includeEmail: true },
  });
  return res.data.token!;
}

async function sweep(dryRun = false): Promise<any> {
  const r = await fetch(`${stack.url}/tasks/cleanup${dryRun ? '?dryRun=true' : ''}`, { method: 'POST', headers: { authorization: `Bearer ${await schedulerToken()}` } });
  expect(r.status).toBe(200);
  return r.json();
}

/** Plants a copy of a logged entry for another request, as the log would hold it. */
function plant(entry: any, activationId: string, payload: Record<string, unknown> = {}): void {
  stack.emulator.state.logEntries.push({ ...structuredClone(entry), insertId: `${entry.insertId}-${activationId}`, jsonPayload: { ...entry.jsonPayload, activationId, ...payload } });
}

test('a request close to expiry tells its reviewers once, an expired one its requester once; decided ones and dry runs send nothing', async () => {
  // A denied request, and a pending one of 60 minutes just made (its notice is due in its last half): neither is due a notice.
  const first = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-5 disk full', durationMinutes: 30, reviewers: ['bob@example.com', 'carol@example.com'] });
  expect(first.status).toBe(201);
  const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(stack.emulator.state.mail.at(-1)!.text)![1];
  expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'not now' })).status).toBe(200);
  const pending = await stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification: 'INC-6 disk full', durationMinutes: 30, reviewers: ['bob@example.com', 'carol@example.com'] });
  expect(pending.status).toBe(201);
  await stack.service.audit.flush();
  const logged = (event: string) => stack.emulator.state.logEntries.find((e: any) => e.jsonPayload?.event === event && e.jsonPayload.activationId === first.body.request.id)! as any;
  const created = logged('request.created');
  // Requests of four hours, made three and a half hours ago: within the hour of their expiry.
  const soon = { issuedAt: new Date(Date.now() - 210 * 60_000).toISOString(), expiresAt: new Date(Date.now() + 30 * 60_000).toISOString() };
  plant(created, EXPIRING, soon);
  plant(created, EXPIRED, { expiresAt: new Date(Date.now() - 10 * 60_000).toISOString() });
  plant(created, DENIED_SOON, soon);
  plant(logged('request.denied'), DENIED_SOON);
  await sleep(1100);
  stack.emulator.state.mail = [];
  stack.emulator.state.chat = [];
  stack.emulator.state.messages = [];

  const dry = await sweep(true);
  expect(dry.requestExpiryNotices).toEqual({ expiringSoon: [], expired: [], pending: expect.arrayContaining([EXPIRING, EXPIRED]), failures: [] });
  expect(dry.requestExpiryNotices.pending).toHaveLength(2);
  expect(stack.emulator.state.mail).toEqual([]);
  expect(events(stack.emulator)).toEqual([]);

  const run = await sweep();
  expect(run.requestExpiryNotices).toEqual({ expiringSoon: [EXPIRING], expired: [EXPIRED], pending: [], failures: [] });
  const subject = 'Re: alice@example.com requests access to project prod-app';
  expect(stack.emulator.state.mail.map((m) => [m.to, m.subject, m.text.split('\n')[0]])).toEqual(
    expect.arrayContaining([
      ['bob@example.com, carol@example.com', subject, expect.stringMatching(/^The request of alice@example.com .* expires on .* unless it is approved/)],
      ['alice@example.com', subject, expect.stringMatching(/^Your request .* expired on .* without enough approvals/)],
    ]),
  );
  expect(stack.emulator.state.mail).toHaveLength(2);
  // The sweeper holds no signed link: reviewers are sent to their inbox, the requester to their requests.
  const mailTo = (to: string) => stack.emulator.state.mail.find((m) => m.to === to)!.text;
  expect(mailTo('bob@example.com, carol@example.com')).toMatch(/\nYour inbox: https?:\/\/[^\s]+\/inbox$/);
  expect(mailTo('alice@example.com')).toMatch(new RegExp(`\\nYour requests: https?://[^\\s]+/requests#${EXPIRED}$`));
  expect(events(stack.emulator).map((e) => [e.type, e.attributes.request_id])).toEqual(
    expect.arrayContaining([
      ['RequestExpiringSoon', EXPIRING],
      ['RequestExpired', EXPIRED],
    ]),
  );
  expect(events(stack.emulator)).toHaveLength(2);
  const chat = stack.emulator.state.chat.map((p) => JSON.stringify(p.body));
  expect(chat).toEqual(expect.arrayContaining([expect.stringContaining('Request expires soon'), expect.stringContaining('Request expired undecided')]));
  expect(chat).toHaveLength(2);
  expect(chat.find((c) => c.includes('Request expires soon'))).toMatch(/\/inbox"/);
  expect(chat.find((c) => c.includes('Request expired undecided'))).toContain(`/requests#${EXPIRED}"`);

  // At once (this instance's own audit entries) and once the log serves them back: no second notice.
  expect((await sweep()).requestExpiryNotices).toEqual({ expiringSoon: [], expired: [], pending: [], failures: [] });
  await stack.service.audit.flush();
  await sleep(1100);
  expect((await sweep()).requestExpiryNotices).toEqual({ expiringSoon: [], expired: [], pending: [], failures: [] });
  expect(stack.emulator.state.mail).toHaveLength(2);
  expect(events(stack.emulator)).toHaveLength(2);
  const audited = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === 'request.expiry.notified');
  expect(audited.map((p: any) => [p.activationId, p.notice])).toEqual(
    expect.arrayContaining([
      [EXPIRING, 'expiring'],
      [EXPIRED, 'expired'],
    ]),
  );
  expect(audited).toHaveLength(2);
});
