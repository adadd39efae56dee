// Asset Inventory's lag: IAM changes reach search, effective policies and the analyzer only after it.
import type { RunningEmulator } from '../../emulator/server';
import { googleClients, startTestEmulator } from '../support/emulator';

const ORG = 'organizations/100000000001';
const full = (name: string) => `//cloudresourcemanager.googleapis.com/${name}`;

const world = (assetInventory: string) => `
organization: { id: "100000000001", domain: example.com }
projects: [ { id: prod-app, number: "300000000001", parent: ${ORG} } ]
users: [ alice@example.com, bob@example.com ]
serviceAccounts: [ jitaccess@jit-host.iam.gserviceaccount.com ]
${assetInventory}
iam:
  ${ORG}:
    - { role: roles/cloudasset.viewer, members: [ "serviceAccount:jitaccess@jit-host.iam.gserviceaccount.com" ] }
    - { role: roles/resourcemanager.projectIamAdmin, members: [ "serviceAccount:jitaccess@jit-host.iam.gserviceaccount.com" ] }
  projects/prod-app:
    - { role: roles/viewer, members: [ user:alice@example.com ] }
`;

async function control(emulator: RunningEmulator, path: string, body: unknown, method = 'POST') {
  const res = await fetch(`${emulator.url}/_emulator/${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

/** Grants bob roles/compute.viewer on prod-app, and what Asset Inventory then shows of it. */
async function grantAndLook(emulator: RunningEmulator) {
  const { crm, asset } = googleClients(emulator);
  const policy = (await crm.projects.getIamPolicy({ resource: 'projects/prod-app', requestBody: {} })).data;
  const written = await crm.projects.setIamPolicy({
    resource: 'projects/prod-app',
    requestBody: { policy: { ...policy, bindings: [...policy.bindings!, { role: 'roles/compute.viewer', members: ['user:bob@example.com'] }] } },
  });
  const look = async () => ({
    search: ((await asset.v1.searchAllIamPolicies({ scope: ORG, query: 'policy:"user:bob@example.com"' })).data.results ?? []).length,
    etag: (await asset.effectiveIamPolicies.batchGet({ scope: ORG, names: [full('projects/prod-app')] })).data.policyResults![0].policies![0].policy!.etag,
    analyzed: ((await asset.v1.analyzeIamPolicy({ scope: ORG, 'analysisQuery.identitySelector.identity': 'user:bob@example.com' })).data.mainAnalysis!.analysisResults ?? []).length,
  });
  return { before: policy.etag, after: written.data.etag, look };
}

test('without lag (the default) Asset sees a change at once', async () => {
  const emulator = await startTestEmulator(world(''));
  try {
    const { after, look } = await grantAndLook(emulator);
    expect(await look()).toEqual({ search: 1, etag: after, analyzed: 1 });
  } finally {
    await emulator.close();
  }
});

test('with the world’s lag, search, batchGet and the analyzer see the policy as it was until the lag has passed', async () => {
  const emulator = await startTestEmulator(world('assetInventory: { lagSeconds: 300 }'));
  try {
    const { before, after, look } = await grantAndLook(emulator);
    expect(await look()).toEqual({ search: 0, etag: before, analyzed: 0 });
    await control(emulator, 'clock', { advanceSeconds: 290 });
    expect((await look()).etag).toBe(before);
    await control(emulator, 'clock', { advanceSeconds: 11 });
    expect(await look()).toEqual({ search: 1, etag: after, analyzed: 1 });
  } finally {
    await emulator.close();
  }
});

test('the faults set and clear the lag at run time', async () => {
  const emulator = await startTestEmulator(world(''));
  try {
    await control(emulator, 'faults', { assetLagSeconds: 120 });
    const { before, after, look } = await grantAndLook(emulator);
    expect((await look()).etag).toBe(before);
    await control(emulator, 'faults', {}, 'DELETE');
    expect((await look()).etag).toBe(after);
  } finally {
    await emulator.close();
  }
});
