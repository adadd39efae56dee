// Notices of a pending request's end, sent by the scheduled sweeper: once a pending request is within the hour of
// its expiry its reviewers hear ONCE that it expires soon, and once it expired undecided its requester hears ONCE;
// decided requests get nothing, a dry run sends nothing, and an entry the service did not sign (for an expired
// request: one whose signed request record is missing, not the service's, or of another request) never makes it
// send anything. Requests are planted as their audit entries would read later (signed as the service signs them),
// as the break-glass reminder test does; a record for a request that expired is signed with the emulator's clock
// set back to before its expiry, as the service signed it when the request was made. The last test makes a
// request through the API and lets it expire with the stack's clock.
import { createSign, generateKeyPairSync } from 'node:crypto';
import { approvalClaims } from '../../server/domain/approval-request';
import { tokenFromLink } from '../../server/domain/approval-link';
import { requestsInLog } from '../../server/domain/request-log';
import { requestRecordClaims, requestRecordOf, type RequestRecord } from '../../server/domain/request-record';
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
const DENIED_SOON = 'mpa-DeniedExpiring01';
const FORGED = 'mpa-ForgedExpiring01';
const SERVICE_ACCOUNT = 'jitaccess@jit-host.iam.gserviceaccount.com';
const NOT_SIGNED = { activationId: FORGED, message: 'Its audit entry does not describe a request this service signed, so no notice was sent.' };

const world: World = { ...demoWorld(), chatWebhooks: [{ platform: 'googleChat', space: 'approvers', key: 'chat-key', token: 'chat-token' }] };
const events = (emulator: RunningEmulator) => emulator.state.messages.filter((m) => m.topic === TOPIC).map((m) => JSON.parse(Buffer.from(m.data!, 'base64').toString('utf8')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: Stack;
/** A stack of its own for each group of tests, so that what one plants never shows in the other's reports. */
function useStack(options: { clock?: boolean } = {}): void {
  beforeAll(async () => {
    stack = await startStack({
      ...options,
      world,
      env: (emulator) => ({ PUBLIC_URL, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000', ...chatEnvironment(emulator, world) }),
    });
  });
  afterAll(() => stack.close());
}

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

/** The request a planted `request.created` entry describes, as the service rebuilds it from the log. */
const loggedOf = (planted: any) => requestsInLog([{ timestamp: new Date(planted.timestamp), payload: planted.jsonPayload }], new Date())[0].request;

/**
 * Makes a planted `request.created` entry describe a request the service signed: its claims signed as the
 * service's account, and the digest of that token logged, as the service logs it when it makes a request.
 */
async function signAsTheService(planted: any): Promise<void> {
  const signed = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.signJwt({
    name: `projects/-/serviceAccounts/${SERVICE_ACCOUNT}`,
    requestBody: { payload: JSON.stringify(approvalClaims(loggedOf(planted), SERVICE_ACCOUNT)) },
  });
  planted.jsonPayload.tokenDigest = tokenDigest(signed.data.signedJwt!);
}

async function setEmulatorClock(offsetSeconds: number): Promise<void> {
  const r = await fetch(`${stack.emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ offsetSeconds }) });
  expect(r.status).toBe(200);
}

/**
 * Claims signed by the service's account as of ten minutes before their `exp`: Google signs no token whose exp
 * has passed, so the emulator's clock is set back for the call, as it was when the service made the request.
 */
async function signedBefore(claims: Record<string, unknown>): Promise<string> {
  await setEmulatorClock((claims.exp as number) - 600 - Math.floor(Date.now() / 1000));
  try {
    const signed = await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.signJwt({
      name: `projects/-/serviceAccounts/${SERVICE_ACCOUNT}`,
      requestBody: { payload: JSON.stringify(claims) },
    });
    return signed.data.signedJwt!;
  } finally {
    await setEmulatorClock(0);
  }
}

/** Gives a planted `request.created` entry the record the service signs for its claims when it makes a request. */
async function recordAsTheService(planted: any): Promise<RequestRecord> {
  const record = requestRecordOf(await signedBefore(requestRecordClaims(loggedOf(planted), SERVICE_ACCOUNT)));
  planted.jsonPayload.requestRecord = record;
  return record;
}

describe('expires soon', () => {
  useStack();
  test('a request close to expiry tells its reviewers once; decided and forged ones and dry runs send nothing', async () => {
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
    await signAsTheService(plant(created, DENIED_SOON, soon));
    plant(logged('request.denied'), DENIED_SOON);
    // Written by someone else: the digest of a genuine request on other claims (reviewers and text of their choice).
    plant(created, FORGED, { ...soon, reviewers: ['victim@example.com'], justification: 'Urgent: sign in at https://evil.example' });
    await sleep(1100);
    stack.emulator.state.mail = [];
    stack.emulator.state.chat = [];
    stack.emulator.state.messages = [];

    const dry = await sweep(true);
    expect(dry.requestExpiryNotices).toEqual({ expiringSoon: [], expired: [], pending: [EXPIRING], failures: [NOT_SIGNED] });
    expect(stack.emulator.state.mail).toEqual([]);
    expect(events(stack.emulator)).toEqual([]);

    const run = await sweep();
    expect(run.requestExpiryNotices).toEqual({ expiringSoon: [EXPIRING], expired: [], pending: [], failures: [NOT_SIGNED] });
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
    expect((await sweep()).requestExpiryNotices).toEqual({ expiringSoon: [], expired: [], pending: [], failures: [NOT_SIGNED] });
    await stack.service.audit.flush();
    await sleep(1100);
    expect((await sweep()).requestExpiryNotices).toEqual({ expiringSoon: [], expired: [], pending: [], failures: [NOT_SIGNED] });
    expect(stack.emulator.state.mail).toHaveLength(1);
    expect(events(stack.emulator)).toHaveLength(1);
    const audited = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === 'request.expiry.notified');
    expect(audited.map((p: any) => [p.activationId, p.notice])).toEqual([[EXPIRING, 'expiring']]);
  });
});

describe('expired', () => {
  useStack();
  const EXPIRED = 'mpa-ExpiredUndecided1';
  const APPROVED = 'mpa-ExpiredApproved01';
  const DENIED = 'mpa-ExpiredDenied0001';
  const CANCELLED = 'mpa-ExpiredCancelled1';
  const JUST_EXPIRED = 'mpa-ExpiredJustNow01';
  const LONG_AGO = 'mpa-ExpiredLongAgo01';
  const LEGACY = 'mpa-ExpiredNoRecord1';
  const OWN_KEY = 'mpa-ForgedOwnKey0001';
  const ALTERED = 'mpa-ForgedAltered001';
  const OTHER_REQUEST = 'mpa-ForgedOtherReq01';
  const TOKEN_AS_RECORD = 'mpa-ForgedTokenRec01';
  const refused = (activationId: string, message: string) => ({ activationId, message });
  const NO_RECORD = 'Its audit entry carries no request record signed by this service (it was written before requests had one, or by someone else), so no expiry notice was sent.';
  const NOT_THE_SERVICES = 'Its request record is not signed by this service, so no expiry notice was sent.';
  const OTHER = 'Its request record, signed by this service, describes another request than its audit entry, so no expiry notice was sent.';
  const byId = (failures: { activationId: string }[]) => [...failures].sort((a, b) => a.activationId.localeCompare(b.activationId));
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const request = (justification: string) =>
    stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification, durationMinutes: 30, reviewers: ['bob@example.com', 'carol@example.com'] });
  const lastToken = () => /\/approve\/([A-Za-z0-9_~-]+)/.exec(stack.emulator.state.mail.filter((m) => !m.subject.startsWith('Re:')).at(-1)!.text)![1];
  const entry = (event: string, activationId: string) => stack.emulator.state.logEntries.find((e: any) => e.jsonPayload?.event === event && e.jsonPayload.activationId === activationId)! as any;

  test('the request record logged at its creation is signed by the service for the request, and opens or decides nothing', async () => {
    const made = await request('INC-7 disk full');
    expect(made.status).toBe(201);
    const token = lastToken();
    await stack.service.audit.flush();
    const created = entry('request.created', made.body.request.id);
    const record: RequestRecord = created.jsonPayload.requestRecord;
    expect(Object.keys(record).sort()).toEqual(['payload', 'protected', 'signature']);
    // Signed by the same account as the token, with the token's claims for another audience.
    const jwt = tokenFromLink(token);
    expect(record.protected).toBe(jwt.split('.')[0]);
    const claims = JSON.parse(Buffer.from(record.payload, 'base64url').toString('utf8'));
    const tokenClaims = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
    expect(claims).toEqual({ ...tokenClaims, aud: `${SERVICE_ACCOUNT}/request-record` });
    expect(claims).toEqual(requestRecordClaims(loggedOf(created), SERVICE_ACCOUNT));
    // The record in its compact form is refused by every route that takes a token.
    const asToken = `${record.protected}.${record.payload}.${record.signature}`;
    for (const [who, method, path] of [
      ['bob@example.com', 'post', 'approve'],
      ['bob@example.com', 'post', 'deny'],
      ['alice@example.com', 'post', 'cancel'],
      ['bob@example.com', 'get', ''],
    ] as const) {
      const url = `/api/v1/approval-requests/${asToken}${path ? `/${path}` : ''}`;
      const r = method === 'get' ? await stack.as(who).get(url) : await stack.as(who).post(url, path === 'deny' ? { reason: 'no' } : undefined);
      expect([path, r.status, r.body.error?.code]).toEqual([path, 403, 'INVALID_APPROVAL_TOKEN']);
    }
    // The request itself stands: still pending, its token still works.
    expect((await stack.as('bob@example.com').get(`/api/v1/approval-requests/${token}`)).body.status).toBe('pending');
    expect((await stack.as('alice@example.com').post(`/api/v1/approval-requests/${token}/cancel`)).status).toBe(200);
  });

  test('a request that expired undecided tells its requester once; decided, recent, old and forged ones and dry runs send nothing', async () => {
    // Genuine entries of each decision, to plant copies of.
    const denied = await request('INC-8 disk full');
    await stack.as('bob@example.com').post(`/api/v1/approval-requests/${lastToken()}/deny`, { reason: 'not now' });
    const cancelled = await request('INC-9 disk full');
    await stack.as('alice@example.com').post(`/api/v1/approval-requests/${lastToken()}/cancel`);
    const approved = await request('INC-10 disk full');
    expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${lastToken()}/approve`)).status).toBe(200);
    await stack.service.audit.flush();
    const created = entry('request.created', denied.body.request.id);

    // Requests of an hour that expired ten minutes ago, each with the record the service signed for it.
    const expired = { issuedAt: minutesAgo(70), expiresAt: minutesAgo(10) };
    const genuine = await recordAsTheService(plant(created, EXPIRED, expired));
    for (const [id, decision] of [
      [APPROVED, entry('approval.succeeded', approved.body.request.id)],
      [DENIED, entry('request.denied', denied.body.request.id)],
      [CANCELLED, entry('request.cancelled', cancelled.body.request.id)],
    ] as const) {
      await recordAsTheService(plant(created, id, expired));
      plant(decision, id);
    }
    // Expired a moment ago: a decision made on another instance at the last second may not be read yet.
    await recordAsTheService(plant(created, JUST_EXPIRED, { issuedAt: minutesAgo(60.5), expiresAt: minutesAgo(0.5) }));
    // Expired more than a day ago: past the window, not even checked.
    plant(created, LONG_AGO, { issuedAt: minutesAgo(26 * 60), expiresAt: minutesAgo(25 * 60), requestRecord: undefined });
    // Written before requests had a record, or by someone who has none.
    plant(created, LEGACY, { ...expired, requestRecord: undefined });
    // Text and recipients of the writer's choice, with a record signed by a key of their own (named as the service's key)…
    const forged = { ...expired, user: { ...created.jsonPayload.user, email: 'victim@example.com' }, justification: 'Urgent: sign in at https://evil.example' };
    const ownKey = plant(created, OWN_KEY, forged);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ownPayload = Buffer.from(JSON.stringify(requestRecordClaims(loggedOf(ownKey), SERVICE_ACCOUNT))).toString('base64url');
    const ownSignature = createSign('RSA-SHA256').update(`${genuine.protected}.${ownPayload}`).sign(privateKey).toString('base64url');
    ownKey.jsonPayload.requestRecord = { protected: genuine.protected, payload: ownPayload, signature: ownSignature };
    // …or a genuine record's signature on their claims…
    const altered = plant(created, ALTERED, forged);
    altered.jsonPayload.requestRecord = { ...genuine, payload: Buffer.from(JSON.stringify(requestRecordClaims(loggedOf(altered), SERVICE_ACCOUNT))).toString('base64url') };
    // …or a genuine record of another request…
    plant(created, OTHER_REQUEST, { ...forged, requestRecord: genuine });
    // …or an approval token of the very claims (a reviewer has one): signed by the service, but no record.
    const tokenAsRecord = plant(created, TOKEN_AS_RECORD, expired);
    tokenAsRecord.jsonPayload.requestRecord = requestRecordOf(await signedBefore(approvalClaims(loggedOf(tokenAsRecord), SERVICE_ACCOUNT)));
    await sleep(1100);
    stack.emulator.state.mail = [];
    stack.emulator.state.chat = [];
    stack.emulator.state.messages = [];
    const refusals = byId([
      refused(LEGACY, NO_RECORD),
      refused(OWN_KEY, NOT_THE_SERVICES),
      refused(ALTERED, NOT_THE_SERVICES),
      refused(OTHER_REQUEST, OTHER),
      refused(TOKEN_AS_RECORD, OTHER),
    ]);

    const dry = await sweep(true);
    expect({ ...dry.requestExpiryNotices, failures: byId(dry.requestExpiryNotices.failures) }).toEqual({ expiringSoon: [], expired: [], pending: [EXPIRED], failures: refusals });
    expect(stack.emulator.state.mail).toEqual([]);
    expect(events(stack.emulator)).toEqual([]);

    const run = await sweep();
    expect({ ...run.requestExpiryNotices, failures: byId(run.requestExpiryNotices.failures) }).toEqual({ expiringSoon: [], expired: [EXPIRED], pending: [], failures: refusals });
    expect(stack.emulator.state.mail.map((m) => [m.to, m.cc, m.subject, m.text.split('\n')[0]])).toEqual([
      ['alice@example.com', '', 'Re: alice@example.com requests access to project prod-app', expect.stringMatching(/^Your request to access the Google Cloud project prod-app expired on .* without enough approvals\. Nothing was granted/)],
    ]);
    // The sweeper holds no signed link: the requester is sent to their list, at the request.
    expect(stack.emulator.state.mail[0].text).toMatch(new RegExp(`\nYour requests: https://jit\\.example\\.com/requests#${EXPIRED}$`));
    expect(events(stack.emulator).map((e) => [e.type, e.attributes.request_id, e.attributes.beneficiary])).toEqual([['RequestExpired', EXPIRED, 'alice@example.com']]);
    const chat = stack.emulator.state.chat.map((p) => JSON.stringify(p.body));
    expect(chat).toHaveLength(1);
    expect(chat[0]).toContain('Request expired undecided');
    expect(chat[0]).toContain(`/requests#${EXPIRED}`);
    const sent = JSON.stringify([stack.emulator.state.mail, stack.emulator.state.chat, stack.emulator.state.messages]);
    expect(sent).not.toContain('victim@example.com');
    expect(sent).not.toContain('evil.example');

    // At once (this instance's own audit entries) and once the log serves them back: no second notice.
    const quiet = { expiringSoon: [], expired: [], pending: [], failures: refusals };
    const again = (await sweep()).requestExpiryNotices;
    expect({ ...again, failures: byId(again.failures) }).toEqual(quiet);
    await stack.service.audit.flush();
    await sleep(1100);
    const later = (await sweep()).requestExpiryNotices;
    expect({ ...later, failures: byId(later.failures) }).toEqual(quiet);
    expect(stack.emulator.state.mail).toHaveLength(1);
    expect(events(stack.emulator)).toHaveLength(1);
    const audited = stack.emulator.state.logEntries.map((e: any) => e.jsonPayload).filter((p: any) => p?.event === 'request.expiry.notified');
    expect(audited.map((p: any) => [p.activationId, p.notice])).toEqual([[EXPIRED, 'expired']]);
  });
});

describe('expired, as time passes', () => {
  useStack({ clock: true });

  test("a request made and left undecided: its reviewers hear it expires soon, its requester that it expired, once each; a denied one's requester hears nothing more", async () => {
    const ask = (justification: string) =>
      stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: ROLE, justification, durationMinutes: 30, reviewers: ['bob@example.com', 'carol@example.com'] });
    const denied = await ask('INC-20 disk full');
    expect(denied.status).toBe(201);
    const token = /\/approve\/([A-Za-z0-9_~-]+)/.exec(stack.emulator.state.mail.at(-1)!.text)![1];
    expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/deny`, { reason: 'not now' })).status).toBe(200);
    const left = await ask('INC-21 disk full');
    expect(left.status).toBe(201);
    const id = left.body.request.id;
    await stack.service.audit.flush();
    const sweepAfter = async (seconds: number) => {
      await stack.advance(seconds);
      stack.emulator.state.mail = [];
      stack.emulator.state.messages = [];
      return (await sweep()).requestExpiryNotices;
    };

    // 59 minutes on (requests live 60): its reviewers are told it expires soon.
    expect(await sweepAfter(59 * 60)).toEqual({ expiringSoon: [id], expired: [], pending: [], failures: [] });
    expect(stack.emulator.state.mail.map((m) => m.to)).toEqual(['bob@example.com, carol@example.com']);
    // Expired a minute ago: not yet, an approval on another instance in its last seconds may still be read.
    expect(await sweepAfter(2 * 60)).toEqual({ expiringSoon: [], expired: [], pending: [], failures: [] });
    // Three minutes past its expiry: its requester is told, with the record the service signed when it was made.
    expect(await sweepAfter(2 * 60)).toEqual({ expiringSoon: [], expired: [id], pending: [], failures: [] });
    expect(stack.emulator.state.mail.map((m) => [m.to, m.text.split('\n')[0]])).toEqual([
      ['alice@example.com', expect.stringMatching(/^Your request to access the Google Cloud project prod-app expired on .* without enough approvals/)],
    ]);
    expect(events(stack.emulator).map((e) => [e.type, e.attributes.request_id])).toEqual([['RequestExpired', id]]);
    // Never again, at once or once the log serves the notice back.
    expect(await sweepAfter(1)).toEqual({ expiringSoon: [], expired: [], pending: [], failures: [] });
    await stack.service.audit.flush();
    expect(await sweepAfter(60)).toEqual({ expiringSoon: [], expired: [], pending: [], failures: [] });
    expect(stack.emulator.state.mail).toEqual([]);
  });
});
