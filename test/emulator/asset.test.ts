// The Cloud Asset emulation, driven through the googleapis REST client the service uses.
import type { cloudasset_v1 } from 'googleapis/build/src/apis/cloudasset/v1';
import type { RunningEmulator } from '../../emulator/server';
import { expectGoogleError, googleClients, startTestEmulator } from '../support/emulator';

const ORG = 'organizations/100000000001';
const ENGINEERING = 'folders/200000000001';
const PLATFORM = 'folders/200000000002';
const full = (name: string) => `//cloudresourcemanager.googleapis.com/${name}`;
const HOUR_MS = 3_600_000;

/** A small organization: eligible bindings on a folder and a project, an active and an expired activation. */
function world(): string {
  const start = new Date(Date.now() - HOUR_MS).toISOString();
  const end = new Date(Date.now() + HOUR_MS).toISOString();
  // Security Command Center premium: this file runs more analyses than the free tier's 20 a day (see quotas.test.ts).
  return `
organization: { id: "100000000001", domain: example.com, securityCommandCenter: premium }
folders:
  - { id: "200000000001", displayName: engineering, parent: ${ORG} }
  - { id: "200000000002", displayName: platform, parent: ${ENGINEERING} }
projects:
  - { id: prod-app, number: "300000000001", parent: ${PLATFORM}, labels: { env: prod } }
  - { id: staging-app, number: "300000000002", parent: ${PLATFORM} }
  - { id: old-prototype, number: "300000000003", parent: ${ENGINEERING}, state: DELETE_REQUESTED }
  - { id: finance-ledger, number: "300000000004", parent: ${ORG} }
users: [ alice@example.com, bob@example.com, mallory@example.com ]
groups:
  - { email: sre@example.com, members: [ user:alice@example.com, group:oncall@example.com ] }
  - { email: oncall@example.com, members: [ user:bob@example.com ] }
serviceAccounts: [ jitaccess@jit-host.iam.gserviceaccount.com ]
callers: { mallory-token: user:mallory@example.com }
iam:
  ${ORG}:
    - { role: roles/cloudasset.viewer, members: [ "serviceAccount:jitaccess@jit-host.iam.gserviceaccount.com" ] }
    - { role: roles/browser, members: [ group:sre@example.com ] }
  ${ENGINEERING}:
    - role: roles/compute.viewer
      members: [ group:sre@example.com ]
      condition: { title: Eligible for JIT access, expression: "has({}.jitAccessConstraint)" }
  projects/prod-app:
    - { role: roles/viewer, members: [ group:oncall@example.com, group:auditors@partner.com, group:ghost@example.com ] }
    - role: roles/compute.admin
      members: [ group:sre@example.com ]
      condition: { title: Peer approval, expression: "has({}.multiPartyApprovalConstraint)" }
    - role: roles/storage.objectAdmin
      members: [ group:oncall@example.com ]
      condition: { title: Log bucket only, expression: 'has({}.jitAccessConstraint) && resource.name.startsWith("projects/_/buckets/prod-logs")' }
    - role: roles/cloudsql.admin
      members: [ user:alice@example.com ]
      condition: { title: JIT access activation, expression: '(request.time >= timestamp("${start}") && request.time < timestamp("${end}"))' }
    - role: roles/compute.viewer
      members: [ user:bob@example.com ]
      condition: { title: JIT access activation, expression: '(request.time >= timestamp("2024-01-10T09:00:00Z") && request.time < timestamp("2024-01-10T10:00:00Z"))' }
  projects/staging-app:
    - { role: roles/compute.admin, members: [ user:bob.alice@example.com ] }
`;
}

let emulator: RunningEmulator;
let asset: cloudasset_v1.Cloudasset;

beforeAll(async () => {
  emulator = await startTestEmulator(world());
  asset = googleClients(emulator).asset;
});
afterAll(() => emulator.close());

/** Calls the analyzer as jit-access does: accessTime = now and an execution timeout. */
async function analyze(params: cloudasset_v1.Params$Resource$V1$Analyzeiampolicy) {
  const { data } = await asset.v1.analyzeIamPolicy({
    scope: ORG,
    'analysisQuery.conditionContext.accessTime': new Date().toISOString(),
    executionTimeout: '20s',
    ...params,
  });
  return data;
}

/** [role, where the policy is attached, evaluation] per result. */
function summary(analysis: cloudasset_v1.Schema$IamPolicyAnalysis) {
  return (analysis.analysisResults ?? []).map((r) => [r.iamBinding!.role, r.attachedResourceFullName, r.accessControlLists![0].conditionEvaluation?.evaluationValue]);
}

async function rawGet(path: string, token = 'test-token') {
  const res = await fetch(`${emulator.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as { error?: { message: string; status: string } } };
}

describe('analyzeIamPolicy', () => {
  test('evaluates conditions and includes bindings inherited from the folder and the organization', async () => {
    const before = emulator.state.calls.get('cloudasset.analyzeIamPolicy') ?? 0;
    const data = await analyze({
      'analysisQuery.identitySelector.identity': 'user:alice@example.com',
      'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app'),
    });
    const main = data.mainAnalysis!;
    expect(summary(main)).toEqual([
      ['roles/compute.admin', full('projects/prod-app'), 'CONDITIONAL'],
      ['roles/cloudsql.admin', full('projects/prod-app'), 'TRUE'],
      ['roles/compute.viewer', full(ENGINEERING), 'CONDITIONAL'],
      ['roles/browser', full(ORG), undefined],
    ]);
    for (const r of main.analysisResults!) {
      expect(r.accessControlLists![0].resources).toEqual([{ fullResourceName: full('projects/prod-app') }]);
      expect(r.accessControlLists![0].accesses).toEqual([{ role: r.iamBinding!.role }]);
      expect(r.identityList!.identities).toEqual([{ name: 'user:alice@example.com' }]);
    }
    expect(Object.keys(main.analysisResults![3].accessControlLists![0])).not.toContain('conditionEvaluation');
    expect(main.analysisResults![0].iamBinding).toEqual({
      role: 'roles/compute.admin',
      members: ['group:sre@example.com'],
      condition: { title: 'Peer approval', expression: 'has({}.multiPartyApprovalConstraint)' },
    });
    expect(main.fullyExplored).toBe(true);
    expect(main.nonCriticalErrors).toBeUndefined();
    expect(data.fullyExplored).toBe(true);
    expect(main.analysisQuery!.identitySelector).toEqual({ identity: 'user:alice@example.com' });
    expect(emulator.state.calls.get('cloudasset.analyzeIamPolicy')).toBe(before + 1);
  });

  test('finds a member of a nested group through the identity selector, with FALSE for an expired activation', async () => {
    const data = await analyze({
      'analysisQuery.identitySelector.identity': 'user:bob@example.com',
      'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app'),
      'analysisQuery.options.outputGroupEdges': true,
    });
    const main = data.mainAnalysis!;
    expect(summary(main)).toEqual([
      ['roles/viewer', full('projects/prod-app'), undefined],
      ['roles/compute.admin', full('projects/prod-app'), 'CONDITIONAL'],
      ['roles/storage.objectAdmin', full('projects/prod-app'), 'CONDITIONAL'],
      ['roles/compute.viewer', full('projects/prod-app'), 'FALSE'],
      ['roles/compute.viewer', full(ENGINEERING), 'CONDITIONAL'],
      ['roles/browser', full(ORG), undefined],
    ]);
    const inherited = main.analysisResults![4];
    expect(inherited.identityList).toEqual({
      identities: [{ name: 'user:bob@example.com' }],
      groupEdges: [
        { sourceNode: 'group:sre@example.com', targetNode: 'group:oncall@example.com' },
        { sourceNode: 'group:oncall@example.com', targetNode: 'user:bob@example.com' },
      ],
    });
  });

  test('without an access time, a time-bound activation stays CONDITIONAL', async () => {
    const { data } = await asset.v1.analyzeIamPolicy({
      scope: ORG,
      'analysisQuery.identitySelector.identity': 'user:alice@example.com',
      'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app'),
      'analysisQuery.accessSelector.roles': ['roles/cloudsql.admin'],
    });
    expect(summary(data.mainAnalysis!)).toEqual([['roles/cloudsql.admin', full('projects/prod-app'), 'CONDITIONAL']]);
  });

  test('analyses only the policies within the scope', async () => {
    const data = await analyze({
      scope: 'projects/300000000001',
      'analysisQuery.identitySelector.identity': 'user:alice@example.com',
      'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app'),
    });
    expect(summary(data.mainAnalysis!).map(([role, attached]) => [role, attached])).toEqual([
      ['roles/compute.admin', full('projects/prod-app')],
      ['roles/cloudsql.admin', full('projects/prod-app')],
    ]);
  });

  test('expandGroups lists the users of nested groups', async () => {
    const data = await analyze({
      'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app'),
      'analysisQuery.accessSelector.roles': ['roles/compute.admin'],
      'analysisQuery.options.expandGroups': true,
    });
    const main = data.mainAnalysis!;
    expect(main.analysisResults).toHaveLength(1);
    expect(main.analysisResults![0].identityList!.identities!.map((i) => i.name)).toEqual([
      'group:sre@example.com',
      'user:alice@example.com',
      'group:oncall@example.com',
      'user:bob@example.com',
    ]);
    expect(main.fullyExplored).toBe(true);
  });

  test('reports groups it cannot expand as non-critical errors', async () => {
    const data = await analyze({
      'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app'),
      'analysisQuery.accessSelector.roles': ['roles/viewer'],
      'analysisQuery.options.expandGroups': true,
    });
    const main = data.mainAnalysis!;
    const identities = main.analysisResults![0].identityList!.identities!;
    expect(identities.find((i) => i.name === 'user:bob@example.com')).toEqual({ name: 'user:bob@example.com' });
    expect(identities.find((i) => i.name === 'group:auditors@partner.com')?.analysisState?.code).toBe('PERMISSION_DENIED');
    expect(identities.find((i) => i.name === 'group:ghost@example.com')?.analysisState?.code).toBe('NOT_FOUND');
    expect(main.nonCriticalErrors!.map((e) => e.code)).toEqual(['PERMISSION_DENIED', 'NOT_FOUND']);
    expect(main.nonCriticalErrors![0].cause).toContain('group:auditors@partner.com');
    expect(main.fullyExplored).toBeFalsy();
    expect(main.analysisResults![0].fullyExplored).toBeFalsy();
    expect(data.fullyExplored).toBeFalsy();
  });

  test('cannot see into a group of another organization: not expanded, and not matched for its members', async () => {
    const w = world().replace(
      '  - { email: oncall@example.com, members: [ user:bob@example.com ] }',
      '  - { email: oncall@example.com, members: [ user:bob@example.com ] }\n  - { email: partners@other.example, external: true, members: [ user:mallory@example.com ] }',
    ).replace('  projects/staging-app:\n', '  projects/staging-app:\n    - { role: roles/pubsub.viewer, members: [ group:partners@other.example ] }\n');
    const other = await startTestEmulator(w);
    try {
      const client = googleClients(other).asset;
      const expanded = await client.v1.analyzeIamPolicy({
        scope: ORG,
        'analysisQuery.resourceSelector.fullResourceName': full('projects/staging-app'),
        'analysisQuery.accessSelector.roles': ['roles/pubsub.viewer'],
        'analysisQuery.options.expandGroups': true,
      });
      const main = expanded.data.mainAnalysis!;
      expect(main.analysisResults![0].identityList!.identities).toEqual([
        { name: 'group:partners@other.example', analysisState: { code: 'PERMISSION_DENIED', cause: expect.stringContaining('another organization') } },
      ]);
      expect(main.nonCriticalErrors!.map((e) => e.code)).toEqual(['PERMISSION_DENIED']);
      const mallory = await client.v1.analyzeIamPolicy({ scope: ORG, 'analysisQuery.identitySelector.identity': 'user:mallory@example.com' });
      expect(mallory.data.mainAnalysis!.analysisResults).toBeUndefined();
    } finally {
      await other.close();
    }
  });

  test('matches permissions through the roles that include them, and expands resources below the binding', async () => {
    const data = await analyze({
      'analysisQuery.identitySelector.identity': 'user:alice@example.com',
      'analysisQuery.accessSelector.permissions': ['resourcemanager.projects.get'],
      'analysisQuery.options.expandResources': true,
    });
    const results = data.mainAnalysis!.analysisResults!;
    // Every role alice holds or is eligible for includes it; roles/cloudasset.viewer (the service's) is not hers.
    expect(summary(data.mainAnalysis!)).toEqual([
      ['roles/browser', full(ORG), undefined],
      ['roles/compute.viewer', full(ENGINEERING), 'CONDITIONAL'],
      ['roles/compute.admin', full('projects/prod-app'), 'CONDITIONAL'],
      ['roles/cloudsql.admin', full('projects/prod-app'), 'TRUE'],
    ]);
    expect(results[0].accessControlLists![0].accesses).toEqual([{ permission: 'resourcemanager.projects.get' }]);
    expect(results[0].accessControlLists![0].resources!.map((r) => r.fullResourceName)).toEqual(
      [ORG, ENGINEERING, PLATFORM, 'projects/prod-app', 'projects/staging-app', 'projects/old-prototype', 'projects/finance-ledger'].map(full),
    );
    // A permission no role in emulator/permissions.ts includes matches nothing.
    expect((await analyze({ 'analysisQuery.identitySelector.identity': 'user:alice@example.com', 'analysisQuery.accessSelector.permissions': ['spanner.databases.drop'] })).mainAnalysis!.analysisResults).toBeUndefined();
  });

  test('expands at most 1,000 resources per binding, then reports the result as not fully explored', async () => {
    const projects = Array.from({ length: 1000 }, (_, i) => `  - { id: bulk-${String(i).padStart(4, '0')}, number: "${310000000000 + i}", parent: ${ENGINEERING} }`).join('\n');
    const big = await startTestEmulator(world().replace('projects:\n', `projects:\n${projects}\n`));
    try {
      const { data } = await googleClients(big).asset.v1.analyzeIamPolicy({
        scope: ORG,
        'analysisQuery.identitySelector.identity': 'user:alice@example.com',
        'analysisQuery.accessSelector.roles': ['roles/compute.viewer'],
        'analysisQuery.options.expandResources': true,
      });
      const main = data.mainAnalysis!;
      const result = main.analysisResults!.find((r) => r.attachedResourceFullName === full(ENGINEERING))!;
      expect(result.accessControlLists![0].resources).toHaveLength(1000);
      expect(result.fullyExplored).toBeFalsy();
      expect(main.nonCriticalErrors).toEqual([{ code: 'RESOURCE_EXHAUSTED', cause: expect.stringContaining('stopped at 1000 of 1005 resources') }]);
      expect(main.fullyExplored).toBeFalsy();
      expect(data.fullyExplored).toBeFalsy();
      // Without expansion the same query is complete.
      const narrow = await googleClients(big).asset.v1.analyzeIamPolicy({ scope: ORG, 'analysisQuery.identitySelector.identity': 'user:alice@example.com', 'analysisQuery.accessSelector.roles': ['roles/compute.viewer'] });
      expect(narrow.data.fullyExplored).toBe(true);
    } finally {
      await big.close();
    }
  });

  test('expands at most 1,000 members per group, then reports the result as not fully explored', async () => {
    const members = Array.from({ length: 1003 }, (_, i) => `user:bulk-${String(i).padStart(4, '0')}@example.com`);
    const big = await startTestEmulator(
      world()
        .replace('users: [ alice@example.com,', `users: [ ${members.map((m) => m.slice('user:'.length)).join(', ')}, alice@example.com,`)
        .replace('groups:\n', `groups:\n  - { email: everyone@example.com, members: [ ${members.join(', ')}, group:oncall@example.com ] }\n`)
        .replace('  projects/staging-app:\n', '  projects/staging-app:\n    - { role: roles/browser, members: [ group:everyone@example.com ] }\n'),
    );
    try {
      const { data } = await googleClients(big).asset.v1.analyzeIamPolicy({
        scope: ORG,
        'analysisQuery.resourceSelector.fullResourceName': full('projects/staging-app'),
        'analysisQuery.accessSelector.roles': ['roles/browser'],
        'analysisQuery.options.expandGroups': true,
      });
      const main = data.mainAnalysis!;
      const result = main.analysisResults!.find((r) => r.attachedResourceFullName === full('projects/staging-app'))!;
      const names = result.identityList!.identities!.map((i) => i.name);
      // The group itself, then its first 1,000 members: the 1,001st and the nested group are cut off.
      expect(names).toHaveLength(1001);
      expect(names).toContain('user:bulk-0999@example.com');
      expect(names).not.toContain('user:bulk-1000@example.com');
      expect(names).not.toContain('user:bob@example.com');
      expect(result.identityList!.identities![0]).toEqual({ name: 'group:everyone@example.com', analysisState: { code: 'RESOURCE_EXHAUSTED', cause: expect.stringContaining('stopped at 1000 of 1004 members') } });
      expect(result.fullyExplored).toBeFalsy();
      expect(main.nonCriticalErrors).toEqual([{ code: 'RESOURCE_EXHAUSTED', cause: expect.stringContaining('group:everyone@example.com') }]);
      expect(data.fullyExplored).toBeFalsy();
      // A group within the cap is expanded in full.
      const sre = await googleClients(big).asset.v1.analyzeIamPolicy({
        scope: ORG,
        'analysisQuery.resourceSelector.fullResourceName': full('projects/prod-app'),
        'analysisQuery.accessSelector.roles': ['roles/compute.admin'],
        'analysisQuery.options.expandGroups': true,
      });
      expect(sre.data.mainAnalysis!.analysisResults![0].fullyExplored).toBe(true);
    } finally {
      await big.close();
    }
  });

  test('outputs resource edges from the attached folder down to the expanded resources', async () => {
    const data = await analyze({
      'analysisQuery.identitySelector.identity': 'user:alice@example.com',
      'analysisQuery.accessSelector.roles': ['roles/compute.viewer'],
      'analysisQuery.options.expandResources': true,
      'analysisQuery.options.outputResourceEdges': true,
    });
    const acl = data.mainAnalysis!.analysisResults![0].accessControlLists![0];
    expect(acl.resourceEdges).toEqual(
      expect.arrayContaining([
        { sourceNode: full(ENGINEERING), targetNode: full(PLATFORM) },
        { sourceNode: full(PLATFORM), targetNode: full('projects/prod-app') },
        { sourceNode: full(ENGINEERING), targetNode: full('projects/old-prototype') },
      ]),
    );
    expect(acl.resourceEdges).toHaveLength(4);
  });

  test('accepts the same query as a JSON POST, rejecting unknown fields', async () => {
    const post = (body: object) =>
      fetch(`${emulator.url}/v1/${ORG}:analyzeIamPolicy`, {
        method: 'POST',
        headers: { authorization: 'Bearer test-token', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await post({
      analysisQuery: {
        identitySelector: { identity: 'user:alice@example.com' },
        resourceSelector: { fullResourceName: full('projects/prod-app') },
        accessSelector: { roles: ['roles/cloudsql.admin'] },
        conditionContext: { accessTime: new Date().toISOString() },
      },
    });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as cloudasset_v1.Schema$AnalyzeIamPolicyResponse;
    expect(summary(body.mainAnalysis!)).toEqual([['roles/cloudsql.admin', full('projects/prod-app'), 'TRUE']]);

    const bad = await post({ analysisQuery: { identitySelector: { identity: 'user:alice@example.com', kind: 'x' } } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('Unknown name "kind"');
  });

  test.each([
    [
      'expandGroups with an identity selector',
      { 'analysisQuery.identitySelector.identity': 'user:alice@example.com', 'analysisQuery.options.expandGroups': true },
      'expandGroups',
    ],
    [
      'expandRoles with an access selector',
      { 'analysisQuery.identitySelector.identity': 'user:alice@example.com', 'analysisQuery.accessSelector.roles': ['roles/viewer'], 'analysisQuery.options.expandRoles': true },
      'expandRoles',
    ],
    [
      'expandResources on a folder',
      { 'analysisQuery.resourceSelector.fullResourceName': full(ENGINEERING), 'analysisQuery.options.expandResources': true },
      'project or lower',
    ],
    ['an access time in the past', { 'analysisQuery.identitySelector.identity': 'user:alice@example.com', 'analysisQuery.conditionContext.accessTime': '2024-01-01T00:00:00Z' }, 'in the past'],
    ['an unknown resource', { 'analysisQuery.resourceSelector.fullResourceName': full('projects/no-such-project') }, 'does not exist'],
    ['a resource outside the scope', { scope: PLATFORM, 'analysisQuery.resourceSelector.fullResourceName': full('projects/finance-ledger') }, 'not within the scope'],
    ['neither an identity nor a resource', { 'analysisQuery.accessSelector.roles': ['roles/viewer'] }, 'needs'],
    ['a wildcard identity', { 'analysisQuery.identitySelector.identity': 'user:*@example.com' }, 'wildcards'],
  ])('rejects %s with 400', async (_, params, words) => {
    const error = await expectGoogleError(analyze(params as cloudasset_v1.Params$Resource$V1$Analyzeiampolicy), 400);
    expect(error.status).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(words);
  });

  test('rejects the parameter names google-gax REST fallback sends (analysisQuery. prefix dropped)', async () => {
    // The request @google-cloud/asset 6 sends with `fallback: true` (see stack-notes §3).
    const { status, body } = await rawGet(
      `/v1/${ORG}:analyzeIamPolicy?identitySelector.identity=user%3Aalice%40example.com&options.expandResources=false` +
        `&conditionContext.accessTime=${encodeURIComponent(new Date().toISOString())}&executionTimeout=30s&$alt=json%3Benum-encoding=int`,
    );
    expect(status).toBe(400);
    expect(body.error!.status).toBe('INVALID_ARGUMENT');
    expect(body.error!.message).toContain('Cannot bind query parameter');
    expect(body.error!.message).toContain('identitySelector.identity');
  });

  test('denies a caller without the permission on the scope, naming it', async () => {
    const { asset: asMallory } = googleClients(emulator, 'mallory-token');
    const error = await expectGoogleError(
      asMallory.v1.analyzeIamPolicy({ scope: ORG, 'analysisQuery.identitySelector.identity': 'user:mallory@example.com' }),
      403,
    );
    expect(error.status).toBe('PERMISSION_DENIED');
    expect(error.message).toContain('cloudasset.assets.analyzeIamPolicy');
  });
});

describe('effectiveIamPolicies.batchGet', () => {
  test('returns the policies from the resource up to the scope, in request order', async () => {
    const { data } = await asset.effectiveIamPolicies.batchGet({ scope: ORG, names: [full('projects/prod-app'), full('projects/300000000004')] });
    const [prod, ledger] = data.policyResults!;
    expect(prod.fullResourceName).toBe(full('projects/prod-app'));
    // The platform folder has no policy, so it is skipped.
    expect(prod.policies!.map((p) => p.attachedResource)).toEqual([full('projects/prod-app'), full(ENGINEERING), full(ORG)]);
    expect(prod.policies![0].policy!.version).toBe(3);
    expect(prod.policies![0].policy!.etag).toBe(emulator.state.policies.get('projects/prod-app')!.etag);
    expect(prod.policies![0].policy!.bindings).toHaveLength(5);
    expect(ledger.fullResourceName).toBe(full('projects/300000000004'));
    expect(ledger.policies!.map((p) => p.attachedResource)).toEqual([full(ORG)]);

    const folderScoped = await asset.effectiveIamPolicies.batchGet({ scope: ENGINEERING, names: [full('projects/prod-app')] });
    expect(folderScoped.data.policyResults![0].policies!.map((p) => p.attachedResource)).toEqual([full('projects/prod-app'), full(ENGINEERING)]);
  });

  test('answers 404 for an unknown resource', async () => {
    const error = await expectGoogleError(asset.effectiveIamPolicies.batchGet({ scope: ORG, names: [full('projects/no-such-project')] }), 404);
    expect(error.message).toContain('projects/no-such-project');
  });

  test('answers 400 for more than 20 names or a resource outside the scope', async () => {
    const tooMany = await expectGoogleError(asset.effectiveIamPolicies.batchGet({ scope: ORG, names: Array(21).fill(full('projects/prod-app')) }), 400);
    expect(tooMany.message).toContain('at most 20');
    const outside = await expectGoogleError(asset.effectiveIamPolicies.batchGet({ scope: PLATFORM, names: [full('projects/finance-ledger')] }), 400);
    expect(outside.message).toContain('not within the scope');
  });

  test('denies a caller without cloudasset.assets.analyzeIamPolicy', async () => {
    const error = await expectGoogleError(googleClients(emulator, 'mallory-token').asset.effectiveIamPolicies.batchGet({ scope: ORG, names: [full('projects/prod-app')] }), 403);
    expect(error.message).toContain('cloudasset.assets.analyzeIamPolicy');
  });
});

describe('searchAllIamPolicies', () => {
  const search = async (params: cloudasset_v1.Params$Resource$V1$Searchalliampolicies) => (await asset.v1.searchAllIamPolicies({ scope: ORG, ...params })).data;

  test('finds the bindings that name a principal, and only those', async () => {
    const data = await search({ query: 'policy:"user:alice@example.com"' });
    // user:bob.alice@example.com on staging-app does not match: the words must follow "user" in order.
    expect(data.results).toEqual([
      {
        resource: full('projects/prod-app'),
        assetType: 'cloudresourcemanager.googleapis.com/Project',
        project: 'projects/300000000001',
        folders: [PLATFORM, ENGINEERING],
        organization: ORG,
        policy: { bindings: [expect.objectContaining({ role: 'roles/cloudsql.admin', members: ['user:alice@example.com'] })] },
      },
    ]);
    expect(data.nextPageToken).toBeUndefined();
  });

  test('finds policies on projects, folders and the organization for any of a user’s principals', async () => {
    const data = await search({ query: 'policy:("user:alice@example.com" OR "group:sre@example.com" OR "group:oncall@example.com")' });
    const found = data.results!.map((r) => [r.resource, r.policy!.bindings!.map((b) => b.role)]);
    expect(found).toEqual([
      [full(ORG), ['roles/browser']],
      [full(ENGINEERING), ['roles/compute.viewer']],
      [full('projects/prod-app'), ['roles/viewer', 'roles/compute.admin', 'roles/storage.objectAdmin', 'roles/cloudsql.admin']],
    ]);
    const org = data.results![0];
    expect(org.project).toBeUndefined();
    expect(org.organization).toBe(ORG);
    expect(data.results![1].folders).toEqual([ENGINEERING]);

    // The folder hit expands to the projects below it.
    const projects = await asset.v1.searchAllResources({ scope: ENGINEERING, assetTypes: ['cloudresourcemanager.googleapis.com/Project'], query: 'state:ACTIVE' });
    expect(projects.data.results!.map((r) => r.name)).toEqual([full('projects/prod-app'), full('projects/staging-app')]);
  });

  test('matches roles, word prefixes, member types and exact resources', async () => {
    const roles = await search({ query: 'roles:roles/compute.admin' });
    expect(roles.results!.map((r) => [r.resource, r.policy!.bindings!.map((b) => b.role)])).toEqual([
      [full('projects/prod-app'), ['roles/compute.admin']],
      [full('projects/staging-app'), ['roles/compute.admin']],
    ]);
    const prefix = await search({ query: 'policy:comp* resource:prod-app' });
    expect(prefix.results!.flatMap((r) => r.policy!.bindings!.map((b) => b.role))).toEqual(['roles/compute.admin', 'roles/compute.viewer']);
    const serviceAccounts = await search({ query: 'memberTypes:serviceAccount' });
    expect(serviceAccounts.results!.map((r) => [r.resource, r.policy!.bindings!.map((b) => b.role)])).toEqual([[full(ORG), ['roles/cloudasset.viewer']]]);
    const exact = await search({ query: `resource=${full('projects/300000000001')}` });
    expect(exact.results!.map((r) => r.resource)).toEqual([full('projects/prod-app')]);
    expect(exact.results![0].policy!.bindings).toHaveLength(5);
  });

  test('pages with opaque tokens bound to the query', async () => {
    const all = await search({ pageSize: 500 });
    expect(all.results!.map((r) => r.resource)).toEqual([ORG, ENGINEERING, 'projects/prod-app', 'projects/staging-app'].map(full));
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await search({ pageSize: 1, pageToken });
      expect(page.results).toHaveLength(1);
      seen.push(page.results![0].resource!);
      pageToken = page.nextPageToken ?? undefined;
    } while (pageToken);
    expect(seen).toEqual(all.results!.map((r) => r.resource));

    const first = await search({ query: 'policy:compute', pageSize: 1 });
    expect(first.nextPageToken).toBeTruthy();
    const error = await expectGoogleError(search({ query: 'policy:viewer', pageSize: 1, pageToken: first.nextPageToken! }), 400);
    expect(error.message).toContain('pageToken');
  });

  test('allows up to 10 comparisons and 2,048 characters per query, counting each value of a list', async () => {
    const principals = (n: number) => Array.from({ length: n }, (_, i) => `"user:u${i}@example.com"`);
    expect((await search({ query: `policy:(${principals(9).join(' OR ')} OR "group:sre@example.com")` })).results).toHaveLength(3);
    const tooMany = await expectGoogleError(search({ query: `policy:(${principals(11).join(' OR ')})` }), 400);
    expect(tooMany).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringContaining('makes 11 comparisons; up to 10 comparisons can be made in a query, with a maximum of 2048 characters') });
    await expectGoogleError(search({ query: principals(11).map((p) => `policy:${p}`).join(' OR ') }), 400);
    const long = `policy:"user:${'a'.repeat(2040)}@example.com"`;
    expect((await expectGoogleError(search({ query: long }), 400)).message).toContain(`it is ${long.length} characters long`);
    await expectGoogleError(asset.v1.searchAllResources({ scope: ORG, query: principals(11).join(' OR ') }), 400);
  });

  test('restricts results to the asset types asked for', async () => {
    const projectsOnly = await search({ query: 'policy:"group:sre@example.com"', assetTypes: ['cloudresourcemanager.googleapis.com/Project'] });
    expect(projectsOnly.results!.map((r) => r.resource)).toEqual([full('projects/prod-app')]);
    const containers = await search({ query: 'policy:"group:sre@example.com"', assetTypes: ['cloudresourcemanager.googleapis.com/(Folder|Organization)'] });
    expect(containers.results!.map((r) => r.resource)).toEqual([full(ORG), full(ENGINEERING)]);
  });

  test('matches condition expressions but not condition titles, unless the world indexes titles', async () => {
    expect((await search({ query: 'policy:jitAccessConstraint' })).results!.map((r) => r.resource)).toEqual([full(ENGINEERING), full('projects/prod-app')]);
    expect(await search({ query: 'policy:"JIT access activation"' })).toEqual({});
    expect(await search({ query: '"Peer approval"' })).toEqual({});
    const indexed = await startTestEmulator(world().replace('callers:', 'assetInventory: { conditionTitlesIndexed: true }\ncallers:'));
    try {
      const found = await googleClients(indexed).asset.v1.searchAllIamPolicies({ scope: ORG, query: 'policy:"JIT access activation"' });
      expect(found.data.results!.flatMap((r) => r.policy!.bindings!.map((b) => b.role))).toEqual(['roles/cloudsql.admin', 'roles/compute.viewer']);
    } finally {
      await indexed.close();
    }
  });

  test('rejects an unknown field and denies a caller without the permission', async () => {
    const bad = await expectGoogleError(search({ query: 'owner:alice' }), 400);
    expect(bad.message).toContain('"owner" is not a searchable field');
    const denied = await expectGoogleError(googleClients(emulator, 'mallory-token').asset.v1.searchAllIamPolicies({ scope: ORG, query: 'policy:alice' }), 403);
    expect(denied.message).toContain('cloudasset.assets.searchAllIamPolicies');
  });
});

describe('searchAllResources', () => {
  test('lists projects by state', async () => {
    const active = await asset.v1.searchAllResources({ scope: ORG, assetTypes: ['cloudresourcemanager.googleapis.com/Project'], query: 'state:ACTIVE', orderBy: 'name' });
    expect(active.data.results!.map((r) => [r.name, r.project, r.state])).toEqual([
      [full('projects/finance-ledger'), 'projects/300000000004', 'ACTIVE'],
      [full('projects/prod-app'), 'projects/300000000001', 'ACTIVE'],
      [full('projects/staging-app'), 'projects/300000000002', 'ACTIVE'],
    ]);
    const deleted = await asset.v1.searchAllResources({ scope: ORG, assetTypes: ['cloudresourcemanager.googleapis.com/Project'], query: 'NOT state:ACTIVE' });
    expect(deleted.data.results!.map((r) => r.name)).toEqual([full('projects/old-prototype')]);
    const labelled = await asset.v1.searchAllResources({ scope: ORG, query: 'labels.env:prod' });
    expect(labelled.data.results!.map((r) => r.name)).toEqual([full('projects/prod-app')]);
  });

  test('rejects an asset type pattern that matches nothing it holds', async () => {
    const error = await expectGoogleError(asset.v1.searchAllResources({ scope: ORG, assetTypes: ['compute.googleapis.com/Instance'] }), 400);
    expect(error.message).toContain('compute.googleapis.com/Instance');
  });
});
