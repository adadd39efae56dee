// In the browser, the Admin area on a known world: an admin sees the active elevations, filters them and
// revokes one with a reason; reads and filters the history and downloads it as CSV; reads the standing-privilege
// report with where each binding sits, the charts and their tables with the right numbers, and the alerts. An
// auditor reads without Revoke; an ordinary user has no Admin link and is refused at the address.
import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { demoWorld } from '../support/emulator';
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { signIn } from './support/steps';

const ADMIN = 'bob@example.com'; // in oncall@example.com
const AUDITOR = 'dave@example.com'; // in data-eng@example.com
const ORDINARY = 'frank@example.com';
const ALICE = 'alice@example.com';
const HAND_WRITTEN = 'grace@example.com';

function world() {
  const w = structuredClone(demoWorld());
  // A planted standing role: the SRE group holds compute.viewer permanently on staging-app, inside the
  // folder where it is eligible for it.
  w.iam['projects/staging-app'].push({ role: 'roles/compute.viewer', members: ['group:sre@example.com'] });
  // An activation written by hand: no audit entry of this service records it.
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const at = (minutes: number) => new Date(minute + minutes * 60_000).toISOString().replace('.000Z', 'Z');
  w.iam['projects/finance-ledger'].push({
    role: 'roles/cloudsql.admin',
    members: [`user:${HAND_WRITTEN}`],
    condition: { title: 'JIT access activation', description: 'Self-approved, justification: by hand', expression: `(request.time >= timestamp("${at(-20)}") && request.time < timestamp("${at(100)}"))` },
  });
  return w;
}

const session = browserSession({ world: world(), env: { ADMIN_GROUPS: 'oncall@example.com', AUDITOR_GROUPS: 'data-eng@example.com' } });

async function activate(email: string, projectId: string, role: string): Promise<void> {
  const res = await session.stack.as(email).post(`/api/v1/projects/${projectId}/activations`, { roles: [`${projectId}:${role}`], justification: 'INC-5 on call', durationMinutes: 60 });
  expect(res.status).toBe(201);
}

/** The known world of these tests: four elevations today, one of them approved by a peer. */
beforeAll(async () => {
  await activate(ALICE, 'prod-app', 'roles/cloudsql.admin');
  await activate(ALICE, 'staging-app', 'roles/compute.admin');
  await activate(AUDITOR, 'data-warehouse', 'roles/bigquery.dataViewer');
  const requested = await session.stack.as(ALICE).post('/api/v1/projects/prod-app/approval-requests', { role: 'prod-app:roles/compute.admin', justification: 'INC-6 scaling', durationMinutes: 60, reviewers: [ADMIN] });
  expect(requested.status).toBe(201);
  expect((await session.stack.as(ADMIN).post(`/api/v1/approval-requests/${requested.body.token}/approve`)).status).toBe(200);
});

const adminPage = () => newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
const today = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(new Date());

/** A table's cells by column header, for the row whose first cell or row header is `rowName`, once it is shown. */
async function rowByHeader(table: Locator, rowName: string): Promise<Record<string, string>> {
  const row = table.getByRole('row').filter({ has: table.page().getByRole('rowheader', { name: rowName, exact: true }) });
  await row.waitFor();
  const headers = await table.getByRole('columnheader').allTextContents();
  const cells = await row.locator('th, td').allTextContents();
  return Object.fromEntries(headers.map((h, i) => [h, cells[i]]));
}

const elevationRows = (page: Page) => page.getByRole('table', { name: /^Active elevations/ }).getByRole('row');

test('the Admin area is loaded when first opened: its heading takes focus when it arrives; code that cannot be loaded is said, with Reload', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-loaded-on-demand', async () => {
    // Held back until the test lets it through: the page waits, saying so.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route('**/assets/AdminArea-*.js', async (route) => {
      await held;
      await route.continue();
    });
    await signIn(page, session.stack.url, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('main').getByRole('status').filter({ hasText: 'Loading…' }).waitFor();
    release();
    await page.getByRole('heading', { name: 'Active elevations' }).waitFor();
    // Focus moves a moment after the heading arrives (a mutation observer): wait for it, then say where it is.
    await page.locator('#page-heading:focus').waitFor();
    expect(await page.evaluate("document.activeElement?.id ?? null")).toBe('page-heading');
    await page.unroute('**/assets/AdminArea-*.js');

    // A tab of an older version: its Admin area's file is gone from the server.
    const stale = await adminPage();
    await stale.route('**/assets/AdminArea-*.js', (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not part of this version' }));
    await signIn(stale, session.stack.url, ADMIN, '/admin');
    const notice = stale.getByRole('alert').filter({ hasText: 'This page could not be loaded' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('a new version of JIT Access was deployed since this tab was opened');
    // Other pages still work from the same tab.
    await stale.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My access' }).click();
    await stale.getByRole('heading', { name: 'My access' }).waitFor();
    expect(await stale.getByText('This page could not be loaded').count()).toBe(0);
    // Back at the Admin area it still cannot be shown; Reload fetches its code again.
    await stale.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await notice.waitFor();
    await stale.unroute('**/assets/AdminArea-*.js');
    await notice.getByRole('button', { name: 'Reload' }).click();
    await stale.getByRole('heading', { name: 'Active elevations' }).waitFor();
    await stale.close();
  });
});

test('an admin sees every active elevation, filters them, and revokes one with a required reason', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-elevations', async () => {
    await signIn(page, session.stack.url, ADMIN);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Active elevations' }).waitFor();
    const table = page.getByRole('table', { name: 'Active elevations (5)' });
    await table.waitFor();
    expect(await page.getByText(/^From Asset Inventory, searched at/).count()).toBe(1);
    const texts = await table.getByRole('row').allTextContents();
    expect(texts.filter((t) => t.includes(ALICE))).toHaveLength(3);
    expect(texts.find((t) => t.includes('roles/compute.admin') && t.includes('prod-app'))).toContain(`Approved by ${ADMIN}`);

    const filters = page.getByRole('search', { name: 'Filter elevations' });
    await filters.getByRole('textbox', { name: 'Project' }).fill('prod-app');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('table', { name: 'Active elevations (2)' }).waitFor();
    expect(page.url()).toContain('/admin?projectId=prod-app');
    await filters.getByRole('textbox', { name: 'Project' }).fill('');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('table', { name: 'Active elevations (5)' }).waitFor();

    await page.getByRole('button', { name: `Revoke roles/compute.admin of ${ALICE} on staging-app` }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this grant?' });
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await dialog.getByText('Say why the grant is revoked').waitFor();
    expect(await dialog.getByRole('textbox', { name: 'Reason' }).getAttribute('aria-invalid')).toBe('true');
    await dialog.getByRole('textbox', { name: 'Reason' }).fill('Incident closed');
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText(`${ALICE} no longer holds roles/compute.admin on staging-app`).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Grant revoked' }).textContent()).toContain('They were notified.');
    await page.getByRole('table', { name: 'Active elevations (4)' }).waitFor();
    expect(await elevationRows(page).filter({ hasText: 'staging-app' }).count()).toBe(0);
  });
  const binding = (await policyOf(session.stack.emulator, 'staging-app')).bindings.find((b) => b.role === 'roles/compute.admin' && b.condition?.title === 'JIT access activation');
  expect(binding?.members ?? []).not.toContain(`user:${ALICE}`);
  expect(session.stack.emulator.state.mail.some((m) => m.to.includes(ALICE) && m.text.includes('Incident closed'))).toBe(true);
});

test('the history lists what happened, filters by user and event, and downloads the same rows as CSV', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-history', async () => {
    await signIn(page, session.stack.url, ADMIN, '/admin/history');
    const table = page.getByRole('table', { name: 'History' });
    await table.waitFor();
    expect(await page.getByText(/^From the audit log in Cloud Logging, read at/).count()).toBe(1);
    expect(await table.getByRole('row').filter({ hasText: 'request.created' }).count()).toBe(1);

    const filters = page.getByRole('search', { name: 'Filter history' });
    await filters.getByRole('textbox', { name: 'User' }).fill(ALICE);
    await filters.getByRole('combobox', { name: 'Event' }).selectOption('activation.succeeded');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    // The count of the filtered list (not, say, "12 events." of the list before).
    await page.getByText(/: 2 events\.$/).waitFor();
    const rows = await table.getByRole('row').allTextContents();
    expect(rows.slice(1).every((r) => r.includes('activation.succeeded') && r.includes(ALICE))).toBe(true);
    expect(rows.slice(1)).toHaveLength(2);

    // The period in days of the reader's calendar (UTC here): today alone still holds both.
    const day = new Date().toISOString().slice(0, 10);
    await filters.getByLabel('From').fill(day);
    await filters.getByLabel('To (included)').fill(day);
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/from=\d{4}-\d\d-\d\d&to=/);
    await page.getByText(/^From 12:00 AM UTC to .*: 2 events\.$/).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), filters.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^jit-access-history-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv$/);
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(lines[0]).toBe('time,event,outcome,actor,beneficiary,project,roles,message');
    expect(lines.slice(1)).toHaveLength(2);
    expect(lines.slice(1).every((l) => l.includes(',activation.succeeded,success,alice@example.com,'))).toBe(true);
  });
});

test('the standing-privilege report says where each binding sits and through whom', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-standing', async () => {
    await signIn(page, session.stack.url, ADMIN, '/admin');
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Standing privileges' }).click();
    const shadowing = page.getByRole('table', { name: /^Held permanently while eligible/ });
    await shadowing.waitFor();
    const row = shadowing.getByRole('row').filter({ hasText: ALICE });
    expect(await row.textContent()).toMatch(/roles\/compute\.viewer.*projects\/staging-app.*group:sre@example\.com.*folders\/200000000001/);
    const privileged = page.getByRole('table', { name: /^Privileged roles held permanently/ });
    expect(await privileged.getByRole('row').filter({ hasText: 'admin@example.com' }).filter({ hasText: 'projects/finance-ledger' }).textContent()).toContain('roles/owner');
    expect(await page.getByText(/^From Asset Inventory \(usually minutes behind IAM\) and Cloud Identity, computed at/).count()).toBe(1);
  });
});

test('the charts draw the numbers of the known world, and their tables give the same numbers', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-charts', async () => {
    await signIn(page, session.stack.url, ADMIN, '/admin/charts');
    const byProject = page.getByRole('img', { name: /^Elevations per day by project/ });
    await byProject.waitFor();
    // One bar segment per project today; the image's accessible name is its title and its summary in words.
    expect(await byProject.locator('rect').count()).toBe(3);
    expect(await page.getByRole('table').count()).toBe(0);

    await page.getByRole('button', { name: 'Show as a table: Elevations per day by project' }).click();
    expect(await page.getByRole('button', { name: 'Hide the table: Elevations per day by project' }).getAttribute('aria-expanded')).toBe('true');
    const projectTable = page.getByRole('table', { name: 'Elevations per day by project' });
    const days = (await projectTable.getByRole('row').count()) - 1;
    const [titleId, descId] = (await byProject.getAttribute('aria-labelledby'))!.split(' ');
    expect(await byProject.locator('title').first().getAttribute('id')).toBe(titleId);
    expect(await byProject.locator('desc').getAttribute('id')).toBe(descId);
    expect(await byProject.locator('desc').textContent()).toBe(`4 elevations in ${days} days; the most on ${today} (4); 3 projects.`);
    const projects = await rowByHeader(projectTable, today);
    expect(projects).toEqual({ 'Day (UTC)': today, 'Project: prod-app': '2', 'Project: data-warehouse': '1', 'Project: staging-app': '1', Total: '4' });

    await page.getByRole('button', { name: 'Show as a table: Elevations per day by role' }).click();
    const roles = await rowByHeader(page.getByRole('table', { name: 'Elevations per day by role' }), today);
    expect(roles).toEqual({ 'Day (UTC)': today, 'Role: roles/compute.admin': '2', 'Role: roles/bigquery.dataViewer': '1', 'Role: roles/cloudsql.admin': '1', Total: '4' });

    await page.getByRole('button', { name: 'Show as a table: Hours of privileged access held per day' }).click();
    const hours = await rowByHeader(page.getByRole('table', { name: 'Hours of privileged access held per day' }), today);
    // Held since the tests began, seconds or minutes ago: a fraction of an hour per project.
    for (const project of ['prod-app', 'staging-app', 'data-warehouse']) expect(Number(hours[`Project: ${project}`])).toBeLessThan(0.5);

    await page.getByRole('button', { name: 'Show as a table: Median time to approval per day, in minutes' }).click();
    const approvals = page.getByRole('table', { name: 'Median time to approval per day, in minutes' });
    const median = await rowByHeader(approvals, today);
    expect(Number(median['Median minutes to approval'])).toBeLessThan(5);
    // Days without an approval have no median, rather than a median of 0.
    const otherDays = (await approvals.getByRole('row').allTextContents()).slice(1).filter((r) => !r.startsWith(today));
    expect(otherDays.every((r) => r.endsWith('–'))).toBe(true);
  });
});

test('alerts name an activation written outside the service, with who, where and what', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-alerts', async () => {
    await signIn(page, session.stack.url, AUDITOR, '/admin');
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Alerts' }).click();
    const table = page.getByRole('table', { name: /^Alerts/ });
    await table.waitFor();
    const row = table.getByRole('row').filter({ hasText: HAND_WRITTEN });
    expect(await row.count()).toBe(1);
    const text = await row.textContent();
    expect(text).toContain('High');
    expect(text).toContain('Activation written outside this service');
    expect(text).toContain('finance-ledger');
    expect(text).toContain('roles/cloudsql.admin');
    expect(await page.getByText(/^From the audit log, read at/).count()).toBe(1);
  });
});

test('an auditor reads the Admin area but is offered no Revoke', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-auditor', async () => {
    await signIn(page, session.stack.url, AUDITOR);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('table', { name: /^Active elevations/ }).waitFor();
    expect(await page.getByText('You are an auditor: you can read but not revoke.').count()).toBe(1);
    expect(await page.getByRole('button', { name: /^Revoke/ }).count()).toBe(0);
  });
});

test('an ordinary user has no Admin link, and the Admin address tells them they may not use it', async () => {
  const page = await adminPage();
  await screenshotOnFailure(page, 'admin-ordinary', async () => {
    await signIn(page, session.stack.url, ORDINARY);
    // The Admin link appears once the app knows who is signed in, as the page does: the page first.
    await page.getByRole('heading', { name: 'Request access' }).waitFor();
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto(`${session.stack.url}/admin`);
    await page.getByText(`You (${ORDINARY}) are not an admin or auditor of this service.`, { exact: false }).waitFor();
  });
});
