// Caches for what the service looks up from Google. LookupCache: identical lookups in flight share one
// call, results live for a TTL, and everything cached for an owner can be dropped when it changes.
// RefreshingValue: one value for everyone (the scope's active projects), refreshed in the background.
interface Entry<T> {
  owner: string;
  promise: Promise<T>;
  /** Infinity while the load is in flight. */
  expiresAt: number;
}

export class LookupCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The cached value for key, or the result of load() shared by every caller until it settles. */
  get(owner: string, key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > this.clock()) return hit.promise;
    return this.load(owner, key, load);
  }

  /**
   * A value read now, for decisions: joins a load already in flight (it started no earlier than this
   * call), never a settled result; the answer replaces what was cached.
   */
  fresh(owner: string, key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt === Number.POSITIVE_INFINITY) return hit.promise;
    return this.load(owner, key, load);
  }

  /** Whether get() would answer without loading: a value within its TTL, or a load in flight. */
  has(key: string): boolean {
    const hit = this.entries.get(key);
    return hit !== undefined && hit.expiresAt > this.clock();
  }

  /**
   * The last value loaded for key, even one past its TTL, or undefined: a hint of what a new load will
   * probably find, never an answer.
   */
  lastLoaded(key: string): Promise<T> | undefined {
    const hit = this.entries.get(key);
    return hit && hit.expiresAt !== Number.POSITIVE_INFINITY ? hit.promise : undefined;
  }

  invalidate(owner: string): void {
    for (const [key, entry] of this.entries) if (entry.owner === owner) this.entries.delete(key);
  }

  private load(owner: string, key: string, load: () => Promise<T>): Promise<T> {
    const now = this.clock();
    const entry: Entry<T> = { owner, promise: load(), expiresAt: Number.POSITIVE_INFINITY };
    this.entries.set(key, entry);
    entry.promise.then(
      () => {
        // A failure is never cached; a success lives for the TTL from when it arrived.
        if (this.entries.get(key) === entry) entry.expiresAt = this.clock() + this.ttlMs;
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    this.evictExpired(now);
    return entry.promise;
  }

  private evictExpired(now: number): void {
    if (this.entries.size < 1000) return;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/**
 * One value shared by every user, served stale while it is refreshed: only the first caller waits for
 * a load; afterwards a value older than `refreshAfterMs` starts one refresh in the background and
 * callers get the value they had. A failed refresh keeps the old value and is retried on a later call.
 */
export class RefreshingValue<T> {
  private current?: { value: T; loadedAt: number };
  private loading?: Promise<T>;

  constructor(
    private readonly load: () => Promise<T>,
    private readonly refreshAfterMs: number,
    private readonly onRefreshFailure: (e: unknown) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (!this.current) return this.start();
    if (this.clock() - this.current.loadedAt >= this.refreshAfterMs && !this.loading) this.start().catch(this.onRefreshFailure);
    return Promise.resolve(this.current.value);
  }

  private start(): Promise<T> {
    this.loading ??= this.load()
      .then((value) => {
        this.current = { value, loadedAt: this.clock() };
        return value;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }
}
