// A short-lived cache for what the UI lists: identical lookups in flight share one call, results live
// for a TTL, and everything cached for a user can be dropped when that user's access changes.
interface Entry<T> {
  owner: string;
  promise: Promise<T>;
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
    const now = this.clock();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.promise;
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

  invalidate(owner: string): void {
    for (const [key, entry] of this.entries) if (entry.owner === owner) this.entries.delete(key);
  }

  private evictExpired(now: number): void {
    if (this.entries.size < 1000) return;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
