import { LookupCache } from '../../../server/services/lookup-cache';

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
