// IAM v1 roles (get, queryGrantableRoles) and role grantability in setIamPolicy, through the googleapis clients.
import type { RunningEmulator } from '../../emulator/server';
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';

let emulator: RunningEmulator;
let clients: ReturnType<typeof googleClients>;
/** admin@example.com: organization administrator, who may read folder and organization policies. */
let admin: ReturnType<typeof googleClients>;

beforeAll(async () => {
  const world = demoWorld();
  world.callers = { 'mallory-token': 'user:mallory@example.com', 'admin-token': 'user:admin@example.com' };
  emulator = await startTestEmulator(world);
  clients = googleClients(emulator);
  admin = googleClients(emulator, 'admin-token');
});
afterAll(() => emulator.close());

const project = (id: string) => `//cloudresourcemanager.googleapis.com/projects/${id}`;

describe('roles.get', () => {
  it('returns a predefined role with its title, description, stage and known permissions', async () => {
    const { data } = await clients.iam.roles.get({ name: 'roles/compute.viewer' });
    expect(data).toEqual({
      name: 'roles/compute.viewer',
      title: 'Compute Viewer',
      description: expect.stringContaining('Read-only access'),
      includedPermissions: expect.arrayContaining(['resourcemanager.projects.get']),
      stage: 'GA',
      etag: 'AA==',
    });
    expect((await clients.iam.roles.get({ name: 'roles/resourcemanager.folderAdmin' })).data.title).toBe('Folder Admin');
  });

  it('answers 404 for a role it does not know, custom roles included, and 400 for a malformed name', async () => {
    expect((await expectGoogleError(clients.iam.roles.get({ name: 'roles/nonexistent.role' }, { retry: false }), 404)).message).toBe('The role named roles/nonexistent.role was not found.');
    await expectGoogleError(clients.iam.projects.roles.get({ name: 'projects/prod-app/roles/custom' }, { retry: false }), 404);
    await expectGoogleError(clients.iam.organizations.roles.get({ name: 'organizations/100000000001/roles/custom' }, { retry: false }), 404);
    await expectGoogleError(clients.iam.roles.get({ name: 'roles/bad name' }, { retry: false }), 400);
  });
});

describe('roles.queryGrantableRoles', () => {
  const query = (requestBody: Record<string, unknown>, client = clients) => client.iam.roles.queryGrantableRoles({ requestBody }, { retry: false });

  it('lists the roles grantable on a project, without folder- and organization-only ones', async () => {
    const { data } = await query({ fullResourceName: project('prod-app') });
    const names = data.roles!.map((r) => r.name);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['roles/compute.admin', 'roles/owner', 'roles/billing.projectManager']));
    for (const folderOrOrg of ['roles/resourcemanager.folderAdmin', 'roles/resourcemanager.organizationAdmin', 'roles/orgpolicy.policyAdmin', 'roles/billing.admin', 'roles/securitycenter.admin']) {
      expect(names).not.toContain(folderOrOrg);
    }
    expect(data.roles![0]).not.toHaveProperty('includedPermissions');
    expect(data.nextPageToken).toBeUndefined();
  });

  it('lists folder roles on a folder and everything on the organization; FULL adds permissions; pages', async () => {
    const folder = (await query({ fullResourceName: '//cloudresourcemanager.googleapis.com/folders/200000000001' }, admin)).data.roles!.map((r) => r.name);
    expect(folder).toContain('roles/resourcemanager.folderAdmin');
    expect(folder).not.toContain('roles/resourcemanager.organizationAdmin');
    const org = (await query({ fullResourceName: '//cloudresourcemanager.googleapis.com/organizations/100000000001', view: 'FULL' }, admin)).data.roles!;
    expect(org.map((r) => r.name)).toContain('roles/resourcemanager.organizationAdmin');
    expect(org.find((r) => r.name === 'roles/browser')!.includedPermissions).toContain('resourcemanager.projects.get');

    const first = await query({ fullResourceName: project('prod-app'), pageSize: 5 });
    expect(first.data.roles).toHaveLength(5);
    const second = await query({ fullResourceName: project('prod-app'), pageSize: 5, pageToken: first.data.nextPageToken });
    expect(second.data.roles![0].name!.localeCompare(first.data.roles![4].name!)).toBe(1);
  });

  it('rejects a missing or foreign resource name, an unknown field and denies a caller who cannot read the policy', async () => {
    await expectGoogleError(query({}), 400);
    await expectGoogleError(query({ fullResourceName: '//compute.googleapis.com/projects/p/zones/z/instances/i' }), 400);
    await expectGoogleError(query({ fullResourceName: project('prod-app'), filter: 'x' }), 400);
    const denied = await expectGoogleError(query({ fullResourceName: project('prod-app') }, googleClients(emulator, 'mallory-token')), 403);
    expect(denied.message).toContain('resourcemanager.projects.getIamPolicy');
    await expectGoogleError(query({ fullResourceName: project('no-such-project') }), 403);
  });
});

describe('setIamPolicy and role grantability', () => {
  const addBinding = async (resource: 'projects' | 'folders' | 'organizations', id: string, role: string) => {
    const crm = admin.crm;
    const get = { projects: crm.projects, folders: crm.folders, organizations: crm.organizations }[resource];
    const policy = (await get.getIamPolicy({ resource: `${resource}/${id}`, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
    const bindings = [...(policy.bindings ?? []), { role, members: ['user:bob@example.com'] }];
    return get.setIamPolicy({ resource: `${resource}/${id}`, requestBody: { policy: { ...policy, version: 3, bindings } } }, { retry: false });
  };

  it('refuses folder- and organization-only roles on a project with Google’s 400', async () => {
    for (const role of ['roles/resourcemanager.folderAdmin', 'roles/resourcemanager.organizationAdmin', 'roles/orgpolicy.policyAdmin', 'roles/billing.admin', 'roles/securitycenter.admin']) {
      const err = await expectGoogleError(addBinding('projects', 'staging-app', role), 400);
      expect(err).toMatchObject({ status: 'INVALID_ARGUMENT', message: `Role ${role} is not supported for this resource.` });
    }
    await expectGoogleError(addBinding('folders', '200000000001', 'roles/resourcemanager.organizationAdmin'), 400);
  });

  it('accepts each role where it can be granted', async () => {
    await addBinding('projects', 'staging-app', 'roles/compute.viewer');
    await addBinding('folders', '200000000001', 'roles/resourcemanager.folderViewer');
    await addBinding('organizations', '100000000001', 'roles/orgpolicy.policyViewer');
    // A role outside the catalogue is not refused: the catalogue is not exhaustive.
    await addBinding('projects', 'staging-app', 'roles/spanner.databaseReader');
  });
});
