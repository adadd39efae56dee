// The sweeper: removes expired activation bindings from the projects in scope, so that policies stay far
// below IAM's limits (1,500 principals, 20 conditional bindings per role and principal) and readable.
import { parseActivationBinding } from '../domain/activation-binding';
import { removeExpiredActivations } from '../domain/policy-edit';
import { removeExpiredDecisions } from '../domain/request-decision';
import { removeLapsedScheduled, type ScheduledActivation } from '../domain/scheduled-activation';
import type { Binding } from '../domain/iam-policy';
import type { CloudAsset } from '../google/cloud-asset';
import type { ResourceManager } from '../google/resource-manager';
import type { PolicyWriter } from './policy-writer';
import type { AuditLog } from './audit';
import { AppError } from '../errors';
import { forEachLimited } from './bounded-concurrency';
import type { TicketEvents } from './ticket-events';

export interface RemovedActivation {
  role: string;
  members: string[];
  resourceCondition: string | null;
  start: Date;
  end: Date;
  description: string | null;
}

/** How the sweeper spreads its work: the CLEANUP_* settings of docs/configuration.md. */
export interface SweepLimits {
  /** How often the scheduler runs the sweeper: each run takes the next slice of the projects. */
  intervalMinutes: number;
  projectsPerRun: number;
  readsPerMinute: number;
  writesPerMinute: number;
  /** After this, a run reads no further project and reports the rest of its slice as skipped. */
  runSeconds: number;
}

export interface SkippedProject {
  projectId: string;
  reason: string;
}

export interface CleanupReport {
  dryRun: boolean;
  /** The slice of the active projects this run swept: `index` of `count` (see {@link sliceOf}), and its size. */
  slice: { index: number; count: number; projects: number };
  /** Active projects in the scope; those outside the slice are swept by other runs. */
  projectsInScope: number;
  /** Projects whose policy this run read. */
  projectsScanned: number;
  /** Projects whose policy changed (or would change, in a dry run), with what was removed. */
  projects: { projectId: string; removed: RemovedActivation[] }[];
  /** Projects of the slice this run did not read, and why: the next run of the same slice reads them. */
  skipped: SkippedProject[];
  failures: { projectId: string; message: string }[];
}

/** Projects are swept a few at a time; the pace, not this, keeps the calls within Google's quotas. */
const PARALLEL_PROJECTS = 4;

/**
 * The sweeper. Google does not document that condition titles are searchable in Asset Inventory, so it
 * does not search for activations: it reads the policies of the active projects in the scope, a slice
 * per run, at a pace that leaves most of the Resource Manager quotas to the users. Which slice a run
 * takes follows from the time, so that runs need no state: run number ⌊now / interval⌋ takes slice
 * (run number mod slice count), and every project is swept once every `count` runs. A run repeated
 * within the same interval (a retry) takes the same slice again, which is harmless: what was removed
 * stays removed, and a project with nothing left to remove is read but not written.
 */
export class CleanupService {
  constructor(
    private readonly asset: CloudAsset,
    private readonly resourceManager: ResourceManager,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    private readonly limits: SweepLimits,
    private readonly now: () => Date = () => new Date(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
    /** Ticket write-back, under an access policy: told of each grant whose binding is removed after its end. */
    private readonly ticketEvents?: TicketEvents,
  ) {}

  /** `invoker` says who triggered the run (App Engine cron, or the scheduler's service account), for the audit log. */
  async run(options: { dryRun: boolean; invoker: string }): Promise<CleanupReport> {
    const now = this.now();
    const deadline = now.getTime() + this.limits.runSeconds * 1000;
    const inScope = (await this.asset.searchProjects('state:ACTIVE')).map((p) => p.projectId);
    const count = Math.max(1, Math.ceil(inScope.length / this.limits.projectsPerRun));
    const index = Math.floor(now.getTime() / (this.limits.intervalMinutes * 60_000)) % count;
    const due = inScope.filter((projectId) => sliceOf(projectId, count) === index).sort();
    const report: CleanupReport = {
      dryRun: options.dryRun,
      slice: { index, count, projects: due.length },
      projectsInScope: inScope.length,
      projectsScanned: 0,
      projects: [],
      skipped: [],
      failures: [],
    };
    const clock = () => this.now().getTime();
    const reads = new Pace(this.limits.readsPerMinute, clock, this.sleep);
    const writes = new Pace(this.limits.writesPerMinute, clock, this.sleep);
    let stopped: string | undefined;
    await forEachLimited(due, PARALLEL_PROJECTS, async (projectId) => {
      if (!stopped && this.now().getTime() >= deadline) stopped = `the run's time (CLEANUP_RUN_SECONDS=${this.limits.runSeconds}) was up`;
      if (stopped) return void report.skipped.push({ projectId, reason: stopped });
      try {
        await reads.turn();
        const expired = await this.expiredIn(projectId, this.now());
        report.projectsScanned++;
        if (expired.activations.length === 0 && expired.decisions === 0 && expired.scheduled === 0) return;
        const removed = options.dryRun ? expired.activations : await writes.turn().then(() => this.removeExpired(projectId, this.now(), options.invoker));
        if (removed.length > 0) report.projects.push({ projectId, removed: removed.map(removedActivationOf) });
      } catch (e) {
        const message = (e as Error).message;
        // Out of quota: every further call would fail too and take quota from the users.
        if (e instanceof AppError && e.httpStatus === 429) stopped ??= `Google's quota was exhausted (${message})`;
        report.failures.push({ projectId, message });
        this.audit.record({
          event: 'cleanup.failed',
          severity: 'ERROR',
          outcome: 'failure',
          message: `Removing expired activations from project ${projectId} failed: ${message}`,
          project: projectId,
          invoker: options.invoker,
        });
      }
    });
    report.projects.sort((a, b) => a.projectId.localeCompare(b.projectId));
    report.skipped.sort((a, b) => a.projectId.localeCompare(b.projectId));
    report.failures.sort((a, b) => a.projectId.localeCompare(b.projectId));
    this.auditRun(report, options.invoker);
    return report;
  }

  private auditRun(report: CleanupReport, invoker: string): void {
    const { slice } = report;
    const incomplete = report.skipped.length > 0 || report.failures.length > 0;
    this.audit.record({
      event: 'cleanup.run',
      severity: incomplete ? 'WARNING' : 'INFO',
      outcome: report.failures.length > 0 ? 'failure' : 'success',
      message:
        `Swept slice ${slice.index + 1} of ${slice.count} (${slice.projects} of ${report.projectsInScope} projects)${report.dryRun ? ' as a dry run' : ''}: ` +
        `${report.projectsScanned} read, ${report.projects.length} ${report.dryRun ? 'would change' : 'changed'}, ${report.skipped.length} skipped, ${report.failures.length} failed`,
      invoker,
      dryRun: report.dryRun,
      slice,
      projectsInScope: report.projectsInScope,
      projectsScanned: report.projectsScanned,
      projectsChanged: report.projects.map((p) => p.projectId),
      skipped: report.skipped,
      failures: report.failures,
    });
  }

  /** Expired activations, and how many decisions of requests that expired (see domain/request-decision). */
  private async expiredIn(projectId: string, now: Date): Promise<{ activations: Binding[]; decisions: number; scheduled: number }> {
    const policy = await this.resourceManager.getProjectPolicy(projectId);
    return { activations: removeExpiredActivations(policy, now).removed, decisions: removeExpiredDecisions(policy, now).removed, scheduled: removeLapsedScheduled(policy, now).removed.length };
  }

  private async removeExpired(projectId: string, now: Date, invoker: string): Promise<Binding[]> {
    let removed: Binding[] = [];
    let decisions = 0;
    let lapsed: ScheduledActivation[] = [];
    await this.writer.apply(
      projectId,
      (policy) => {
        // Re-run on every attempt of the read-modify-write: the last attempt's answer is what was written.
        const edit = removeExpiredActivations(policy, now);
        const swept = removeExpiredDecisions(edit.policy, now);
        // Scheduled grants whose window ended unstarted (no task pass ran in time) can grant nothing any more.
        const unstarted = removeLapsedScheduled(swept.policy, now);
        removed = edit.removed;
        decisions = swept.removed;
        lapsed = unstarted.removed;
        return removed.length > 0 || decisions > 0 || lapsed.length > 0 ? unstarted.policy : policy;
      },
      'Removing expired just-in-time access activations',
    );
    if (removed.length > 0 || decisions > 0 || lapsed.length > 0) {
      this.audit.record({
        event: 'cleanup.project',
        severity: 'NOTICE',
        outcome: 'success',
        message:
          `Removed ${removed.length} expired activation binding(s)${decisions > 0 ? ` and ${decisions} decision record(s) of expired requests` : ''}` +
          `${lapsed.length > 0 ? ` and ${lapsed.length} scheduled grant(s) whose window ended before they started (${lapsed.map((l) => `${l.activationId} of ${l.user}`).join(', ')})` : ''} from project ${projectId}`,
        project: projectId,
        invoker,
        decisionsRemoved: decisions,
        scheduledRemoved: lapsed.map((l) => ({ activationId: l.activationId, user: l.user, role: l.role, start: l.start.toISOString(), end: l.end.toISOString() })),
        removed: removed.map(removedActivationOf).map((r) => ({ ...r, start: r.start.toISOString(), end: r.end.toISOString() })),
      });
    }
    // The one place where the end of a grant is seen: its binding, which names the justification, is removed.
    await this.ticketEvents?.expired(projectId, removed.map(removedActivationOf));
    return removed;
  }
}

/**
 * The slice a project belongs to among `count`: FNV-1a of its id. A project keeps its slice while the
 * number of slices stays the same, however many projects are created or deleted around it.
 */
export function sliceOf(projectId: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < projectId.length; i++) hash = Math.imul(hash ^ projectId.charCodeAt(i), 0x01000193) >>> 0;
  return hash % count;
}

/** Spaces calls evenly at `perMinute`, however many workers ask for turns, on the service's clock. */
class Pace {
  private nextAt = 0;

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async turn(): Promise<void> {
    const now = this.clock();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + 60_000 / this.perMinute;
    if (at > now) await this.sleep(at - now);
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
