// Break-glass (see domain/break-glass): activating at once a role that needs approval, where the rule allows
// it; telling its reviewers; their review afterwards; the list of activations waiting for a reviewer; and the
// one reminder of an overdue review, which the sweeper's task sends.
import { randomBytes } from 'node:crypto';
import { activationDescription, type ActivationGrant } from '../domain/activation-binding';
import { endOfActivation, startOfActivation, checkDurationMinutes } from '../domain/activation-request';
import { MAX_POLICY_MINUTES } from '../domain/access-policy';
import {
  breakGlassCasesOf,
  markBreakGlass,
  principalsOf,
  reviewsActivation,
  type BreakGlassActivation,
  type BreakGlassCase,
  type BreakGlassMark,
  type ReviewOutcome,
} from '../domain/break-glass';
import { describeEntitlement, entitlementId } from '../domain/entitlement';
import { JustificationPolicy, normalizeJustification } from '../domain/justification';
import { addActivations, type GrantOutcome } from '../domain/policy-edit';
import { AppError, forbidden, invalidInput, notEligible, notFound } from '../errors';
import { grantResultOf, type GrantResult } from './activation';
import type { AccessRules } from './access-policy-rules';
import type { AuditFeed } from './audit-feed';
import { asAppError } from './failures';
import type { AuditLog, AuditUser } from './audit';
import type { Catalog } from './catalog';
import type { EntitlementChecks } from './entitlement-checks';
import type { NotificationService } from './notification';
import type { PolicyWriter } from './policy-writer';

export interface BreakGlassDependencies {
  catalog: Catalog;
  checks: EntitlementChecks;
  writer: PolicyWriter;
  audit: AuditLog;
  notifications: NotificationService;
  /** Absent without ACCESS_POLICY: break-glass is a setting of the policy's rules. */
  policy?: AccessRules;
  /** The shared reader of the audit log: activations and reviews are read back from it. */
  feed: Pick<AuditFeed, 'since'>;
  /** How far back the feed reaches: activations older than this are no longer listed or reviewable here. */
  feedMaxAgeMs: number;
  /** The user's groups; `fresh` for decisions (who may review gates the review). */
  groupsOf(email: string, fresh: boolean): Promise<string[]>;
  /** The longest reason, as for justifications (JUSTIFICATION_MAX_LENGTH). */
  reasonMaxLength: number;
}

export interface BreakGlassRequest {
  role: string;
  reason: string;
  durationMinutes: number;
}

export interface BreakGlassResult {
  activation: BreakGlassActivation;
  grant: GrantResult;
  notificationFailures: string[];
}

export interface BreakGlassView {
  case: BreakGlassCase;
  viewer: { email: string; isActivator: boolean; isReviewer: boolean; canReview: boolean };
  /** When the audit log was last read: newer activations and reviews are not known yet. */
  readAt: Date;
}

/** The reminders one sweep sends at most: each costs a read and a write of a project's policy. */
export const MAX_REMINDERS_PER_RUN = 10;

export interface ReminderReport {
  reminded: string[];
  /** Overdue activations left for the next run (over MAX_REMINDERS_PER_RUN, or a dry run). */
  pending: string[];
  failures: { activationId: string; message: string }[];
}

export function newBreakGlassId(): string {
  return `bg-${randomBytes(12).toString('base64url')}`;
}

const noPolicy = () =>
  forbidden('BREAK_GLASS_NOT_ALLOWED', 'Break-glass is allowed per rule of the access policy, and this service runs without one (ACCESS_POLICY is not set). Request approval instead.');

export class BreakGlassService {
  private readonly reasons: JustificationPolicy;

  constructor(
    private readonly deps: BreakGlassDependencies,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Any text: an emergency may come before its ticket. Single line, no hidden characters, bounded length.
    this.reasons = new JustificationPolicy({ pattern: '.*\\S.*', hint: 'Say why you break the glass', maxLength: deps.reasonMaxLength });
  }

  async activate(user: AuditUser, projectId: string, given: BreakGlassRequest, publicUrl: string): Promise<BreakGlassResult> {
    const reason = normalizeJustification(given.reason);
    const { checks, catalog, writer, audit, notifications } = this.deps;
    const activationId = newBreakGlassId();
    const context = { user, project: projectId, activationId, justification: reason, reason };
    try {
      if (!this.deps.policy) throw noPolicy();
      const [requested] = checks.entitlementsOf(projectId, [given.role], 1);
      const problem = this.reasons.checkJustification(reason);
      if (problem) throw invalidInput(`${problem.replace(/justification/i, 'reason')}: break-glass needs a reason.`);
      const durationProblem = checkDurationMinutes(given.durationMinutes, MAX_POLICY_MINUTES);
      if (durationProblem) throw invalidInput(durationProblem);
      const start = startOfActivation(this.now());
      const end = endOfActivation(start, given.durationMinutes);
      const [eligible] = await writer.readAhead(projectId, () => checks.requireEligible(user.email, projectId, [requested], 'any').catch((e) => Promise.reject(breakGlassRefusalOf(e, user.email, requested.id))));
      const demands = await this.deps.policy.enforceBreakGlass(user.email, projectId, eligible, given.durationMinutes);
      const bg = demands.breakGlass!;
      const description = activationDescription({ type: 'break-glass', justification: reason });
      const grant: ActivationGrant = { user: user.email, role: eligible.role, resourceCondition: eligible.resourceCondition, start, end, description };
      let outcome: GrantOutcome | undefined;
      await writer.apply(
        projectId,
        (policy) => {
          const added = addActivations(policy, [grant]);
          if (added.policy !== policy || outcome === undefined) outcome = added.outcomes[0];
          return added.policy;
        },
        description,
      );
      catalog.invalidate(user.email, projectId);
      const activation: BreakGlassActivation = {
        activationId,
        at: start,
        user: user.email.toLowerCase(),
        projectId,
        role: eligible.role,
        resourceCondition: eligible.resourceCondition,
        durationMinutes: given.durationMinutes,
        start,
        end,
        reason,
        reviewers: [...bg.reviewers],
        reviewBy: new Date(start.getTime() + bg.reviewWithinMinutes * 60_000),
        outsideSchedule: demands.schedule !== null && !demands.schedule.insideNow,
        rule: demands.rule,
        bindingType: eligible.type,
      };
      const result = grantResultOf(eligible, { start, end }, outcome!);
      audit.record({
        ...context,
        event: 'breakglass.activated',
        severity: 'WARNING',
        outcome: 'success',
        message: `User ${user.email} broke the glass: activated '${describeEntitlement(eligible)}' for ${given.durationMinutes} minutes without approval (${demands.rule ? `rule '${demands.rule}'` : 'policy defaults'}); reviewers ${bg.reviewers.join(', ')} review it by ${activation.reviewBy.toISOString()}: ${reason}`,
        role: eligible.role,
        resourceCondition: eligible.resourceCondition,
        roles: [{ role: eligible.role, resourceCondition: eligible.resourceCondition }],
        durationMinutes: given.durationMinutes,
        start: start.toISOString(),
        end: end.toISOString(),
        reviewers: [...bg.reviewers],
        reviewBy: activation.reviewBy.toISOString(),
        outsideSchedule: activation.outsideSchedule,
        rule: demands.rule,
        bindingType: eligible.type,
        grant: { outcome: result.outcome, end: result.end.toISOString(), previousEnd: result.previousEnd?.toISOString() ?? null },
      });
      const notificationFailures = await notifications.sendBreakGlass(activation, 'activated', eligible.type, publicUrl, user);
      return { activation, grant: result, notificationFailures };
    } catch (e) {
      const error = asAppError(e);
      audit.record({
        ...context,
        event: 'breakglass.failed',
        severity: 'WARNING',
        outcome: error instanceof AppError && error.httpStatus < 500 ? 'denied' : 'failure',
        message: `User ${user.email} failed to break the glass on '${given.role.slice(0, 2000)}' for ${given.durationMinutes} minutes: ${error.message}`,
        requestedRole: given.role.slice(0, 2000),
        durationMinutes: given.durationMinutes,
        error: { code: error instanceof AppError ? error.code : 'INTERNAL', message: error.message },
      });
      throw error;
    }
  }

  /** An activation, for its user and its reviewers (group membership read from the cache). */
  async show(user: AuditUser, activationId: string): Promise<BreakGlassView> {
    const { found, readAt } = await this.caseOf(activationId);
    const principals = principalsOf(user.email, await this.deps.groupsOf(user.email, false));
    const isActivator = found.activation.user === user.email.toLowerCase();
    const isReviewer = reviewsActivation(found.activation, principals);
    if (!isActivator && !isReviewer) {
      throw forbidden('NOT_A_REVIEWER', `You (${user.email}) are neither the user nor a reviewer of the break-glass activation ${activationId}, so you cannot open it.`);
    }
    // A reviewer the entry names but the access policy does not (a planted entry, or the policy changed) cannot review it.
    const named = isReviewer && found.review === null ? await this.policyReviewersOf(found.activation) : new Set<string>();
    const canReview = [...named].some((r) => principals.has(r));
    return { case: found, viewer: { email: user.email.toLowerCase(), isActivator, isReviewer, canReview }, readAt };
  }

  /**
   * A reviewer acknowledges or flags an activation, once: the review is recorded in the project's policy under
   * its etag (a second review, on any instance, finds it) and in the audit log (which remembers it after).
   */
  async review(user: AuditUser, activationId: string, outcome: ReviewOutcome, note: string | null): Promise<BreakGlassCase> {
    let activation: BreakGlassActivation | undefined;
    try {
      const { found } = await this.caseOf(activationId);
      activation = found.activation;
      const principals = principalsOf(user.email, await this.deps.groupsOf(user.email, true));
      if (activation.user === user.email.toLowerCase()) {
        throw forbidden('SELF_REVIEW', 'You cannot review your own break-glass activation: its reviewers do.');
      }
      if (!reviewsActivation(activation, principals)) {
        throw forbidden('NOT_A_REVIEWER', `You (${user.email}) are not a reviewer of this break-glass activation; its reviewers are ${activation.reviewers.join(', ')}.`);
      }
      // The entry could have been planted by anyone who may write to the log: only a reviewer the access policy
      // names now may have the service write a review mark (which names them) into the project's policy.
      const named = await this.policyReviewersOf(activation);
      if (![...named].some((r) => principals.has(r))) {
        throw forbidden(
          'NOT_A_POLICY_REVIEWER',
          `You (${user.email}) are not among the break-glass reviewers the access policy names for ${describeEntitlement(activation)} now (${[...named].join(', ') || 'none'}), so you cannot review this activation: its audit entry names reviewers the policy does not, or the policy changed since. Ask an administrator to check it in the Admin area.`,
        );
      }
      if (found.review) throw alreadyReviewed(found.review);
      const existing = await this.mark(activation.projectId, { kind: outcome, activationId, actor: user.email, note }, `Break-glass review of ${activationId} by ${user.email.toLowerCase()}`);
      if (existing) throw alreadyReviewed({ outcome: existing.kind as ReviewOutcome, reviewer: existing.actor, at: existing.at, note: existing.reason });
      const review = { outcome, note, reviewer: user.email.toLowerCase(), at: this.now() };
      this.deps.audit.record({
        event: 'breakglass.reviewed',
        severity: outcome === 'flagged' ? 'WARNING' : 'NOTICE',
        outcome,
        user,
        project: activation.projectId,
        activationId,
        beneficiary: activation.user,
        roles: [{ role: activation.role, resourceCondition: activation.resourceCondition }],
        note,
        reviewer: review.reviewer,
        message: `User ${user.email} ${outcome} the break-glass activation ${activationId} of '${activation.role}' on ${activation.projectId} by ${activation.user}${note ? `: ${note}` : ''}`,
      });
      return { ...found, review };
    } catch (e) {
      const error = asAppError(e);
      this.deps.audit.record({
        event: 'breakglass.review.failed',
        severity: 'WARNING',
        outcome: error instanceof AppError && error.httpStatus < 500 ? 'denied' : 'failure',
        user,
        activationId,
        ...(activation ? { project: activation.projectId, beneficiary: activation.user } : {}),
        message: `User ${user.email} failed to review the break-glass activation ${activationId}: ${error.message}`,
        error: { code: error instanceof AppError ? error.code : 'INTERNAL', message: error.message },
      });
      throw error;
    }
  }

  /** Break-glass activations waiting for this user's review, the most urgent first, from the shared feed. */
  async waitingFor(user: AuditUser): Promise<{ cases: BreakGlassCase[]; readAt: Date }> {
    const [{ cases, readAt }, groups] = await Promise.all([this.cases(), this.deps.groupsOf(user.email, false)]);
    const principals = principalsOf(user.email, groups);
    const waiting = [...cases.values()].filter((c) => c.review === null && reviewsActivation(c.activation, principals));
    return { cases: waiting.sort((a, b) => a.activation.reviewBy.getTime() - b.activation.reviewBy.getTime()), readAt };
  }

  /**
   * Reminds the reviewers of each activation past its review deadline and still unreviewed, once: the reminder
   * is marked in the project's policy under its etag before it is sent, so no two runs or instances send it.
   */
  async remindOverdue(options: { dryRun: boolean; invoker: string }, publicUrl: string): Promise<ReminderReport> {
    const now = this.now().getTime();
    const { cases } = await this.cases();
    const overdue = [...cases.values()].filter((c) => c.review === null && c.remindedAt === null && c.activation.reviewBy.getTime() <= now);
    const due = options.dryRun ? [] : overdue.slice(0, MAX_REMINDERS_PER_RUN);
    const report: ReminderReport = { reminded: [], pending: overdue.filter((c) => !due.includes(c)).map((c) => c.activation.activationId), failures: [] };
    for (const { activation } of due) {
      const { activationId } = activation;
      try {
        const refusal = await this.reviewersProblem(activation);
        if (refusal) {
          report.failures.push({ activationId, message: refusal });
          continue;
        }
        const existing = await this.mark(activation.projectId, { kind: 'reminded', activationId, actor: activation.user, note: null }, `Reminder of the break-glass review of ${activationId}`);
        if (existing) continue;
        const notificationFailures = await this.deps.notifications.sendBreakGlass(activation, 'overdue', activation.bindingType, publicUrl);
        report.reminded.push(activationId);
        this.deps.audit.record({
          event: 'breakglass.reminded',
          severity: 'WARNING',
          outcome: 'success',
          project: activation.projectId,
          activationId,
          beneficiary: activation.user,
          reviewers: [...activation.reviewers],
          reviewBy: activation.reviewBy.toISOString(),
          invoker: options.invoker,
          notificationFailures,
          message: `Reminded ${activation.reviewers.join(', ')} of the break-glass activation ${activationId} by ${activation.user}, unreviewed since ${activation.reviewBy.toISOString()}`,
        });
      } catch (e) {
        report.failures.push({ activationId, message: (e as Error).message });
      }
    }
    return report;
  }

  /**
   * Why a reminder may not go to the reviewers an audit entry names, or null. Anyone who may write to the log
   * could plant an activation entry, so reminders go only to the break-glass reviewers the access policy names
   * for that role now: never to addresses someone else chose.
   */
  private async reviewersProblem(activation: BreakGlassActivation): Promise<string | null> {
    const configured = await this.policyReviewersOf(activation);
    const named = activation.reviewers.map((r) => r.toLowerCase());
    if (named.length > 0 && named.every((r) => configured.has(r))) return null;
    return `Its reviewers (${named.join(', ')}) are not break-glass reviewers the access policy names for ${describeEntitlement(activation)} now, so no reminder was sent; the Admin area's alerts still list it.`;
  }

  /** The break-glass reviewers (principals, lower case) the access policy names now for the activation's role; none without a policy. */
  private async policyReviewersOf(activation: BreakGlassActivation): Promise<Set<string>> {
    const { projectId, role, resourceCondition, bindingType } = activation;
    if (!this.deps.policy) return new Set();
    const entitlement = { projectId, role, resourceCondition };
    const demands = (await this.deps.policy.demandsFor(projectId, [{ ...entitlement, id: entitlementId(entitlement), type: bindingType }])).values().next().value;
    return new Set((demands?.breakGlass?.reviewers ?? []).map((r) => r.toLowerCase()));
  }

  /** Records a mark once; returns the mark found already recorded instead, if any. */
  private async mark(projectId: string, mark: BreakGlassMark, reason: string) {
    let found: ReturnType<typeof markBreakGlass>['existing'] = null;
    let wrote = false;
    await this.deps.writer.apply(
      projectId,
      (policy) => {
        const edit = markBreakGlass(policy, mark, this.now());
        if (edit.full) {
          throw new AppError(409, 'TOO_MANY_OPEN_DECISIONS', `The IAM policy of project ${projectId} holds as many decision records as Google's limits allow; try again in a while.`);
        }
        // A run after a write that timed out finds this very mark: it was written, by us.
        found = wrote && edit.existing?.actor === mark.actor.toLowerCase() && edit.existing.kind === mark.kind ? null : edit.existing;
        if (edit.policy !== policy) wrote = true;
        return edit.policy;
      },
      reason,
    );
    return found as ReturnType<typeof markBreakGlass>['existing'];
  }

  private async cases(): Promise<{ cases: Map<string, BreakGlassCase>; readAt: Date }> {
    const { records, readAt } = await this.deps.feed.since(new Date(this.now().getTime() - this.deps.feedMaxAgeMs));
    return { cases: breakGlassCasesOf(records), readAt };
  }

  private async caseOf(activationId: string): Promise<{ found: BreakGlassCase; readAt: Date }> {
    const { cases, readAt } = await this.cases();
    const found = cases.get(activationId);
    if (!found) {
      throw notFound(
        `No break-glass activation ${activationId} is in the audit log of the last ${Math.round(this.deps.feedMaxAgeMs / 86_400_000)} days as read at ${readAt.toISOString()}. A new one appears within AUDIT_POLL_SECONDS; check the link.`,
      );
    }
    return { found, readAt };
  }
}

/** Not eligible, said for break-glass: an eligible binding of either type is what it needs. */
function breakGlassRefusalOf(e: unknown, email: string, roleId: string): unknown {
  if (e instanceof AppError && e.code === 'NOT_ELIGIBLE') return notEligible(`You (${email}) are not eligible for '${roleId}', so you cannot break the glass on it.`);
  return e;
}

function alreadyReviewed(review: { outcome: ReviewOutcome; reviewer: string; at: Date; note: string | null }): AppError {
  return new AppError(409, 'ALREADY_REVIEWED', `This break-glass activation was already ${review.outcome} by ${review.reviewer} at ${review.at.toISOString()}${review.note ? ` (${review.note})` : ''}; it takes one review.`);
}

