// In the browser, end to end: the requester asks a peer, the peer opens the emailed link from the
// mailbox, signs in and approves, and the binding lands in the project's IAM policy. Whoever may not
// approve is told why.
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';

const session = browserSession();

const JUSTIFICATION = 'INC-512 web tier is down';

test('request, email, sign-in as the reviewer, approve: alice gets compute.admin on prod-app', async () => {
  const alice = await newPage(session.browser);
  await screenshotOnFailure(alice, 'peer-approval-request', async () => {
    await signIn(alice, session.stack.url, 'alice@example.com');
    await chooseProject(alice, 'prod-app');
    await alice.getByLabel('roles/compute.admin').check();
    await alice.getByRole('button', { name: 'Request approval…' }).click();

    const dialog = alice.getByRole('dialog', { name: 'Request approval' });
    await dialog.getByRole('checkbox', { name: 'bob@example.com' }).check();
    await dialog.getByRole('textbox', { name: 'Justification' }).fill(JUSTIFICATION);
    await dialog.getByRole('combobox', { name: 'For how long, once approved' }).selectOption({ label: '2 hours' });
    await dialog.getByRole('button', { name: 'Request approval' }).click();

    await alice.getByRole('heading', { name: 'Approval requested' }).waitFor();
    expect(await alice.getByRole('status').first().textContent()).toContain('We asked bob@example.com to approve your request');
    // A page of its own: reload keeps it.
    await alice.reload();
    await alice.getByRole('heading', { name: 'Approval requested' }).waitFor();
    expect(await alice.getByRole('status').first().textContent()).toContain('We asked bob@example.com to approve your request');

    // The requester can follow the request, and is told why she cannot approve it herself.
    await alice.getByRole('link', { name: 'Follow this request' }).click();
    await alice.getByRole('heading', { name: 'Your approval request' }).waitFor();
    expect(await alice.getByText('You cannot approve your own request.').count()).toBe(1);
    expect(await alice.getByRole('button', { name: /Approve/ }).count()).toBe(0);
  });

  const bob = await newPage(session.browser);
  await screenshotOnFailure(bob, 'peer-approval-review', async () => {
    await bob.goto(`${session.stack.emulator.url}/_emulator/mail?to=bob@example.com`);
    await bob.frameLocator('iframe').first().getByRole('link', { name: 'Review request' }).click();
    // Not signed in yet: IAP asks who he is, then takes him to the link.
    await bob.getByRole('button', { name: 'bob@example.com', exact: true }).click();
    await bob.getByRole('heading', { name: 'Approval request' }).waitFor();
    const details = await bob.locator('dl').textContent();
    for (const shown of ['alice@example.com', 'prod-app', 'roles/compute.admin', JUSTIFICATION, '2 hours']) expect(details).toContain(shown);

    await bob.getByRole('button', { name: 'Approve access for alice@example.com' }).click();
    await bob.getByRole('heading', { name: 'Access approved' }).waitFor();
  });

  const { bindings } = await policyOf(session.stack.emulator, 'prod-app');
  const granted = bindings.filter((b) => b.role === 'roles/compute.admin' && b.condition?.title === 'JIT access activation');
  expect(granted).toHaveLength(1);
  expect(granted[0].members).toEqual(['user:alice@example.com']);
  expect(granted[0].condition.description).toBe(`Approved by bob@example.com, justification: ${JUSTIFICATION}`);

  await screenshotOnFailure(alice, 'peer-approval-followed', async () => {
    await alice.reload();
    await alice.getByRole('heading', { name: 'Your approval request' }).waitFor();
    expect(await alice.getByText('Approved by bob@example.com').count()).toBe(1);
  });

  // carol could approve such requests, but alice did not ask her: she is told why she cannot even open it.
  const carol = await newPage(session.browser);
  await screenshotOnFailure(carol, 'peer-approval-outsider', async () => {
    await signIn(carol, session.stack.url, 'carol@example.com', new URL(alice.url()).pathname);
    const refusal = carol.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain('neither the requester nor a reviewer of this request');
    // The next step fits: the requester, not an administrator, decides who reviews.
    expect(await refusal.textContent()).toContain('ask the requester to send a new one that names you');
    expect(await refusal.textContent()).not.toContain('administrator');
  });
});
