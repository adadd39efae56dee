// The caller's own grants in force: list them, end one early, extend one. Every answer comes from the
// projects' IAM policies as they are now; an id only ever matches a binding of the caller's own member.
import { activeGrantsOf, findActiveGrant, grantId, parseGrantId, type ActiveGrant, type GrantKey } from '../domain/grant';
import { activationDescription, type ActivationGrant } from '../domain/activation-binding';
import { addActivations, removeActivation } from '../domain/policy-edit';
import { checkDurationMinutes, endOfActivation, startOfActivation } from '../domain/activation-request';
import { describeEntitlement, entitlementId } from '../domain/entitlement';
import type { JustificationPolicy } from '../domain/justification';
import { InvalidInputError } from '../domain/invalid-input-error';
import type { ResourceManager } from '../google/resource-manager';
import { AppError, forbidden, invalidInput, notEligible, notFound } from '../errors';
import type { Catalog } from './catalog';
import type { PolicyWriter } from './policy-writer';
import type { AuditEventName, AuditLog, AuditUser } from './audit';

export interface GrantRules {
  justification: JustificationPolicy;
  maxDurationMinutes: number;
}

export interface GrantList {
  grants: ActiveGrant[];
  /** Projects whose policy could not be read: their grants are missing from the list. */
  warnings: string[];
}

export interface ExtendedGrant {
  previous: ActiveGrant;
  grant: ActiveGrant;
}

export class GrantService {
  constructor(
    private readonly catalog: Catalog,
    private readonly resourceManager: ResourceManager,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    private readonly rules: GrantRules,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Grants in force on the user's projects. Each project's own policy is read (activations live on
   * projects only): it is current, where Asset Inventory may lag minutes behind an end or an extension.
   */
  async list(userEmail: string): Promise<GrantList> {
    const projects = await this.catalog.listProjects(userEmail);
    const now = this.now();
    const perProject = await Promise.all(
      projects.map(async (projectId) => {
        try {
          const policy = await this.resourceManager.getProjectPolicy(projectId);
          return { grants: activeGrantsOf(policy.bindings ?? [], userEmail, projectId, now), warning: undefined };
        } catch (e) {
          return { grants: [], warning: `Your grants on project ${projectId} could not be read: ${(e as Error).message}` };
        }
      }),
    );
    const grants = perProject.flatMap((p) => p.grants).sort(byProjectAndRole);
    return { grants, warnings: perProject.flatMap((p) => (p.warning ? [p.warning] : [])) };
  }

  /** Removes the user's grant now; the reason goes to the audit log. */
  async end(user: AuditUser, id: string, reason: string | undefined): Promise<{ ended: ActiveGrant; endedAt: Date }> {
    return this.audited(user, 'grant.end.failed', `end grant ${id}`, { reason }, async () => {
      const grant = await this.currentGrant(user.email, id);
      const description = `Ended early by ${user.email}${reason ? `: ${reason}` : ''}`;
      await this.writer.apply(
        grant.projectId,
        (policy) => {
          const { policy: edited, removed } = removeActivation(policy, { user: user.email, role: grant.role, resourceCondition: grant.resourceCondition });
          return removed.length > 0 ? edited : policy;
        },
        description,
      );
      this.catalog.invalidate(user.email);
      const endedAt = this.now();
      this.audit.record({
        event: 'grant.ended',
        severity: 'NOTICE',
        outcome: 'success',
        message: `User ${user.email} ended their grant of '${describeEntitlement(grant)}' early (it would have lasted until ${grant.end.toISOString()})${reason ? `: ${reason}` : ''}`,
        user,
        project: grant.projectId,
        roles: [{ role: grant.role, resourceCondition: grant.resourceCondition }],
        start: grant.start.toISOString(),
        end: grant.end.toISOString(),
        endedAt: endedAt.toISOString(),
        reason: reason ?? null,
        approval: grant.approval,
      });
      return { ended: grant, endedAt };
    });
  }

  /**
   * Replaces the user's grant of a self-approval role with one that ends `durationMinutes` from now.
   * Eligibility is read fresh: a role that became peer-approval, or that the user lost, is not extended.
   */
  async extend(user: AuditUser, id: string, durationMinutes: number, justification: string | undefined): Promise<ExtendedGrant> {
    return this.audited(user, 'grant.extend.failed', `extend grant ${id}`, { durationMinutes, justification }, async () => {
      const durationProblem = checkDurationMinutes(durationMinutes, this.rules.maxDurationMinutes);
      if (durationProblem) throw invalidInput(durationProblem);
      const previous = await this.currentGrant(user.email, id);
      const kept = this.justificationFor(previous, justification);
      const start = startOfActivation(this.now());
      const end = endOfActivation(start, durationMinutes);
      if (end.getTime() <= previous.end.getTime()) {
        throw invalidInput(
          `The grant already lasts until ${previous.end.toISOString()}; ${durationMinutes} minutes from now would end it earlier, at ${end.toISOString()}. Choose a longer duration (at most ${this.rules.maxDurationMinutes} minutes), or end the grant instead.`,
        );
      }
      await this.checkSelfEligible(user.email, previous);

      const description = activationDescription({ type: 'self', justification: kept });
      const replacement: ActivationGrant = { user: user.email, role: previous.role, resourceCondition: previous.resourceCondition, start, end, description };
      await this.writer.apply(previous.projectId, (policy) => addActivations(policy, [replacement]), description);
      this.catalog.invalidate(user.email);
      const key = { projectId: previous.projectId, role: previous.role, resourceCondition: previous.resourceCondition, start, end };
      const grant: ActiveGrant = { ...key, id: grantId(key), approval: { type: 'self', justification: kept } };
      this.audit.record({
        event: 'grant.extended',
        severity: 'NOTICE',
        outcome: 'success',
        message: `User ${user.email} extended their grant of '${describeEntitlement(previous)}' from ${previous.end.toISOString()} to ${end.toISOString()}`,
        user,
        project: previous.projectId,
        roles: [{ role: previous.role, resourceCondition: previous.resourceCondition }],
        start: start.toISOString(),
        end: end.toISOString(),
        previousEnd: previous.end.toISOString(),
        justification: kept,
      });
      return { previous, grant };
    });
  }

  /** The caller's grant in force that the id names, read fresh from the project's policy. */
  private async currentGrant(userEmail: string, id: string): Promise<ActiveGrant> {
    const key = parseGrantId(id);
    const missing = notFound(
      `You (${userEmail}) hold no grant in force with this id on project ${key.projectId}: it has expired, was ended or replaced, or is not yours. List your grants again.`,
    );
    // Only projects the catalog offers the user: the same scope the list shows.
    if (!(await this.catalog.listProjects(userEmail)).includes(key.projectId)) throw missing;
    const policy = await this.resourceManager.getProjectPolicy(key.projectId);
    const grant = findActiveGrant(policy.bindings ?? [], userEmail, key, this.now());
    if (!grant) throw missing;
    return grant;
  }

  /** The justification given, else the grant's own; either must pass today's justification policy. */
  private justificationFor(grant: ActiveGrant, given: string | undefined): string {
    const text = given ?? (grant.approval.type === 'unknown' ? undefined : grant.approval.justification);
    const problem = this.rules.justification.checkJustification(text);
    if (problem !== null || text === undefined) {
      const reason = problem ?? 'Provide a justification';
      throw invalidInput(given === undefined ? `The grant's own justification cannot be kept (${reason}); give a new one.` : reason);
    }
    return text;
  }

  private async checkSelfEligible(userEmail: string, grant: GrantKey): Promise<void> {
    const { roles } = await this.catalog.freshRoles(userEmail, grant.projectId);
    const role = roles.find((r) => r.id === entitlementId(grant));
    const name = describeEntitlement(grant);
    const until = `The current grant stays until ${grant.end.toISOString()}.`;
    if (!role) throw notEligible(`You (${userEmail}) are no longer eligible for '${name}', so it cannot be extended. ${until}`);
    if (role.type === 'peer') {
      throw forbidden('APPROVAL_REQUIRED', `'${name}' needs peer approval: it cannot be extended without a new approval. Request approval again. ${until}`);
    }
  }

  /** Runs a change; a refusal or failure is audited under `event` and rethrown as an AppError. */
  private async audited<T>(user: AuditUser, event: AuditEventName, what: string, context: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      const error = e instanceof InvalidInputError ? invalidInput(e.message) : e;
      this.audit.record({
        ...context,
        event,
        severity: 'WARNING',
        outcome: error instanceof AppError && error.httpStatus < 500 ? 'denied' : 'failure',
        message: `User ${user.email} failed to ${what}: ${(error as Error).message}`,
        user,
        error: { code: error instanceof AppError ? error.code : 'INTERNAL', message: (error as Error).message },
      });
      throw error;
    }
  }
}

function byProjectAndRole(a: ActiveGrant, b: ActiveGrant): number {
  return a.projectId.localeCompare(b.projectId) || a.role.localeCompare(b.role) || (a.resourceCondition ?? '').localeCompare(b.resourceCondition ?? '');
}
