// In the browser, the request lifecycle on the approval page: a reviewer denies with a reason and the requester
// reads it; the requester cancels; with two approvals required, the first one leaves the request pending and says
// how many are missing.
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { signIn } from './support/steps';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const POLICY = temporaryAccessPolicy(
  `version: 1
rules:
  - name: warehouse-admin
    match: { projects: [data-warehouse], roles: [roles/bigquery.admin] }
    approval: { kind: approvers, principals: [user:admin@example.com, user:carol@example.com, user:erin@example.com], requiredApprovals: 2 }
`,
).path;

const session = browserSession({ env: { ACCESS_POLICY: POLICY } });

async function request(email: string, projectId: string, role: string, reviewers: string[]): Promise<string> {
  const requested = await session.stack.as(email).post(`/api/v1/projects/${projectId}/approval-requests`, { role: `${projectId}:${role}`, justification: 'INC-31 reload', durationMinutes: 30, reviewers });
  expect(requested.status).toBe(201);
  return requested.body.token;
}

test('a reviewer denies with a reason; the requester reads who denied it and why; nothing is granted', async () => {
  const token = await request('alice@example.com', 'prod-app', 'roles/compute.admin', ['bob@example.com']);
  const activations = async () => (await policyOf(session.stack.emulator, 'prod-app')).bindings.filter((b) => b.condition?.title === 'JIT access activation');
  const before = structuredClone(await activations());
  const bob = await newPage(session.browser);
  await screenshotOnFailure(bob, 'request-deny', async () => {
    await signIn(bob, session.stack.url, 'bob@example.com', `/approve/${token}`);
    await bob.getByRole('button', { name: 'Deny…' }).click();
    const deny = bob.getByRole('button', { name: 'Deny the request' });
    expect(await deny.isDisabled()).toBe(true);
    await bob.getByRole('textbox', { name: 'Why do you deny it?' }).fill('Not during the release freeze');
    await deny.click();
    await bob.getByText('Denied by bob@example.com').waitFor();
    expect(await bob.getByRole('button', { name: /Approve/ }).count()).toBe(0);
  });
  const alice = await newPage(session.browser);
  await screenshotOnFailure(alice, 'request-denied-requester', async () => {
    await signIn(alice, session.stack.url, 'alice@example.com', `/approve/${token}`);
    await alice.getByText('Reason: Not during the release freeze').waitFor();
    expect(await alice.locator('.lead').textContent()).toBe('You asked for this access, and a reviewer denied it.');
  });
  expect(await activations()).toEqual(before);
});

test('the requester cancels a pending request; the reviewer then sees it cancelled', async () => {
  const token = await request('alice@example.com', 'prod-app', 'roles/compute.admin', ['bob@example.com']);
  const alice = await newPage(session.browser);
  await screenshotOnFailure(alice, 'request-cancel', async () => {
    await signIn(alice, session.stack.url, 'alice@example.com', `/approve/${token}`);
    await alice.getByRole('button', { name: 'Cancel this request' }).click();
    await alice.getByText('You withdrew this request.').waitFor();
    expect(await alice.getByRole('button', { name: 'Cancel this request' }).count()).toBe(0);
  });
  const bob = await newPage(session.browser);
  await screenshotOnFailure(bob, 'request-cancelled-reviewer', async () => {
    await signIn(bob, session.stack.url, 'bob@example.com', `/approve/${token}`);
    await bob.getByText('alice@example.com withdrew this request.').waitFor();
    expect(await bob.getByRole('button', { name: /Approve|Deny/ }).count()).toBe(0);
  });
});

test('with two approvals required, the first leaves the request pending: "1 of 2 approvals"; the second grants', async () => {
  const token = await request('dave@example.com', 'data-warehouse', 'roles/bigquery.admin', ['carol@example.com', 'erin@example.com']);
  const carol = await newPage(session.browser);
  await screenshotOnFailure(carol, 'request-first-of-two', async () => {
    await signIn(carol, session.stack.url, 'carol@example.com', `/approve/${token}`);
    expect(await carol.locator('dl').textContent()).toContain('2 from different reviewers');
    await carol.getByRole('button', { name: 'Approve access for dave@example.com' }).click();
    await carol.getByText('Your approval was recorded').waitFor();
    expect(await carol.getByRole('status').filter({ hasText: 'Your approval was recorded' }).textContent()).toContain('1 of 2 approvals');
    expect(await carol.getByRole('button', { name: /Approve/ }).count()).toBe(0);
  });
  const dave = await newPage(session.browser);
  await screenshotOnFailure(dave, 'request-pending-requester', async () => {
    await signIn(dave, session.stack.url, 'dave@example.com', `/approve/${token}`);
    await dave.getByText('Waiting for approval: 1 of 2 approvals').waitFor();
  });
  const erin = await newPage(session.browser);
  await screenshotOnFailure(erin, 'request-second-of-two', async () => {
    await signIn(erin, session.stack.url, 'erin@example.com', `/approve/${token}`);
    await erin.getByRole('button', { name: 'Approve access for dave@example.com' }).click();
    await erin.getByRole('heading', { name: 'Access approved' }).waitFor();
  });
});
