// In the browser: where the rule allows a later start, the activation dialog offers one; the user schedules a
// self-activation for tomorrow, lands in My access with "Scheduled · starts …", and cancels it there. The
// project's policy holds a record that grants nothing until the start, and nothing once cancelled.
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const POLICY = temporaryAccessPolicy(
  `version: 1
rules:
  - name: sql-later
    match: { projects: [prod-app], roles: [roles/cloudsql.admin] }
    approval: self
    scheduling: { maxDelay: 7d }
  - name: compute-now
    match: { projects: [prod-app], roles: [roles/compute.viewer] }
    approval: self
`,
).path;

const session = browserSession({ env: { ACCESS_POLICY: POLICY } });

async function bindingsOf(title: string) {
  const { bindings } = await policyOf(session.stack.emulator, 'prod-app');
  return bindings.filter((b) => b.condition?.title === title && b.members.includes('user:alice@example.com'));
}

test('schedules a self-activation for later, sees it in My access, and cancels it', async () => {
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'scheduled-start', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await chooseProject(page, 'prod-app');

    // A role whose rule allows no later start offers none.
    await page.getByLabel('roles/compute.viewer').check();
    await page.getByRole('button', { name: 'Activate…' }).click();
    let dialog = page.getByRole('dialog', { name: 'Activate role' });
    await dialog.getByRole('textbox', { name: 'Justification' }).waitFor();
    expect(await dialog.getByRole('group', { name: 'Start' }).count()).toBe(0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await page.getByLabel('roles/compute.viewer').uncheck();

    await page.getByLabel('roles/cloudsql.admin').check();
    await page.getByRole('button', { name: 'Activate…' }).click();
    dialog = page.getByRole('dialog', { name: 'Activate role' });
    await dialog.getByRole('textbox', { name: 'Justification' }).fill('INC-5 planned failover');
    const start = dialog.getByRole('group', { name: 'Start' });
    await start.getByText('Up to 7 days ahead.').waitFor();
    await start.getByRole('radio', { name: 'Later' }).check();
    // Too far ahead: refused in the form, before anything is sent.
    const tooLate = new Date(Date.now() + 8 * 86_400_000).toISOString().slice(0, 16);
    await start.getByLabel('Starts at').fill(tooLate);
    await dialog.getByRole('button', { name: 'Schedule' }).click();
    await dialog.getByText('The start can be at most 7 days ahead.').waitFor();
    expect(await bindingsOf('JIT access scheduled activation')).toEqual([]);

    const tomorrow = new Date(Date.now() + 86_400_000);
    tomorrow.setUTCHours(9, 30, 0, 0);
    await start.getByLabel('Starts at').fill(tomorrow.toISOString().slice(0, 16));
    await dialog.getByRole('combobox', { name: 'For how long' }).selectOption({ label: '1 hour' });
    await dialog.getByRole('button', { name: 'Schedule' }).click();

    await page.getByRole('heading', { name: 'My access' }).waitFor();
    await page.getByText(/roles\/cloudsql\.admin on prod-app will start at .*9:30 AM UTC and last until .*10:30 AM UTC, if you are still eligible then\./).waitFor();
    const scheduled = page.getByRole('table', { name: 'Scheduled' });
    const row = scheduled.getByRole('row').filter({ hasText: 'roles/cloudsql.admin' });
    expect(await row.textContent()).toMatch(/Scheduled · starts .*9:30 AM UTC · self-approved: INC-5 planned failover/);

    const [record] = await bindingsOf('JIT access scheduled activation');
    expect(record.role).toBe('roles/browser');
    expect(record.condition.description).toContain(`roles/cloudsql.admin - from ${tomorrow.toISOString().replace(/\.000Z$/, 'Z')}`);
    expect(await bindingsOf('JIT access activation')).toEqual([]);

    await row.getByRole('button', { name: /Cancel scheduled roles\/cloudsql\.admin on prod-app/ }).click();
    await page.getByText('The scheduled access to roles/cloudsql.admin on prod-app was cancelled.').waitFor();
    // The list is read again after the notice: the table goes once the reload shows nothing scheduled.
    await page.getByRole('table', { name: 'Scheduled' }).waitFor({ state: 'detached' });
    expect(await bindingsOf('JIT access scheduled activation')).toEqual([]);
  });
});
