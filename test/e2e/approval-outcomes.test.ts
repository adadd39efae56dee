// In the browser, what the approval page says after the fact: a second reviewer whose click changed
// nothing is told so (not congratulated), the page's guidance follows the request's state, and an expired
// request is still shown, with its times in local time and zone, and a "Request again" for its requester.
import { googleClients } from '../support/emulator';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { signIn } from './support/steps';

const SERVICE_ACCOUNT = 'jitaccess@jit-host.iam.gserviceaccount.com';

const session = browserSession();

async function requestByAlice(reviewers: string[]): Promise<string> {
  const alice = session.stack.as('alice@example.com');
  const roles = (await alice.get('/api/v1/projects/prod-app/roles')).body.roles;
  const role = roles.find((r: { role: string }) => r.role === 'roles/compute.admin').id;
  const requested = await alice.post('/api/v1/projects/prod-app/approval-requests', { role, justification: 'INC-21 scaling', durationMinutes: 30, reviewers });
  expect(requested.status).toBe(201);
  return requested.body.token;
}

test('the second reviewer learns that their approval changed nothing; the requester reads that it is approved', async () => {
  const token = await requestByAlice(['bob@example.com', 'carol@example.com']);
  const carol = await newPage(session.browser);
  await screenshotOnFailure(carol, 'approval-second-reviewer', async () => {
    await signIn(carol, session.stack.url, 'carol@example.com', `/approve/${token}`);
    const approve = carol.getByRole('button', { name: 'Approve access for alice@example.com' });
    await approve.waitFor();
    // bob approves while carol still reads the request.
    expect((await session.stack.as('bob@example.com').post(`/api/v1/approval-requests/${token}/approve`)).status).toBe(200);
    await approve.click();

    await carol.getByRole('heading', { name: 'Already approved' }).waitFor();
    expect(await carol.getByRole('heading', { name: 'Access approved' }).count()).toBe(0);
    const notice = carol.getByRole('status').filter({ hasText: 'bob@example.com had approved this request already' });
    expect(await notice.getAttribute('class')).toContain('notice-info');
    expect(await notice.textContent()).toContain('Your approval changed nothing');
  });

  const alice = await newPage(session.browser);
  await screenshotOnFailure(alice, 'approval-requester-after', async () => {
    await signIn(alice, session.stack.url, 'alice@example.com', `/approve/${token}`);
    await alice.getByText('Approved by bob@example.com').waitFor();
    const lead = await alice.locator('.lead').textContent();
    expect(lead).toBe('You asked for this access, and it was approved.');
    expect(await alice.getByText('must approve it').count()).toBe(0);
  });
});

test('an expired request is shown, with local times and their zone, and its requester can request again', async () => {
  // Signed while the emulator's clock is 10 minutes behind, so it signs an expiry that has passed by now.
  const now = Math.floor(Date.now() / 1000);
  session.stack.emulator.state.clockOffsetMs = -10 * 60_000;
  const claims = {
    jti: 'mpa-EXPIREDEXPIRED01',
    beneficiary: 'alice@example.com',
    reviewers: ['bob@example.com'],
    entitlement: 'prod-app:roles/compute.admin',
    justification: 'INC-18 expired request',
    start: now - 300,
    end: now + 600,
    iss: SERVICE_ACCOUNT,
    aud: SERVICE_ACCOUNT,
    iat: now - 300,
    exp: now - 60,
  };
  const { iamcredentials } = googleClients(session.stack.emulator);
  const signed = await iamcredentials.projects.serviceAccounts.signJwt({ name: `projects/-/serviceAccounts/${SERVICE_ACCOUNT}`, requestBody: { payload: JSON.stringify(claims) } });
  session.stack.emulator.state.clockOffsetMs = 0;
  const token = signed.data.signedJwt!;

  const alice = await newPage(session.browser, { timezoneId: 'Europe/Berlin', locale: 'en-US' });
  await screenshotOnFailure(alice, 'approval-expired-requester', async () => {
    await signIn(alice, session.stack.url, 'alice@example.com', `/approve/${token}`);
    const notice = alice.getByRole('status').filter({ hasText: 'This request has expired' });
    await notice.waitFor();
    const text = (await notice.textContent())!;
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(text).toMatch(/expired at \d{1,2}:\d\d [AP]M GMT\+1/);
    expect(text).not.toContain('ask the requester');
    // The request itself, in full.
    const details = (await alice.locator('dl').textContent())!;
    for (const shown of ['alice@example.com', 'prod-app', 'roles/compute.admin', 'INC-18 expired request', 'bob@example.com']) expect(details).toContain(shown);
    expect(details).toMatch(/GMT\+1/);

    await notice.getByRole('link', { name: 'Request again' }).click();
    await alice.getByRole('table', { name: 'Your eligible roles on prod-app' }).waitFor();
  });

  const bob = await newPage(session.browser);
  await screenshotOnFailure(bob, 'approval-expired-reviewer', async () => {
    await signIn(bob, session.stack.url, 'bob@example.com', `/approve/${token}`);
    const notice = bob.getByRole('status').filter({ hasText: 'This request has expired' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('alice@example.com can make a new request');
    expect(await bob.getByRole('link', { name: 'Request again' }).count()).toBe(0);
    expect(await bob.getByRole('button', { name: /Approve/ }).count()).toBe(0);
  });
});
