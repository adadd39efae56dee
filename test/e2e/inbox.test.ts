// In the browser, the approver inbox and "my requests": a reviewer finds a request in the inbox (counted in the
// navigation), opens it without the email and approves or denies it; the requester follows it on My requests,
// reads the denial's reason, and cancels a pending one; the roles table shows a pending request with its
// approvals so far; a request offered by escalation says so. The pages say the lists come from the audit log.
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const POLICY = temporaryAccessPolicy(
  `version: 1
rules:
  - name: warehouse-admin
    match: { projects: [data-warehouse], roles: [roles/bigquery.admin] }
    approval: { kind: approvers, principals: [user:admin@example.com, user:carol@example.com, user:erin@example.com], requiredApprovals: 2 }
`,
).path;

// The feed reads the log every second, so that an entry planted in it shows soon.
const session = browserSession({ env: { ACCESS_POLICY: POLICY, AUDIT_POLL_SECONDS: '1' } });

async function request(email: string, projectId: string, role: string, reviewers: string[]): Promise<{ id: string; token: string }> {
  const requested = await session.stack.as(email).post(`/api/v1/projects/${projectId}/approval-requests`, { role: `${projectId}:${role}`, justification: 'INC-42 inbox', durationMinutes: 30, reviewers });
  expect(requested.status).toBe(201);
  return { id: requested.body.request.id, token: requested.body.token };
}

test('a reviewer finds the request in the inbox, counted in the navigation, opens it without the email and approves it', async () => {
  await request('alice@example.com', 'prod-app', 'roles/compute.admin', ['bob@example.com', 'carol@example.com']);
  const bob = await newPage(session.browser);
  await screenshotOnFailure(bob, 'inbox-approve', async () => {
    await signIn(bob, session.stack.url, 'bob@example.com');
    const inbox = bob.getByRole('link', { name: 'Inbox 1 waiting for you' });
    await inbox.waitFor();
    await inbox.click();
    await bob.getByText('Listed from the audit log').waitFor();
    const waiting = bob.getByRole('table', { name: 'Waiting for your decision' });
    expect(await waiting.textContent()).toContain('alice@example.com');
    expect(await waiting.textContent()).toContain('INC-42 inbox');
    await waiting.getByRole('button', { name: 'Review the request of alice@example.com for roles/compute.admin on prod-app' }).click();
    await bob.waitForURL(/\/approve\/[A-Za-z0-9_~-]+$/);
    await bob.getByRole('button', { name: 'Approve access for alice@example.com' }).click();
    await bob.getByRole('heading', { name: 'Access approved' }).waitFor();
    await bob.getByRole('link', { name: 'Inbox', exact: true }).waitFor();

    await bob.getByRole('link', { name: /^Inbox/ }).click();
    await bob.getByText('Nothing is waiting for your decision').waitFor();
    const decided = bob.getByRole('table', { name: 'Decided by you in the last 7 days' });
    expect(await decided.textContent()).toContain('Approved by bob@example.com');
  });
});

test('a reviewer denies from the inbox; the requester reads who denied it and why on My requests', async () => {
  await request('frank@example.com', 'finance-ledger', 'roles/cloudsql.admin', ['grace@example.com']);
  const grace = await newPage(session.browser);
  await screenshotOnFailure(grace, 'inbox-deny', async () => {
    await signIn(grace, session.stack.url, 'grace@example.com', '/inbox');
    await grace.getByRole('button', { name: /^Review the request of frank@example.com/ }).click();
    await grace.getByRole('button', { name: 'Deny…' }).click();
    await grace.getByRole('textbox', { name: 'Why do you deny it?' }).fill('Use the read replica instead');
    await grace.getByRole('button', { name: 'Deny the request' }).click();
    await grace.getByText('Denied by grace@example.com').waitFor();
  });
  const frank = await newPage(session.browser);
  await screenshotOnFailure(frank, 'my-requests-denied', async () => {
    await signIn(frank, session.stack.url, 'frank@example.com', '/requests');
    const mine = frank.getByRole('table', { name: 'Your requests' });
    await mine.waitFor();
    expect(await mine.textContent()).toContain('Denied by grace@example.com: Use the read replica instead');
    expect(await mine.getByRole('button', { name: /Cancel request/ }).count()).toBe(0);
    await frank.getByText('Listed from the audit log').waitFor();
  });
});

test('the roles table shows a pending request with its approvals so far; the requester cancels it on My requests', async () => {
  const { id, token } = await request('dave@example.com', 'data-warehouse', 'roles/bigquery.admin', ['carol@example.com', 'erin@example.com']);
  expect((await session.stack.as('carol@example.com').post(`/api/v1/approval-requests/${token}/approve`)).body.status).toBe('pending');
  const dave = await newPage(session.browser);
  await screenshotOnFailure(dave, 'pending-cancel', async () => {
    await signIn(dave, session.stack.url, 'dave@example.com');
    await chooseProject(dave, 'data-warehouse');
    const pending = dave.getByRole('link', { name: 'Pending · 1 of 2 approvals' });
    await pending.waitFor();
    // The navigation's count is loaded apart from the roles: wait for it, then check there is one such link.
    await dave.getByRole('link', { name: 'My requests 1 pending' }).waitFor();
    expect(await dave.getByRole('link', { name: 'My requests 1 pending' }).count()).toBe(1);
    await pending.click();
    await dave.waitForURL(`${session.stack.url}/requests#${id}`);
    const row = dave.locator(`tr[id="${id}"]`);
    expect(await row.textContent()).toContain('Pending · 1 of 2 approvals');
    await row.getByRole('button', { name: 'Cancel request for roles/bigquery.admin on data-warehouse' }).click();
    await dave.getByText('Your request for roles/bigquery.admin on data-warehouse was cancelled').waitFor();
    await row.getByText('Cancelled').waitFor();
    await dave.getByRole('link', { name: 'My requests', exact: true }).waitFor();

    await dave.getByRole('link', { name: 'Request access' }).click();
    await chooseProject(dave, 'data-warehouse');
    await dave.getByRole('row', { name: /bigquery\.admin/ }).getByText('Available').waitFor();
  });
  // The reviewer still waiting sees it no more.
  expect((await session.stack.as('erin@example.com').get('/api/v1/me/reviews')).body.waiting.map((r: any) => r.request.id)).not.toContain(id);
});

test('a request offered to an escalation approver says so in their inbox, with the time', async () => {
  const { id } = await request('carol@example.com', 'prod-app', 'roles/compute.admin', ['bob@example.com']);
  // The workflow task's entry, as it writes it once the rule's delay has passed (the pass itself is tested on the
  // service clock in test/integration).
  const logs = session.stack.emulator.state.logEntries as any[];
  const waitForCreated = async (): Promise<any> => {
    for (;;) {
      const entry = logs.find((e) => e.jsonPayload?.event === 'request.created' && e.jsonPayload.activationId === id);
      if (entry) return entry;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const created = await waitForCreated();
  logs.push({
    ...structuredClone(created),
    insertId: `${created.insertId}-escalated`,
    timestamp: new Date().toISOString(),
    jsonPayload: { event: 'request.escalated', severity: 'NOTICE', outcome: 'success', project: 'prod-app', activationId: id, escalatedTo: ['erin@example.com'], escalationAfterMinutes: 30 },
  });
  // The feed reads the log on its own schedule: the page is opened once its answer holds the planted entry.
  while ((await session.stack.as('erin@example.com').get('/api/v1/me/reviews')).body.waiting.find((r: any) => r.request.id === id)?.escalatedToMe == null) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const erin = await newPage(session.browser);
  await screenshotOnFailure(erin, 'inbox-escalated', async () => {
    await signIn(erin, session.stack.url, 'erin@example.com', '/inbox');
    const waiting = erin.getByRole('table', { name: 'Waiting for your decision' });
    const row = waiting.getByRole('row', { name: /carol@example\.com/ });
    await row.getByText(/^Escalated to you /).waitFor();
  });
  expect((await session.stack.as('bob@example.com').get('/api/v1/me/reviews')).body.waiting.find((r: any) => r.request.id === id).escalatedToMe).toBeNull();
});
