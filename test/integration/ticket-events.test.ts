// Ticket write-back (a rule's `ticket.events`) through the emulator's fake ITSM: each event of a request or
// grant carrying a ticket arrives signed, with its fields; an ITSM that is down, answers 500, refuses the
// signature or does not answer in time never changes an outcome, and every event it missed is audited as
// `ticket.event.failed`; one failed attempt is retried.
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import { policyOf, startStack, type Stack } from '../support/stack';
import { googleClients } from '../support/emulator';
import { temporaryAccessPolicy, type TemporaryAccessPolicy } from '../support/access-policy-file';

const SECRET = 'projects/jit-host/secrets/itsm-signing-key/versions/latest';
const KEY = 'demo-itsm-signing-key';
const PUBLIC_URL = 'https://jit.example.com';
const SCHEDULER = 'deployer@jit-host.iam.gserviceaccount.com';
const SQL = 'prod-app:roles/cloudsql.admin';
const COMPUTE = 'prod-app:roles/compute.admin';
const READER = 'data-warehouse:roles/bigquery.dataViewer';

/**
 * alice self-activates cloudsql.admin on prod-app and asks bob and carol (both must approve) for compute.admin
 * there; dave's short reads on data-warehouse are approved by the rule itself. The events of the first rule use
 * the validation's key; the others name theirs.
 */
function policy(emulatorUrl: string, events: { url?: string; secret?: string } = {}): string {
  const url = events.url ?? `${emulatorUrl}/itsm/events`;
  const secret = events.secret ?? SECRET;
  return `version: 1
admins: [ user:admin@example.com ]
rules:
  - name: prod-databases
    match: { projects: [prod-*], roles: [roles/cloudsql.*] }
    ticket:
      pattern: "CHG-[0-9]+"
      validation: { url: "${emulatorUrl}/itsm/validate", secret: ${SECRET}, timeoutSeconds: 2 }
      events: { url: "${url}"${events.secret ? `, secret: ${secret}` : ''}, timeoutSeconds: 2 }
  - name: prod-compute
    match: { projects: [prod-app], roles: [roles/compute.admin] }
    approval: { kind: peers, requiredApprovals: 2 }
    ticket: { pattern: "CHG-[0-9]+", events: { url: "${url}", secret: ${secret}, timeoutSeconds: 2 } }
  - name: short-reads
    match: { projects: [data-warehouse], roles: [roles/bigquery.dataViewer] }
    approval: peers
    autoApprove: { maxDuration: 15m, requesters: [user:dave@example.com] }
    ticket: { pattern: "(INC|CHG)-[0-9]+", events: { url: "${url}", secret: ${secret}, timeoutSeconds: 2 } }
`;
}

const TITLE = 'JIT access activation';

/** Runs the sweeper (/tasks/cleanup) as Cloud Scheduler would, and answers its report. */
async function sweep(stack: Stack): Promise<{ requestExpiryNotices: { expired: string[] } }> {
  const token = (
    await googleClients(stack.emulator).iamcredentials.projects.serviceAccounts.generateIdToken({
      name: `projects/-/serviceAccounts/${SCHEDULER}`,
      requestBody: { audience: `${PUBLIC_URL}/tasks/cleanup`, includeEmail: true },
    })
  ).data.token!;
  const run = await fetch(`${stack.url}/tasks/cleanup`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  expect(run.status).toBe(200);
  return (await run.json()) as { requestExpiryNotices: { expired: string[] } };
}
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');

describe('ticket events', () => {
  let stack: Stack;
  let policyFile: TemporaryAccessPolicy;

  const usePolicy = async (text: string) => {
    policyFile.write(text);
    await stack.service.accessPolicy!.refresh();
  };
  const faults = (body: unknown) => fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const events = () => stack.emulator.state.itsmEvents;
  const received = () => events().filter((e) => e.status === 200).map((e) => e.event as any);
  const auditEntries = async (event: string) => {
    await stack.service.audit.flush();
    return stack.emulator.state.logEntries.filter((e: any) => e.labels?.event === event).map((e: any) => e.jsonPayload);
  };
  const activateSql = (justification = 'CHG-1234 failover drill') =>
    stack.as('alice@example.com').post('/api/v1/projects/prod-app/activations', { roles: [SQL], justification, durationMinutes: 30 });
  const requestCompute = (justification = 'CHG-1234 resize') =>
    stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: COMPUTE, justification, durationMinutes: 30, reviewers: ['bob@example.com', 'carol@example.com'] });
  const sqlGrantId = async () => {
    const { body } = await stack.as('alice@example.com').get('/api/v1/me/grants');
    return body.grants.find((g: any) => g.role === 'roles/cloudsql.admin').id as string;
  };
  const endSql = async () => {
    const id = await sqlGrantId();
    expect((await stack.as('alice@example.com').del(`/api/v1/me/grants/${id}`, { reason: 'done' })).status).toBe(200);
  };

  beforeAll(async () => {
    policyFile = temporaryAccessPolicy('version: 1\n');
    stack = await startStack({
      env: { ACCESS_POLICY: policyFile.path, PUBLIC_URL, CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000' },
    });
    await usePolicy(policy(stack.emulator.url));
  });
  afterAll(() => stack?.close());
  beforeEach(async () => {
    await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    await fetch(`${stack.emulator.url}/_emulator/itsm`, { method: 'DELETE' });
    stack.emulator.state.calls.clear();
    stack.emulator.state.logEntries = [];
  });

  describe('each event arrives, signed, with its fields', () => {
    test('a self-activation is granted, extended (granted anew), then ended early by its holder', async () => {
      const res = await activateSql();
      expect(res.status).toBe(201);
      const [granted] = received();
      expect(events()).toHaveLength(1);
      expect(events()[0]).toMatchObject({ signature: 'valid', status: 200, duplicate: false });
      const { start, end } = res.body.grants[0];
      const grantId = await sqlGrantId();
      expect(granted).toEqual({
        id: expect.stringMatching(/^evt-[A-Za-z0-9_-]{16}$/),
        event: 'granted',
        ticket: 'CHG-1234',
        activationId: res.body.activationId,
        grantId,
        project: 'prod-app',
        role: 'roles/cloudsql.admin',
        resourceCondition: null,
        requester: 'alice@example.com',
        actor: 'alice@example.com',
        time: expect.any(String),
        window: { start, end },
        justification: 'CHG-1234 failover drill',
        reason: null,
      });

      const extended = await stack.as('alice@example.com').post(`/api/v1/me/grants/${grantId}/extend`, { durationMinutes: 45 });
      expect(extended.status).toBe(200);
      const newGrant = extended.body.grant;
      expect(received()[1]).toMatchObject({ event: 'granted', activationId: null, grantId: newGrant.id, actor: 'alice@example.com', window: { start: newGrant.start, end: newGrant.end } });

      expect((await stack.as('alice@example.com').del(`/api/v1/me/grants/${newGrant.id}`, { reason: 'drill over' })).status).toBe(200);
      const ended = received()[2];
      expect(ended).toMatchObject({ event: 'ended', ticket: 'CHG-1234', activationId: null, grantId: newGrant.id, requester: 'alice@example.com', actor: 'alice@example.com', window: { start: newGrant.start, end: newGrant.end }, reason: 'drill over' });
      expect(new Set(received().map((e) => e.id)).size).toBe(3);
      expect(await auditEntries('ticket.event.failed')).toEqual([]);
    });

    test('an admin\'s revocation is an early end, with the admin as actor and their reason', async () => {
      expect((await activateSql()).status).toBe(201);
      const grantId = await sqlGrantId();
      const revoked = await stack.as('admin@example.com').post('/api/v1/admin/revocations', { user: 'alice@example.com', grantId, reason: 'incident closed' });
      expect(revoked.status).toBe(200);
      expect(received().map((e) => e.event)).toEqual(['granted', 'ended']);
      expect(received()[1]).toMatchObject({ event: 'ended', grantId, requester: 'alice@example.com', actor: 'admin@example.com', reason: 'incident closed' });
    });

    test('a request: created, approved by each reviewer, granted with the last approval', async () => {
      const created = await requestCompute();
      expect(created.status).toBe(201);
      const { request, token } = created.body;
      expect(received()).toEqual([
        expect.objectContaining({
          event: 'requested',
          ticket: 'CHG-1234',
          activationId: request.id,
          grantId: null,
          project: 'prod-app',
          role: 'roles/compute.admin',
          requester: 'alice@example.com',
          actor: 'alice@example.com',
          window: { start: request.start, end: request.end },
          justification: 'CHG-1234 resize',
          reason: null,
        }),
      ]);
      expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
      expect(received().map((e) => [e.event, e.actor])).toEqual([
        ['requested', 'alice@example.com'],
        ['approved', 'bob@example.com'],
      ]);
      const last = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`);
      expect(last.status).toBe(200);
      const [, , approved, granted] = received();
      expect([approved.event, approved.actor, approved.activationId, approved.grantId]).toEqual(['approved', 'carol@example.com', request.id, null]);
      expect(granted).toMatchObject({ event: 'granted', actor: 'carol@example.com', activationId: request.id, window: { start: last.body.grant.start, end: last.body.grant.end } });
      expect(granted.grantId).toEqual(expect.any(String));
      expect(events().every((e) => e.signature === 'valid')).toBe(true);
    });

    test('a request denied with a reason, and one cancelled by the requester', async () => {
      const denied = await requestCompute('CHG-1000 resize');
      expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${denied.body.token}/deny`, { reason: 'not during the freeze' })).status).toBe(200);
      const cancelled = await requestCompute('CHG-1000 resize again');
      expect((await stack.as('alice@example.com').post(`/api/v1/approval-requests/${cancelled.body.token}/cancel`)).status).toBe(200);
      expect(received().map((e) => [e.event, e.activationId, e.actor, e.reason])).toEqual([
        ['requested', denied.body.request.id, 'alice@example.com', null],
        ['denied', denied.body.request.id, 'bob@example.com', 'not during the freeze'],
        ['requested', cancelled.body.request.id, 'alice@example.com', null],
        ['cancelled', cancelled.body.request.id, 'alice@example.com', null],
      ]);
    });

    test('a request the rule approves itself: requested, approved by the rule, granted, in this order', async () => {
      const created = await stack.as('dave@example.com').post('/api/v1/projects/data-warehouse/approval-requests', {
        role: READER,
        justification: 'CHG-1000 read the logs',
        durationMinutes: 15,
        reviewers: ['erin@example.com'],
      });
      expect(created.status).toBe(201);
      expect(created.body.approvedBy).toBe('rule:short-reads');
      expect(received().map((e) => [e.event, e.actor, e.ticket])).toEqual([
        ['requested', 'dave@example.com', 'CHG-1000'],
        ['approved', 'rule:short-reads', 'CHG-1000'],
        ['granted', 'rule:short-reads', 'CHG-1000'],
      ]);
    });

    test('a grant that reached its end: expired, when the sweeper removes its binding', async () => {
      const start = new Date(Math.floor(Date.now() / 1000) * 1000 - 90 * 60_000);
      const end = new Date(start.getTime() + 60 * 60_000);
      (await policyOf(stack.emulator, 'prod-app')).bindings.push({
        role: 'roles/cloudsql.admin',
        members: ['user:alice@example.com'],
        condition: { title: TITLE, description: 'Self-approved, justification: CHG-1234 migration', expression: `(request.time >= timestamp("${iso(start)}") && request.time < timestamp("${iso(end)}"))` },
      });
      await sweep(stack);
      // bob's expired compute.viewer of the demo world is removed too: no rule of this policy posts its events.
      expect(received()).toEqual([
        expect.objectContaining({
          event: 'expired',
          ticket: 'CHG-1234',
          activationId: null,
          grantId: expect.any(String),
          project: 'prod-app',
          role: 'roles/cloudsql.admin',
          requester: 'alice@example.com',
          actor: null,
          window: { start: start.toISOString(), end: end.toISOString() },
          justification: 'CHG-1234 migration',
        }),
      ]);
      const [expired] = received();
      expect(JSON.parse(Buffer.from(expired.grantId, 'base64url').toString('utf8'))).toEqual(['prod-app', 'roles/cloudsql.admin', null, start.toISOString(), end.toISOString()]);
    });
  });

  describe('never changing an outcome', () => {
    const failures = async () => (await auditEntries('ticket.event.failed')).map((e) => e.ticketEvent);

    test('an ITSM answering 500: the activation succeeds, three attempts are made, and the failure is audited', async () => {
      await faults({ errors: { 'itsm.events': { status: 500 } } });
      const res = await activateSql();
      expect(res.status).toBe(201);
      expect(res.body.grants[0].outcome).toBe('granted');
      expect(stack.emulator.state.calls.get('itsm.events')).toBe(3);
      const [failure] = await auditEntries('ticket.event.failed');
      expect(failure.ticketEvent).toEqual({
        type: 'granted',
        id: expect.stringMatching(/^evt-/),
        ticket: 'CHG-1234',
        grantId: expect.any(String),
        endpoint: `${stack.emulator.url}/itsm/events`,
        attempts: 3,
        reason: expect.stringContaining(`${stack.emulator.url}/itsm/events: it answered HTTP 500`),
      });
      expect(failure).toMatchObject({ activationId: res.body.activationId, project: 'prod-app', beneficiary: 'alice@example.com', outcome: 'failure' });
      expect(failure.message).toContain(`was not delivered to ${stack.emulator.url}/itsm/events after 3 attempts`);
      await fetch(`${stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
      await endSql();
    });

    test('an ITSM that does not answer in time: the approval succeeds and grants; the approval and the grant are audited as not delivered', async () => {
      const created = await requestCompute();
      expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${created.body.token}/approve`)).status).toBe(200);
      await faults({ latencyMs: { 'itsm.events': 2500 } });
      const approved = await stack.as('carol@example.com').post(`/api/v1/approval-requests/${created.body.token}/approve`);
      expect(approved.status).toBe(200);
      expect(approved.body.grant.role).toBe('roles/compute.admin');
      const grants = (await policyOf(stack.emulator, 'prod-app')).bindings.filter((b: any) => b.role === 'roles/compute.admin' && b.condition?.title === TITLE && b.members.includes('user:alice@example.com'));
      expect(grants).toHaveLength(1);
      expect(await failures()).toEqual([
        expect.objectContaining({ type: 'approved', attempts: 1, reason: `${stack.emulator.url}/itsm/events did not answer within 2 seconds` }),
        // After one event was not delivered, the next of the same action is not tried: the ITSM would not see it out of order.
        expect.objectContaining({ type: 'granted', attempts: 0, reason: 'not sent, as the approved event before it could not be delivered' }),
      ]);
      // The slow ITSM takes the approval after all, to nobody: wait for it, so that it does not land in the next test.
      while (stack.emulator.state.itsmEvents.length < 3) await new Promise((r) => setTimeout(r, 50));
    });

    test('an ITSM nobody listens on: the request is made, and the failure audited after three attempts', async () => {
      const closed = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const port = (s.address() as AddressInfo).port;
          s.close(() => resolve(port));
        });
      });
      await usePolicy(policy(stack.emulator.url, { url: `http://127.0.0.1:${closed}/events?token=query-secret` }));
      try {
        const created = await requestCompute('CHG-1000 down');
        expect(created.status).toBe(201);
        expect(created.body.status).toBe('pending');
        const [failure] = await failures();
        expect(failure).toMatchObject({ type: 'requested', attempts: 3, endpoint: `http://127.0.0.1:${closed}/events`, reason: `http://127.0.0.1:${closed}/events could not be reached (ECONNREFUSED)` });
        const entries = JSON.stringify(await auditEntries('ticket.event.failed'));
        expect(entries).not.toContain('query-secret');
        expect((await stack.as('alice@example.com').post(`/api/v1/approval-requests/${created.body.token}/cancel`)).status).toBe(200);
      } finally {
        await usePolicy(policy(stack.emulator.url));
      }
    });

    test('an event signed with the wrong key: refused with 401, not retried, audited without the key', async () => {
      await usePolicy(policy(stack.emulator.url, { secret: 'projects/jit-host/secrets/smtp-password/versions/latest' }));
      try {
        const res = await activateSql();
        expect(res.status).toBe(201);
        expect(events()).toEqual([expect.objectContaining({ signature: 'mismatch', status: 401, event: null })]);
        const [failure] = await failures();
        expect(failure).toMatchObject({ type: 'granted', attempts: 1, reason: `${stack.emulator.url}/itsm/events: it answered HTTP 401 (the signature does not match the body)` });
        const logged = JSON.stringify(stack.emulator.state.logEntries);
        expect(logged).not.toContain('demo-smtp-password');
        expect(logged).not.toContain(KEY);
      } finally {
        await usePolicy(policy(stack.emulator.url));
      }
      await endSql();
    });

    test('one failed attempt is retried, and the event arrives once', async () => {
      await faults({ errors: { 'itsm.events': { status: 503, count: 1 } } });
      const res = await activateSql();
      expect(res.status).toBe(201);
      expect(stack.emulator.state.calls.get('itsm.events')).toBe(2);
      expect(received().map((e) => e.event)).toEqual(['granted']);
      expect(await failures()).toEqual([]);
      await endSql();
    });
  });
});

describe('ticket events, as time passes', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      clock: true,
      env: (emulator) => ({ ACCESS_POLICY: temporaryAccessPolicy(policy(emulator.url)).path, PUBLIC_URL, AUDIT_POLL_SECONDS: '1', CLEANUP_INVOKER_SERVICE_ACCOUNT: SCHEDULER, CLEANUP_READS_PER_MINUTE: '100000', CLEANUP_WRITES_PER_MINUTE: '100000' }),
    });
  });
  afterAll(() => stack?.close());

  test('a request nobody decided lapses: posted once, by the sweeper that tells its requester, never for a decided one', async () => {
    const ask = (justification: string) =>
      stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', { role: COMPUTE, justification, durationMinutes: 30, reviewers: ['bob@example.com', 'carol@example.com'] });
    const denied = await ask('CHG-1000 resize');
    expect(denied.status).toBe(201);
    expect((await stack.as('bob@example.com').post(`/api/v1/approval-requests/${denied.body.token}/deny`, { reason: 'not now' })).status).toBe(200);
    const left = await ask('CHG-1234 resize');
    expect(left.status).toBe(201);
    await stack.service.audit.flush();
    const lapsed = () => stack.emulator.state.itsmEvents.filter((e) => e.status === 200 && (e.event as any).event === 'lapsed').map((e) => e.event as any);

    // Requests live 60 minutes; three past its expiry, the sweeper tells its requester and the ITSM.
    await stack.advance(63 * 60);
    expect((await sweep(stack)).requestExpiryNotices.expired).toEqual([left.body.request.id]);
    expect(lapsed()).toEqual([
      expect.objectContaining({
        event: 'lapsed',
        ticket: 'CHG-1234',
        activationId: left.body.request.id,
        grantId: null,
        project: 'prod-app',
        role: 'roles/compute.admin',
        requester: 'alice@example.com',
        actor: null,
        justification: 'CHG-1234 resize',
        reason: null,
      }),
    ]);
    await stack.service.audit.flush();
    await stack.advance(60);
    expect((await sweep(stack)).requestExpiryNotices.expired).toEqual([]);
    expect(lapsed()).toHaveLength(1);
  });
});
