// The sweeper: removes expired activation bindings from the projects in scope, so that policies stay far
// below IAM's limits (1,500 principals, 20 conditional bindings per role and principal) and readable.
import { ACTIVATION_TITLE, parseActivationBinding } from '../domain/activation-binding';
import { removeExpiredActivations } from '../domain/policy-edit';
import type { Binding } from '../domain/iam-policy';
import { PROJECT_RESOURCE_PREFIX, type CloudAsset } from '../google/cloud-asset';
import type { ResourceManager } from '../google/resource-manager';
import type { PolicyWriter } from './policy-writer';
import type { AuditLog } from './audit';
import { forEachLimited } from './bounded-concurrency';

export interface RemovedActivation {
  role: string;
  members: string[];
  resourceCondition: string | null;
  start: Date;
  end: Date;
  description: string | null;
}

export interface CleanupReport {
  dryRun: boolean;
  /** Projects the search named as holding expired activations. */
  projectsScanned: number;
  /** Projects whose policy changed (or would change, in a dry run), with what was removed. */
  projects: { projectId: string; removed: RemovedActivation[] }[];
  failures: { projectId: string; message: string }[];
}

/** Projects are cleaned a few at a time: enough to be quick, few enough to stay inside IAM's write quota. */
const PARALLEL_PROJECTS = 4;

export class CleanupService {
  constructor(
    private readonly asset: CloudAsset,
    private readonly resourceManager: ResourceManager,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `invoker` says who triggered the run (App Engine cron, or the scheduler's service account), for the audit log. */
  async run(options: { dryRun: boolean; invoker: string }): Promise<CleanupReport> {
    const now = this.now();
    const candidates = await this.projectsWithExpiredActivations(now);
    const report: CleanupReport = { dryRun: options.dryRun, projectsScanned: candidates.length, projects: [], failures: [] };
    await forEachLimited(candidates, PARALLEL_PROJECTS, async (projectId) => {
      try {
        const removed = options.dryRun ? await this.expiredIn(projectId, now) : await this.removeExpired(projectId, now, options.invoker);
        if (removed.length > 0) report.projects.push({ projectId, removed: removed.map(removedActivationOf) });
      } catch (e) {
        report.failures.push({ projectId, message: (e as Error).message });
        this.audit.record({
          event: 'cleanup.failed',
          severity: 'ERROR',
          outcome: 'failure',
          message: `Removing expired activations from project ${projectId} failed: ${(e as Error).message}`,
          project: projectId,
          invoker: options.invoker,
        });
      }
    });
    report.projects.sort((a, b) => a.projectId.localeCompare(b.projectId));
    report.failures.sort((a, b) => a.projectId.localeCompare(b.projectId));
    return report;
  }

  /**
   * One search over the whole scope for bindings titled like activations, instead of reading every
   * project's policy. Asset Inventory lags minutes behind IAM, which only delays a removal to the next
   * run; each project's policy is then read fresh before anything is removed.
   */
  private async projectsWithExpiredActivations(now: Date): Promise<string[]> {
    const hits = await this.asset.searchIamPolicies(`policy:"${ACTIVATION_TITLE}"`);
    const projects = new Set<string>();
    for (const hit of hits) {
      const projectId = hit.resource.startsWith(PROJECT_RESOURCE_PREFIX) ? hit.resource.slice(PROJECT_RESOURCE_PREFIX.length) : '';
      // Activations are written to projects only; a hit on a folder or organization is not ours.
      if (!projectId || projectId.includes('/')) continue;
      if (removeExpiredActivations({ bindings: hit.bindings }, now).removed.length > 0) projects.add(projectId);
    }
    return [...projects].sort();
  }

  private async expiredIn(projectId: string, now: Date): Promise<Binding[]> {
    return removeExpiredActivations(await this.resourceManager.getProjectPolicy(projectId), now).removed;
  }

  private async removeExpired(projectId: string, now: Date, invoker: string): Promise<Binding[]> {
    let removed: Binding[] = [];
    await this.writer.apply(
      projectId,
      (policy) => {
        // Re-run on every attempt of the read-modify-write: the last attempt's answer is what was written.
        const edit = removeExpiredActivations(policy, now);
        removed = edit.removed;
        return removed.length > 0 ? edit.policy : policy;
      },
      'Removing expired just-in-time access activations',
    );
    if (removed.length > 0) {
      this.audit.record({
        event: 'cleanup.project',
        severity: 'NOTICE',
        outcome: 'success',
        message: `Removed ${removed.length} expired activation binding(s) from project ${projectId}`,
        project: projectId,
        invoker,
        removed: removed.map(removedActivationOf).map((r) => ({ ...r, start: r.start.toISOString(), end: r.end.toISOString() })),
      });
    }
    return removed;
  }
}

/** Only bindings parseActivationBinding accepted are ever removed, so the parse cannot fail here. */
function removedActivationOf(binding: Binding): RemovedActivation {
  const activation = parseActivationBinding(binding)!;
  return {
    role: activation.role,
    members: [...activation.members],
    resourceCondition: activation.resourceCondition,
    start: activation.start,
    end: activation.end,
    description: binding.condition?.description ?? null,
  };
}
