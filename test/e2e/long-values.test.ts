// In the browser, at phone and desktop widths: the longest values a user can meet (an email of 70
// characters, a project id of 30, a justification of 100 without a space, an approval link of a few
// thousand characters) wrap instead of widening the page, and every dialog's buttons stay on screen.
import type { Locator, Page } from 'playwright-core';
import { demoWorld } from '../support/emulator';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';

const USER = 'first.middle.lastname-of-a-site-reliability-engineer-oncall@example.com';
const PROJECT = 'a-project-with-a-long-id-2026';
const JUSTIFICATION = `INC-1234:${'x'.repeat(91)}`;

function worldWithLongValues() {
  const world = demoWorld();
  world.users.push(USER);
  world.projects.push({ id: PROJECT, number: '300000000042', parent: 'folders/200000000003', displayName: 'A project with a long id' } as (typeof world.projects)[number]);
  world.iam[`projects/${PROJECT}`] = [
    { role: 'roles/compute.admin', members: [`user:${USER}`], condition: { title: 'Eligible for JIT access', expression: 'has({}.jitAccessConstraint)' } },
  ] as (typeof world.iam)[string];
  return world;
}

const session = browserSession({ world: worldWithLongValues() });

const VIEWPORTS = [
  { name: 'phone', width: 375, height: 740 },
  { name: 'desktop', width: 1280, height: 800 },
];

/** The page is no wider than the window: nothing makes the reader scroll sideways. */
async function expectNoHorizontalOverflow(page: Page, where: string): Promise<void> {
  // A string, evaluated in the page: the test code itself is type-checked without the DOM's types.
  const { scrollWidth, clientWidth } = (await page.evaluate('({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })')) as {
    scrollWidth: number;
    clientWidth: number;
  };
  expect({ where, scrollWidth }).toEqual({ where, scrollWidth: clientWidth });
}

/** Scrolled to (inside its dialog if need be), the control lies wholly inside the window. */
async function expectInViewport(page: Page, control: Locator): Promise<void> {
  await control.scrollIntoViewIfNeeded();
  const box = (await control.boundingBox())!;
  const viewport = page.viewportSize()!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
  expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
}

describe.each(VIEWPORTS)('at $name width', (viewport) => {
  test('activating, the result, My access and ending a grant', async () => {
    const page = await newPage(session.browser, { viewport: { width: viewport.width, height: viewport.height } });
    await screenshotOnFailure(page, `long-values-${viewport.name}`, async () => {
      await signIn(page, session.stack.url, USER);
      await chooseProject(page, PROJECT);
      await expectNoHorizontalOverflow(page, 'request page');

      await page.getByLabel('roles/compute.admin').check();
      await page.getByRole('button', { name: 'Activate…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Activate role' });
      await dialog.getByRole('textbox', { name: 'Justification' }).fill(JUSTIFICATION);
      await expectNoHorizontalOverflow(page, 'activate dialog');
      await expectInViewport(page, dialog.getByRole('button', { name: 'Activate', exact: true }));
      await expectInViewport(page, dialog.getByRole('button', { name: 'Cancel' }));
      await dialog.getByRole('button', { name: 'Activate', exact: true }).click();

      await page.getByRole('heading', { name: 'Access granted' }).waitFor();
      await expectNoHorizontalOverflow(page, 'result page');

      await page.getByRole('link', { name: 'My access' }).first().click();
      const row = page.getByRole('table', { name: 'Active grants' }).getByRole('row').filter({ hasText: PROJECT });
      await row.waitFor();
      expect(await row.textContent()).toContain(JUSTIFICATION);
      await expectNoHorizontalOverflow(page, 'My access');

      await page.getByRole('button', { name: `End now roles/compute.admin on ${PROJECT}` }).click();
      const end = page.getByRole('dialog', { name: 'End access now?' });
      await end.getByRole('button', { name: 'End now' }).waitFor();
      await expectNoHorizontalOverflow(page, 'end dialog');
      await expectInViewport(page, end.getByRole('button', { name: 'End now' }));
      await end.getByRole('button', { name: 'End now' }).click();
      await page.getByText(`Your access to roles/compute.admin on ${PROJECT} was removed.`).waitFor();
    });
  });

  test("the IAP proxy's sign-in page for a long approval link", async () => {
    const page = await newPage(session.browser, { viewport: { width: viewport.width, height: viewport.height } });
    await screenshotOnFailure(page, `long-values-signin-${viewport.name}`, async () => {
      await page.goto(`${session.stack.url}/_gcp_iap/signin?redirect=${encodeURIComponent(`/approve/${'eyJhbGciOiJSUzI1NiJ9'.repeat(60)}`)}`);
      await page.getByRole('button', { name: USER, exact: true }).waitFor();
      await expectNoHorizontalOverflow(page, 'sign-in page');
    });
  });
});
