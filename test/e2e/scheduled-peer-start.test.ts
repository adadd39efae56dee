// In the browser: where the rule allows a later start, the request dialog offers one; the requester asks for
// tomorrow, the reviewer approves today, and the approval schedules the grant (a record in the project's policy
// that grants nothing until the start) rather than granting it; the requester sees it under Scheduled.
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const POLICY = temporaryAccessPolicy(
  `version: 1
rules:
  - name: prod-peers-later
    match: { projects: [prod-app], roles: [roles/compute.admin] }
    approval: { kind: peers }
    scheduling: { maxDelay: 2d }
`,
).path;

const session = browserSession({ env: { ACCESS_POLICY: POLICY } });

async function bindingsOf(title: string) {
  const { bindings } = await policyOf(session.stack.emulator, 'prod-app');
  return bindings.filter((b) => b.condition?.title === title && b.members.includes('user:alice@example.com'));
}

test('requests a role for tomorrow; approved today, the grant is scheduled, not granted', async () => {
  const alice = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  const bob = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(alice, 'scheduled-peer-start', async () => {
    await signIn(alice, session.stack.url, 'alice@example.com');
    await chooseProject(alice, 'prod-app');
    await alice.getByLabel('roles/compute.admin').check();
    await alice.getByRole('button', { name: 'Request approval…' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Request approval' });
    await dialog.getByRole('checkbox', { name: 'bob@example.com' }).check();
    await dialog.getByRole('textbox', { name: 'Justification' }).fill('INC-9 planned change');
    const start = dialog.getByRole('group', { name: 'Start' });
    await start.getByText('Up to 2 days ahead.').waitFor();
    await start.getByRole('radio', { name: 'Later' }).check();
    const tomorrow = new Date(Date.now() + 86_400_000);
    tomorrow.setUTCHours(9, 30, 0, 0);
    await start.getByLabel('Starts at').fill(tomorrow.toISOString().slice(0, 16));
    await dialog.getByText(/From .*9:30 AM UTC if approved before then, else from the approval\./).waitFor();
    await dialog.getByRole('button', { name: 'Request approval' }).click();

    await alice.getByRole('heading', { name: 'Approval requested' }).waitFor();
    await alice.getByText(/Approved before .*9:30 AM UTC, your access starts then \(if you are still eligible\)/).waitFor();
    const follow = await alice.getByRole('link', { name: 'Follow this request' }).getAttribute('href');

    await alice.getByRole('link', { name: 'Follow this request' }).click();
    await alice.getByText(/you get the role for 60 minutes from .*9:30 AM UTC \(or from the approval, if later\), and an email/).waitFor();

    await signIn(bob, session.stack.url, 'bob@example.com', follow!);
    await bob.getByRole('heading', { name: 'Approval request' }).waitFor();
    await bob.getByText(/from .*9:30 AM UTC if approved before then, else from the approval/).first().waitFor();
    await bob.getByRole('button', { name: 'Approve access for alice@example.com' }).click();
    await bob.getByRole('heading', { name: 'Access approved' }).waitFor();
    await bob.getByText(/alice@example.com gets roles\/compute.admin on prod-app from .*9:30 AM UTC until/).waitFor();

    const [record] = await bindingsOf('JIT access scheduled activation');
    expect(record.condition.description).toContain(`roles/compute.admin - from ${tomorrow.toISOString().replace(/\.000Z$/, 'Z')}`);
    expect(record.condition.description).toContain('Approved by bob@example.com, justification: INC-9 planned change');
    expect((await bindingsOf('JIT access activation')).filter((b) => b.role === 'roles/compute.admin')).toEqual([]);

    await alice.goto(`${session.stack.url}/my-access`);
    const row = alice.getByRole('table', { name: 'Scheduled' }).getByRole('row').filter({ hasText: 'roles/compute.admin' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Scheduled · starts .*9:30 AM UTC/);

    await alice.goto(`${session.stack.url}/requests`);
    const request = alice.getByRole('table', { name: 'Your requests' }).getByRole('row').filter({ hasText: 'roles/compute.admin' });
    await request.getByText(/Scheduled: from .*9:30 AM UTC if approved before then/).waitFor();
  });
});
