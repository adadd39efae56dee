// The workflow task (/tasks/workflows, every few minutes): the passes that move requests and grants along
// without a user — escalations, grant-end reminders, … — each run in turn. A pass is independent: one that
// fails (Google or the mail server down, a bug) is reported and audited, and the others still run. What a pass
// leaves undone is done by a later run; passes remember what they did in the audit log, never in memory.
import type { AuditLog } from './audit';

/** One run of the task: who called, whether it only reports, and the URL that links in messages point to. */
export interface WorkflowRun {
  dryRun: boolean;
  invoker: string;
  publicUrl: string;
}

/** What one pass did: the ids it handled, those due that it left (a dry run), and what failed or was refused. */
export interface WorkflowPassReport {
  done: string[];
  pending: string[];
  failures: { id: string; message: string }[];
}

export interface WorkflowPass {
  /** The pass in the task's answer and audit entries: a short camelCase name. */
  readonly name: string;
  run(run: WorkflowRun): Promise<WorkflowPassReport>;
}

export interface WorkflowTaskReport {
  dryRun: boolean;
  passes: ({ name: string } & WorkflowPassReport)[];
}

export class WorkflowTask {
  constructor(
    private readonly passes: readonly WorkflowPass[],
    private readonly audit: AuditLog,
  ) {}

  async run(run: WorkflowRun): Promise<WorkflowTaskReport> {
    const passes: WorkflowTaskReport['passes'] = [];
    // One after the other: passes share Google's quotas and the audit feed, and each is small.
    for (const pass of this.passes) passes.push({ name: pass.name, ...(await this.attempt(pass, run)) });
    const failures = passes.reduce((n, p) => n + p.failures.length, 0);
    this.audit.record({
      event: 'workflows.run',
      severity: failures > 0 ? 'WARNING' : 'INFO',
      outcome: failures > 0 ? 'failure' : 'success',
      invoker: run.invoker,
      dryRun: run.dryRun,
      passes: passes.map((p) => ({ name: p.name, done: p.done.length, pending: p.pending.length, failures: p.failures.length })),
      message: `Workflow task${run.dryRun ? ' (dry run)' : ''}: ${passes.map((p) => `${p.name} ${p.done.length} done, ${p.pending.length} pending, ${p.failures.length} failed`).join('; ') || 'no passes'}`,
    });
    return { dryRun: run.dryRun, passes };
  }

  private async attempt(pass: WorkflowPass, run: WorkflowRun): Promise<WorkflowPassReport> {
    try {
      return await pass.run(run);
    } catch (e) {
      const message = `The ${pass.name} pass failed; the next run tries again: ${(e as Error).message}`;
      this.audit.record({ event: 'workflows.pass.failed', severity: 'ERROR', outcome: 'failure', invoker: run.invoker, pass: pass.name, message });
      return { done: [], pending: [], failures: [{ id: '*', message }] };
    }
  }
}
