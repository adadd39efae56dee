import { BatchedReads, CallBudget, type CallPace } from '../../../server/google/batched-reads';
import { AppError, notFound } from '../../../server/errors';

/** A batch method whose calls answer when the test says so; `missing` names fail the whole call with 404. */
function batchMethod(missing: string[] = []) {
  const calls: { names: string[]; answer: () => void }[] = [];
  const readBatch = (names: string[]) =>
    new Promise<string[]>((resolve, reject) => {
      calls.push({
        names,
        answer: () => (names.some((n) => missing.includes(n)) ? reject(notFound(`no ${names.join(',')}`)) : resolve(names.map((n) => `policy of ${n}`))),
      });
    });
  return { calls, readBatch };
}

/** A pace the test opens and closes. */
function pace(open = true): CallPace & { open: boolean; taken: number } {
  return {
    perMinute: 10,
    open,
    taken: 0,
    waitMs() {
      return this.open ? 0 : 5;
    },
    take() {
      this.taken++;
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));
const settings = { maxNames: 3, maxWaitMs: 60_000, what: 'test reads', splitWhen: (e: unknown) => e instanceof AppError && e.code === 'NOT_FOUND' };

describe('BatchedReads', () => {
  test('a read alone is sent at once; reads asked for together go in one call', async () => {
    const { calls, readBatch } = batchMethod();
    const reads = new BatchedReads(readBatch, pace(), settings);
    const a = reads.read('a');
    await turn();
    expect(calls.map((c) => c.names)).toEqual([['a']]);
    calls[0].answer();
    expect(await a).toBe('policy of a');
    const [b, c] = [reads.read('b'), reads.read('c')];
    await turn();
    expect(calls.map((c) => c.names)).toEqual([['a'], ['b', 'c']]);
    calls[1].answer();
    expect(await Promise.all([b, c])).toEqual(['policy of b', 'policy of c']);
  });

  test('while a call is in flight, a read of a name it carries joins it; the others wait and go together in the next call', async () => {
    const { calls, readBatch } = batchMethod();
    const reads = new BatchedReads(readBatch, pace(), settings);
    const first = reads.read('a');
    await turn();
    const joined = reads.read('a');
    const later = ['b', 'c', 'b', 'd', 'e'].map((n) => reads.read(n));
    await turn();
    expect(calls.map((c) => c.names)).toEqual([['a']]);
    calls[0].answer();
    expect(await Promise.all([first, joined])).toEqual(['policy of a', 'policy of a']);
    await turn();
    // At most maxNames a call, oldest first; the rest in the call after.
    expect(calls.map((c) => c.names)).toEqual([['a'], ['b', 'c', 'd']]);
    calls[1].answer();
    await turn();
    expect(calls.map((c) => c.names)).toEqual([['a'], ['b', 'c', 'd'], ['e']]);
    calls[2].answer();
    expect(await Promise.all(later)).toEqual(['policy of b', 'policy of c', 'policy of b', 'policy of d', 'policy of e']);
  });

  test('a read after a call answered is sent again, never served from that answer', async () => {
    const { calls, readBatch } = batchMethod();
    const reads = new BatchedReads(readBatch, pace(), settings);
    const first = reads.read('a');
    await turn();
    calls[0].answer();
    await first;
    const second = reads.read('a');
    await turn();
    expect(calls).toHaveLength(2);
    calls[1].answer();
    await second;
  });

  test('no call is sent while the pace says wait; the reads collected meanwhile go in one call', async () => {
    const { calls, readBatch } = batchMethod();
    const p = pace(false);
    const reads = new BatchedReads(readBatch, p, settings);
    const all = [reads.read('a'), reads.read('b')];
    await new Promise((r) => setTimeout(r, 20));
    all.push(reads.read('c'));
    expect(calls).toHaveLength(0);
    p.open = true;
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.map((c) => c.names)).toEqual([['a', 'b', 'c']]);
    expect(p.taken).toBe(1);
    calls[0].answer();
    await Promise.all(all);
  });

  test('a call refused for a missing name is split: each name read alone, within the pace; only the missing one fails', async () => {
    const { calls, readBatch } = batchMethod(['gone']);
    const p = pace();
    const reads = new BatchedReads(readBatch, p, settings);
    const settled = Promise.allSettled(['a', 'gone', 'b'].map((n) => reads.read(n)));
    await turn();
    calls[0].answer();
    for (let i = 1; i <= 3; i++) {
      await turn();
      await turn();
      calls[i].answer();
    }
    const [a, gone, b] = await settled;
    expect([a, b]).toEqual([
      { status: 'fulfilled', value: 'policy of a' },
      { status: 'fulfilled', value: 'policy of b' },
    ]);
    expect(gone).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
    expect(calls.map((c) => c.names)).toEqual([['a', 'gone', 'b'], ['a'], ['gone'], ['b']]);
    expect(p.taken).toBe(4);
  });

  test('any other failure fails every read of the call, and is not kept', async () => {
    const reads = new BatchedReads(async () => Promise.reject(new Error('HTTP 503')), pace(), settings);
    await expect(Promise.all([reads.read('a'), reads.read('b')])).rejects.toThrow('HTTP 503');
    await expect(reads.read('a')).rejects.toThrow('HTTP 503');
  });

  test('a read that waited longer than a read may take is refused with 429 naming the quota', async () => {
    const { calls, readBatch } = batchMethod();
    const reads = new BatchedReads(readBatch, pace(false), { ...settings, maxWaitMs: 1 });
    const refused = reads.read('a');
    await expect(refused).rejects.toMatchObject({ httpStatus: 429, code: 'QUOTA_EXCEEDED', message: expect.stringContaining('test reads') });
    expect(calls).toHaveLength(0);
  });
});

describe('CallBudget', () => {
  test('a fifth at once, then at an even pace: never more than perMinute calls in any minute', () => {
    let now = 0;
    const budget = new CallBudget(100, () => now);
    const sent: number[] = [];
    // Callers always waiting: a call whenever the budget allows, over ten minutes.
    while (now < 600_000) {
      const wait = budget.waitMs();
      if (wait > 0) {
        now += wait;
        continue;
      }
      budget.take();
      sent.push(now);
    }
    expect(sent.filter((t) => t === 0)).toHaveLength(20);
    for (const start of sent) expect(sent.filter((t) => t >= start && t < start + 60_000).length).toBeLessThanOrEqual(100);
    // And it does use its budget: about 80 a minute once the first fifth is spent.
    expect(sent.length).toBeGreaterThan(20 + 9 * 80);
  });

  test('an idle budget fills up again, but not beyond a fifth', () => {
    let now = 0;
    const budget = new CallBudget(50, () => now);
    for (let i = 0; i < 10; i++) budget.take();
    expect(budget.waitMs()).toBeGreaterThan(0);
    now += 3_600_000;
    for (let i = 0; i < 10; i++) {
      expect(budget.waitMs()).toBe(0);
      budget.take();
    }
    expect(budget.waitMs()).toBeGreaterThan(0);
  });
});
