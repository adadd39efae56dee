// The checks every way of getting access shares (self-activation, peer-approval request, approval): the
// roles named, the justification, the duration, and eligibility read fresh from Google. With an access
// policy, the justification and duration are checked against the rule of each role once it is known.
import { parseEntitlementId, type Entitlement } from '../domain/entitlement';
import { checkDurationMinutes } from '../domain/activation-request';
import type { ActivationType } from '../domain/eligibility';
import type { JustificationPolicy } from '../domain/justification';
import type { EligibleRole } from '../domain/eligible-roles';
import { InvalidInputError } from '../domain/invalid-input-error';
import { AppError, invalidInput, notEligible } from '../errors';
import { MAX_POLICY_MINUTES } from '../domain/access-policy';
import type { Catalog } from './catalog';
import type { AccessRules, PolicyStep } from './access-policy-rules';

export interface ActivationRules {
  justification: JustificationPolicy;
  maxDurationMinutes: number;
  maxRolesPerRequest: number;
  /** The access policy, when ACCESS_POLICY is set. */
  policy?: AccessRules;
}

export type RequestedEntitlement = Entitlement & { id: string };

export class EntitlementChecks {
  constructor(
    private readonly catalog: Catalog,
    private readonly rules: ActivationRules,
  ) {}

  /** The entitlements a request names, parsed, in request order, without duplicates, all of `projectId`. */
  entitlementsOf(projectId: string, roleIds: readonly string[], maxRoles = this.rules.maxRolesPerRequest): RequestedEntitlement[] {
    const unique = [...new Set(roleIds)];
    if (unique.length === 0) throw invalidInput('Name at least one role to activate.');
    if (unique.length > maxRoles) {
      throw invalidInput(`A request may activate at most ${maxRoles} roles; this one names ${unique.length}.`);
    }
    const entitlements = unique.map((id) => {
      try {
        return { id, ...parseEntitlementId(id) };
      } catch (e) {
        if (e instanceof InvalidInputError) throw invalidInput(e.message);
        throw e;
      }
    });
    const foreign = entitlements.find((e) => e.projectId !== projectId);
    if (foreign) throw invalidInput(`The role '${foreign.id}' belongs to project ${foreign.projectId}, not to ${projectId}: activate roles of one project per request.`);
    return entitlements;
  }

  /**
   * Null when the justification and duration are acceptable now, otherwise what is wrong. Under an access
   * policy only the longest duration any rule may allow is checked here; requirePolicy checks the rest.
   */
  problemWith(justification: string, durationMinutes: number): string | null {
    if (this.rules.policy) return checkDurationMinutes(durationMinutes, MAX_POLICY_MINUTES);
    return this.rules.justification.checkJustification(justification) ?? checkDurationMinutes(durationMinutes, this.rules.maxDurationMinutes);
  }

  /** Under an access policy: refuses, naming the rule and the requirement, unless each role's rule allows this step now (or at `at`, a later start). */
  async requirePolicy(email: string, projectId: string, roles: readonly EligibleRole[], request: { justification: string; durationMinutes: number }, step: PolicyStep, at?: Date): Promise<void> {
    await this.rules.policy?.enforce(email, projectId, roles, request, step, at);
  }

  checkJustificationAndDuration(justification: string, durationMinutes: number): void {
    const problem = this.problemWith(justification, durationMinutes);
    if (problem) throw invalidInput(problem);
  }

  /**
   * Fresh eligibility: `email` must hold every requested entitlement, for this type of activation; `any`
   * for a request for approval, which either type may need under the access policy.
   * `who` words the refusal: the caller ("You (…) are") or someone else ("The requester … is").
   */
  async requireEligible(email: string, projectId: string, requested: readonly { id: string }[], type: ActivationType | 'any', who = `You (${email}) are`): Promise<EligibleRole[]> {
    const { roles, notGrantable } = await this.catalog.freshRoles(
      email,
      projectId,
      requested.map((r) => r.id),
    );
    const refused = notGrantable.find((r) => requested.some((q) => q.id === r.id));
    if (refused) {
      throw new AppError(
        400,
        'ROLE_NOT_GRANTABLE',
        `The role ${refused.role} cannot be granted on a project (IAM grants it only on a folder or the organization), so it cannot be activated on ${projectId}. Ask an administrator to make a project-level role eligible instead.`,
      );
    }
    const byId = new Map(roles.map((r) => [r.id, r]));
    const missing = requested.filter((r) => !byId.has(r.id) || (type !== 'any' && byId.get(r.id)!.type !== type));
    if (missing.length > 0) {
      const how = type === 'self' ? 'activate it yourself' : 'request it with peer approval';
      const detail = missing.map((m) => (byId.has(m.id) ? `'${m.id}' needs ${byId.get(m.id)!.type === 'peer' ? 'peer approval' : 'no approval'}` : `'${m.id}' is not eligible`));
      throw notEligible(`${who} not allowed to ${how}: ${detail.join('; ')}.`);
    }
    return requested.map((r) => byId.get(r.id)!);
  }
}
