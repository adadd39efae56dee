// In the browser: the project picker shows at most 50 suggestions, and says so, with how to narrow
// the list, when a user has more projects than that.
import { demoWorld } from '../support/emulator';
import { newPage, screenshotOnFailure } from './support/browser';
import { browserSession } from './support/e2e-stack';
import { signIn } from './support/steps';

const EXTRA_PROJECTS = 55;

function worldWithManyProjects() {
  const world = demoWorld();
  for (let i = 1; i <= EXTRA_PROJECTS; i++) {
    const id = `bulk-project-${String(i).padStart(2, '0')}`;
    world.projects.push({ id, number: String(310000000000 + i), parent: 'folders/200000000003', displayName: `Bulk project ${i}` } as (typeof world.projects)[number]);
    world.iam[`projects/${id}`] = [
      { role: 'roles/compute.viewer', members: ['user:dave@example.com'], condition: { title: 'Eligible for JIT access', expression: 'has({}.jitAccessConstraint)' } },
    ] as (typeof world.iam)[string];
  }
  return world;
}

const session = browserSession({ world: worldWithManyProjects() });

test('more than 50 projects: the first 50 are shown, with a note on how to narrow the list', async () => {
  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'project-picker-many', async () => {
    await signIn(page, session.stack.url, 'dave@example.com');
    const picker = page.getByRole('combobox', { name: 'Project' });
    await picker.click();
    await page.getByRole('listbox', { name: 'Projects' }).waitFor();
    expect(await page.getByRole('option').count()).toBe(50);
    // dave's 55 bulk projects and data-warehouse.
    await page.getByText("Showing the first 50 of 56 projects. Type more of a project's id or name to narrow the list.").waitFor();

    await picker.fill('bulk-project-5');
    await page.getByRole('option', { name: 'bulk-project-55' }).waitFor();
    expect(await page.getByRole('option').count()).toBe(6);
    expect(await page.getByText('Showing the first 50').count()).toBe(0);
  });
});

test("project display names and role titles and descriptions are shown next to the ids when the API gives them", async () => {
  const page = await newPage(session.browser);
  await screenshotOnFailure(page, 'project-picker-names', async () => {
    // The answers as a catalog that knows names gives them; the SPA must show what is there.
    await page.route('**/api/v1/projects', async (route) => {
      const body = await (await route.fetch()).json();
      body.projects = body.projects.map((p: { id: string }) => (p.id === 'data-warehouse' ? { ...p, displayName: 'Data warehouse' } : p));
      await route.fulfill({ json: body });
    });
    await page.route('**/api/v1/projects/data-warehouse/roles', async (route) => {
      const body = await (await route.fetch()).json();
      body.roles = body.roles.map((r: { role: string }) => (r.role === 'roles/bigquery.dataViewer' ? { ...r, title: 'BigQuery Data Viewer', description: 'Access to view datasets and all of their contents.' } : r));
      await route.fulfill({ json: body });
    });
    await signIn(page, session.stack.url, 'dave@example.com');
    await page.getByRole('combobox', { name: 'Project' }).fill('data-w');
    await page.getByRole('option', { name: 'data-warehouse · Data warehouse' }).click();
    const row = page.getByRole('table', { name: 'Your eligible roles on data-warehouse' }).getByRole('row').filter({ hasText: 'roles/bigquery.dataViewer' });
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('BigQuery Data Viewer roles/bigquery.dataViewer');
    expect(text).toContain('Access to view datasets and all of their contents.');
    expect(await page.getByText('Data warehouse', { exact: true }).count()).toBe(1);
  });
});
