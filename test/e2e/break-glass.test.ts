// In the browser: an on-call engineer breaks the glass from the roles list — a warning, a reason, a duration
// no longer than the rule's break-glass maximum — and the result page says it is break-glass; the reviewer finds
// it in the inbox (counted in the navigation), opens its review page (the emailed link's) and acknowledges it,
// after which it leaves the inbox and nobody can review it again.
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const POLICY = temporaryAccessPolicy(
  `version: 1
rules:
  - name: prod-compute
    match: { projects: [prod-app], roles: [roles/compute.admin] }
    approval: peers
    breakGlass: { principals: [group:oncall@example.com], maxDuration: 30m, reviewers: [user:dave@example.com] }
`,
).path;

const session = browserSession({ env: { ACCESS_POLICY: POLICY, AUDIT_POLL_SECONDS: '1' } });

/** The audit entry reaches the log, and the shared feed may read it again (AUDIT_POLL_SECONDS=1). */
async function audited(event: string): Promise<void> {
  const logged = () => session.stack.emulator.state.logEntries.some((e: any) => e.jsonPayload?.event === event);
  for (let i = 0; i < 100 && !logged(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(logged()).toBe(true);
  await new Promise((r) => setTimeout(r, 1100));
}

test('break glass from the roles list; the reviewer acknowledges it from the inbox', async () => {
  const bob = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(bob, 'break-glass', async () => {
    await signIn(bob, session.stack.url, 'bob@example.com');
    await chooseProject(bob, 'prod-app');
    // Only the peer-approval role whose rule allows it to on-call offers break-glass.
    expect(await bob.getByRole('button', { name: 'Break glass…' }).count()).toBe(1);
    await bob.getByRole('row', { name: /roles\/compute\.admin/ }).getByRole('button', { name: 'Break glass…' }).click();

    const dialog = bob.getByRole('dialog', { name: 'Break glass' });
    await dialog.getByText('Emergency access, audited and reviewed').waitFor();
    expect(await dialog.getByRole('status').textContent()).toContain('dave@example.com');
    const duration = dialog.getByRole('combobox', { name: 'For how long' });
    expect(await duration.locator('option').allTextContents()).toEqual(['5 minutes', '10 minutes', '15 minutes', '30 minutes']);
    await dialog.getByRole('button', { name: 'Break glass and activate' }).click();
    await dialog.getByText('A reason is required').waitFor();
    await dialog.getByRole('textbox', { name: 'Why do you break the glass?' }).fill('INC-77 checkout is down');
    await duration.selectOption({ label: '15 minutes' });
    await dialog.getByRole('button', { name: 'Break glass and activate' }).click();

    await bob.getByRole('heading', { name: 'Break-glass access granted' }).waitFor();
    expect(await bob.getByRole('status').filter({ hasText: 'You broke the glass on prod-app' }).textContent()).toContain('marked as break-glass');
  });
  const [binding] = (await policyOf(session.stack.emulator, 'prod-app')).bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes('user:bob@example.com') && b.role === 'roles/compute.admin');
  expect(binding.condition.description).toBe('Break-glass, reason: INC-77 checkout is down');

  const mail = session.stack.emulator.state.mail.find((m) => m.subject.startsWith('Break-glass:'))!;
  const link = /(\/break-glass\/bg-[A-Za-z0-9_-]+)/.exec(mail.text)![1];
  await audited('breakglass.activated');

  const dave = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(dave, 'break-glass-review', async () => {
    await signIn(dave, session.stack.url, 'dave@example.com');
    const inbox = dave.getByRole('link', { name: 'Inbox 1 waiting for you' });
    await inbox.waitFor();
    await inbox.click();
    const toReview = dave.getByRole('table', { name: 'Break-glass activations waiting for your review' });
    // The inbox is loaded after the page appears: counted once it is there.
    await toReview.getByRole('row').nth(1).waitFor();
    expect(await dave.getByRole('table', { name: 'Waiting for your decision' }).count()).toBe(0);
    expect(await toReview.getByRole('row').count()).toBe(2);
    expect(await toReview.textContent()).toContain('bob@example.com');
    expect(await toReview.textContent()).toContain('INC-77 checkout is down');
    await toReview.getByRole('link', { name: 'Review the break-glass activation of bob@example.com for roles/compute.admin on prod-app' }).click();
    await dave.waitForURL((url) => url.pathname === link);
    await dave.getByText('Waiting for review').waitFor();
    expect(await dave.locator('dl').textContent()).toContain('INC-77 checkout is down');
    // A flag needs a note; an acknowledgement takes one if given.
    await dave.getByRole('button', { name: 'Flag' }).click();
    await dave.getByText('Say what is wrong to flag it.').waitFor();
    await dave.getByRole('textbox', { name: 'Note' }).fill('confirmed the incident with bob');
    await dave.getByRole('button', { name: 'Acknowledge' }).click();
    await dave.getByText('Acknowledged by dave@example.com').waitFor();
    expect(await dave.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);

    // Reviewed: no longer counted nor listed.
    await dave.getByRole('link', { name: 'Inbox', exact: true }).click();
    await dave.getByText('Nothing is waiting for your decision or review').waitFor();
    expect(await dave.getByRole('table', { name: 'Break-glass activations waiting for your review' }).count()).toBe(0);
  });

  await audited('breakglass.reviewed');
  const bobAgain = await newPage(session.browser);
  await screenshotOnFailure(bobAgain, 'break-glass-reviewed-user', async () => {
    await signIn(bobAgain, session.stack.url, 'bob@example.com', link);
    await bobAgain.getByText('Acknowledged by dave@example.com').waitFor();
    expect(await bobAgain.getByRole('button', { name: /Acknowledge|Flag/ }).count()).toBe(0);
  });
});
