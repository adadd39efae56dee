// Steps that several browser tests take, written as a user takes them.
import type { Page } from 'playwright-core';

/** Signs in through the IAP proxy's own page, as a person would: pick the user, land on `target`. */
export async function signIn(page: Page, baseUrl: string, email: string, target = '/'): Promise<void> {
  await page.goto(`${baseUrl}/_gcp_iap/signin?redirect=${encodeURIComponent(target)}`);
  await page.getByRole('button', { name: email, exact: true }).click();
  await page.waitForURL(`${baseUrl}${target}`);
}

/** Types the start of a project id into the picker and picks the suggestion. */
export async function chooseProject(page: Page, projectId: string): Promise<void> {
  await page.getByRole('combobox', { name: 'Project' }).fill(projectId.slice(0, 4));
  await page.getByRole('option', { name: projectId }).click();
  await page.getByRole('table', { name: `Your eligible roles on ${projectId}` }).waitFor();
}
