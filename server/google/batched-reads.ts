// Reads through a Google method that takes several names per call (effectiveIamPolicies.batchGet takes 20)
// and whose per-minute quota every user of the service's project shares. Reads asked for while a call is
// in flight are collected and sent together in the next call, and calls are paced so that this process
// never spends more than its share of the quota a minute, however many users read at once.
import { AppError } from '../errors';

/** When the next call may be made. */
export interface CallPace {
  readonly perMinute: number;
  /** How long until a call may be made: 0 when one may be made now. */
  waitMs(): number;
  /** Spends one call; call only when waitMs() is 0. */
  take(): void;
}

/**
 * At most `perMinute` calls in any minute: a fifth of them may go at once (a bucket of tokens), the rest
 * at an even pace as the bucket refills.
 */
export class CallBudget implements CallPace {
  private readonly capacity: number;
  private readonly perMs: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {
    this.capacity = Math.max(1, Math.floor(perMinute / 5));
    this.perMs = Math.max(1, perMinute - this.capacity) / 60_000;
    this.tokens = this.capacity;
    this.updatedAt = clock();
  }

  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.perMs);
  }

  take(): void {
    this.refill();
    this.tokens -= 1;
  }

  private refill(): void {
    const now = this.clock();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.perMs);
    this.updatedAt = now;
  }
}

interface Waiting<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (e: unknown) => void;
  since: number;
  /** Sent in a call of its own: a call carrying it with others was refused (splitWhen). */
  alone?: boolean;
}

export interface BatchSettings {
  /** Names one call may carry. */
  maxNames: number;
  /** How long a read may wait for its call before it is refused (the read timeout). */
  maxWaitMs: number;
  /** What the calls are, for the refusal: "effective IAM policy reads (EFFECTIVE_POLICY_READS_PER_MINUTE)". */
  what: string;
  /**
   * Whether a refusal of a call carrying several names may concern only one of them (a project deleted
   * meanwhile): the names are then read again one per call, within the budget.
   */
  splitWhen: (e: unknown) => boolean;
}

/**
 * One call in flight at a time. A read of a name the call in flight carries shares its answer (it was sent
 * at most one round trip ago); any other read waits for the next call, which carries every name waiting
 * by then (up to `maxNames`, oldest first) and is sent once the call in flight has answered and the budget
 * allows. A read alone is sent at once. `readBatch` answers each name in order, or rejects for all.
 */
export class BatchedReads<T> {
  private inFlight?: Map<string, Promise<T>>;
  private readonly waiting = new Map<string, Waiting<T>>();
  private scheduled = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly readBatch: (names: string[]) => Promise<T[]>,
    private readonly budget: CallPace,
    private readonly settings: BatchSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  read(name: string): Promise<T> {
    const shared = this.inFlight?.get(name) ?? this.waiting.get(name)?.promise;
    if (shared) return shared;
    let resolve!: (value: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.waiting.set(name, { promise, resolve, reject, since: this.clock() });
    // One turn later, so that reads asked for together go in one call.
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.send();
      });
    }
    return promise;
  }

  private send(): void {
    if (this.inFlight || this.timer || this.waiting.size === 0) return;
    this.refuseOverdue();
    if (this.waiting.size === 0) return;
    const wait = this.budget.waitMs();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.send();
      }, wait);
      this.timer.unref();
      return;
    }
    this.budget.take();
    const [first] = this.waiting.entries().next().value!;
    const names = this.waiting.get(first)!.alone ? [first] : [...this.waiting].filter(([, w]) => !w.alone).slice(0, this.settings.maxNames).map(([name]) => name);
    const batch = names.map((name) => this.waiting.get(name)!);
    for (const name of names) this.waiting.delete(name);
    this.inFlight = new Map(names.map((name, i) => [name, batch[i].promise]));
    // The call is over before its readers hear of it: a read asked for afterwards gets a call of its own.
    this.readBatch(names).then(
      (values) => {
        this.inFlight = undefined;
        batch.forEach((w, i) => w.resolve(values[i]));
        this.send();
      },
      (e) => {
        this.inFlight = undefined;
        if (names.length > 1 && this.settings.splitWhen(e)) names.forEach((name, i) => this.waiting.set(name, { ...batch[i], alone: true }));
        else batch.forEach((w) => w.reject(e));
        this.send();
      },
    );
  }

  /** Reads that waited longer than a read may take are refused rather than left hanging. */
  private refuseOverdue(): void {
    const now = this.clock();
    for (const [name, w] of this.waiting) {
      if (now - w.since <= this.settings.maxWaitMs) continue;
      this.waiting.delete(name);
      w.reject(
        new AppError(
          429,
          'QUOTA_EXCEEDED',
          `Too many ${this.settings.what} at once: this instance spends at most ${this.budget.perMinute} calls a minute, and this read waited ${Math.round((now - w.since) / 1000)} s for its turn. Try again in a minute.`,
        ),
      );
    }
  }
}
