// In the browser, with an access policy: the activation and request dialogs follow each role's rule — the
// duration choices up to its maximum with its default chosen, its justification and ticket, its designated
// approvers and how many must approve, its schedule — and the strictest of several rules, saying so.
import type { Page } from 'playwright-core';
import { WEEKDAYS } from '../../server/domain/access-policy-schedule';
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';
import { temporaryAccessPolicy } from '../support/access-policy-file';

/** A whole day three days from today (UTC): never the current time while a test runs. */
const OTHER_DAY = `${WEEKDAYS[(((new Date().getUTCDay() + 6) % 7) + 3) % 7]} 00:00-24:00`;

// alice: on prod-app cloudsql.admin (self-approval binding) and compute.viewer (self, through the engineering
// folder); on staging-app compute.admin and compute.viewer (both self-approval). bob and carol (on call): the
// log bucket on prod-app (storage.objectAdmin, self-approval, limited by a resource condition).
const POLICY = `version: 1
defaults:
  justification: { pattern: "[A-Z]+-[0-9]+.*", hint: "A ticket number such as INC-1234, then why" }
rules:
  - name: prod-databases
    match: { projects: [prod-app], roles: [roles/cloudsql.*] }
    approval: { kind: approvers, principals: [user:frank@example.com, user:grace@example.com], requiredApprovals: 2 }
    maxDuration: 90m
    defaultDuration: 45m
    ticket: { pattern: "CHG-[0-9]+", hint: a change ticket such as CHG-1234 }
  - name: prod-viewer-hours
    match: { projects: [prod-app], roles: [roles/compute.viewer] }
    schedule: { timeZone: UTC, windows: ["${OTHER_DAY}"], outside: deny }
  - name: log-bucket-hours
    match: { projects: [prod-app], roles: [roles/storage.*] }
    schedule: { timeZone: UTC, windows: ["${OTHER_DAY}"], outside: requireApproval }
  - name: staging-admin
    match: { projects: [staging-app], roles: [roles/compute.admin] }
    maxDuration: 3h
    defaultDuration: 1h
  - name: staging
    match: { projects: [staging-app] }
    maxDuration: 8h
    defaultDuration: 2h
    justification: { pattern: ".+", hint: Say what you are working on }
`;

const session = browserSession({ env: { ACCESS_POLICY: temporaryAccessPolicy(POLICY).path } });

const row = (page: Page, role: string) => page.getByRole('row').filter({ has: page.getByLabel(role) });

async function durationOptions(page: Page, name: string): Promise<{ labels: string[]; selected: string }> {
  const select = page.getByRole('dialog').getByRole('combobox', { name });
  const labels = await select.locator('option').allTextContents();
  const selected = (await select.locator(`option[value="${await select.inputValue()}"]`).textContent()) ?? '';
  return { labels, selected };
}

test('a self-approval role under designated approvers: the request dialog offers them, explains the count, asks for the ticket, limits the duration', async () => {
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'dialog-rules-approvers', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await chooseProject(page, 'prod-app');
    await row(page, 'roles/cloudsql.admin').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Request approval…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Request approval' });
    await dialog.getByText("needs 2 approvals from frank@example.com, grace@example.com (rule 'prod-databases')").waitFor();
    await dialog.getByText('Choose at least 2 reviewers among the designated approvers').waitFor();
    const candidates = await dialog.locator('.checkbox-list label').allTextContents();
    expect(candidates).toEqual(['frank@example.com', 'grace@example.com']);

    const durations = await durationOptions(page, 'For how long, once approved');
    expect(durations.labels.at(-1)).toBe('1 hour 30 minutes');
    expect(durations.selected).toBe('45 minutes');
    await dialog.getByText("At most 1 hour 30 minutes (rule 'prod-databases')").waitFor();

    await dialog.getByText('Include a ticket: a change ticket such as CHG-1234.').waitFor();
    const justification = dialog.getByRole('textbox', { name: 'Justification' });
    await justification.fill('INC-5 migrate the schema');
    await dialog.getByRole('checkbox', { name: 'frank@example.com' }).check();
    await dialog.getByRole('button', { name: 'Request approval' }).click();
    // One reviewer of the two needed, and no ticket: nothing is sent.
    await dialog.getByText('It names no ticket. Include a ticket: a change ticket such as CHG-1234.').waitFor();
    await dialog.getByText(/Choose at least 2 reviewers among the designated approvers\. 1 chosen\./).waitFor();

    await justification.fill('INC-5 migrate the schema, CHG-77');
    await dialog.getByRole('checkbox', { name: 'grace@example.com' }).check();
    await dialog.getByRole('button', { name: 'Request approval' }).click();
    await page.getByRole('heading', { name: 'Approval requested' }).waitFor();
  });
  const mail = session.stack.emulator.state.mail.at(-1)!;
  expect(mail.envelope.to).toEqual(expect.arrayContaining(['frank@example.com', 'grace@example.com']));
  expect(mail.text).toContain('CHG-77');
});

test('two roles under different rules: the strictest combination, said; the grant follows it', async () => {
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'dialog-rules-combined', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await chooseProject(page, 'staging-app');
    await row(page, 'roles/compute.admin').getByRole('checkbox').check();
    await row(page, 'roles/compute.viewer').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Activate 2 roles…' }).click();

    const dialog = page.getByRole('dialog', { name: 'Activate 2 roles' });
    await dialog.getByText("These roles follow different rules ('staging-admin', 'staging'), so the strictest of each applies: at most 3 hours, every justification form.").waitFor();
    const durations = await durationOptions(page, 'For how long');
    expect(durations.labels.at(-1)).toBe('3 hours');
    expect(durations.selected).toBe('1 hour');
    // Enough for 'staging', not for 'staging-admin'.
    const justification = dialog.getByRole('textbox', { name: 'Justification' });
    await justification.fill('deploying the release');
    await dialog.getByRole('button', { name: 'Activate' }).click();
    await dialog.getByText('It does not have the expected form. A ticket number such as INC-1234, then why.').waitFor();
    await justification.fill('INC-9 deploying the release');
    await dialog.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('heading', { name: 'Access granted' }).waitFor();
  });
  const granted = (await policyOf(session.stack.emulator, 'staging-app')).bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'));
  expect(granted.map((b) => b.role).sort()).toEqual(['roles/compute.admin', 'roles/compute.viewer']);
});

test('outside a schedule that denies, the dialog says why and activation is disabled', async () => {
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'dialog-rules-schedule', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await chooseProject(page, 'prod-app');
    await row(page, 'roles/compute.viewer').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Activate…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Activate role' });
    await dialog.getByText(`Rule 'prod-viewer-hours' allows activation only ${OTHER_DAY} (UTC), and it is outside those hours now.`).waitFor();
    expect(await dialog.getByRole('button', { name: 'Activate' }).isDisabled()).toBe(true);
  });
});

test('outside a schedule that requires approval, a self-approval role takes the request path, among its peers', async () => {
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'dialog-rules-require-approval', async () => {
    await signIn(page, session.stack.url, 'bob@example.com');
    await chooseProject(page, 'prod-app');
    await row(page, 'roles/storage.objectAdmin').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Request approval…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Request approval' });
    await dialog.getByText("needs 1 approval from a peer (rule 'log-bucket-hours')").waitFor();
    await dialog.getByText("Outside the schedule's windows, the rule requires peer approval.").waitFor();
    // The peers are the other holders of the same self-approval binding.
    await dialog.getByText('Choose at least 1 reviewer among those who hold the same eligible role').waitFor();
    expect(await dialog.locator('.checkbox-list label').allTextContents()).toEqual(['carol@example.com']);
  });
});
