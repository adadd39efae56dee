// Self-activation: check the request, re-check eligibility with a fresh read, write every role of the
// request in one read-modify-write of the project's policy, and audit the outcome.
import { randomBytes } from 'node:crypto';
import { describeEntitlement } from '../domain/entitlement';
import { activationDescription, type ActivationGrant } from '../domain/activation-binding';
import { addActivations, type GrantOutcome } from '../domain/policy-edit';
import { normalizeJustification } from '../domain/justification';
import type { Validity } from '../domain/validity';
import { endOfActivation, startOfActivation } from '../domain/activation-request';
import type { Catalog } from './catalog';
import type { PolicyWriter } from './policy-writer';
import type { AuditLog, AuditUser } from './audit';
import { asAppError, failureOf } from './failures';
import { EntitlementChecks, type ActivationRules } from './entitlement-checks';
import type { NotificationService } from './notification';
import type { TicketEvents } from './ticket-events';

export interface GrantResult {
  id: string;
  role: string;
  resourceCondition: string | null;
  /** The grant in force after the request: the new one, or the one kept. */
  start: Date;
  end: Date;
  /** See GrantOutcome: `kept` when a grant in force already lasted as long or longer (never shortened). */
  outcome: 'granted' | 'extended' | 'kept';
  /** When the grant in force before the request ended; null when there was none. */
  previousEnd: Date | null;
}

/** The caller's view of what adding a grant did; see addActivations. */
export function grantResultOf(entitlement: { id: string; role: string; resourceCondition: string | null }, requested: Validity, outcome: GrantOutcome): GrantResult {
  const base = { id: entitlement.id, role: entitlement.role, resourceCondition: entitlement.resourceCondition };
  if (outcome.type === 'kept') return { ...base, ...validityOf(outcome.current), outcome: 'kept', previousEnd: outcome.current.end };
  return { ...base, ...validityOf(requested), outcome: outcome.type, previousEnd: outcome.type === 'extended' ? outcome.previous.end : null };
}

function validityOf(validity: Validity): Validity {
  return { start: validity.start, end: validity.end };
}

export interface ActivationResult {
  activationId: string;
  /** As recorded: tabs read as spaces (see normalizeJustification). */
  justification: string;
  grants: GrantResult[];
  notificationFailures: string[];
}

/** `jit-` or `mpa-` and 12 random bytes in base64, as jit-access 1.x forms activation ids. */
export function newActivationId(type: 'self' | 'peer'): string {
  return `${type === 'self' ? 'jit' : 'mpa'}-${randomBytes(12).toString('base64')}`;
}

export class ActivationService {
  private readonly checks: EntitlementChecks;

  constructor(
    private readonly catalog: Catalog,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    rules: ActivationRules,
    private readonly notifications: NotificationService,
    private readonly now: () => Date = () => new Date(),
    /** Ticket write-back, under an access policy; told once the grants are written, never changing the outcome. */
    private readonly ticketEvents?: TicketEvents,
  ) {
    this.checks = new EntitlementChecks(catalog, rules);
  }

  async selfActivate(user: AuditUser, projectId: string, roleIds: string[], givenJustification: string, durationMinutes: number): Promise<ActivationResult> {
    const justification = normalizeJustification(givenJustification);
    const activationId = newActivationId('self');
    const start = startOfActivation(this.now());
    // The end is known once the duration is checked: a duration too large for a date has none.
    const context: { user: AuditUser; project: string; justification: string; activationId: string; start: string; end?: string } = {
      user,
      project: projectId,
      justification,
      activationId,
      start: start.toISOString(),
    };
    try {
      const requested = this.checks.entitlementsOf(projectId, roleIds);
      this.checks.checkJustificationAndDuration(justification, durationMinutes);
      const end = endOfActivation(start, durationMinutes);
      context.end = end.toISOString();
      // The policy is read while eligibility is checked: an activation then costs two round trips, not three.
      const eligible = await this.writer.readAhead(projectId, () => this.checks.requireEligible(user.email, projectId, requested, 'self'));
      await this.checks.requirePolicy(user.email, projectId, eligible, { justification, durationMinutes }, 'self-activation');
      const description = activationDescription({ type: 'self', justification });
      const grants: ActivationGrant[] = eligible.map((r) => ({ user: user.email, role: r.role, resourceCondition: r.resourceCondition, start, end, description }));
      // What the written edit did. The writer may run an edit again to see whether a write that timed out
      // landed: that run finds its own grants in force and must not turn them into "kept".
      let outcomes: GrantOutcome[] | undefined;
      await this.writer.apply(
        projectId,
        (policy) => {
          const added = addActivations(policy, grants);
          if (added.policy !== policy || outcomes === undefined) outcomes = added.outcomes;
          return added.policy;
        },
        description,
      );
      const results = eligible.map((r, i) => grantResultOf(r, { start, end }, outcomes![i]));
      this.catalog.invalidate(user.email, projectId);
      const kept = results.filter((r) => r.outcome === 'kept');
      this.audit.record({
        ...context,
        event: 'activation.succeeded',
        severity: 'NOTICE',
        outcome: 'success',
        message:
          `User ${user.email} activated ${eligible.map((r) => `'${describeEntitlement(r)}'`).join(', ')} for themselves for ${durationMinutes} minutes` +
          (kept.length > 0 ? `; kept ${kept.map((r) => `'${r.role}' (in force until ${r.end.toISOString()})`).join(', ')} unchanged, as it already lasted longer` : ''),
        roles: eligible.map((r) => ({ role: r.role, resourceCondition: r.resourceCondition })),
        grants: results.map((r) => ({ role: r.role, resourceCondition: r.resourceCondition, outcome: r.outcome, end: r.end.toISOString(), previousEnd: r.previousEnd?.toISOString() ?? null })),
      });
      const [notificationFailures] = await Promise.all([
        this.notifications.sendSelfActivated(
          { beneficiary: user.email, projectId, roles: eligible.map((r) => r.role), start, end, justification },
          activationId,
          user,
          eligible.map((r) => ({ role: r.role, resourceCondition: r.resourceCondition })),
        ),
        this.ticketEvents?.activated(user.email, projectId, activationId, justification, results),
      ]);
      return { activationId, justification, grants: results, notificationFailures };
    } catch (e) {
      const error = asAppError(e);
      this.audit.record({
        ...context,
        ...failureOf(error),
        event: 'activation.failed',
        message: `User ${user.email} failed to activate ${roleIds.length} role(s) on ${projectId}: ${error.message}`,
        requestedRoles: roleIds.slice(0, 20),
      });
      throw error;
    }
  }
}
