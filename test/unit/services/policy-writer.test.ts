import { PolicyWriter, DEFAULT_RETRY, type RetryPolicy } from '../../../server/services/policy-writer';
import type { ResourceManager } from '../../../server/google/resource-manager';
import type { Policy } from '../../../server/domain/iam-policy';
import { AppError } from '../../../server/errors';

/** An in-memory project policy with etags, behaving like Resource Manager for these tests. */
class FakeResourceManager {
  policy: Policy = { version: 3, etag: 'e0', bindings: [] };
  revision = 0;
  gets = 0;
  sets = 0;
  conflictsLeft = 0;
  conflictStatus = 409;
  rejectRole?: string;
  reasons: string[] = [];

  async getProjectPolicy(): Promise<Policy> {
    this.gets++;
    return structuredClone(this.policy);
  }

  async setProjectPolicy(_projectId: string, policy: Policy, reason: string): Promise<Policy> {
    this.sets++;
    this.reasons.push(reason);
    if (this.conflictsLeft > 0) {
      this.conflictsLeft--;
      throw Object.assign(new Error('conflict'), { response: { status: this.conflictStatus } });
    }
    if (policy.etag !== this.policy.etag) throw Object.assign(new Error('stale'), { response: { status: 409 } });
    if (this.rejectRole && policy.bindings?.some((b) => b.role === this.rejectRole)) {
      throw Object.assign(new Error('Role not supported'), { response: { status: 400, data: { error: { message: 'Role x is not supported for this resource.' } } } });
    }
    this.policy = { ...structuredClone(policy), etag: `e${++this.revision}` };
    return this.policy;
  }
}

const add = (role: string) => (p: Policy): Policy => ({ ...p, bindings: [...(p.bindings ?? []), { role, members: ['user:a@example.com'] }] });

function writerWith(rm: FakeResourceManager, retry: Partial<RetryPolicy> = {}, sleeps: number[] = []) {
  return new PolicyWriter(rm as unknown as ResourceManager, { ...DEFAULT_RETRY, ...retry }, async (ms) => {
    sleeps.push(ms);
  });
}

describe('PolicyWriter', () => {
  test('edits submitted together are written in one read-modify-write', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    await Promise.all(['roles/a', 'roles/b', 'roles/c'].map((r) => writer.apply('p', add(r), `grant ${r}`)));
    expect(rm.sets).toBe(1);
    expect(rm.policy.bindings!.map((b) => b.role)).toEqual(['roles/a', 'roles/b', 'roles/c']);
    expect(rm.reasons[0]).toContain('3 just-in-time access changes');
  });

  test('edits arriving during a write go into the next batch, none lost', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    const first = writer.apply('p', add('roles/a'), 'a');
    await new Promise((r) => setImmediate(r));
    const later = ['roles/b', 'roles/c', 'roles/d'].map((r) => writer.apply('p', add(r), r));
    await Promise.all([first, ...later]);
    expect(rm.sets).toBe(2);
    expect(rm.policy.bindings!.map((b) => b.role).sort()).toEqual(['roles/a', 'roles/b', 'roles/c', 'roles/d']);
  });

  test.each([409, 412])('retries etag conflicts (%i) with growing, jittered delays', async (status) => {
    const rm = new FakeResourceManager();
    rm.conflictsLeft = 4;
    rm.conflictStatus = status;
    const sleeps: number[] = [];
    await writerWith(rm, {}, sleeps).apply('p', add('roles/a'), 'a');
    expect(rm.sets).toBe(5);
    expect(rm.gets).toBe(5);
    expect(sleeps).toHaveLength(4);
    // base 50 ms doubling, each randomised to 0.5×–1.5×
    sleeps.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(25 * 2 ** i);
      expect(ms).toBeLessThanOrEqual(75 * 2 ** i);
    });
  });

  test('endless conflicts end in a 409 within the attempt bound, with nothing written', async () => {
    const rm = new FakeResourceManager();
    rm.conflictsLeft = Number.POSITIVE_INFINITY;
    const error = await writerWith(rm, { maxAttempts: 6 }).apply('p', add('roles/a'), 'a').catch((e) => e);
    expect(error).toBeInstanceOf(AppError);
    expect(error.httpStatus).toBe(409);
    expect(error.message).toContain('nothing was granted');
    expect(rm.sets).toBe(6);
    expect(rm.policy.bindings).toEqual([]);
  });

  test('the time budget bounds retries too', async () => {
    const rm = new FakeResourceManager();
    rm.conflictsLeft = Number.POSITIVE_INFINITY;
    const error = await writerWith(rm, { budgetMs: 0 }).apply('p', add('roles/a'), 'a').catch((e) => e);
    expect(error.httpStatus).toBe(409);
    expect(rm.sets).toBe(1);
  });

  test('other errors are not retried', async () => {
    const rm = new FakeResourceManager();
    rm.rejectRole = 'roles/bad';
    const error = await writerWith(rm).apply('p', add('roles/bad'), 'bad').catch((e) => e);
    expect(error.httpStatus).toBe(502);
    expect(error.message).toContain('not supported');
    expect(rm.sets).toBe(1);
  });

  test('an edit Google refuses does not sink the others of its batch', async () => {
    const rm = new FakeResourceManager();
    rm.rejectRole = 'roles/bad';
    const writer = writerWith(rm);
    const [good, bad] = await Promise.allSettled([writer.apply('p', add('roles/ok'), 'ok'), writer.apply('p', add('roles/bad'), 'bad')]);
    expect(good.status).toBe('fulfilled');
    expect(bad.status).toBe('rejected');
    expect(rm.policy.bindings!.map((b) => b.role)).toEqual(['roles/ok']);
  });

  test('projects are written independently', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    await Promise.all([writer.apply('p1', add('roles/a'), 'a'), writer.apply('p2', add('roles/b'), 'b')]);
    expect(rm.sets).toBe(2);
  });
});
