// In the browser: the holder of a peer-approved grant requests an extension from My access (reviewers, reason,
// time to add as the rule allows), sees it pending with the grant; a reviewer finds it in the inbox as an
// extension and approves it; the grant then ends that much later, from the same start. A self-approved grant whose
// rule now needs approval is offered the same request when Extend is refused.
import { policyOf } from '../support/stack';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { signIn } from './support/steps';
import { temporaryAccessPolicy } from '../support/access-policy-file';

const TEMPORARY = /^\(request\.time >= timestamp\("(.+)"\) && request\.time < timestamp\("(.+)"\)\)$/;

// dave's self-approval binding of bigquery.dataViewer is put under approval by a rule; prod-app has no rule.
const POLICY = temporaryAccessPolicy(
  `version: 1
rules:
  - name: warehouse-reads
    match: { projects: [data-warehouse], roles: [roles/bigquery.dataViewer] }
    approval: peers
    maxDuration: 2h
`,
).path;

const session = browserSession({ env: { ACCESS_POLICY: POLICY } });

async function window(): Promise<{ start: string; end: string }[]> {
  const { bindings } = await policyOf(session.stack.emulator, 'prod-app');
  return bindings
    .filter((b) => b.role === 'roles/compute.admin' && b.condition?.title === 'JIT access activation' && b.members.includes('user:alice@example.com'))
    .map((b) => {
      const [, start, end] = TEMPORARY.exec(b.condition.expression)!;
      return { start, end };
    });
}

test('the holder requests an extension of a peer-approved grant; a reviewer approves it from the inbox; the grant continues', async () => {
  // The setting: alice holds compute.admin on prod-app, approved by bob.
  const requested = await session.stack.as('alice@example.com').post('/api/v1/projects/prod-app/approval-requests', {
    role: 'prod-app:roles/compute.admin',
    justification: 'INC-8 scaling',
    durationMinutes: 30,
    reviewers: ['bob@example.com'],
  });
  expect(requested.status).toBe(201);
  expect((await session.stack.as('bob@example.com').post(`/api/v1/approval-requests/${requested.body.token}/approve`)).status).toBe(200);
  const [before] = await window();

  const alice = await newPage(session.browser);
  await screenshotOnFailure(alice, 'grant-extension-request', async () => {
    await signIn(alice, session.stack.url, 'alice@example.com', '/my-access');
    const row = alice.getByRole('table', { name: 'Active grants' }).getByRole('row').filter({ hasText: 'roles/compute.admin' });
    await row.waitFor();
    expect(await row.getByRole('button', { name: /^Extend/ }).count()).toBe(0);
    await row.getByRole('button', { name: 'Request extension of roles/compute.admin on prod-app' }).click();
    const dialog = alice.getByRole('dialog', { name: 'Request extension' });
    await dialog.getByRole('checkbox', { name: 'carol@example.com' }).check();
    await dialog.getByRole('textbox', { name: /Justification/ }).fill('INC-8 still scaling');
    await dialog.getByRole('combobox', { name: 'Add, after it ends' }).selectOption({ label: '45 minutes' });
    await dialog.getByRole('button', { name: 'Request extension' }).click();
    await alice.getByText('Your request to extend roles/compute.admin on prod-app was sent to carol@example.com.').waitFor();
    await row.getByText('Extension by 45 minutes pending · 0 of 1 approval').waitFor();
    expect(await row.getByRole('button', { name: /^Request extension/ }).count()).toBe(0);
  });
  // Nothing changes before the approval.
  expect(await window()).toEqual([before]);

  const carol = await newPage(session.browser);
  await screenshotOnFailure(carol, 'grant-extension-approve', async () => {
    await signIn(carol, session.stack.url, 'carol@example.com', '/inbox');
    const waiting = carol.getByRole('table', { name: 'Waiting for your decision' });
    await waiting.waitFor();
    expect(await waiting.textContent()).toContain('45 minutes more');
    expect(await waiting.textContent()).toContain('Extension of the grant ending');
    await waiting.getByRole('button', { name: 'Review the request of alice@example.com for roles/compute.admin on prod-app' }).click();
    await carol.getByRole('heading', { name: 'Extension request' }).waitFor();
    await carol.getByText(/An extension of the grant held from .+ by 45 minutes: approved, it ends at/).waitFor();
    await carol.getByRole('button', { name: 'Approve access for alice@example.com' }).click();
    await carol.getByRole('heading', { name: 'Extension approved' }).waitFor();
  });

  const after = await window();
  expect(after).toEqual([{ start: before.start, end: new Date(Date.parse(before.end) + 45 * 60_000).toISOString().replace('.000Z', 'Z') }]);

  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'grant-extension-done', async () => {
    await signIn(page, session.stack.url, 'alice@example.com', '/my-access');
    const row = page.getByRole('table', { name: 'Active grants' }).getByRole('row').filter({ hasText: 'roles/compute.admin' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Approved by carol@example.com: INC-8 still scaling');
    await row.getByRole('button', { name: 'Request extension of roles/compute.admin on prod-app' }).waitFor();
  });
});

test('a self-approved grant whose rule now needs approval: Extend is refused, and the dialog offers an extension request instead', async () => {
  // The setting: dave holds a self-approved grant from before the rule (written as the service writes one).
  const iso = (minutes: number) => new Date(Math.floor(Date.now() / 1000) * 1000 + minutes * 60_000).toISOString().replace('.000Z', 'Z');
  (await policyOf(session.stack.emulator, 'data-warehouse')).bindings.push({
    role: 'roles/bigquery.dataViewer',
    members: ['user:dave@example.com'],
    condition: { title: 'JIT access activation', description: 'Self-approved, justification: INC-9 reads', expression: `(request.time >= timestamp("${iso(-5)}") && request.time < timestamp("${iso(10)}"))` },
  });
  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'grant-extension-self-under-approval', async () => {
    await signIn(page, session.stack.url, 'dave@example.com', '/my-access');
    const row = page.getByRole('table', { name: 'Active grants' }).getByRole('row').filter({ hasText: 'roles/bigquery.dataViewer' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Extend roles/bigquery.dataViewer on data-warehouse' }).click();
    const extend = page.getByRole('dialog', { name: 'Extend access' });
    await extend.getByRole('button', { name: 'Extend' }).click();
    await extend.getByText("Rule 'warehouse-reads' of the access policy requires").waitFor();
    await extend.getByRole('button', { name: 'Request extension instead' }).click();
    const dialog = page.getByRole('dialog', { name: 'Request extension' });
    await dialog.getByRole('combobox', { name: 'Add, after it ends' }).waitFor();
    // The rule's maximum bounds the time added.
    const choices = await dialog.getByRole('combobox', { name: 'Add, after it ends' }).locator('option').allTextContents();
    expect(choices.at(-1)).toBe('2 hours');
    await dialog.getByRole('checkbox', { name: 'erin@example.com' }).check();
    await dialog.getByRole('button', { name: 'Request extension' }).click();
    await page.getByText('Your request to extend roles/bigquery.dataViewer on data-warehouse was sent to erin@example.com.').waitFor();
    await row.getByText(/Extension by .+ pending/).waitFor();
  });
});
