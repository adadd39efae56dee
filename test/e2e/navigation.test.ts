// In the browser: every page has an address. A link can open the start page at a project
// (`/?projectId=`, as jit-access 1.x's links did), 1.x's approval links (`/?activation=<token>&projectId=`)
// open the approval page, and a result page opened without its result says where to look instead.
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { signIn } from './support/steps';

const session = browserSession();

test('a link to a project opens it; a project the user has nothing on is named as such', async () => {
  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'navigation-project-link', async () => {
    await signIn(page, session.stack.url, 'alice@example.com', '/?projectId=staging-app');
    await page.getByRole('table', { name: 'Your eligible roles on staging-app' }).waitFor();
    expect(await page.getByRole('combobox', { name: 'Project' }).inputValue()).toBe('staging-app');

    await page.goto(`${session.stack.url}/?projectId=finance-ledger`);
    await page.getByText('You have no eligible roles on finance-ledger').waitFor();
    expect(await page.getByRole('table').count()).toBe(0);
  });
});

test("jit-access 1.x's approval link opens the approval page", async () => {
  const alice = session.stack.as('alice@example.com');
  const roles = (await alice.get('/api/v1/projects/prod-app/roles')).body.roles;
  const role = roles.find((r: { role: string }) => r.role === 'roles/compute.admin').id;
  const requested = await alice.post('/api/v1/projects/prod-app/approval-requests', { role, justification: 'INC-19 old link', durationMinutes: 30, reviewers: ['bob@example.com'] });
  expect(requested.status).toBe(201);

  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'navigation-legacy-approval-link', async () => {
    await signIn(page, session.stack.url, 'bob@example.com', `/?activation=${requested.body.token}&projectId=prod-app`);
    await page.getByRole('heading', { name: 'Approval request' }).waitFor();
    expect(await page.locator('dl').textContent()).toContain('INC-19 old link');
    await page.getByRole('button', { name: 'Approve access for alice@example.com' }).click();
    await page.getByRole('heading', { name: 'Access approved' }).waitFor();
  });
});

test('a result page opened without its result says where to look', async () => {
  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'navigation-result-gone', async () => {
    await signIn(page, session.stack.url, 'alice@example.com', '/activated');
    await page.getByRole('heading', { name: 'Nothing to show here' }).waitFor();
    await page.getByRole('main').getByRole('link', { name: 'My access' }).click();
    await page.getByRole('heading', { name: 'My access' }).waitFor();
  });
});
