// In the browser: "My access" lists the user's grants with a live countdown; Extend moves a grant's end,
// End now (after a confirmation) removes the binding from the IAM policy, and a peer-approved grant
// offers an extension request instead of Extend (test/e2e/grant-extension.test.ts follows one through).
import type { Page } from 'playwright-core';
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { signIn } from './support/steps';

const TEMPORARY = /^\(request\.time >= timestamp\("(.+)"\) && request\.time < timestamp\("(.+)"\)\)$/;

const session = browserSession();

/** Activates through the API: these grants are the test's setting, not its subject. */
async function activate(email: string, projectId: string, role: string, durationMinutes: number): Promise<void> {
  const api = session.stack.as(email);
  const { body } = await api.get(`/api/v1/projects/${projectId}/roles`);
  const id = body.roles.find((r: { role: string }) => r.role === role).id;
  const activated = await api.post(`/api/v1/projects/${projectId}/activations`, { roles: [id], justification: 'INC-7 setting up', durationMinutes });
  expect(activated.status).toBe(201);
}

async function activationEnd(projectId: string, role: string): Promise<string | undefined> {
  const { bindings } = await policyOf(session.stack.emulator, projectId);
  const binding = bindings.find((b) => b.role === role && b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'));
  return binding && TEMPORARY.exec(binding.condition.expression)![2];
}

/** The text of the focused element; fails when focus fell back to <body>. */
async function focusedText(page: Page): Promise<string> {
  // A string, evaluated in the page: the test code itself is type-checked without the DOM's types.
  const focused = (await page.evaluate('document.activeElement === document.body ? null : (document.activeElement?.textContent ?? null)')) as string | null;
  expect(focused).not.toBeNull();
  return focused!;
}

/** Focus moves to the message of what was done in an effect, a moment after the message shows: wait for it. */
async function focusSettledOn(page: Page, message: string): Promise<void> {
  await page.locator(':focus', { hasText: message }).waitFor();
}

test('extends one grant and ends another', async () => {
  await activate('alice@example.com', 'staging-app', 'roles/compute.admin', 60);
  await activate('alice@example.com', 'prod-app', 'roles/cloudsql.admin', 10);
  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'my-access', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await page.getByRole('link', { name: 'My access' }).click();
    const rows = page.getByRole('table', { name: 'Active grants' }).getByRole('row');
    await rows.nth(2).waitFor();
    const cloudsql = rows.filter({ hasText: 'roles/cloudsql.admin' });
    expect(await cloudsql.textContent()).toMatch(/(9|10) min \d\d s left/);

    await page.getByRole('button', { name: 'Extend roles/cloudsql.admin on prod-app' }).click();
    const extend = page.getByRole('dialog', { name: 'Extend access' });
    await extend.getByRole('combobox', { name: 'Let it last, from now' }).selectOption({ label: '1 hour' });
    await extend.getByRole('button', { name: 'Extend' }).click();
    await page.getByText('Your access to roles/cloudsql.admin on prod-app now lasts until').waitFor();
    // Focus goes to what happened, not to <body>, once the dialog is gone.
    await focusSettledOn(page, 'now lasts until');
    expect(await focusedText(page)).toContain('now lasts until');
    const end = await activationEnd('prod-app', 'roles/cloudsql.admin');
    expect(Date.parse(end!) - Date.now()).toBeGreaterThan(55 * 60_000);

    await page.getByRole('button', { name: 'End now roles/compute.admin on staging-app' }).click();
    const confirm = page.getByRole('dialog', { name: 'End access now?' });
    await confirm.getByRole('textbox', { name: 'Reason (optional)' }).fill('Done, incident closed');
    await confirm.getByRole('button', { name: 'End now' }).click();
    await page.getByText('Your access to roles/compute.admin on staging-app was removed.').waitFor();
    await focusSettledOn(page, 'was removed');
    expect(await focusedText(page)).toContain('was removed');
    expect(await activationEnd('staging-app', 'roles/compute.admin')).toBeUndefined();
    await rows.filter({ hasText: 'staging-app' }).waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(2);
  });
});

test('a peer-approved grant offers an extension request instead of Extend', async () => {
  const alice = session.stack.as('alice@example.com');
  const roles = (await alice.get('/api/v1/projects/prod-app/roles')).body.roles;
  const role = roles.find((r: { role: string }) => r.role === 'roles/compute.admin').id;
  const requested = await alice.post('/api/v1/projects/prod-app/approval-requests', { role, justification: 'INC-8 scaling', durationMinutes: 30, reviewers: ['bob@example.com'] });
  expect(requested.status).toBe(201);
  expect((await session.stack.as('bob@example.com').post(`/api/v1/approval-requests/${requested.body.token}/approve`)).status).toBe(200);

  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'my-access-peer', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await page.getByRole('link', { name: 'My access' }).click();
    const row = page.getByRole('table', { name: 'Active grants' }).getByRole('row').filter({ hasText: 'roles/compute.admin' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Approved by bob@example.com');
    expect(await row.getByRole('button', { name: /^Extend/ }).count()).toBe(0);
    await row.getByRole('button', { name: 'Request extension of roles/compute.admin on prod-app' }).click();
    await page.getByRole('dialog', { name: 'Request extension' }).getByRole('checkbox', { name: 'carol@example.com' }).waitFor();
  });
});

test('Extend is offered only when a longer grant is possible; until then the page says from when', async () => {
  const { maxDurationMinutes } = (await session.stack.as('dave@example.com').get('/api/v1/me')).body.settings;
  await activate('dave@example.com', 'data-warehouse', 'roles/bigquery.dataViewer', maxDurationMinutes);
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'my-access-no-extend', async () => {
    await signIn(page, session.stack.url, 'dave@example.com', '/my-access');
    const row = page.getByRole('table', { name: 'Active grants' }).getByRole('row').filter({ hasText: 'roles/bigquery.dataViewer' });
    await row.waitFor();
    expect(await row.getByRole('button', { name: /Extend/ }).count()).toBe(0);
    // Times carry their zone.
    expect(await row.textContent()).toMatch(/Can be extended after \d{1,2}:\d\d [AP]M UTC/);
  });
});
