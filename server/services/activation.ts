// Self-activation: check the request, re-check eligibility with a fresh read, write every role of the
// request in one read-modify-write of the project's policy, and audit the outcome.
import { randomBytes } from 'node:crypto';
import { parseEntitlementId, describeEntitlement } from '../domain/entitlement';
import { activationDescription, type ActivationGrant } from '../domain/activation-binding';
import { addActivations } from '../domain/policy-edit';
import { checkDurationMinutes, endOfActivation, startOfActivation } from '../domain/activation-request';
import type { JustificationPolicy } from '../domain/justification';
import type { EligibleRole } from '../domain/eligible-roles';
import { InvalidInputError } from '../domain/invalid-input-error';
import { AppError, invalidInput, notEligible } from '../errors';
import type { Catalog } from './catalog';
import type { PolicyWriter } from './policy-writer';
import type { AuditLog, AuditUser } from './audit';

export interface ActivationRules {
  justification: JustificationPolicy;
  maxDurationMinutes: number;
  maxRolesPerRequest: number;
}

export interface GrantResult {
  id: string;
  role: string;
  resourceCondition: string | null;
  start: Date;
  end: Date;
}

export interface ActivationResult {
  activationId: string;
  grants: GrantResult[];
  notificationFailures: string[];
}

/** `jit-` or `mpa-` and 12 random bytes in base64, as jit-access 1.x forms activation ids. */
export function newActivationId(type: 'self' | 'peer'): string {
  return `${type === 'self' ? 'jit' : 'mpa'}-${randomBytes(12).toString('base64')}`;
}

export class ActivationService {
  constructor(
    private readonly catalog: Catalog,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    private readonly rules: ActivationRules,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async selfActivate(user: AuditUser, projectId: string, roleIds: string[], justification: string, durationMinutes: number): Promise<ActivationResult> {
    const activationId = newActivationId('self');
    const start = startOfActivation(this.now());
    const end = endOfActivation(start, durationMinutes);
    const context = { user, project: projectId, justification, activationId, start: start.toISOString(), end: end.toISOString() };
    try {
      const requested = this.checkRequest(projectId, roleIds, justification, durationMinutes);
      const eligible = await this.eligibleFor(user.email, projectId, requested, 'self');
      const description = activationDescription({ type: 'self', justification });
      const grants: ActivationGrant[] = eligible.map((r) => ({ user: user.email, role: r.role, resourceCondition: r.resourceCondition, start, end, description }));
      await this.writer.apply(projectId, (policy) => addActivations(policy, grants), description);
      this.catalog.invalidate(user.email);
      this.audit.record({
        ...context,
        event: 'activation.succeeded',
        severity: 'NOTICE',
        outcome: 'success',
        message: `User ${user.email} activated ${eligible.map((r) => `'${describeEntitlement(r)}'`).join(', ')} for themselves for ${durationMinutes} minutes`,
        roles: eligible.map((r) => ({ role: r.role, resourceCondition: r.resourceCondition })),
      });
      return {
        activationId,
        grants: eligible.map((r) => ({ id: r.id, role: r.role, resourceCondition: r.resourceCondition, start, end })),
        notificationFailures: [],
      };
    } catch (e) {
      const error = e instanceof AppError ? e : e instanceof InvalidInputError ? invalidInput(e.message) : e;
      this.audit.record({
        ...context,
        event: 'activation.failed',
        severity: 'WARNING',
        outcome: error instanceof AppError && error.httpStatus < 500 ? 'denied' : 'failure',
        message: `User ${user.email} failed to activate ${roleIds.length} role(s) on ${projectId}: ${(error as Error).message}`,
        requestedRoles: roleIds.slice(0, 20),
        error: { code: error instanceof AppError ? error.code : 'INTERNAL', message: (error as Error).message },
      });
      throw error;
    }
  }

  /** Input checks that need no Google call; the entitlements named, in request order, without duplicates. */
  private checkRequest(projectId: string, roleIds: string[], justification: string, durationMinutes: number) {
    const unique = [...new Set(roleIds)];
    if (unique.length === 0) throw invalidInput('Name at least one role to activate.');
    if (unique.length > this.rules.maxRolesPerRequest) {
      throw invalidInput(`A request may activate at most ${this.rules.maxRolesPerRequest} roles; this one names ${unique.length}.`);
    }
    const entitlements = unique.map((id) => ({ id, ...parseEntitlementId(id) }));
    const foreign = entitlements.find((e) => e.projectId !== projectId);
    if (foreign) throw invalidInput(`The role '${foreign.id}' belongs to project ${foreign.projectId}, not to ${projectId}: activate roles of one project per request.`);
    const justificationProblem = this.rules.justification.checkJustification(justification);
    if (justificationProblem) throw invalidInput(justificationProblem);
    const durationProblem = checkDurationMinutes(durationMinutes, this.rules.maxDurationMinutes);
    if (durationProblem) throw invalidInput(durationProblem);
    return entitlements;
  }

  /** Fresh eligibility: every requested entitlement must be held, for this type of activation. */
  private async eligibleFor(email: string, projectId: string, requested: { id: string }[], type: 'self' | 'peer'): Promise<EligibleRole[]> {
    const { roles } = await this.catalog.freshRoles(email, projectId);
    const byId = new Map(roles.map((r) => [r.id, r]));
    const missing = requested.filter((r) => byId.get(r.id)?.type !== type);
    if (missing.length > 0) {
      const how = type === 'self' ? 'activate it yourself' : 'request it with peer approval';
      const detail = missing.map((m) => (byId.has(m.id) ? `'${m.id}' needs ${byId.get(m.id)!.type === 'peer' ? 'peer approval' : 'no approval'}` : `'${m.id}' is not eligible`));
      throw notEligible(`You (${email}) are not allowed to ${how}: ${detail.join('; ')}.`);
    }
    return requested.map((r) => byId.get(r.id)!);
  }
}
