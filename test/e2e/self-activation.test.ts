// In the browser: a user picks a project, activates two self-approval roles with a justification, and
// gets both bindings; and when Google refuses the write, the user is told so in plain words.
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';

const TEMPORARY = /^\(request\.time >= timestamp\("(.+)"\) && request\.time < timestamp\("(.+)"\)\)$/;

const session = browserSession();

async function activationsOf(projectId: string, email: string) {
  const { bindings } = await policyOf(session.stack.emulator, projectId);
  return bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`user:${email}`));
}

test('activates two roles with a justification and duration, then shows each grant', async () => {
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'self-activation', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await chooseProject(page, 'prod-app');

    await page.getByLabel('roles/cloudsql.admin').check();
    await page.getByLabel('roles/compute.viewer').check();
    await page.getByRole('button', { name: 'Activate 2 roles…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Activate 2 roles' });
    const justification = dialog.getByRole('textbox', { name: 'Justification' });
    await justification.fill('database is slow');
    // The configured pattern is checked while typing, and the hint says what is expected.
    await dialog.getByText('It does not have the expected form. A ticket number, such as INC-1234.').waitFor();
    await justification.fill('INC-4711 database is slow');
    await dialog.getByText('Looks good.').waitFor();
    await dialog.getByRole('combobox', { name: 'For how long' }).selectOption({ label: '30 minutes' });
    // The end it will have, in local time with its zone, before committing to it.
    const expectedEnd = new Intl.DateTimeFormat('en-US', { hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'UTC' });
    const preview = (await dialog.getByText('It will end at').textContent())!;
    const shown = /It will end at (\d{1,2}:\d\d [AP]M UTC)\./.exec(preview)![1];
    const in30 = Date.now() + 30 * 60_000;
    expect([expectedEnd.format(in30 - 60_000), expectedEnd.format(in30), expectedEnd.format(in30 + 60_000)]).toContain(shown);
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();

    await page.getByRole('heading', { name: 'Access granted' }).waitFor();
    const grants = page.getByRole('table', { name: 'Granted on prod-app' }).getByRole('row');
    expect(await grants.count()).toBe(3);
    expect(await page.getByText('It takes IAM a few minutes to apply the change').count()).toBe(1);

    const written = await activationsOf('prod-app', 'alice@example.com');
    expect(written.map((b) => b.role).sort()).toEqual(['roles/cloudsql.admin', 'roles/compute.viewer']);
    for (const binding of written) {
      const [, start, end] = TEMPORARY.exec(binding.condition.expression)!;
      expect(Date.parse(end) - Date.parse(start)).toBe(30 * 60_000);
      expect(binding.condition.description).toBe('Self-approved, justification: INC-4711 database is slow');
    }

    // The result is a page of its own: reload keeps it, and Back returns to the project's roles.
    await page.reload();
    await page.getByRole('heading', { name: 'Access granted' }).waitFor();
    expect(await grants.count()).toBe(3);
    await page.goBack();
    await page.getByRole('table', { name: 'Your eligible roles on prod-app' }).waitFor();
    expect(new URL(page.url()).search).toBe('?projectId=prod-app');

    // The project is remembered, and the roles now count down.
    await page.goto(`${session.stack.url}/`);
    await page.getByRole('table', { name: 'Your eligible roles on prod-app' }).waitFor();
    const cloudsql = page.getByRole('row').filter({ hasText: 'roles/cloudsql.admin' });
    expect(await cloudsql.textContent()).toMatch(/Active · (29|30) min \d\d s left/);
  });
});

test('a write that Google refuses is explained, nothing is granted, and trying again works', async () => {
  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'self-activation-refused', async () => {
    await signIn(page, session.stack.url, 'bob@example.com');
    await chooseProject(page, 'prod-app');
    await page.getByLabel('roles/compute.viewer').check();
    await page.getByRole('button', { name: 'Activate…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Activate role' });
    await dialog.getByRole('textbox', { name: 'Justification' }).fill('INC-99 on call');

    const before = await policyOf(session.stack.emulator, 'prod-app');
    session.stack.emulator.state.faults.errors['cloudresourcemanager.projects.setIamPolicy'] = { rate: 1, status: 403, count: 1 };
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();

    const error = dialog.getByRole('alert');
    await error.waitFor();
    const text = await error.textContent();
    expect(text).toContain('The role was not activated');
    expect(text).toContain('Tell your administrator');
    expect((await policyOf(session.stack.emulator, 'prod-app')).etag).toBe(before.etag);
    // The dialog keeps what the user typed, so trying again is one click.
    expect(await dialog.getByRole('textbox', { name: 'Justification' }).inputValue()).toBe('INC-99 on call');

    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();
    await page.getByRole('heading', { name: 'Access granted' }).waitFor();
    expect((await policyOf(session.stack.emulator, 'prod-app')).etag).not.toBe(before.etag);
  });
});

test('activating a role that is active says its current end and what the new one will be, and never shortens it', async () => {
  const api = session.stack.as('carol@example.com');
  const roles = (await api.get('/api/v1/projects/prod-app/roles')).body.roles;
  const viewer = roles.find((r: { role: string }) => r.role === 'roles/compute.viewer').id;
  expect((await api.post('/api/v1/projects/prod-app/activations', { roles: [viewer], justification: 'INC-2 on call', durationMinutes: 60 })).status).toBe(201);

  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'self-activation-again', async () => {
    await signIn(page, session.stack.url, 'carol@example.com');
    await chooseProject(page, 'prod-app');
    await page.getByLabel('roles/compute.viewer').check();
    await page.getByRole('button', { name: 'Activate…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Activate role' });
    await dialog.getByRole('textbox', { name: 'Justification' }).fill('INC-3 still on call');
    const duration = dialog.getByRole('combobox', { name: 'For how long' });
    await duration.selectOption({ label: '2 hours' });
    await dialog.getByText(/^Active until \d{1,2}:\d\d [AP]M UTC: it will then last until \d{1,2}:\d\d [AP]M UTC\.$/).waitFor();
    await duration.selectOption({ label: '30 minutes' });
    await dialog.getByText(/^Active until \d{1,2}:\d\d [AP]M UTC, which is as long or longer: it stays as it is\.$/).waitFor();
    await dialog.getByRole('button', { name: 'Activate', exact: true }).click();

    await page.getByRole('heading', { name: 'Access granted' }).waitFor();
    const row = page.getByRole('table', { name: 'Granted on prod-app' }).getByRole('row').filter({ hasText: 'roles/compute.viewer' });
    expect(await row.textContent()).toContain('Already active for as long or longer: unchanged.');
    await page.getByText('activating never shortens access').waitFor();
  });
});
