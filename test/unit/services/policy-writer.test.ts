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
  /** When set, writes wait for it: a test can act while a write is in flight. */
  writeGate?: Promise<void>;
  /** Writes that time out on the way back: applied (Google got it) or not. */
  timeouts: { applied: boolean }[] = [];

  async getProjectPolicy(): Promise<Policy> {
    this.gets++;
    return structuredClone(this.policy);
  }

  async setProjectPolicy(_projectId: string, policy: Policy, reason: string): Promise<Policy> {
    this.sets++;
    this.reasons.push(reason);
    await this.writeGate;
    if (this.conflictsLeft > 0) {
      this.conflictsLeft--;
      throw Object.assign(new Error('conflict'), { response: { status: this.conflictStatus } });
    }
    if (policy.etag !== this.policy.etag) throw Object.assign(new Error('stale'), { response: { status: 409 } });
    if (this.rejectRole && policy.bindings?.some((b) => b.role === this.rejectRole)) {
      throw Object.assign(new Error('Role not supported'), { response: { status: 400, data: { error: { message: 'Role x is not supported for this resource.' } } } });
    }
    const timeout = this.timeouts.shift();
    if (!timeout || timeout.applied) this.policy = { ...structuredClone(policy), etag: `e${++this.revision}` };
    if (timeout) throw new AppError(504, 'BACKEND_TIMEOUT', 'Google did not confirm in time');
    return this.policy;
  }
}

/** Adds the role unless it is there: an edit that hands back the policy once it took effect. */
const addOnce = (role: string) => (p: Policy): Policy => (p.bindings?.some((b) => b.role === role) ? p : add(role)(p));
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
    // Google's 400 for a role that cannot be granted here is the user's to act on, not a backend failure.
    expect([error.httpStatus, error.code]).toEqual([400, 'ROLE_NOT_GRANTABLE']);
    expect(error.message).toContain('The role x cannot be granted on this resource');
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

  test('an edit that throws fails its own request only: the others of its batch are written', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    const refuse = () => {
      throw new RangeError('this window cannot be written');
    };
    const results = await Promise.allSettled([writer.apply('p', add('roles/a'), 'a'), writer.apply('p', refuse, 'bad'), writer.apply('p', add('roles/c'), 'c')]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    expect(rm.sets).toBe(1);
    expect(rm.policy.bindings!.map((b) => b.role)).toEqual(['roles/a', 'roles/c']);
  });

  test('a write that timed out but was applied: the policy is read back, and the caller hears it worked', async () => {
    const rm = new FakeResourceManager();
    rm.timeouts = [{ applied: true }];
    await writerWith(rm).apply('p', addOnce('roles/a'), 'a');
    expect(rm.sets).toBe(1);
    expect(rm.gets).toBe(2);
    expect(rm.policy.bindings!.map((b) => b.role)).toEqual(['roles/a']);
  });

  test('a write that timed out and was not applied: read back a bounded number of times, then a 504 that says it is not in force so far', async () => {
    const rm = new FakeResourceManager();
    rm.timeouts = [{ applied: false }];
    const sleeps: number[] = [];
    const error = await writerWith(rm, { readBackAttempts: 3, readBackIntervalMs: 10 }, sleeps).apply('p', addOnce('roles/a'), 'a').catch((e) => e);
    expect([error.httpStatus, error.code]).toEqual([504, 'BACKEND_TIMEOUT']);
    expect(error.message).toContain('has not taken effect so far');
    expect(sleeps).toEqual([10, 10, 10]);
    expect([rm.sets, rm.gets]).toEqual([1, 4]);
  });

  test('projects are written independently', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    await Promise.all([writer.apply('p1', add('roles/a'), 'a'), writer.apply('p2', add('roles/b'), 'b')]);
    expect(rm.sets).toBe(2);
  });
});

describe('PolicyWriter reading ahead of an edit', () => {
  /** A check the test finishes by hand, to see what happened while it ran. */
  function pendingCheck<T>() {
    let finish!: (value: T) => void;
    let fail!: (e: unknown) => void;
    const promise = new Promise<T>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    return { run: () => promise, finish, fail };
  }

  test('the policy is read while the check runs, and the write uses that read', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    const check = pendingCheck<string>();
    const checked = writer.readAhead('p', check.run);
    expect(rm.gets).toBe(1);
    check.finish('eligible');
    expect(await checked).toBe('eligible');
    await writer.apply('p', add('roles/a'), 'a');
    expect([rm.gets, rm.sets]).toEqual([1, 1]);
  });

  test('callers checking at the same time share one read', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    const checks = [pendingCheck<void>(), pendingCheck<void>(), pendingCheck<void>()];
    const checked = checks.map((c) => writer.readAhead('p', c.run));
    checks.forEach((c) => c.finish());
    await Promise.all(checked);
    await Promise.all(['roles/a', 'roles/b', 'roles/c'].map((role) => writer.apply('p', add(role), role)));
    expect([rm.gets, rm.sets]).toEqual([1, 1]);
  });

  test('a failed check drops the read: the next edit reads for itself', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    await expect(writer.readAhead('p', async () => Promise.reject(new Error('not eligible')))).rejects.toThrow('not eligible');
    rm.policy = { ...rm.policy, etag: 'changed-elsewhere' };
    await writer.apply('p', add('roles/a'), 'a');
    expect([rm.gets, rm.sets]).toEqual([2, 1]);
  });

  test('a read that started while this process was writing the project is not used', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    const gate = pendingCheck<void>();
    rm.writeGate = gate.run();
    const first = writer.apply('p', add('roles/first'), 'first');
    await new Promise((r) => setImmediate(r));
    expect(rm.sets).toBe(1);
    // Read while the first write is in flight: it still sees the old etag.
    await writer.readAhead('p', async () => undefined);
    gate.finish();
    await first;
    await writer.apply('p', add('roles/second'), 'second');
    // The second edit read for itself instead of trying the stale etag: no conflict, no retry.
    expect([rm.gets, rm.sets]).toEqual([3, 2]);
    expect(rm.policy.bindings!.map((b) => b.role)).toEqual(['roles/first', 'roles/second']);
  });

  test('a write waits for callers still checking on the project, and takes their edits along', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    const slow = pendingCheck<void>();
    const first = writer.readAhead('p', async () => undefined).then(() => writer.apply('p', add('roles/first'), 'first'));
    const second = writer.readAhead('p', slow.run).then(() => writer.apply('p', add('roles/second'), 'second'));
    await new Promise((r) => setTimeout(r, 20));
    expect(rm.sets).toBe(0);
    slow.finish();
    await Promise.all([first, second]);
    expect([rm.gets, rm.sets]).toEqual([1, 1]);
    expect(rm.policy.bindings!.map((b) => b.role)).toEqual(['roles/first', 'roles/second']);
  });

  test('a check that does not end holds up the others for a moment only', async () => {
    const rm = new FakeResourceManager();
    const writer = writerWith(rm);
    void writer.readAhead('p', () => new Promise(() => undefined));
    await writer.readAhead('p', async () => undefined);
    await writer.apply('p', add('roles/a'), 'a');
    expect(rm.sets).toBe(1);
  });

  test('without coalescing (the jit-access 1.x baseline) nothing is read ahead', async () => {
    const rm = new FakeResourceManager();
    const writer = new PolicyWriter(rm as unknown as ResourceManager, DEFAULT_RETRY, async () => undefined, false);
    await writer.readAhead('p', async () => undefined);
    expect(rm.gets).toBe(0);
    await writer.apply('p', add('roles/a'), 'a');
    expect([rm.gets, rm.sets]).toEqual([1, 1]);
  });
});
