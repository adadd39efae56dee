// The caller's own grants in force: list them, end one early, extend one. Every answer comes from the
// projects' IAM policies as they are now; an id only ever matches a binding of the caller's own member.
import { activeGrantsOf, findActiveGrant, grantId, grantStateOf, parseGrantId, type ActiveGrant, type GrantKey } from '../domain/grant';
import { activationDescription, parseActivationBinding, type ActivationGrant } from '../domain/activation-binding';
import { addActivations, removeActivation } from '../domain/policy-edit';
import { checkDurationMinutes, endOfActivation, startOfActivation } from '../domain/activation-request';
import { describeEntitlement, entitlementId } from '../domain/entitlement';
import { normalizeJustification, type JustificationPolicy } from '../domain/justification';
import { InvalidInputError } from '../domain/invalid-input-error';
import type { ResourceManager } from '../google/resource-manager';
import { PROJECT_ASSET_TYPE, PROJECT_RESOURCE_PREFIX, type CloudAsset } from '../google/cloud-asset';
import { principalMember, type Binding } from '../domain/iam-policy';
import { isScheduledFor, scheduledGrantsOf, type ScheduledGrant } from '../domain/scheduled-activation';
import { forEachLimited } from './bounded-concurrency';
import type { RecentGrants } from './recent-grants';
import { AppError, conflict, forbidden, invalidInput, notEligible, notFound } from '../errors';
import type { Catalog } from './catalog';
import type { AccessRules } from './access-policy-rules';
import { MAX_POLICY_MINUTES } from '../domain/access-policy';
import type { EligibleRole } from '../domain/eligible-roles';
import type { PolicyWriter } from './policy-writer';
import type { AuditEventName, AuditLog, AuditUser } from './audit';
import type { TicketEvents } from './ticket-events';

export interface GrantRules {
  justification: JustificationPolicy;
  maxDurationMinutes: number;
  /** The access policy, when ACCESS_POLICY is set: its rule for the role replaces the two settings above. */
  policy?: AccessRules;
}

export interface GrantList {
  grants: ActiveGrant[];
  /** Grants that start later, soonest first. */
  scheduled: ScheduledGrant[];
  /** What could not be read (a project's policy, the Asset search), each naming what may be missing. */
  warnings: string[];
}

export interface ExtendedGrant {
  previous: ActiveGrant;
  grant: ActiveGrant;
}

/** Policies read at once for one list: enough to overlap round trips, few enough to bound memory. */
const PARALLEL_POLICY_READS = 8;

export class GrantService {
  constructor(
    private readonly catalog: Catalog,
    private readonly asset: CloudAsset,
    private readonly recentGrants: RecentGrants,
    private readonly resourceManager: ResourceManager,
    private readonly writer: PolicyWriter,
    private readonly audit: AuditLog,
    private readonly rules: GrantRules,
    private readonly now: () => Date = () => new Date(),
    /** Ticket write-back, under an access policy: told of a grant ended early or extended once it is written. */
    private readonly ticketEvents?: TicketEvents,
  ) {}

  /**
   * Grants in force on the user's projects, read only from the projects where the user holds one: one
   * Asset search for the user's own bindings finds them (activation bindings are told apart here, as
   * their titles are not searchable), the projects where this process wrote a grant cover the minutes
   * Asset Inventory lags behind, and each of those projects' policies is then read fresh. The calls do
   * not grow with the number of projects the user is eligible on, only with the grants they hold.
   */
  async list(userEmail: string): Promise<GrantList> {
    const now = this.now();
    const [offered, found] = await Promise.all([this.catalog.listProjects(userEmail), this.projectsWithActivationsOf(userEmail, now)]);
    const offeredSet = new Set(offered);
    const candidates = [...new Set([...found.projects, ...this.recentGrants.projectsOf(userEmail)])].filter((p) => offeredSet.has(p)).sort();
    const warnings = found.warning ? [found.warning] : [];
    const grants: ActiveGrant[] = [];
    const scheduled: ScheduledGrant[] = [];
    await forEachLimited(candidates, PARALLEL_POLICY_READS, async (projectId) => {
      try {
        const policy = await this.resourceManager.getProjectPolicy(projectId);
        grants.push(...activeGrantsOf(policy.bindings ?? [], userEmail, projectId, now));
        scheduled.push(...scheduledGrantsOf(policy, userEmail, projectId));
      } catch (e) {
        warnings.push(`Your grants on project ${projectId} could not be read: ${(e as Error).message}`);
      }
    });
    scheduled.sort((a, b) => a.start.getTime() - b.start.getTime() || a.projectId.localeCompare(b.projectId));
    return { grants: grants.sort(byProjectAndRole), scheduled, warnings: warnings.sort() };
  }

  /**
   * Projects whose policy names the user in an activation binding not yet ended, as Asset Inventory
   * last saw them. Only project ids are kept from each page, so memory does not grow with the results.
   */
  private async projectsWithActivationsOf(userEmail: string, now: Date): Promise<{ projects: string[]; warning?: string }> {
    const member = principalMember(userEmail);
    const projects = new Set<string>();
    try {
      // The bare address, as Google's own examples search for a user: it matches `user:` members
      // whether or not the prefix is indexed; what else it matches is filtered out below.
      for await (const page of this.asset.iamPolicyPages(`policy:"${userEmail.toLowerCase()}"`, [PROJECT_ASSET_TYPE])) {
        for (const hit of page) {
          const projectId = projectIdOf(hit.resource);
          if (projectId && hit.bindings.some((b) => isActivationOf(b, member, now) || isScheduledFor(b, member, now))) projects.add(projectId);
        }
      }
    } catch (e) {
      const recent = this.recentGrants.projectsOf(userEmail);
      return {
        projects: [...projects],
        warning: `Asset Inventory could not be searched for your grants (${(e as Error).message}): only grants on projects found before the failure${recent.length > 0 ? ` and on ${recent.join(', ')}` : ''} are listed. Reload in a minute.`,
      };
    }
    return { projects: [...projects] };
  }

  /** Removes the user's grant now; the reason goes to the audit log. */
  async end(user: AuditUser, id: string, reason: string | undefined): Promise<{ ended: ActiveGrant; endedAt: Date }> {
    return this.audited(user, 'grant.end.failed', `end grant ${id}`, { reason }, async () => {
      const grant = await this.currentGrant(user.email, id);
      const description = `Ended early by ${user.email}${reason ? `: ${reason}` : ''}`;
      await this.writer.apply(
        grant.projectId,
        (policy) => {
          // Checked in the write itself: an extension that won the race leaves a grant this must not end.
          const state = grantStateOf(policy.bindings ?? [], user.email, grant, this.now());
          if (state === 'replaced') throw changedMeanwhile(grant, 'ended');
          if (state === 'gone') return policy;
          const { policy: edited, removed } = removeActivation(policy, { user: user.email, role: grant.role, resourceCondition: grant.resourceCondition });
          return removed.length > 0 ? edited : policy;
        },
        description,
      );
      this.catalog.invalidate(user.email, grant.projectId);
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
      await this.ticketEvents?.ended(grant, user.email, user.email, reason ?? null);
      return { ended: grant, endedAt };
    });
  }

  /**
   * Replaces the user's grant of a self-approval role with one that ends `durationMinutes` from now.
   * Eligibility is read fresh: a role that became peer-approval, or that the user lost, is not extended.
   */
  async extend(user: AuditUser, id: string, durationMinutes: number, justification: string | undefined): Promise<ExtendedGrant> {
    return this.audited(user, 'grant.extend.failed', `extend grant ${id}`, { durationMinutes, justification }, async () => {
      const durationProblem = checkDurationMinutes(durationMinutes, this.rules.policy ? MAX_POLICY_MINUTES : this.rules.maxDurationMinutes);
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
      const role = await this.checkSelfEligible(user.email, previous);
      await this.rules.policy?.enforce(user.email, previous.projectId, [role], { justification: kept, durationMinutes }, 'extension');

      const description = activationDescription({ type: 'self', justification: kept });
      const replacement: ActivationGrant = { user: user.email, role: previous.role, resourceCondition: previous.resourceCondition, start, end, description };
      const key = { projectId: previous.projectId, role: previous.role, resourceCondition: previous.resourceCondition, start, end };
      await this.writer.apply(
        previous.projectId,
        (policy) => {
          const bindings = policy.bindings ?? [];
          // Already there: a write that timed out landed. Otherwise the grant must still be the one extended.
          if (findActiveGrant(bindings, user.email, key, this.now())) return policy;
          if (grantStateOf(bindings, user.email, previous, this.now()) !== 'in-force') throw changedMeanwhile(previous, 'extended');
          return addActivations(policy, [replacement]).policy;
        },
        description,
      );
      this.catalog.invalidate(user.email, previous.projectId);
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
      await this.ticketEvents?.extended(grant, user.email);
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
    const own = grant.approval.type === 'unknown' ? undefined : grant.approval.justification;
    const text = given === undefined ? own : normalizeJustification(given);
    // Under an access policy, the rule of the role checks the justification once the role is read.
    const problem = this.rules.policy ? null : this.rules.justification.checkJustification(text);
    if (problem !== null || text === undefined || text.trim() === '') {
      const reason = problem ?? 'Provide a justification';
      throw invalidInput(given === undefined ? `The grant's own justification cannot be kept (${reason}); give a new one.` : reason);
    }
    return text;
  }

  private async checkSelfEligible(userEmail: string, grant: GrantKey): Promise<EligibleRole> {
    const id = entitlementId(grant);
    const { roles } = await this.catalog.freshRoles(userEmail, grant.projectId, [id]);
    const role = roles.find((r) => r.id === id);
    const name = describeEntitlement(grant);
    const until = `The current grant stays until ${grant.end.toISOString()}.`;
    if (!role) throw notEligible(`You (${userEmail}) are no longer eligible for '${name}', so it cannot be extended. ${until}`);
    if (role.type === 'peer') {
      throw forbidden(
        'APPROVAL_REQUIRED',
        `'${name}' needs peer approval: it cannot be extended without a new approval. Request an extension from its reviewers instead (POST /api/v1/me/grants/{grantId}/extension-requests, or "Request extension" on My access). ${until}`,
      );
    }
    return role;
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

/** The project id of an Asset search result on a project; undefined for folders, organizations and anything below. */
function projectIdOf(resource: string): string | undefined {
  if (!resource.startsWith(PROJECT_RESOURCE_PREFIX)) return undefined;
  const projectId = resource.slice(PROJECT_RESOURCE_PREFIX.length);
  return projectId && !projectId.includes('/') ? projectId : undefined;
}

/** An activation binding naming the member that has not ended (a shared one counts: the fresh read decides). */
function isActivationOf(binding: Binding, member: string, now: Date): boolean {
  const activation = parseActivationBinding(binding);
  return !!activation && activation.end.getTime() > now.getTime() && activation.members.some((m) => m.toLowerCase() === member);
}

/** Another change of the grant (an end, an extension) was written first: this one changes nothing. */
function changedMeanwhile(grant: GrantKey, what: 'ended' | 'extended'): AppError {
  return conflict(
    `Your grant of '${describeEntitlement(grant)}' was ended or replaced by another change while this one was being made, so it was not ${what}. List your grants again to see what is in force now.`,
  );
}

function byProjectAndRole(a: ActiveGrant, b: ActiveGrant): number {
  return a.projectId.localeCompare(b.projectId) || a.role.localeCompare(b.role) || (a.resourceCondition ?? '').localeCompare(b.resourceCondition ?? '');
}
