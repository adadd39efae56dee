// An edit with nothing to change (an expired binding the sweeper finds already gone, a grant ended twice)
// must not cost a setIamPolicy call.
import { PolicyWriter } from '../../../server/services/policy-writer';
import type { ResourceManager } from '../../../server/google/resource-manager';
import type { Policy } from '../../../server/domain/iam-policy';

function resourceManager() {
  const calls = { gets: 0, sets: 0 };
  const rm = {
    async getProjectPolicy(): Promise<Policy> {
      calls.gets++;
      return { version: 3, etag: 'e1', bindings: [{ role: 'roles/viewer', members: ['user:a@example.com'] }] };
    },
    async setProjectPolicy(_projectId: string, policy: Policy): Promise<Policy> {
      calls.sets++;
      return policy;
    },
  };
  return { rm: rm as unknown as ResourceManager, calls };
}

describe('PolicyWriter with edits that change nothing', () => {
  test('an edit handing back the policy it was given is read but not written', async () => {
    const { rm, calls } = resourceManager();
    await new PolicyWriter(rm).apply('p', (policy) => policy, 'nothing to do');
    expect(calls).toEqual({ gets: 1, sets: 0 });
  });

  test('a batch is written when any of its edits changed the policy', async () => {
    const { rm, calls } = resourceManager();
    const writer = new PolicyWriter(rm);
    await Promise.all([
      writer.apply('p', (policy) => policy, 'nothing to do'),
      writer.apply('p', (policy) => ({ ...policy, bindings: [] }), 'remove all'),
    ]);
    expect(calls).toEqual({ gets: 1, sets: 1 });
  });
});
