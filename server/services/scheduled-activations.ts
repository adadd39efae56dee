// Grants that start later (see domain/scheduled-activation): scheduling a self-activation, cancelling a
// scheduled grant, and the task pass that turns due records into grants. Eligibility and the rule are checked
// when a grant is scheduled and again at its start; only what holds then is granted.
import { activationDescription, type ActivationGrant } from '../domain/activation-binding';
import { endOfActivation, startOfActivation } from '../domain/activation-request';
import { startProblem, ruleLabel } from '../domain/access-policy-demands';
import { describeEntitlement } from '../domain/entitlement';
import { parseApproval } from '../domain/grant';
import type { EligibleRole } from '../domain/eligible-roles';
import { normalizeJustification } from '../domain/justification';
import { addActivations, type GrantOutcome } from '../domain/policy-edit';
import {
  addScheduled,
  conditionFingerprint,
  fitsDescription,
  isSameScheduled,
  parseScheduledId,
  removeScheduled,
  scheduledCapacityProblem,
  justificationOf,
  scheduledId,
  scheduledIn,
  type ScheduledActivation,
  type ScheduledGrant,
} from '../domain/scheduled-activation';
import type { ResourceManager } from '../google/resource-manager';
import { AppError, invalidInput, notFound } from '../errors';
import { grantResultOf, newActivationId } from './activation';
import type { TicketEvents } from './ticket-events';
import type { AuditLog, AuditUser } from './audit';
import { asAppError, failureOf } from './failures';
import type { AuditFeed } from './audit-feed';
import { forEachLimited } from './bounded-concurrency';
import type { Catalog } from './catalog';
import { EntitlementChecks, type ActivationRules } from './entitlement-checks';
import type { NotificationService } from './notification';
import type { PolicyWriter } from './policy-writer';
import type { WorkflowPass, WorkflowPassReport, WorkflowRun } from './workflow-task';
import { MAX_SCHEDULING_DELAY_MINUTES } from '../domain/access-policy';

export type ScheduledResult = Omit<ScheduledGrant, 'projectId' | 'type'>;

export interface ScheduledStartSettings {
  /** How often the workflow task runs: a pass grants what starts before the next run (the grant's condition waits for the start). */
  taskIntervalMinutes: number;
}

/** Policies read at once by a pass. */
const PARALLEL_PROJECTS = 4;

export class ScheduledActivations implements WorkflowPass {
  readonly name = 'scheduledStarts';
  private readonly checks: EntitlementChecks;

  constructor(
    private readonly catalog: Catalog,
    private readonly resourceManager: ResourceManager,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly rules: ActivationRules,
    private readonly notifications: NotificationService,
    private readonly settings: ScheduledStartSettings,
    private readonly now: () => Date = () => new Date(),
    private readonly ticketEvents?: TicketEvents,
  ) {
    this.checks = new EntitlementChecks(catalog, rules);
  }

  /**
   * Schedules a self-activation to start at `requestedStart`: everything an activation at once checks, read
   * at the start (the schedule's windows) and now (eligibility, fresh), and the start against the rule's
   * `scheduling.maxDelay`; then records it in the project's policy, granting nothing until the start.
   */
  async schedule(user: AuditUser, projectId: string, roleIds: string[], givenJustification: string, durationMinutes: number, requestedStart: Date): Promise<ScheduledResult> {
    const justification = normalizeJustification(givenJustification);
    const activationId = newActivationId('self');
    const start = startOfActivation(requestedStart);
    const context = { user, project: projectId, justification, activationId, start: start.toISOString() };
    try {
      const requested = this.checks.entitlementsOf(projectId, roleIds);
      this.checks.checkJustificationAndDuration(justification, durationMinutes);
      const end = endOfActivation(start, durationMinutes);
      const policy = this.rules.policy;
      if (!policy) throw new AppError(403, 'SCHEDULING_NOT_ALLOWED', 'This service runs without an access policy, and only a rule of one (scheduling.maxDelay) allows a later start: leave the start out to start at once.');
      const eligible = await this.writer.readAhead(projectId, () => this.checks.requireEligible(user.email, projectId, requested, 'self'));
      const now = this.now();
      const demands = await policy.demandsFor(projectId, eligible, start);
      for (const role of eligible) {
        const problem = startProblem(demands.get(role.id)!, start, now);
        if (problem) throw new AppError(start.getTime() <= now.getTime() ? 400 : 403, start.getTime() <= now.getTime() ? 'INVALID_ARGUMENT' : 'SCHEDULING_NOT_ALLOWED', `${problem} ('${role.id}').`);
      }
      await policy.enforce(user.email, projectId, eligible, { justification, durationMinutes }, 'self-activation', start);
      const grantDescription = activationDescription({ type: 'self', justification });
      const records = eligible.map((r) => recordOf(activationId, user.email, r, start, end, grantDescription));
      const tooLong = records.find((r) => !fitsDescription(r.activationId, r.role, r.resourceConditionFingerprint !== null));
      if (tooLong) throw invalidInput(`The role name ${tooLong.role} is too long to be recorded for a later start; activate it at once instead.`);
      await this.writer.apply(
        projectId,
        (current) => {
          const full = scheduledCapacityProblem(current, user.email, records.length);
          // A retry after a write that timed out finds its own records: nothing more to add.
          if (scheduledIn(current).some((s) => s.activationId === activationId)) return current;
          if (full) throw new AppError(409, 'TOO_MANY_SCHEDULED', `${full}.`);
          return addScheduled(current, records);
        },
        `Scheduling just-in-time access ${activationId} from ${start.toISOString()}`,
      );
      this.audit.record({
        ...context,
        event: 'activation.scheduled',
        severity: 'NOTICE',
        outcome: 'success',
        message: `User ${user.email} scheduled ${eligible.map((r) => `'${describeEntitlement(r)}'`).join(', ')} for themselves from ${start.toISOString()} for ${durationMinutes} minutes`,
        end: end.toISOString(),
        roles: eligible.map((r) => ({ role: r.role, resourceCondition: r.resourceCondition })),
      });
      const roles = eligible.map((r) => ({ role: r.role, conditional: r.resourceCondition !== null }));
      return { id: scheduledId(projectId, activationId), activationId, justification, roles, start, end };
    } catch (e) {
      const error = asAppError(e);
      this.audit.record({
        ...context,
        ...failureOf(error),
        event: 'activation.failed',
        message: `User ${user.email} failed to schedule ${roleIds.length} role(s) on ${projectId} from ${start.toISOString()}: ${error.message}`,
        requestedRoles: roleIds.slice(0, 20),
      });
      throw error;
    }
  }

  /** Cancels the user's scheduled grant (all its roles); a second cancellation finds nothing (404). */
  async cancel(user: AuditUser, id: string): Promise<{ projectId: string; activationId: string; roles: string[] }> {
    const parsed = parseScheduledId(id);
    if (!parsed) throw invalidInput('The scheduled grant id is invalid. Use an id from GET /api/v1/me/grants (scheduled).');
    const { projectId, activationId } = parsed;
    const missing = () =>
      notFound(`You (${user.email}) have no scheduled grant ${activationId} on project ${projectId}: it has started, was cancelled, or is not yours. List your grants again.`);
    if (!(await this.catalog.listProjects(user.email)).includes(projectId)) throw missing();
    let removed: ScheduledActivation[] = [];
    await this.writer.apply(
      projectId,
      (policy) => {
        const edit = removeScheduled(policy, (s) => s.activationId === activationId && s.user === user.email.toLowerCase());
        removed = edit.removed;
        return edit.policy;
      },
      `Cancelling scheduled just-in-time access ${activationId}`,
    );
    if (removed.length === 0) throw missing();
    this.audit.record({
      event: 'activation.scheduled.cancelled',
      severity: 'NOTICE',
      outcome: 'success',
      message: `User ${user.email} cancelled their scheduled grant ${activationId} of ${removed.map((r) => `'${r.role}'`).join(', ')} on ${projectId}, due to start at ${removed[0].start.toISOString()}`,
      user,
      project: projectId,
      activationId,
      start: removed[0].start.toISOString(),
      end: removed[0].end.toISOString(),
      roles: removed.map((r) => ({ role: r.role, resourceCondition: null })),
    });
    return { projectId, activationId, roles: removed.map((r) => r.role) };
  }

  /**
   * The workflow task's pass: grants every scheduled grant that starts before the task's next run (the grant's
   * condition keeps it inactive until its start). The audit log only says which projects to read (entries of
   * scheduling); what is granted is what the projects' policies record. `done`: the activations granted or
   * refused (each told to its user); `pending`: those due in a dry run; `failures`: projects that could not be read
   * or written, tried again by the next run.
   */
  async run(run: WorkflowRun): Promise<WorkflowPassReport> {
    const now = this.now();
    const { records } = await this.feed.since(new Date(now.getTime() - MAX_SCHEDULING_DELAY_MINUTES * 60_000));
    const projects = [...new Set(records.filter((r) => r.payload.event === 'activation.scheduled' && typeof r.payload.project === 'string').map((r) => r.payload.project as string))].sort();
    const report: WorkflowPassReport = { done: [], pending: [], failures: [] };
    const dueBy = now.getTime() + this.settings.taskIntervalMinutes * 60_000;
    await forEachLimited(projects, PARALLEL_PROJECTS, async (projectId) => {
      try {
        const policy = await this.resourceManager.getProjectPolicy(projectId);
        const due = scheduledIn(policy).filter((s) => s.start.getTime() <= dueBy && s.end.getTime() > now.getTime());
        if (run.dryRun) report.pending.push(...new Set(due.map((d) => d.activationId)));
        else if (due.length > 0) report.done.push(...(await this.startDue(projectId, due, run.invoker, run.publicUrl)));
      } catch (e) {
        const message = `Scheduled grants on ${projectId} could not be started (the next run tries again): ${(e as Error).message}`;
        report.failures.push({ id: projectId, message });
        this.audit.record({ event: 'activation.scheduled.failed', severity: 'ERROR', outcome: 'failure', project: projectId, invoker: run.invoker, message });
      }
    });
    return { done: report.done.sort(), pending: report.pending.sort(), failures: report.failures };
  }

  /** Checks each due record's user and rule now, then grants or drops the records in one write. */
  private async startDue(projectId: string, due: readonly ScheduledActivation[], invoker: string, publicUrl: string): Promise<string[]> {
    const verdicts = new Map<ScheduledActivation, { role: EligibleRole } | { refusal: string }>();
    for (const record of due) verdicts.set(record, await this.verdictOn(projectId, record));
    // Only records still in the policy under the etag are acted on: one cancelled, or started by another
    // instance meanwhile, is gone, and nothing is granted for it.
    let acted: ScheduledActivation[] = [];
    const outcomes = new Map<ScheduledActivation, GrantOutcome>();
    await this.writer.apply(
      projectId,
      (policy) => {
        const present = scheduledIn(policy);
        acted = due.filter((d) => present.some((p) => isSameScheduled(p, d)));
        const removed = removeScheduled(policy, (s) => acted.some((a) => isSameScheduled(a, s))).policy;
        const granting = acted.filter((record) => 'role' in verdicts.get(record)!);
        const grants: ActivationGrant[] = granting.map((record) => {
          const { role } = verdicts.get(record) as { role: EligibleRole };
          return { user: record.user, role: record.role, resourceCondition: role.resourceCondition, start: record.start, end: record.end, description: record.grantDescription };
        });
        if (grants.length === 0) return removed;
        const added = addActivations(removed, grants);
        outcomes.clear();
        granting.forEach((record, i) => outcomes.set(record, added.outcomes[i]));
        return added.policy;
      },
      `Starting scheduled just-in-time access on ${projectId}`,
    );
    // One audit entry and one email per activation and user.
    const groups = new Map<string, ScheduledActivation[]>();
    for (const record of acted) groups.set(`${record.activationId} ${record.user}`, [...(groups.get(`${record.activationId} ${record.user}`) ?? []), record]);
    for (const records of groups.values()) {
      const { activationId, user, start, end } = records[0];
      this.catalog.invalidate(user, projectId);
      const granted = records.filter((r) => 'role' in verdicts.get(r)!);
      const refused = records.filter((r) => !('role' in verdicts.get(r)!));
      const base = { beneficiary: user, project: projectId, activationId, start: start.toISOString(), end: end.toISOString(), invoker };
      if (granted.length > 0) {
        this.audit.record({
          ...base,
          event: 'activation.scheduled.started',
          severity: 'NOTICE',
          outcome: 'success',
          message: `Granted ${granted.map((r) => `'${r.role}'`).join(', ')} on ${projectId} to ${user} from ${start.toISOString()} until ${end.toISOString()}, as scheduled (eligibility and the rule checked again)`,
          roles: granted.map((r) => ({ role: r.role, resourceCondition: (verdicts.get(r) as { role: EligibleRole }).role.resourceCondition })),
        });
        // Announced like the self-activation it is (Pub/Sub, chat, the rule's notify.emails, ticket write-back).
        const results = granted.map((r) => {
          const { role } = verdicts.get(r) as { role: EligibleRole };
          return grantResultOf(role, { start, end }, outcomes.get(r)!);
        });
        const justification = justificationOf(records[0].grantDescription);
        const announced = { beneficiary: user, projectId, roles: granted.map((r) => r.role), start, end, justification };
        const who = { email: user, userId: '', deviceId: '', accessLevels: [] };
        // A peer grant's approval was announced when it landed; the ITSM still hears when it is granted.
        const approval = parseApproval(records[0].grantDescription);
        await Promise.all([
          this.notifications.sendScheduledOutcome({ user, projectId, roles: granted.map((r) => r.role), start, end, refusal: null, publicUrl }, activationId),
          ...(activationId.startsWith('jit-')
            ? [this.notifications.sendSelfActivated(announced, activationId, who, results), this.ticketEvents?.activated(user, projectId, activationId, justification, results)]
            : approval.type === 'peer'
              ? [this.ticketEvents?.activated(user, projectId, activationId, justification, results, approval.approver)]
              : []),
        ]);
      }
      if (refused.length > 0) {
        const reason = refused.map((r) => (verdicts.get(r) as { refusal: string }).refusal).join(' ');
        this.audit.record({
          ...base,
          event: 'activation.scheduled.refused',
          severity: 'WARNING',
          outcome: 'denied',
          message: `Did not grant ${refused.map((r) => `'${r.role}'`).join(', ')} on ${projectId} to ${user} as scheduled: ${reason}`,
          roles: refused.map((r) => ({ role: r.role, resourceCondition: null })),
          reason,
        });
        await this.notifications.sendScheduledOutcome({ user, projectId, roles: refused.map((r) => r.role), start, end, refusal: reason, publicUrl }, activationId);
      }
    }
    return [...new Set(acted.map((a) => a.activationId))];
  }

  /** Whether the record's user may hold its grant at its start: eligibility read fresh, the rule checked again. */
  private async verdictOn(projectId: string, record: ScheduledActivation): Promise<{ role: EligibleRole } | { refusal: string }> {
    const peer = record.activationId.startsWith('mpa-');
    try {
      const { roles } = await this.catalog.freshRoles(record.user, projectId);
      const role = roles.find((r) => r.role === record.role && conditionFingerprint(r.resourceCondition) === record.resourceConditionFingerprint && (peer || r.type === 'self'));
      if (!role) return { refusal: `${record.user} is no longer eligible for '${record.role}' on ${projectId}${peer ? '' : ' with self-approval'}.` };
      const policyRules = this.rules.policy;
      if (policyRules) {
        const durationMinutes = Math.round((record.end.getTime() - record.start.getTime()) / 60_000);
        const justification = justificationOf(record.grantDescription);
        const start = new Date(Math.max(record.start.getTime(), this.now().getTime()));
        await policyRules.enforce(record.user, projectId, [role], { justification, durationMinutes }, peer ? 'approval' : 'self-activation', start);
        const demands = (await policyRules.demandsFor(projectId, [role], start)).get(role.id)!;
        if (!peer && !demands.scheduling) return { refusal: `${ruleLabel(demands)} no longer allows a later start.` };
      }
      return { role };
    } catch (e) {
      if (e instanceof AppError && e.httpStatus < 500) return { refusal: e.message };
      throw e;
    }
  }
}

function recordOf(activationId: string, user: string, role: EligibleRole, start: Date, end: Date, grantDescription: string): ScheduledActivation {
  return { activationId, user: user.toLowerCase(), role: role.role, resourceConditionFingerprint: conditionFingerprint(role.resourceCondition), start, end, grantDescription };
}

