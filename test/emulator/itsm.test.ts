// The fake ITSM: it answers {valid, reason} for the world's tickets, checks the X-JIT-Signature header
// (HMAC-SHA256 with the world secret, a timestamp at most five minutes off) before it reads a question,
// refuses a question of another shape, records every question (JSON and page), and injected faults reach it.
// Its events endpoint checks the same signature, takes events of the protocol's shape about known tickets,
// and records them (JSON and page).
// The signature is computed here from the documented protocol, not with the service's code.
import { createHmac } from 'node:crypto';
import { startTestEmulator, demoWorld } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';
import { parseWorld, WorldError } from '../../emulator/world';

const KEY = 'demo-itsm-signing-key';
let emulator: RunningEmulator;

const QUESTION = { ticket: 'CHG-1234', project: 'prod-app', role: 'roles/cloudsql.admin', requester: 'alice@example.com' };

function sign(body: string, key = KEY, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

async function ask(question: unknown, signature?: (body: string) => string | undefined): Promise<{ status: number; body: any }> {
  const body = JSON.stringify(question);
  const header = signature ? signature(body) : sign(body);
  const res = await fetch(`${emulator.url}/itsm/validate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(header !== undefined ? { 'x-jit-signature': header } : {}) },
    body,
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  emulator = await startTestEmulator(demoWorld());
});
afterAll(() => emulator.close());
beforeEach(async () => {
  await fetch(`${emulator.url}/_emulator/itsm`, { method: 'DELETE' });
  await fetch(`${emulator.url}/_emulator/faults`, { method: 'DELETE' });
  await fetch(`${emulator.url}/_emulator/calls`, { method: 'DELETE' });
});

describe('answers', () => {
  test('an open ticket for the project is valid', async () => {
    expect(await ask(QUESTION)).toEqual({ status: 200, body: { valid: true } });
    expect(await ask({ ...QUESTION, ticket: 'CHG-1000', project: 'staging-app' })).toEqual({ status: 200, body: { valid: true } });
  });

  test.each([
    [{ ...QUESTION, ticket: 'CHG-999' }, 'ticket CHG-999 is closed'],
    [{ ...QUESTION, ticket: 'CHG-4242' }, 'ticket CHG-4242 does not exist'],
    [{ ...QUESTION, project: 'staging-app' }, 'ticket CHG-1234 is for project prod-app, not staging-app'],
  ])('%o is refused: %s', async (question, reason) => {
    expect(await ask(question)).toEqual({ status: 200, body: { valid: false, reason } });
  });

  test('a ticket closed or opened through /_emulator/itsm/tickets is answered for at once', async () => {
    const put = (id: string, body: unknown) => fetch(`${emulator.url}/_emulator/itsm/tickets/${id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put('CHG-1234', { status: 'closed', project: 'prod-app' })).status).toBe(200);
    expect((await ask(QUESTION)).body).toEqual({ valid: false, reason: 'ticket CHG-1234 is closed' });
    expect((await put('CHG-1234', { status: 'open', project: 'prod-app' })).status).toBe(200);
    expect((await ask(QUESTION)).body).toEqual({ valid: true });
    expect((await put('CHG-1', { status: 'open', project: 'no-such-project' })).status).toBe(404);
    expect((await put('CHG-1', { status: 'pending' })).status).toBe(400);
  });

  test('a question of another shape is refused with 400', async () => {
    const extra = await ask({ ...QUESTION, approver: 'bob@example.com' });
    expect(extra).toEqual({ status: 400, body: { valid: false, reason: 'the question must be {ticket, project, role, requester}: unknown field approver' } });
    const missing = await ask({ ticket: 'CHG-1234', project: 'prod-app', role: 'roles/x' });
    expect(missing.status).toBe(400);
    expect(missing.body.reason).toContain('requester');
  });
});

describe('the signature', () => {
  test.each([
    ['missing', () => undefined, 'missing X-JIT-Signature header'],
    ['malformed', () => 'sha256=abc', 'X-JIT-Signature must be t=UNIX_SECONDS,v1=HEX_HMAC_SHA256'],
    ['made with another key', (body: string) => sign(body, 'another-key'), 'the signature does not match the body'],
    ['over another body', () => sign(JSON.stringify({ ...QUESTION, ticket: 'CHG-1000' })), 'the signature does not match the body'],
    ['six minutes old', (body: string) => sign(body, KEY, Math.floor(Date.now() / 1000) - 360), 'the signed timestamp is more than 300 seconds from the ITSM\'s clock'],
    ['six minutes ahead', (body: string) => sign(body, KEY, Math.floor(Date.now() / 1000) + 360), 'the signed timestamp is more than 300 seconds from the ITSM\'s clock'],
  ])('%s: 401 before the question is read', async (_, signature, reason) => {
    expect(await ask(QUESTION, signature)).toEqual({ status: 401, body: { valid: false, reason } });
    const calls = ((await (await fetch(`${emulator.url}/_emulator/itsm.json`)).json()) as any).calls;
    expect(calls.at(-1)).toMatchObject({ status: 401, question: null });
  });

  test('covers the bytes sent, not their parse: the same JSON spaced differently does not match', async () => {
    const res = await fetch(`${emulator.url}/itsm/validate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-jit-signature': sign(JSON.stringify(QUESTION)) },
      body: JSON.stringify(QUESTION, null, 1),
    });
    expect(res.status).toBe(401);
  });

  test('the key is the latest version of the world secret: a rotation applies at once', async () => {
    const versions = emulator.state.secrets.get('projects/jit-host/secrets/itsm-signing-key')!;
    versions.push('rotated-key');
    try {
      expect((await ask(QUESTION)).status).toBe(401);
      expect(await ask(QUESTION, (body) => sign(body, 'rotated-key'))).toEqual({ status: 200, body: { valid: true } });
    } finally {
      versions.pop();
    }
  });
});

describe('records and faults', () => {
  test('every question is recorded, as JSON and on the page', async () => {
    await ask(QUESTION);
    await ask({ ...QUESTION, ticket: 'CHG-999' });
    const listed: any = await (await fetch(`${emulator.url}/_emulator/itsm.json`)).json();
    expect(listed.tickets).toContainEqual({ id: 'CHG-999', status: 'closed' });
    expect(listed.calls).toEqual([
      { id: 1, receivedAt: expect.any(String), signature: 'valid', question: QUESTION, status: 200, answer: { valid: true } },
      { id: 2, receivedAt: expect.any(String), signature: 'valid', question: { ...QUESTION, ticket: 'CHG-999' }, status: 200, answer: { valid: false, reason: 'ticket CHG-999 is closed' } },
    ]);
    const page = await fetch(`${emulator.url}/_emulator/itsm`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('refused: ticket CHG-999 is closed');
    expect(html).toContain('<code>CHG-1234</code>');
  });

  test('injected errors and latency reach the ITSM, as they reach the other APIs', async () => {
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: { itsm: { status: 503, count: 1 } }, latencyMs: { 'itsm.validate': 50 } }) });
    expect((await ask(QUESTION)).status).toBe(503);
    expect((await ask(QUESTION)).status).toBe(200);
    const calls: any = await (await fetch(`${emulator.url}/_emulator/calls`)).json();
    expect(calls.calls['itsm.validate']).toBe(2);
  });
});

describe('events', () => {
  const EVENT = {
    id: 'evt-1',
    event: 'granted',
    ticket: 'CHG-1234',
    activationId: 'jit-abc',
    grantId: 'WyJwcm9kLWFwcCJd',
    project: 'prod-app',
    role: 'roles/cloudsql.admin',
    resourceCondition: null,
    requester: 'alice@example.com',
    actor: 'alice@example.com',
    time: '2026-12-01T10:00:00.000Z',
    window: { start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T10:30:00.000Z' },
    justification: 'CHG-1234 failover drill',
    reason: null,
  };

  async function post(event: unknown, signature?: (body: string) => string | undefined): Promise<{ status: number; body: any }> {
    const body = JSON.stringify(event);
    const header = signature ? signature(body) : sign(body);
    const res = await fetch(`${emulator.url}/itsm/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header !== undefined ? { 'x-jit-signature': header } : {}) },
      body,
    });
    return { status: res.status, body: await res.json() };
  }
  const listed = async () => ((await (await fetch(`${emulator.url}/_emulator/itsm.json`)).json()) as any).events;

  test('a signed event is received and recorded, as JSON and on the page; a repeat of its id is marked', async () => {
    expect(await post(EVENT)).toEqual({ status: 200, body: { received: true } });
    expect(await post({ ...EVENT, id: 'evt-2', event: 'ended', actor: 'admin@example.com', reason: 'left <the> team' })).toEqual({ status: 200, body: { received: true } });
    expect(await post(EVENT)).toEqual({ status: 200, body: { received: true } });
    expect(await listed()).toEqual([
      { id: 1, receivedAt: expect.any(String), signature: 'valid', event: EVENT, duplicate: false, status: 200, answer: { received: true } },
      expect.objectContaining({ id: 2, event: expect.objectContaining({ event: 'ended', reason: 'left <the> team' }), duplicate: false }),
      expect.objectContaining({ id: 3, event: EVENT, duplicate: true, status: 200 }),
    ]);
    const html = await (await fetch(`${emulator.url}/_emulator/itsm`)).text();
    expect(html).toContain('<h2>Events (3)</h2>');
    expect(html).toContain('<dt>Event</dt><dd>ended</dd>');
    expect(html).toContain('left &lt;the&gt; team');
    expect(html).toContain('a repeat of an event received before');
  });

  test.each([
    ['missing', () => undefined, 'missing X-JIT-Signature header'],
    ['made with another key', (body: string) => sign(body, 'another-key'), 'the signature does not match the body'],
    ['over another body', () => sign(JSON.stringify({ ...EVENT, event: 'expired' })), 'the signature does not match the body'],
    ['six minutes old', (body: string) => sign(body, KEY, Math.floor(Date.now() / 1000) - 360), 'the signed timestamp is more than 300 seconds from the ITSM\'s clock'],
  ])('a signature %s: 401, and the event is not read', async (_, signature, reason) => {
    expect(await post(EVENT, signature)).toEqual({ status: 401, body: { received: false, reason } });
    expect((await listed()).at(-1)).toMatchObject({ status: 401, event: null, signature: expect.not.stringMatching(/^valid$/) });
  });

  test('an event of another shape is refused with 400, and one about an unknown ticket with 404', async () => {
    const { reason: _reason, ...missing } = EVENT;
    expect(await post(missing)).toEqual({ status: 400, body: { received: false, reason: 'the event does not follow the protocol: reason: Invalid input: expected string, received undefined' } });
    expect((await post({ ...EVENT, approver: 'bob@example.com' })).body.reason).toBe('the event does not follow the protocol: unknown field approver');
    expect((await post({ ...EVENT, event: 'extended' })).status).toBe(400);
    expect(await post({ ...EVENT, ticket: 'CHG-4242' })).toEqual({ status: 404, body: { received: false, reason: 'ticket CHG-4242 does not exist' } });
    expect((await listed()).map((e: any) => e.status)).toEqual([400, 400, 400, 404]);
  });

  test('injected errors and latency reach the events endpoint', async () => {
    await fetch(`${emulator.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: { 'itsm.events': { status: 500, count: 1 } } }) });
    expect((await post(EVENT)).status).toBe(500);
    expect((await post(EVENT)).status).toBe(200);
    // The injected error answers before the endpoint: only the second is recorded.
    expect(await listed()).toHaveLength(1);
    expect(((await (await fetch(`${emulator.url}/_emulator/calls`)).json()) as any).calls['itsm.events']).toBe(2);
  });

  test('clearing the ITSM clears its events', async () => {
    await post(EVENT);
    await fetch(`${emulator.url}/_emulator/itsm`, { method: 'DELETE' });
    expect(await listed()).toEqual([]);
  });
});

describe('the world', () => {
  const base = 'organization: { id: "100000000001", domain: example.com }\nserviceAccounts: [ jit@p.iam.gserviceaccount.com ]\nprojects:\n  - { id: prod-app, number: "300000000001", parent: organizations/100000000001 }\n';
  test('names an ITSM secret the world holds, tickets once each, and projects it has', () => {
    expect(() => parseWorld(`${base}itsm: { secret: projects/p/secrets/none, tickets: [] }\n`)).toThrow(new WorldError('world: itsm: the secret projects/p/secrets/none is not one of the world\'s secrets'));
    const secrets = 'secrets: { projects/p/secrets/k: [ key ] }\n';
    expect(() => parseWorld(`${base}${secrets}itsm: { secret: projects/p/secrets/k, tickets: [ { id: C-1, status: open }, { id: C-1, status: closed } ] }\n`)).toThrow('ticket C-1 is defined twice');
    expect(() => parseWorld(`${base}${secrets}itsm: { secret: projects/p/secrets/k, tickets: [ { id: C-1, status: open, project: other-app } ] }\n`)).toThrow('names unknown project other-app');
    expect(() => parseWorld(`${base}${secrets}itsm: { secret: projects/p/secrets/k, tickets: [ { id: C-1, status: pending } ] }\n`)).toThrow(WorldError);
  });

  test('without an ITSM, the endpoint is not found', async () => {
    const { itsm: _none, ...withoutItsm } = demoWorld();
    const bare = await startTestEmulator(withoutItsm);
    try {
      const res = await fetch(`${bare.url}/itsm/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
