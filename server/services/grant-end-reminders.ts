// Grant-end reminders, a pass of the workflow task (/tasks/workflows): the holder of a grant this service wrote
// is told ONCE, by email (and chat where the role's rule names channels), that it ends at its time, with a link
// to extend it in My access — by the run that finds it ending within GRANT_END_REMINDER_MINUTES plus the task's
// interval, so that the run before the lead time passes catches it. Without a database: the audit log's grant
// entries (activations, approvals, break-glass, extensions) only say which grants may end soon, and each is
// confirmed against the project's IAM policy read then — the binding still there with that end — before anyone
// is mailed, so a planted entry never makes the service mail anyone; what is mailed comes from the binding.
// "Once" is the `grant.reminder.sent` entries every run reads back from the shared audit feed.
import { activeGrantsOf, type ActiveGrant } from '../domain/grant';
import { isServiceAccountEmail } from '../domain/iam-policy';
import type { ResourceManager } from '../google/resource-manager';
import { systemClock, type Clock } from '../clock';
import type { AuditLog } from './audit';
import type { AuditFeed } from './audit-feed';
import type { NotificationService } from './notification';
import type { WorkflowPass, WorkflowPassReport, WorkflowRun } from './workflow-task';

/** Grants last at most a day (ACTIVATION_TIMEOUT, a policy's maxDuration): entries older tell of none in force. */
const LONGEST_GRANT_MS = 24 * 3_600_000;
/** Reminders one run sends; the rest are left for the next run (they are due for several runs). */
export const REMINDERS_PER_RUN = 50;
/** The entries that tell of a grant the service wrote, and so of when it ends. */
const GRANT_EVENTS = new Set(['activation.succeeded', 'approval.succeeded', 'breakglass.activated', 'grant.extended']);

export interface GrantEndReminderSettings {
  /** How long before its end a grant's holder is reminded (GRANT_END_REMINDER_MINUTES). */
  leadMinutes: number;
  /** How often the task runs (WORKFLOW_TASK_INTERVAL_MINUTES): added to the lead so that no grant falls between two runs. */
  intervalMinutes: number;
}

/** A grant an audit entry says may end soon: an index, never the truth. */
interface Candidate {
  user: string;
  projectId: string;
  role: string;
  end: Date;
}

export class GrantEndReminders implements WorkflowPass {
  readonly name = 'grantEndReminders';

  constructor(
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly resourceManager: Pick<ResourceManager, 'getProjectPolicy'>,
    private readonly notifications: Pick<NotificationService, 'sendGrantEnding'>,
    private readonly audit: AuditLog,
    private readonly settings: GrantEndReminderSettings,
    private readonly now: Clock = systemClock,
  ) {}

  async run(run: WorkflowRun): Promise<WorkflowPassReport> {
    const now = this.now();
    const horizon = now.getTime() + (this.settings.leadMinutes + this.settings.intervalMinutes) * 60_000;
    const { records } = await this.feed.since(new Date(now.getTime() - LONGEST_GRANT_MS));
    const reminded = new Set<string>();
    for (const { payload } of records) {
      if (payload.event === 'grant.reminder.sent' && typeof payload.beneficiary === 'string' && typeof payload.grantId === 'string') reminded.add(`${payload.beneficiary}|${payload.grantId}`);
    }
    const byProject = new Map<string, Candidate[]>();
    for (const { payload } of records) {
      for (const c of candidatesIn(payload)) {
        if (c.end.getTime() <= now.getTime() || c.end.getTime() > horizon || isServiceAccountEmail(c.user)) continue;
        byProject.set(c.projectId, [...(byProject.get(c.projectId) ?? []), c]);
      }
    }
    const report: WorkflowPassReport = { done: [], pending: [], failures: [] };
    for (const [projectId, candidates] of byProject) {
      let bindings;
      try {
        bindings = (await this.resourceManager.getProjectPolicy(projectId)).bindings ?? [];
      } catch (e) {
        report.failures.push({ id: projectId, message: `The IAM policy of ${projectId} could not be read, so its grants ending soon were not reminded; the next run tries again: ${(e as Error).message}` });
        continue;
      }
      const due = new Map<string, { user: string; grant: ActiveGrant }>();
      for (const c of candidates) {
        // Only a binding still there with the end the entry says: a grant ended early, replaced or never written is not reminded.
        const grant = activeGrantsOf(bindings, c.user, projectId, now).find((g) => g.role === c.role && g.end.getTime() === c.end.getTime());
        const key = `${c.user}|${grant?.id}`;
        if (grant && !reminded.has(key)) due.set(key, { user: c.user, grant });
      }
      for (const [key, { user, grant }] of due) {
        if (run.dryRun || report.done.length >= REMINDERS_PER_RUN) {
          report.pending.push(grant.id);
          continue;
        }
        const notificationFailures = await this.notifications.sendGrantEnding(
          { id: grant.id, user, projectId, role: grant.role, resourceCondition: grant.resourceCondition, end: grant.end, bindingType: grant.approval.type === 'self' ? 'self' : 'peer' },
          run.publicUrl,
        );
        reminded.add(key);
        // Audited even when a channel failed (that failure is audited too): the reminder is not repeated.
        this.audit.record({
          event: 'grant.reminder.sent',
          severity: 'INFO',
          outcome: 'success',
          beneficiary: user,
          project: projectId,
          roles: [{ role: grant.role, resourceCondition: grant.resourceCondition }],
          grantId: grant.id,
          end: grant.end.toISOString(),
          invoker: run.invoker,
          notificationFailures,
          message: `Reminded ${user} that their grant of ${grant.role} on ${projectId} ends at ${grant.end.toISOString()}`,
        });
        report.done.push(grant.id);
        for (const message of notificationFailures) report.failures.push({ id: grant.id, message });
      }
    }
    return report;
  }
}

/** The grants an entry tells of: its holder, project, roles and end; none for entries of other events or shapes. */
function candidatesIn(payload: Record<string, unknown>): Candidate[] {
  if (!GRANT_EVENTS.has(String(payload.event)) || payload.outcome !== 'success' || payload.alreadyApproved === true) return [];
  const holder = payload.event === 'approval.succeeded' ? payload.beneficiary : (payload.user as { email?: unknown } | undefined)?.email;
  if (typeof holder !== 'string' || typeof payload.project !== 'string' || !Array.isArray(payload.roles)) return [];
  // A self-activation lists each role's own end (a longer grant in force is kept); otherwise the entry's end.
  const ends = new Map<string, unknown>(Array.isArray(payload.grants) ? payload.grants.map((g: { role?: unknown; end?: unknown }) => [String(g.role), g.end]) : []);
  const candidates: Candidate[] = [];
  for (const r of payload.roles as { role?: unknown }[]) {
    if (typeof r?.role !== 'string') continue;
    const end = new Date(String(ends.get(r.role) ?? payload.end));
    if (!Number.isNaN(end.getTime())) candidates.push({ user: holder.toLowerCase(), projectId: payload.project, role: r.role, end });
  }
  return candidates;
}
