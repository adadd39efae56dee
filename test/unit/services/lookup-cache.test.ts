import { LookupCache, RefreshingValue } from '../../../server/services/lookup-cache';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('LookupCache', () => {
  test('identical lookups in flight share one load', async () => {
    const cache = new LookupCache<number>(30_000);
    const d = deferred<number>();
    const load = jest.fn(() => d.promise);
    const a = cache.get('alice', 'k', load);
    const b = cache.get('alice', 'k', load);
    d.resolve(7);
    expect(await Promise.all([a, b])).toEqual([7, 7]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  test('a result lives for the TTL, then is loaded again', async () => {
    let now = 1_000;
    const cache = new LookupCache<number>(30_000, () => now);
    const load = jest.fn(async () => now);
    expect(await cache.get('alice', 'k', load)).toBe(1_000);
    now += 29_999;
    expect(await cache.get('alice', 'k', load)).toBe(1_000);
    now += 2;
    expect(await cache.get('alice', 'k', load)).toBe(31_001);
    expect(load).toHaveBeenCalledTimes(2);
  });

  test('a failure is not cached', async () => {
    const cache = new LookupCache<number>(30_000);
    await expect(cache.get('alice', 'k', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await cache.get('alice', 'k', async () => 3)).toBe(3);
  });

  test('invalidate drops only that owner’s entries, and a load in flight is not stored afterwards', async () => {
    const cache = new LookupCache<string>(30_000);
    await cache.get('alice', 'a', async () => 'alice-1');
    await cache.get('bob', 'b', async () => 'bob-1');
    const slow = deferred<string>();
    const inFlight = cache.get('alice', 'a2', () => slow.promise);
    cache.invalidate('alice');
    slow.resolve('stale');
    expect(await inFlight).toBe('stale');
    expect(await cache.get('alice', 'a', async () => 'alice-2')).toBe('alice-2');
    expect(await cache.get('alice', 'a2', async () => 'fresh')).toBe('fresh');
    expect(await cache.get('bob', 'b', async () => 'bob-2')).toBe('bob-1');
  });

  test('a TTL of 0 still coalesces but never reuses a settled result', async () => {
    const cache = new LookupCache<number>(0);
    let n = 0;
    const load = async () => ++n;
    const [a, b] = await Promise.all([cache.get('u', 'k', load), cache.get('u', 'k', load)]);
    expect([a, b]).toEqual([1, 1]);
    expect(await cache.get('u', 'k', load)).toBe(2);
  });
});

describe('LookupCache.fresh', () => {
  test('skips a settled result, joins a load in flight, and its answer is what get() sees next', async () => {
    const cache = new LookupCache<number>(30_000);
    await cache.get('g', 'k', async () => 1);
    const d = deferred<number>();
    const load = jest.fn(() => d.promise);
    const a = cache.fresh('g', 'k', load);
    const b = cache.fresh('g', 'k', load);
    d.resolve(2);
    expect(await Promise.all([a, b])).toEqual([2, 2]);
    expect(load).toHaveBeenCalledTimes(1);
    expect(await cache.get('g', 'k', async () => 3)).toBe(2);
  });
});

describe('RefreshingValue', () => {
  test('only the first caller waits; a stale value is served while one refresh runs in the background', async () => {
    let now = 0;
    let version = 0;
    const loads: ReturnType<typeof deferred<number>>[] = [];
    const value = new RefreshingValue(
      () => {
        const d = deferred<number>();
        loads.push(d);
        return d.promise;
      },
      60_000,
      () => {},
      () => now,
    );
    const first = value.get();
    loads[0].resolve(++version);
    expect(await first).toBe(1);
    now = 60_000;
    expect(await value.get()).toBe(1);
    expect(await value.get()).toBe(1);
    expect(loads).toHaveLength(2);
    loads[1].resolve(++version);
    await loads[1].promise;
    await Promise.resolve();
    expect(await value.get()).toBe(2);
    expect(loads).toHaveLength(2);
  });

  test('a failed refresh keeps the old value and reports the failure; the next call tries again', async () => {
    let now = 0;
    let fail = false;
    const failures: unknown[] = [];
    const value = new RefreshingValue(
      async () => {
        if (fail) throw new Error('quota');
        return now;
      },
      10,
      (e) => failures.push(e),
      () => now,
    );
    expect(await value.get()).toBe(0);
    fail = true;
    now = 10;
    expect(await value.get()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(failures).toHaveLength(1);
    fail = false;
    expect(await value.get()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(await value.get()).toBe(10);
  });

  test('the first load failing fails the caller, and the next caller loads again', async () => {
    let calls = 0;
    const value = new RefreshingValue(async () => {
      calls++;
      if (calls === 1) throw new Error('down');
      return 'ok';
    }, 1000);
    await expect(value.get()).rejects.toThrow('down');
    expect(await value.get()).toBe('ok');
  });
});
