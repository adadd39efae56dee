// Notices of a pending request's end, sent by the scheduled sweeper: once a pending request is within the hour of
// its expiry its reviewers hear ONCE that it expires soon; expired and decided requests get nothing, a dry run
// sends nothing, and an entry the service did not sign never makes it send anything. Requests are planted as
// their audit entries would read later (signed as the service signs them), as the break-glass reminder test does.
import { approvalClaims } from '../../server/domain/approval-request';
import { requestsInLog } from '../../server/domain/request-log';
import { tokenDigest } from '../../server/services/approval-tokens';
import { startStack, type Stack } from '../support/stack';
import { demoWorld, googleClients } from '../support/emulator';
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
const FORGED = 'mpa-ForgedExpiring01';
const SERVICE_ACCOUNT = 'jitaccess@jit-host.iam.gserviceaccount.com';
const NOT_SIGNED = { activationId: FORGED, message: 'Its audit entry does not describe a request this service signed, so no notice was sent.' };

const world: World = { ...demoWorld(), chatWebhooks: [{ platform: 'googleChat', space: 'approvers', key: 'chat-key', token: 'chat-token' }] };
const events = (emulator: RunningEmulator) => emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    world,
    env: (emulator) => ({ PUBLIC_URL, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000', ...chatEnvironment(emulator, world) }),
  });
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
function plant(entry: any, activationId: string, payload: Record<string, unknown> = {}): any {
  const planted = { ...structuredClone(entry), insertId: `${entry.insertId}-${activationId}`, jsonPayload: { ...entry.jsonPayload, activationId, ...payload } };
  stack.emulator.state.logEntries.push(planted);
  return planted;
}

/**
 * Makes a planted `request.created` entry describe a request the service signed: its claims signed as the
 * service's account, and the digest of that token logged, as the service logs it when it makes a request.
 */
async function signAsTheService(planted: any): Promise<void> {
  const [logged] = requestsInLog([{ timestamp: new Date(planted.timestamp), payload: planted.jsonPayload }], new Date());
  const signed = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.signJwt({
    name: `projects/-/serviceAccounts/${SERVICE_ACCOUNT}`,
    requestBody: { payload: JSON.stringify(approvalClaims(logged.request, SERVICE_ACCOUNT)) },
  });
  planted.jsonPayload.tokenDigest = tokenDigest(signed.data.signedJwt!);
}

test('a request close to expiry tells its reviewers once; expired, decided and forged ones and dry runs send nothing', async () => {
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
  await signAsTheService(plant(created, EXPIRING, soon));
  plant(created, EXPIRED, { expiresAt: new Date(Date.now() - 10 * 60_000).toISOString() });
  await signAsTheService(plant(created, DENIED_SOON, soon));
  plant(logged('request.denied'), DENIED_SOON);
  // Written by someone else: the digest of a genuine request on other claims (reviewers and text of their choice).
  plant(created, FORGED, { ...soon, reviewers: ['victim@example.com'], justification: 'Urgent: sign in at https://evil.example' });
  await sleep(1100);
  stack.emulator.state.mail = [];
  stack.emulator.state.chat = [];
  stack.emulator.state.messages = [];

  const dry = await sweep(true);
  expect(dry.requestExpiryNotices).toEqual({ expiringSoon: [], pending: [EXPIRING], failures: [NOT_SIGNED] });
  expect(stack.emulator.state.mail).toEqual([]);
  expect(events(stack.emulator)).toEqual([]);

  const run = await sweep();
  expect(run.requestExpiryNotices).toEqual({ expiringSoon: [EXPIRING], pending: [], failures: [NOT_SIGNED] });
  expect(stack.emulator.state.mail.map((m) => [m.to, m.subject, m.text.split('\n')[0]])).toEqual([
    ['bob@example.com, carol@example.com', 'Re: alice@example.com requests access to project prod-app', expect.stringMatching(/^The request of alice@example.com .* expires on .* unless it is approved/)],
  ]);
  // The sweeper holds no signed link: reviewers are sent to their inbox.
  expect(stack.emulator.state.mail[0].text).toMatch(/\nYour inbox: https?:\/\/[^\s]+\/inbox$/);
  expect(events(stack.emulator).map((e) => [e.type, e.attributes.request_id])).toEqual([['RequestExpiringSoon', EXPIRING]]);
  const chat = stack.emulator.state.chat.map((p) => JSON.stringify(p.body));
  expect(chat).toHaveLength(1);
  expect(chat[0]).toContain('Request expires soon');
  expect(chat[0]).toMatch(/\/inbox"/);
  expect(JSON.stringify(stack.emulator.state.mail)).not.toContain('victim@example.com');

  // At once (this instance's own audit entries) and once the log serves them back: no second notice.
  expect((await sweep()).requestExpiryNotices).toEqual({ expiringSoon: [], pending: [], failures: [NOT_SIGNED] });
  await stack.service.audit.flush();
  await sleep(1100);
  expect((await sweep()).requestExpiryNotices).toEqual({ expiringSoon: [], pending: [], failures: [NOT_SIGNED] });
  expect(stack.emulator.state.mail).toHaveLength(1);
  expect(events(stack.emulator)).toHaveLength(1);
  const audited = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === 'request.expiry.notified');
  expect(audited.map((p: any) => [p.activationId, p.notice])).toEqual([[EXPIRING, 'expiring']]);
});
