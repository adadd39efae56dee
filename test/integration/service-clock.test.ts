// The service's clock in tests: `startStack({ clock: true })` and `stack.advance(seconds)` move the service's
// "now" and the emulator's together, for every instance of the stack, so that delays and expiries are reached
// without waiting: grants end, request tokens expire, and IAP assertions keep being accepted.
import { startSecondInstance, startStack, type Stack } from '../support/stack';
import { demoWorld } from '../support/emulator';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

function tokenIn(text: string): string {
  const m = /\/approve\/([A-Za-z0-9_~-]+)/.exec(text);
  if (!m) throw new Error(`no approval link in: ${text}`);
  return m[1];
}

describe('the service clock', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ clock: true });
  });

  afterAll(async () => {
    await stack?.close();
  });

  test('an hour later: a 30-minute grant has ended and a request token has expired, on every instance', async () => {
    const activated = await stack.as(ALICE).post('/api/v1/projects/staging-app/activations', { roles: ['staging-app:roles/compute.admin'], justification: 'INC-1', durationMinutes: 30 });
    expect(activated.status).toBe(201);
    const requested = await stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: 'prod-app:roles/compute.admin', reviewers: [BOB], justification: 'INC-2', durationMinutes: 30 });
    expect(requested.status).toBe(201);
    const token = tokenIn(stack.emulator.state.mail.at(-1)!.text);
    const grantsBefore = await stack.as(ALICE).get('/api/v1/me/grants');
    expect(grantsBefore.body.grants.map((g: any) => g.role)).toContain('roles/compute.admin');
    expect((await stack.as(BOB).get(`/api/v1/approval-requests/${token}`)).body.status).toBe('pending');

    await stack.advance(3600);

    // IAP assertions are signed on the emulator's clock and checked on the service's: still accepted.
    const grantsAfter = await stack.as(ALICE).get('/api/v1/me/grants');
    expect(grantsAfter.status).toBe(200);
    expect(grantsAfter.body.grants.filter((g: any) => g.projectId === 'staging-app')).toEqual([]);
    const approved = await stack.as(BOB).post(`/api/v1/approval-requests/${token}/approve`);
    expect(approved.status).toBe(410);
    expect(approved.body.error.code).toBe('REQUEST_EXPIRED');

    const second = await startSecondInstance(stack, demoWorld());
    try {
      const elsewhere = await second.as(BOB).post(`/api/v1/approval-requests/${token}/approve`);
      expect(elsewhere.body.error.code).toBe('REQUEST_EXPIRED');
    } finally {
      await second.close();
    }
  });
});
