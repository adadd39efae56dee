// Read-modify-write of a project's IAM policy. Concurrent edits of the same project inside this process
// are coalesced into one write, and etag conflicts (409 ABORTED, or 412) are retried as a whole with
// jittered exponential backoff until a time budget runs out. Without coalescing, every edit is its own
// read-modify-write: that is how jit-access 1.x writes, and the benchmark compares the two.
import type { Policy } from '../domain/iam-policy';
import type { ResourceManager } from '../google/resource-manager';
import { backendError, statusOf } from '../google/connection';
import { AppError } from '../errors';

/** Returns the edited policy, or the very policy it was given when there is nothing to change. */
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
}

export const DEFAULT_RETRY: RetryPolicy = { budgetMs: 15_000, baseDelayMs: 50, maxDelayMs: 2_000, conflictStatuses: [409, 412], maxAttempts: 50, jitter: true };

interface PendingEdit {
  edit: PolicyEdit;
  reason: string;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class PolicyWriter {
  private readonly pending = new Map<string, PendingEdit[]>();
  private readonly running = new Set<string>();

  constructor(
    private readonly resourceManager: ResourceManager,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    private readonly coalesce = true,
  ) {}

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
    for (let batch = this.take(projectId); batch.length > 0; batch = this.take(projectId)) {
      await this.writeBatch(projectId, batch);
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
      await this.readModifyWrite(projectId, batch);
      for (const p of batch) p.resolve();
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

  private async readModifyWrite(projectId: string, batch: PendingEdit[]): Promise<void> {
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const current = await this.resourceManager.getProjectPolicy(projectId);
      const edited = batch.reduce((policy, p) => p.edit(policy), current);
      // Edits that found nothing to change hand back the policy they were given: no write needed.
      if (edited === current) return;
      try {
        await this.resourceManager.setProjectPolicy(projectId, edited, reasonOf(batch));
        return;
      } catch (e) {
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

  private delayBefore(attempt: number): number {
    const exponential = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 2));
    return Math.round(this.retry.jitter ? exponential * (0.5 + Math.random()) : exponential);
  }
}

function reasonOf(batch: PendingEdit[]): string {
  return batch.length === 1 ? batch[0].reason : `${batch.length} just-in-time access changes: ${batch.map((p) => p.reason).join('; ')}`;
}
