// Read-modify-write of a project's IAM policy. Concurrent edits of the same project inside this process
// are coalesced into one write, the read can start while the caller is still checking its request, and
// etag conflicts (409 ABORTED, or 412) are retried as a whole with jittered exponential backoff until a
// time budget runs out. Without coalescing, every edit is its own read-modify-write: that is how
// jit-access 1.x writes, and the benchmark compares the two.
import type { Policy } from '../domain/iam-policy';
import type { ResourceManager } from '../google/resource-manager';
import { backendError, statusOf } from '../google/connection';
import { AppError } from '../errors';

/**
 * Returns the edited policy, or the very policy it was given when there is nothing to change — also when
 * the change is there already: after a write that timed out, that is how the writer tells it landed.
 * May throw to refuse the change for its own caller (the other edits of a batch are written regardless).
 */
export type PolicyEdit = (policy: Policy) => Policy;

export interface RetryPolicy {
  /** Total time the conflicts of one batch may be retried for. */
  budgetMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Statuses that mean "someone else wrote first". */
  conflictStatuses: readonly number[];
  maxAttempts: number;
  /** Whether each delay is randomised (0.5×–1.5×) so competing writers spread out. */
  jitter: boolean;
  /** After a write timed out: how often, and how far apart, the policy is read back to see whether it landed. */
  readBackAttempts: number;
  readBackIntervalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  budgetMs: 15_000,
  baseDelayMs: 50,
  maxDelayMs: 2_000,
  conflictStatuses: [409, 412],
  maxAttempts: 50,
  jitter: true,
  readBackAttempts: 8,
  readBackIntervalMs: 250,
};

/** How long a policy read ahead of an edit may serve as that edit's read. */
const READ_AHEAD_MAX_AGE_MS = 2_000;

/**
 * How long a write waits for callers still checking requests on the same project, to take their edits
 * along: a crowd's checks end within moments of each other, and one slow check must not hold up the rest.
 */
const COALESCE_WAIT_MS = 100;

interface ReadAhead {
  read: Promise<Policy>;
  startedAt: number;
  /** How many writes of the project this process had made when the read started. */
  writesBefore: number;
  /** Callers still checking whether they will edit; when the last gives up, the read is dropped. */
  waiting: number;
}

interface PendingEdit {
  edit: PolicyEdit;
  reason: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class PolicyWriter {
  private readonly pending = new Map<string, PendingEdit[]>();
  private readonly running = new Set<string>();
  private readonly readsAhead = new Map<string, ReadAhead>();
  /** How many times this process wrote each project's policy: a read started before a write is stale. */
  private readonly writes = new Map<string, number>();
  /** Callers inside readAhead, per project, and the writes waiting for them to finish. */
  private readonly checking = new Map<string, { count: number; done: (() => void)[] }>();

  constructor(
    private readonly resourceManager: ResourceManager,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    /** Whether edits of one project share reads and writes; without, each edit reads and writes alone. */
    private readonly coalesce = true,
  ) {}

  /**
   * Runs `check`, the caller's last step before it applies an edit to the project, while the project's
   * policy is read for that edit: the read and the check then cost one round trip, not two. Callers
   * share a read in flight, and the next write of the project uses it unless this process wrote the
   * project since the read started. The etag still guards that write, so a policy someone else changed
   * meanwhile costs a retry, never an edit. When `check` fails, the read is dropped unless others wait.
   * While checks run, a write of the project waits for them (up to COALESCE_WAIT_MS) to take their edits.
   */
  async readAhead<T>(projectId: string, check: () => Promise<T>): Promise<T> {
    if (!this.coalesce) return check();
    const ahead = this.startReadAhead(projectId);
    const checking = this.checking.get(projectId) ?? { count: 0, done: [] };
    this.checking.set(projectId, checking);
    checking.count++;
    try {
      return await check();
    } catch (e) {
      if (--ahead.waiting === 0 && this.readsAhead.get(projectId) === ahead) this.readsAhead.delete(projectId);
      throw e;
    } finally {
      if (--checking.count === 0) {
        this.checking.delete(projectId);
        // One turn later, so that the caller whose check ended last has applied its edit by then.
        setImmediate(() => checking.done.forEach((resume) => resume()));
      }
    }
  }

  /** Resolves when no caller is checking a request on the project, or after COALESCE_WAIT_MS. */
  private checksDone(projectId: string): Promise<void> {
    const checking = this.checking.get(projectId);
    if (!checking) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, COALESCE_WAIT_MS);
      checking.done.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private startReadAhead(projectId: string): ReadAhead {
    let ahead = this.readsAhead.get(projectId);
    if (!ahead || !this.isFresh(projectId, ahead)) {
      const read = this.resourceManager.getProjectPolicy(projectId);
      // The write that uses the read sees its failure; a read nobody uses must not go unhandled.
      read.catch(() => undefined);
      ahead = { read, startedAt: Date.now(), writesBefore: this.writes.get(projectId) ?? 0, waiting: 0 };
      this.readsAhead.set(projectId, ahead);
    }
    ahead.waiting++;
    return ahead;
  }

  /** The read ahead for the first attempt of a write, if it is fresh; each read serves one attempt. */
  private takeReadAhead(projectId: string): Promise<Policy> | undefined {
    const ahead = this.readsAhead.get(projectId);
    this.readsAhead.delete(projectId);
    return ahead && this.isFresh(projectId, ahead) ? ahead.read : undefined;
  }

  private isFresh(projectId: string, ahead: ReadAhead): boolean {
    return Date.now() - ahead.startedAt <= READ_AHEAD_MAX_AGE_MS && ahead.writesBefore === (this.writes.get(projectId) ?? 0);
  }

  /** Applies an edit to the project's policy; resolves once a write containing it succeeded. */
  apply(projectId: string, edit: PolicyEdit, reason: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.coalesce) return void this.writeBatch(projectId, [{ edit, reason, resolve, reject }]);
      const queue = this.pending.get(projectId) ?? [];
      queue.push({ edit, reason, resolve, reject });
      this.pending.set(projectId, queue);
      if (!this.running.has(projectId)) {
        this.running.add(projectId);
        // Wait one turn so edits submitted together start out in the same batch.
        setImmediate(() => void this.drain(projectId));
      }
    });
  }

  private async drain(projectId: string): Promise<void> {
    while (this.pending.has(projectId)) {
      await this.checksDone(projectId);
      await this.writeBatch(projectId, this.take(projectId));
    }
    this.running.delete(projectId);
  }

  private take(projectId: string): PendingEdit[] {
    const batch = this.pending.get(projectId) ?? [];
    this.pending.delete(projectId);
    return batch;
  }

  private async writeBatch(projectId: string, batch: PendingEdit[]): Promise<void> {
    try {
      const refused = await this.readModifyWrite(projectId, batch);
      for (const p of batch) {
        if (refused.has(p)) p.reject(refused.get(p));
        else p.resolve();
      }
    } catch (e) {
      if (batch.length > 1 && statusOf(e) === 400) {
        // One edit Google refuses must not sink the others: write them one by one.
        for (const p of batch) await this.writeBatch(projectId, [p]);
        return;
      }
      const error = e instanceof AppError ? e : backendError(e, `updating the IAM policy of project ${projectId}`);
      for (const p of batch) p.reject(error);
    }
  }

  /**
   * Writes the batch's edits in one read-modify-write, retrying etag conflicts. An edit that throws is
   * left out of the write and its error returned for that caller alone: one bad edit (a window CEL cannot
   * represent, a grant ended meanwhile) must not fail the other requests in the batch.
   */
  private async readModifyWrite(projectId: string, batch: PendingEdit[]): Promise<Map<PendingEdit, unknown>> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const current = await ((attempt === 1 && this.takeReadAhead(projectId)) || this.resourceManager.getProjectPolicy(projectId));
      const { edited, refused } = applyEdits(batch, current);
      // Edits that found nothing to change hand back the policy they were given: no write needed.
      if (edited === current) return refused;
      try {
        await this.resourceManager.setProjectPolicy(projectId, edited, reasonOf(batch));
        this.writes.set(projectId, (this.writes.get(projectId) ?? 0) + 1);
        return refused;
      } catch (e) {
        if (e instanceof AppError && e.code === 'BACKEND_TIMEOUT') {
          this.writes.set(projectId, (this.writes.get(projectId) ?? 0) + 1);
          return this.readBack(projectId, batch.filter((p) => !refused.has(p)), refused, e);
        }
        const status = statusOf(e);
        if (status === undefined || !this.retry.conflictStatuses.includes(status)) throw e;
        const delay = this.delayBefore(attempt + 1);
        if (attempt >= this.retry.maxAttempts || Date.now() - started + delay > this.retry.budgetMs) {
          throw new AppError(
            409,
            'CONFLICT',
            `The IAM policy of project ${projectId} kept changing under concurrent writes (${attempt} attempts); nothing was granted. Try again.`,
          );
        }
        await this.sleep(delay);
      }
    }
  }

  /**
   * A write Google did not confirm in time may still have been applied. Reads the policy back (a few
   * times, as a late write lands a moment after the answer was due) until every edit finds nothing left
   * to change — the write took effect, and the callers hear so — or gives up with the timeout, saying
   * that the change is not in force so far.
   */
  private async readBack(projectId: string, written: PendingEdit[], refused: Map<PendingEdit, unknown>, timeout: AppError): Promise<Map<PendingEdit, unknown>> {
    for (let read = 1; read <= this.retry.readBackAttempts; read++) {
      await this.sleep(this.retry.readBackIntervalMs);
      let policy: Policy;
      try {
        policy = await this.resourceManager.getProjectPolicy(projectId);
      } catch {
        continue;
      }
      const after = applyEdits(written, policy);
      if (after.edited === policy) return new Map([...refused, ...after.refused]);
    }
    throw new AppError(
      504,
      'BACKEND_TIMEOUT',
      `Google did not confirm in time that it updated the IAM policy of project ${projectId}, and reading the policy back shows that the change has not taken effect so far. It may still take effect: reload to see what is active before you try again.`,
      timeout.details,
    );
  }

  private delayBefore(attempt: number): number {
    const exponential = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 2));
    return Math.round(this.retry.jitter ? exponential * (0.5 + Math.random()) : exponential);
  }
}

/** Applies each edit in turn; an edit that throws is skipped, and its error kept for its caller. */
function applyEdits(batch: PendingEdit[], policy: Policy): { edited: Policy; refused: Map<PendingEdit, unknown> } {
  const refused = new Map<PendingEdit, unknown>();
  let edited = policy;
  for (const p of batch) {
    try {
      edited = p.edit(edited);
    } catch (e) {
      refused.set(p, e);
    }
  }
  return { edited, refused };
}

function reasonOf(batch: PendingEdit[]): string {
  return batch.length === 1 ? batch[0].reason : `${batch.length} just-in-time access changes: ${batch.map((p) => p.reason).join('; ')}`;
}
