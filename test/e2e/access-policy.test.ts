// In the browser, with the example access policy: each role says in words what its rule demands.
import path from 'node:path';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { chooseProject, signIn } from './support/steps';

const session = browserSession({ env: { ACCESS_POLICY: path.join(__dirname, '..', '..', 'examples', 'access-policy.yaml') } });

test('the roles list says what each role\'s rule demands', async () => {
  const page = await newPage(session.browser, { timezoneId: 'UTC', locale: 'en-US' });
  await screenshotOnFailure(page, 'access-policy', async () => {
    await signIn(page, session.stack.url, 'alice@example.com');
    await chooseProject(page, 'prod-app');
    const row = (role: string) => page.getByRole('row').filter({ has: page.getByLabel(role) });
    await row('roles/compute.admin').getByText('prod-compute: 1 approval from peers · up to 4 h').waitFor();
    // Within or outside its Berlin office hours, the production database rule names its ticket and break-glass.
    await row('roles/cloudsql.admin').getByText(/^prod-databases: .*up to 1 h · Mon-Fri 08:00-18:00 Europe\/Berlin \(approval needed outside\) · ticket required · at most 2 active at once · break-glass up to 30 min/).waitFor();
  });
});
