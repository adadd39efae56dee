import type { cloudresourcemanager_v3 } from 'googleapis/build/src/apis/cloudresourcemanager/v3';
import type { RunningEmulator } from '../../emulator/server';
import { demoWorld, expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';

type Crm = cloudresourcemanager_v3.Cloudresourcemanager;
type Binding = cloudresourcemanager_v3.Schema$Binding;

const ACTIVATION = '(request.time >= timestamp("2024-05-01T10:00:00Z") && request.time < timestamp("2024-05-01T11:00:00Z"))';
const BOB_EXPIRED = '(request.time >= timestamp("2024-01-10T09:00:00Z") && request.time < timestamp("2024-01-10T10:00:00Z"))';

let emulator: RunningEmulator;
/** The service account the JIT service runs as (project IAM admin at the organization). */
let crm: Crm;
/** admin@example.com: organization admin. */
let admin: Crm;
/** mallory@example.com: can see projects (browser), but not read or change their policies. */
let mallory: Crm;
/** outsider@example.com: browser on staging-app only. */
let outsider: Crm;

beforeAll(async () => {
  const world = demoWorld();
  world.users.push('outsider@example.com', 'partner@partner.example');
  world.iam['projects/staging-app'].push({ role: 'roles/browser', members: ['user:outsider@example.com'] });
  world.callers = { 'admin-token': 'user:admin@example.com', 'mallory-token': 'user:mallory@example.com', 'outsider-token': 'user:outsider@example.com' };
  emulator = await startTestEmulator(world);
  crm = googleClients(emulator).crm;
  admin = googleClients(emulator, 'admin-token').crm;
  mallory = googleClients(emulator, 'mallory-token').crm;
  outsider = googleClients(emulator, 'outsider-token').crm;
});
afterAll(() => emulator.close());
beforeEach(() => emulator.state.reset());

const readV3 = async (resource = 'projects/prod-app') => (await crm.projects.getIamPolicy({ resource, requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
const write = (policy: cloudresourcemanager_v3.Schema$Policy, resource = 'projects/prod-app') => crm.projects.setIamPolicy({ resource, requestBody: { policy } });
const activation = (member = 'user:alice@example.com', expression = ACTIVATION): Binding => ({
  role: 'roles/compute.admin',
  members: [member],
  condition: { title: 'JIT access activation', description: 'Self-approved, justification: ticket-42', expression },
});
const deniedMessage = (permission: string, resource: string) =>
  `Permission '${permission}' denied on resource '//cloudresourcemanager.googleapis.com/${resource}' (or it may not exist).`;

describe('projects.get', () => {
  it('returns a project by id, named by its number', async () => {
    const { data } = await crm.projects.get({ name: 'projects/prod-app' });
    expect(data).toEqual({
      name: 'projects/300000000001',
      parent: 'folders/200000000003',
      projectId: 'prod-app',
      state: 'ACTIVE',
      displayName: 'Production app',
      labels: { env: 'prod' },
    });
  });

  it('returns the same project by number', async () => {
    const { data } = await crm.projects.get({ name: 'projects/300000000001' });
    expect(data.projectId).toBe('prod-app');
    expect(data.name).toBe('projects/300000000001');
  });

  it('answers 403 naming the permission for a missing project, never 404', async () => {
    const error = await expectGoogleError(crm.projects.get({ name: 'projects/no-such-project' }), 403);
    expect(error.status).toBe('PERMISSION_DENIED');
    expect(error.message).toBe(deniedMessage('resourcemanager.projects.get', 'projects/no-such-project'));
  });

  it('answers the same 403 when the caller lacks resourcemanager.projects.get', async () => {
    const error = await expectGoogleError(outsider.projects.get({ name: 'projects/prod-app' }), 403);
    expect(error.message).toBe(deniedMessage('resourcemanager.projects.get', 'projects/prod-app'));
    expect((await outsider.projects.get({ name: 'projects/staging-app' })).data.projectId).toBe('staging-app');
  });

  it('rejects a malformed project id with 400', async () => {
    const error = await expectGoogleError(crm.projects.get({ name: 'projects/Not_A_Project' }), 400);
    expect(error.message).toMatch(/Invalid resource name 'projects\/Not_A_Project'/);
  });

  it('rejects unknown query parameters with 400', async () => {
    const error = await expectGoogleError(crm.projects.get({ name: 'projects/prod-app', fields2: 'x' } as never), 400);
    expect(error.message).toMatch(/Unknown name "fields2"/);
  });
});

describe('projects.search', () => {
  const search = async (query?: string, client = crm) => ((await client.projects.search({ query })).data.projects ?? []).map((p) => p.projectId).sort();

  it('returns every visible project for an empty query, deleted ones included', async () => {
    expect(await search()).toEqual(['data-warehouse', 'finance-ledger', 'jit-host', 'old-prototype', 'prod-app', 'staging-app']);
  });

  it('filters by state, parent, id, display name and labels', async () => {
    expect(await search('state:ACTIVE')).not.toContain('old-prototype');
    expect(await search('lifecycleState:DELETE_REQUESTED')).toEqual(['old-prototype']);
    expect(await search('parent:folders/200000000003')).toEqual(['prod-app', 'staging-app']);
    expect(await search('parent.type:organization')).toEqual(['jit-host']);
    expect(await search('parent.id:200000000001')).toEqual(['data-warehouse', 'old-prototype']);
    expect(await search('id:prod-app')).toEqual(['prod-app']);
    expect(await search('projectId:fin*')).toEqual(['finance-ledger']);
    expect(await search('name:"Production app"')).toEqual(['prod-app']);
    expect(await search('displayName:staging*')).toEqual(['staging-app']);
    expect(await search('labels.env:prod')).toEqual(['prod-app']);
    expect(await search('labels.env:*')).toEqual(['prod-app', 'staging-app']);
    expect(await search('labels:staging')).toEqual(['staging-app']);
  });

  it('matches keys and values case-insensitively', async () => {
    expect(await search('STATE:active PARENT.TYPE:ORGANIZATION')).toHaveLength(5);
    expect(await search('ID:PROD-APP')).toEqual(['prod-app']);
  });

  it('reads juxtaposition as OR and supports explicit AND, OR, NOT and parentheses', async () => {
    expect(await search('labels.env:prod labels.env:staging')).toEqual(['prod-app', 'staging-app']);
    expect(await search('id:prod-app OR id:jit-host')).toEqual(['jit-host', 'prod-app']);
    expect(await search('labels.env:* AND id:staging*')).toEqual(['staging-app']);
    expect(await search('state:ACTIVE AND NOT parent.type:folder')).toEqual(['jit-host']);
    expect(await search('parent.id:200000000001 AND (state:ACTIVE OR id:prod-app)')).toEqual(['data-warehouse']);
  });

  it('returns nothing (no projects field) when nothing matches', async () => {
    const { data } = await crm.projects.search({ query: 'id:nothing-like-this' });
    expect(data).toEqual({});
  });

  it('returns only projects the caller has resourcemanager.projects.get on', async () => {
    expect(await search('', outsider)).toEqual(['staging-app']);
  });

  it('rejects unknown fields and malformed queries with 400', async () => {
    expect((await expectGoogleError(crm.projects.search({ query: 'owner:alice' }), 400)).message).toMatch(/unknown field 'owner'/);
    expect((await expectGoogleError(crm.projects.search({ query: 'state:ACTIVE AND' }), 400)).message).toMatch(/search term is missing/);
    expect((await expectGoogleError(crm.projects.search({ query: '(state:ACTIVE' }), 400)).message).toMatch(/a '\)' is missing/);
    expect((await expectGoogleError(crm.projects.search({ query: 'prod-app' }), 400)).message).toMatch(/expected FIELD:VALUE/);
    expect((await expectGoogleError(crm.projects.search({ query: 'id:p*d' }), 400)).message).toMatch(/only supported at the end/);
  });

  it('pages with opaque tokens that cover every project exactly once', async () => {
    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const { data } = await crm.projects.search({ query: '', pageSize: 4, pageToken });
      seen.push(...(data.projects ?? []).map((p) => p.projectId!));
      pageToken = data.nextPageToken ?? undefined;
      pages += 1;
    } while (pageToken);
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual(['data-warehouse', 'finance-ledger', 'jit-host', 'old-prototype', 'prod-app', 'staging-app']);
  });

  it('rejects a page token when the query changed, and a forged token', async () => {
    const first = await crm.projects.search({ query: 'state:ACTIVE', pageSize: 2 });
    expect(first.data.nextPageToken).toBeTruthy();
    const changed = await expectGoogleError(crm.projects.search({ query: 'state:DELETE_REQUESTED', pageSize: 2, pageToken: first.data.nextPageToken! }), 400);
    expect(changed.message).toMatch(/page token belongs to a different query/);
    await expectGoogleError(crm.projects.search({ query: 'state:ACTIVE', pageToken: 'not-a-token' }), 400);
    await expectGoogleError(crm.projects.search({ query: 'state:ACTIVE', pageSize: -1 }), 400);
  });
});

describe('folders.get and organizations', () => {
  it('gets a folder', async () => {
    const { data } = await crm.folders.get({ name: 'folders/200000000003' });
    expect(data).toEqual({ name: 'folders/200000000003', parent: 'folders/200000000001', displayName: 'platform', state: 'ACTIVE' });
  });

  it('answers 403 for a missing folder and 400 for a malformed one', async () => {
    expect((await expectGoogleError(crm.folders.get({ name: 'folders/299999999999' }), 403)).message).toBe(deniedMessage('resourcemanager.folders.get', 'folders/299999999999'));
    await expectGoogleError(crm.folders.get({ name: 'folders/platform' }), 400);
  });

  it('gets the organization', async () => {
    const { data } = await crm.organizations.get({ name: 'organizations/100000000001' });
    expect(data).toEqual({ name: 'organizations/100000000001', displayName: 'example.com', directoryCustomerId: 'C01demo42', state: 'ACTIVE' });
  });

  it('answers 403 for another organization', async () => {
    const error = await expectGoogleError(crm.organizations.get({ name: 'organizations/999999999999' }), 403);
    expect(error.message).toBe(deniedMessage('resourcemanager.organizations.get', 'organizations/999999999999'));
  });

  it('searches organizations by directory customer id and domain', async () => {
    const byCustomer = await crm.organizations.search({ query: 'directorycustomerid:C01demo42' });
    expect(byCustomer.data.organizations?.map((o) => o.name)).toEqual(['organizations/100000000001']);
    expect((await crm.organizations.search({ query: 'domain:example.com' })).data.organizations).toHaveLength(1);
    expect((await crm.organizations.search({ query: 'domain:other.example' })).data).toEqual({});
    expect((await outsider.organizations.search({})).data).toEqual({});
    expect((await expectGoogleError(crm.organizations.search({ query: 'displayName:x' }), 400)).message).toMatch(/unknown field 'displayname'/);
  });
});

describe('getIamPolicy', () => {
  it('returns version 3 with conditions when asked for version 3', async () => {
    const policy = await readV3();
    expect(policy.version).toBe(3);
    expect(policy.etag).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const expired = policy.bindings!.find((b) => b.members?.includes('user:bob@example.com') && b.role === 'roles/compute.viewer');
    expect(expired?.condition).toEqual({ title: 'JIT access activation', description: 'Self-approved, justification: INC-1001', expression: BOB_EXPIRED });
  });

  it('rewrites conditional bindings to _withcond_ roles without conditions for versions below 3', async () => {
    for (const requestBody of [undefined, { options: { requestedPolicyVersion: 1 } }, { options: {} }]) {
      const { data } = await crm.projects.getIamPolicy({ resource: 'projects/prod-app', requestBody });
      expect(data.version).toBe(1);
      expect(data.bindings!.every((b) => b.condition === undefined)).toBe(true);
      const rewritten = data.bindings!.filter((b) => b.role!.includes('_withcond_'));
      expect(rewritten.map((b) => b.role!.replace(/_withcond_[0-9a-f]{20}$/, '')).sort()).toEqual(['roles/cloudsql.admin', 'roles/compute.admin', 'roles/compute.viewer', 'roles/storage.objectAdmin']);
      expect(data.bindings!.find((b) => b.role === 'roles/viewer')?.members).toEqual(['group:sre@example.com']);
    }
    const again = await crm.projects.getIamPolicy({ resource: 'projects/prod-app' });
    const first = await crm.projects.getIamPolicy({ resource: 'projects/prod-app' });
    expect(again.data.bindings).toEqual(first.data.bindings);
  });

  it('returns version 1 for a policy without conditions even when asked for 3', async () => {
    const policy = await readV3('projects/jit-host');
    expect(policy.version).toBe(1);
    expect(policy.bindings!.some((b) => b.role === 'roles/owner')).toBe(true);
  });

  it('rejects requested policy versions other than 0, 1 and 3', async () => {
    const error = await expectGoogleError(crm.projects.getIamPolicy({ resource: 'projects/prod-app', requestBody: { options: { requestedPolicyVersion: 2 } } }), 400);
    expect(error.message).toMatch(/requested policy version 2/);
  });

  it('rejects unknown JSON fields', async () => {
    const error = await expectGoogleError(crm.projects.getIamPolicy({ resource: 'projects/prod-app', requestBody: { options: { requestedPolicyVersion: 3, policyFormat: 'x' } } as never }), 400);
    expect(error.message).toMatch(/Unknown name "policyFormat" at 'options'/);
  });

  it('answers 403 naming resourcemanager.projects.getIamPolicy when the caller lacks it', async () => {
    const error = await expectGoogleError(mallory.projects.getIamPolicy({ resource: 'projects/prod-app' }), 403);
    expect(error.message).toBe(deniedMessage('resourcemanager.projects.getIamPolicy', 'projects/prod-app'));
  });

  it('reads folder and organization policies, with their own permissions', async () => {
    const folder = await admin.folders.getIamPolicy({ resource: 'folders/200000000001', requestBody: { options: { requestedPolicyVersion: 3 } } });
    expect(folder.data.bindings?.[0].condition?.expression).toBe('has({}.jitAccessConstraint)');
    const organization = await admin.organizations.getIamPolicy({ resource: 'organizations/100000000001' });
    expect(organization.data.bindings?.some((b) => b.role === 'roles/resourcemanager.organizationAdmin')).toBe(true);
    const error = await expectGoogleError(crm.folders.getIamPolicy({ resource: 'folders/200000000001' }), 403);
    expect(error.message).toBe(deniedMessage('resourcemanager.folders.getIamPolicy', 'folders/200000000001'));
  });
});

describe('setIamPolicy', () => {
  it('replaces the whole policy and answers the stored policy with a new etag', async () => {
    const before = await readV3();
    const { data } = await write({ version: 3, etag: before.etag, bindings: [...before.bindings!, activation()] });
    expect(data.version).toBe(3);
    expect(data.etag).not.toBe(before.etag);
    const after = await readV3();
    expect(after.etag).toBe(data.etag);
    expect(after.bindings).toContainEqual(activation());
    expect(after.bindings).toHaveLength(before.bindings!.length + 1);
  });

  it('grants what the condition allows: an active activation works now, an expired one does not', async () => {
    const now = emulator.state.now();
    const window = (from: number, to: number) =>
      `(request.time >= timestamp("${new Date(now.getTime() + from).toISOString()}") && request.time < timestamp("${new Date(now.getTime() + to).toISOString()}"))`;
    const before = await readV3('projects/data-warehouse');
    await write(
      {
        version: 3,
        etag: before.etag,
        bindings: [...before.bindings!, { role: 'roles/resourcemanager.projectIamAdmin', members: ['user:dave@example.com'], condition: { title: 'JIT access activation', expression: window(-60_000, 3_600_000) } }],
      },
      'projects/data-warehouse',
    );
    expect(emulator.state.hasPermission('user:dave@example.com', 'resourcemanager.projects.setIamPolicy', 'projects/data-warehouse')).toBe(true);
    emulator.state.clockOffsetMs = 2 * 3_600_000;
    expect(emulator.state.hasPermission('user:dave@example.com', 'resourcemanager.projects.setIamPolicy', 'projects/data-warehouse')).toBe(false);
  });

  it('keeps condition expressions byte for byte', async () => {
    const odd = "  // activation for INC-7, see runbook §4\n(request.time>=timestamp('2024-05-01T10:00:00.000Z')&&\trequest.time <  timestamp(\"2024-05-01T11:00:00Z\"))  ";
    const before = await readV3();
    const { data } = await write({ version: 3, etag: before.etag, bindings: [...before.bindings!, activation('user:alice@example.com', odd)] });
    const find = (bindings: Binding[] | undefined) => bindings?.find((b) => b.condition?.expression?.includes('INC-7'))?.condition?.expression;
    expect(find(data.bindings)).toBe(odd);
    expect(find((await readV3()).bindings)).toBe(odd);
  });

  it('writes blindly without an etag', async () => {
    const { data } = await write({ bindings: [{ role: 'roles/owner', members: ['user:admin@example.com'] }] });
    expect(data.version).toBe(1);
    expect((await readV3()).bindings).toEqual([{ role: 'roles/owner', members: ['user:admin@example.com'] }]);
  });

  it('answers 409 ABORTED with Google\'s message for a stale etag, and stores nothing', async () => {
    const stale = await readV3();
    const { data: current } = await write({ version: 3, etag: stale.etag, bindings: [...stale.bindings!, activation()] });
    const error = await expectGoogleError(write({ version: 3, etag: stale.etag, bindings: stale.bindings }), 409);
    expect(error.status).toBe('ABORTED');
    expect(error.message).toBe(
      `There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff. The request's ETag '${stale.etag}' did not match the current policy's ETag '${current.etag}'.`,
    );
    expect((await readV3()).etag).toBe(current.etag);
  });

  it('fails the next N writes with a forced 409 conflict without storing anything', async () => {
    emulator.state.faults.etagConflicts = 2;
    const before = await readV3();
    const request = { version: 3, etag: before.etag, bindings: [...before.bindings!, activation()] };
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await expectGoogleError(write(request), 409);
      expect(error.status).toBe('ABORTED');
      expect(error.message).toMatch(/^There were concurrent policy changes/);
    }
    expect(emulator.state.faults.etagConflicts).toBe(0);
    expect(await readV3()).toEqual(before);
    expect((await write(request)).data.bindings).toContainEqual(activation());
  });

  it('can answer conflicts, forced or real, with 412 FAILED_PRECONDITION instead', async () => {
    emulator.state.faults.etagConflicts = 1;
    emulator.state.faults.etagConflictStatus = 412;
    const before = await readV3();
    const error = await expectGoogleError(write({ version: 3, etag: before.etag, bindings: before.bindings }), 412);
    expect(error.status).toBe('FAILED_PRECONDITION');
    expect((await readV3()).etag).toBe(before.etag);
    // The switch applies to real conflicts too.
    const { data: current } = await write({ version: 3, etag: before.etag, bindings: before.bindings });
    const real = await expectGoogleError(write({ version: 3, etag: before.etag, bindings: before.bindings }), 412);
    expect(real.message).toContain(`The request's ETag '${before.etag}' did not match the current policy's ETag '${current.etag}'.`);
  });

  it('records the x-goog-request-reason of each call', async () => {
    const before = await readV3();
    await crm.projects.setIamPolicy(
      { resource: 'projects/300000000001', requestBody: { policy: { version: 3, etag: before.etag, bindings: before.bindings } } },
      { headers: { 'x-goog-request-reason': 'Self-approved, justification: ticket-42' } },
    );
    expect(emulator.state.requestReasons).toEqual([{ resource: 'projects/prod-app', reason: 'Self-approved, justification: ticket-42' }]);
  });

  it('normalises the stored policy: identical bindings merged, duplicate members removed, members sorted', async () => {
    const { data } = await write({
      version: 3,
      bindings: [
        { role: 'roles/owner', members: ['user:admin@example.com'] },
        { role: 'roles/viewer', members: ['user:bob@example.com', 'user:alice@example.com'] },
        { role: 'roles/viewer', members: ['user:Alice@example.com', 'group:sre@example.com'] },
        activation('user:carol@example.com'),
        activation('user:bob@example.com'),
      ],
    });
    expect(data.bindings).toEqual([
      { ...activation('user:bob@example.com'), members: ['user:bob@example.com', 'user:carol@example.com'] },
      { role: 'roles/owner', members: ['user:admin@example.com'] },
      { role: 'roles/viewer', members: ['group:sre@example.com', 'user:alice@example.com', 'user:bob@example.com'] },
    ]);
  });

  it('updates audit configs only when the update mask names them', async () => {
    const before = await readV3();
    const auditConfigs = [{ service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ', exemptedMembers: ['user:bob@example.com'] }] }];
    const { data } = await crm.projects.setIamPolicy({ resource: 'projects/prod-app', requestBody: { policy: { version: 3, etag: before.etag, auditConfigs }, updateMask: 'auditConfigs,etag' } });
    expect(data.auditConfigs).toEqual(auditConfigs);
    expect(data.bindings).toEqual(before.bindings);
    const error = await expectGoogleError(crm.projects.setIamPolicy({ resource: 'projects/prod-app', requestBody: { policy: { version: 3 }, updateMask: 'bindings,version' } }), 400);
    expect(error.message).toMatch(/Invalid updateMask path 'version'/);
  });

  it('rejects lowering the version of a conditional policy when an etag is given', async () => {
    const before = await readV3();
    const unconditional = before.bindings!.filter((b) => !b.condition);
    const error = await expectGoogleError(write({ version: 1, etag: before.etag, bindings: unconditional }), 400);
    expect(error.message).toBe(
      'Specified policy version (1) cannot be less than the existing policy version (3). For more information, please refer to https://cloud.google.com/iam/docs/policies#versions',
    );
    expect((await readV3()).etag).toBe(before.etag);
  });

  it('rejects writing back the _withcond_ placeholders of a version 1 read', async () => {
    const v1 = (await crm.projects.getIamPolicy({ resource: 'projects/prod-app' })).data;
    const error = await expectGoogleError(write({ bindings: v1.bindings }), 400);
    expect(error.message).toMatch(/_withcond_[0-9a-f]{20} is a placeholder .* options\.requestedPolicyVersion 3/);
  });

  it.each<[string, cloudresourcemanager_v3.Schema$Policy, RegExp]>([
    ['an invalid version', { version: 2, bindings: [] }, /^Invalid policy version 2/],
    ['a conditional binding in a version 1 policy', { version: 1, bindings: [activation()] }, /^Conditional role bindings require policy version 3, but the policy has version 1/],
    ['a condition on a basic role', { version: 3, bindings: [{ ...activation(), role: 'roles/editor' }] }, /^Conditions are not supported for the basic role roles\/editor/],
    ['a condition without a title', { version: 3, bindings: [{ role: 'roles/compute.admin', members: ['user:alice@example.com'], condition: { expression: ACTIVATION } }] }, /has no title/],
    ['an invalid CEL expression', { version: 3, bindings: [activation('user:alice@example.com', 'request.time < timestamp("2024-01-01T00:00:00Z"')] }, /^Invalid condition "JIT access activation" on role roles\/compute.admin: Syntax error in the condition expression at line 1, column \d+/],
    [
      'an expression with 13 logical operators',
      { version: 3, bindings: [activation('user:alice@example.com', Array.from({ length: 14 }, () => 'has({}.jitAccessConstraint)').join(' && '))] },
      /has 13 logical operators \(&&, \|\|, !\); IAM allows at most 12/,
    ],
    ['a title over 100 characters', { version: 3, bindings: [{ ...activation(), condition: { title: 't'.repeat(101), expression: ACTIVATION } }] }, /title .* is 101 characters long; at most 100/],
    ['a binding without members', { bindings: [{ role: 'roles/viewer', members: [] }] }, /binding for role roles\/viewer has no members/],
    ['a binding without a role', { bindings: [{ members: ['user:alice@example.com'] }] }, /^Binding #1 has no role/],
    ['a malformed member', { bindings: [{ role: 'roles/viewer', members: ['alice@example.com'] }] }, /^Invalid member 'alice@example.com'/],
    ['allUsers on a project', { bindings: [{ role: 'roles/viewer', members: ['allUsers'] }] }, /^allUsers cannot be granted roles on projects/],
    ['an unknown user', { bindings: [{ role: 'roles/viewer', members: ['user:nobody@example.com'] }] }, /^User nobody@example.com does not exist\.$/],
    ['an unknown group', { bindings: [{ role: 'roles/viewer', members: ['group:ghosts@example.com'] }] }, /^Group ghosts@example.com does not exist\.$/],
    ['an unknown service account', { bindings: [{ role: 'roles/viewer', members: ['serviceAccount:ghost@jit-host.iam.gserviceaccount.com'] }] }, /^Service account ghost@jit-host.iam.gserviceaccount.com does not exist\.$/],
    ['a new deleted principal', { bindings: [{ role: 'roles/viewer', members: ['deleted:user:old@example.com?uid=123'] }] }, /deleted principal can stay in a policy, but cannot be granted/],
    ['a custom role of another project', { bindings: [{ role: 'projects/staging-app/roles/deployer', members: ['user:alice@example.com'] }] }, /^Role projects\/staging-app\/roles\/deployer is not supported for this resource\.$/],
  ])('rejects %s with 400 and stores nothing', async (_, policy, message) => {
    const before = await readV3();
    const error = await expectGoogleError(write(policy), 400);
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toMatch(message);
    expect((await readV3()).etag).toBe(before.etag);
  });

  it('rejects making an outside user a project owner, as Google does (invitation required)', async () => {
    const before = await readV3('projects/jit-host');
    const owners = [{ role: 'roles/owner', members: ['user:admin@example.com', 'user:partner@partner.example'] }];
    const error = await expectGoogleError(write({ etag: before.etag, bindings: owners }, 'projects/jit-host'), 400);
    expect(error.message).toBe('Request contains an invalid argument.');
    expect((error as unknown as { details: unknown[] }).details).toEqual([
      { '@type': 'type.googleapis.com/google.cloudresourcemanager.v1.ProjectIamPolicyError', type: 'ORG_MUST_INVITE_EXTERNAL_OWNERS', member: 'user:partner@partner.example', role: 'roles/owner' },
    ]);
    const insiders = [{ role: 'roles/owner', members: ['user:admin@example.com', 'user:alice@example.com'] }];
    expect((await write({ etag: before.etag, bindings: insiders }, 'projects/jit-host')).data.bindings).toEqual(insiders);
  });

  it('rejects a request without a policy instead of storing an empty one', async () => {
    const before = await readV3();
    const error = await expectGoogleError(crm.projects.setIamPolicy({ resource: 'projects/prod-app', requestBody: {} }), 400);
    expect(error.message).toMatch(/has no policy/);
    expect((await readV3()).etag).toBe(before.etag);
  });

  it('rejects more than 1,500 principals, counting every occurrence', async () => {
    const members = Array.from({ length: 750 }, (_, i) => `user:user${i}@example.com`);
    const atLimit = [
      { role: 'roles/compute.viewer', members },
      { role: 'roles/storage.objectViewer', members },
    ];
    // 1,500 occurrences pass the limit check and then fail on the unknown users, not on the count.
    expect((await expectGoogleError(write({ bindings: atLimit }), 400)).message).toMatch(/does not exist/);
    const error = await expectGoogleError(write({ bindings: [...atLimit, { role: 'roles/viewer', members: ['user:alice@example.com'] }] }), 400);
    expect(error.message).toBe('The number of members in the policy (1,501) is larger than the maximum allowed size 1,500.');
  });

  it('rejects more than 250 group principals', async () => {
    const groups = Array.from({ length: 251 }, (_, i) => `group:team${i}@example.com`);
    const error = await expectGoogleError(write({ bindings: [{ role: 'roles/viewer', members: groups }] }), 400);
    expect(error.message).toBe('The number of group members in the policy (251) is larger than the maximum allowed size 250.');
  });

  it('accepts 20 conditional bindings for one role and principal, and rejects 21', async () => {
    const windows = (count: number) =>
      Array.from({ length: count }, (_, i) => activation('user:alice@example.com', `request.time < timestamp("2030-01-${String(i + 1).padStart(2, '0')}T00:00:00Z")`));
    const base = [{ role: 'roles/owner', members: ['user:admin@example.com'] }];
    expect((await write({ version: 3, bindings: [...base, ...windows(20)] })).data.bindings).toHaveLength(21);
    const error = await expectGoogleError(write({ version: 3, bindings: [...base, ...windows(21)] }), 400);
    expect(error.message).toMatch(/^Member user:alice@example.com has more than 20 conditional bindings for role roles\/compute.admin/);
  });

  it('rejects unknown JSON fields at any depth', async () => {
    const top = await expectGoogleError(crm.projects.setIamPolicy({ resource: 'projects/prod-app', requestBody: { policy: {}, force: true } as never }), 400);
    expect(top.message).toMatch(/Unknown name "force"/);
    const deep = await expectGoogleError(write({ version: 3, bindings: [{ ...activation(), condition: { title: 't', expression: ACTIVATION, ttl: '1h' } as never }] }), 400);
    expect(deep.message).toMatch(/Unknown name "ttl" at 'policy.bindings.0.condition'/);
  });

  it('rejects unknown query parameters', async () => {
    const error = await expectGoogleError(crm.projects.setIamPolicy({ resource: 'projects/prod-app', requestBody: { policy: {} }, validateOnly: true } as never), 400);
    expect(error.message).toMatch(/Unknown name "validateOnly"/);
  });

  it('answers 403 naming resourcemanager.projects.setIamPolicy when the caller lacks it', async () => {
    const before = await readV3();
    const error = await expectGoogleError(mallory.projects.setIamPolicy({ resource: 'projects/prod-app', requestBody: { policy: { version: 3, etag: before.etag, bindings: before.bindings } } }), 403);
    expect(error.message).toBe(deniedMessage('resourcemanager.projects.setIamPolicy', 'projects/prod-app'));
    expect((await readV3()).etag).toBe(before.etag);
  });

  it('sets folder and organization policies with their own permissions', async () => {
    const folder = (await admin.folders.getIamPolicy({ resource: 'folders/200000000002', requestBody: { options: { requestedPolicyVersion: 3 } } })).data;
    const { data } = await admin.folders.setIamPolicy({
      resource: 'folders/200000000002',
      requestBody: { policy: { version: 3, etag: folder.etag, bindings: [{ role: 'roles/cloudsql.viewer', members: ['user:frank@example.com'], condition: { title: 'Eligible', expression: 'has({}.jitAccessConstraint)' } }] } },
    });
    expect(data.version).toBe(3);
    const error = await expectGoogleError(crm.folders.setIamPolicy({ resource: 'folders/200000000002', requestBody: { policy: {} } }), 403);
    expect(error.message).toBe(deniedMessage('resourcemanager.folders.setIamPolicy', 'folders/200000000002'));
    const organization = (await admin.organizations.getIamPolicy({ resource: 'organizations/100000000001' })).data;
    const written = await admin.organizations.setIamPolicy({ resource: 'organizations/100000000001', requestBody: { policy: { etag: organization.etag, bindings: organization.bindings } } });
    expect(written.data.etag).not.toBe(organization.etag);
  });
});

describe('testIamPermissions', () => {
  it('returns the subset of permissions the caller holds', async () => {
    const { data } = await crm.projects.testIamPermissions({
      resource: 'projects/prod-app',
      requestBody: { permissions: ['resourcemanager.projects.get', 'resourcemanager.projects.setIamPolicy', 'resourcemanager.projects.delete'] },
    });
    expect(data.permissions).toEqual(['resourcemanager.projects.get', 'resourcemanager.projects.setIamPolicy']);
    expect((await mallory.projects.testIamPermissions({ resource: 'projects/prod-app', requestBody: { permissions: ['resourcemanager.projects.setIamPolicy'] } })).data).toEqual({});
  });

  it('rejects wildcards with 400 and missing resources with 403', async () => {
    const wildcard = await expectGoogleError(crm.projects.testIamPermissions({ resource: 'projects/prod-app', requestBody: { permissions: ['resourcemanager.*'] } }), 400);
    expect(wildcard.message).toMatch(/wildcards/);
    await expectGoogleError(crm.folders.testIamPermissions({ resource: 'folders/299999999999', requestBody: { permissions: ['resourcemanager.folders.get'] } }), 403);
  });
});

describe('call counting', () => {
  it('counts calls per method name', async () => {
    emulator.state.calls.clear();
    await crm.projects.get({ name: 'projects/prod-app' });
    await readV3();
    await readV3();
    expect(emulator.state.calls.get('cloudresourcemanager.projects.get')).toBe(1);
    expect(emulator.state.calls.get('cloudresourcemanager.projects.getIamPolicy')).toBe(2);
  });
});
