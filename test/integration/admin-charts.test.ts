// The Admin area's charts from the shared audit feed, the role that /me reports for the Admin link, and the
// event names the history offers its filter.
import { startStack, type Stack } from '../support/stack';

const ADMIN = 'bob@example.com'; // in oncall@example.com
const AUDITOR = 'dave@example.com'; // in data-eng@example.com
const ORDINARY = 'frank@example.com';
const ALICE = 'alice@example.com';

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { ADMIN_GROUPS: 'oncall@example.com', AUDITOR_GROUPS: 'data-eng@example.com' } });
});
afterAll(() => stack.close());

test("/me says the caller's Admin role (from cached groups) so the SPA shows the Admin link; null for everyone else", async () => {
  expect((await stack.as(ADMIN).get('/api/v1/me')).body.adminRole).toBe('admin');
  expect((await stack.as(AUDITOR).get('/api/v1/me')).body.adminRole).toBe('auditor');
  expect((await stack.as(ORDINARY).get('/api/v1/me')).body.adminRole).toBeNull();
});

test('elevations per day by project and role, hours held and time to approval, from the audit feed', async () => {
  const activated = await stack.as(ALICE).post('/api/v1/projects/prod-app/activations', { roles: ['prod-app:roles/cloudsql.admin'], justification: 'INC-7', durationMinutes: 30 });
  expect(activated.status).toBe(201);
  const requested = await stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: 'prod-app:roles/compute.admin', justification: 'INC-8', durationMinutes: 30, reviewers: [ADMIN] });
  expect(requested.status).toBe(201);
  expect((await stack.as(ADMIN).post(`/api/v1/approval-requests/${requested.body.token}/approve`)).status).toBe(200);
  await stack.service.audit.flush();

  const res = await stack.as(AUDITOR).get('/api/v1/admin/charts');
  expect(res.status).toBe(200);
  // The last 7 days by default: 8 UTC days unless the period starts at midnight.
  expect(res.body.days.length).toBeGreaterThanOrEqual(7);
  expect(res.body.days.at(-1)).toBe(new Date().toISOString().slice(0, 10));
  expect(res.body.elevationsByProject.map((s: any) => [s.key, sum(s.values), s.values.length])).toEqual([['prod-app', 2, res.body.days.length]]);
  expect(res.body.elevationsByRole.map((s: any) => [s.key, sum(s.values)])).toEqual([
    ['roles/cloudsql.admin', 1],
    ['roles/compute.admin', 1],
  ]);
  // Both grants started seconds ago and are still held: hours so far, not the 30 minutes ahead.
  expect(res.body.hoursByProject.map((s: any) => s.key)).toEqual(['prod-app']);
  expect(sum(res.body.hoursByProject[0].values)).toBeLessThan(2 / 60);
  expect(res.body.approvals.count).toBe(1);
  expect(res.body.approvals.medianMinutes).toBeGreaterThanOrEqual(0);
  expect(res.body.approvals.medianMinutes).toBeLessThan(1);
  expect(res.body.freshness).toContain('audit log');

  // A period before anything happened has days but no elevations.
  const earlier = await stack.as(ADMIN).get(`/api/v1/admin/charts?from=${new Date(Date.now() - 3 * 86_400_000).toISOString()}&to=${new Date(Date.now() - 2 * 86_400_000).toISOString()}`);
  expect(earlier.status).toBe(200);
  expect(earlier.body.elevationsByProject).toEqual([]);
  expect(earlier.body.approvals).toMatchObject({ count: 0, medianMinutes: null });
});

test('the charts share the history rules: 400 for a bad or too old period, 403 for everyone but admins and auditors', async () => {
  const bad = await stack.as(ADMIN).get('/api/v1/admin/charts?from=yesterday');
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toContain('RFC 3339');
  expect((await stack.as(ADMIN).get('/api/v1/admin/charts?from=2000-01-01T00:00:00Z')).status).toBe(400);
  expect((await stack.as(ADMIN).get('/api/v1/admin/charts?days=3')).status).toBe(400);
  const refused = await stack.as(ORDINARY).get('/api/v1/admin/charts');
  expect(refused.status).toBe(403);
  expect(refused.body.error.code).toBe('NOT_ADMIN');
});

test('the history names every event it shows, for the event filter', async () => {
  const res = await stack.as(AUDITOR).get('/api/v1/admin/history');
  expect(res.status).toBe(200);
  expect(res.body.events).toEqual(expect.arrayContaining(['activation.succeeded', 'approval.succeeded', 'grant.revoked']));
  expect(res.body.events).not.toContain('cleanup.run');
});
