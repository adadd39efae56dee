// The access policy applied to a user's eligible roles: what each one demands, and the checks every way of
// getting or keeping access runs (self-activation, peer request, approval, extension). Without a policy the
// service keeps the environment's rules, checked where they always were, and none of this runs.
import { demandsOf, applyingRule, needsProjectFacts, problemWithRequest, ruleLabel, scheduleProblem, ticketIn, unmetAutoApproval, type BaseRules, type Demands, type PolicyTarget } from '../domain/access-policy-demands';
import { endpointLabel, type TicketQuestion, type TicketVerdict } from '../domain/ticket-validation';
import type { EligibleRole } from '../domain/eligible-roles';
import type { ActiveGrant } from '../domain/grant';
import { breakGlassRefusal } from '../domain/break-glass';
import { AppError, invalidInput } from '../errors';
import type { AccessPolicyStore } from './access-policy';
import type { ProjectResource } from '../google/cloud-asset';
import { LookupCache } from './lookup-cache';
import type { TicketEndpoint } from './ticket-validation';

/** A rule's `ticket.events`, its secret resolved. */
export type TicketEventsEndpoint = TicketEndpoint;

/** What the policy needs to know about projects, and the user's grants to count. */
export interface AccessRulesSources {
  /** The active projects in scope with their folders and labels (one call for all; cached). */
  projects(): Promise<ProjectResource[]>;
  /** The user's grants in force, read fresh from the projects' policies. */
  activeGrants(userEmail: string): Promise<ActiveGrant[]>;
  /** The groups the user belongs to, directly or not: who may break the glass may be named by group. */
  groupsOf(userEmail: string): Promise<string[]>;
  /** The verdict of a rule's ITSM endpoint on a ticket (`ticket.validation`); never throws. */
  ticketVerdict(endpoint: TicketEndpoint, question: TicketQuestion): Promise<TicketVerdict>;
}

/** What a role's rule demands, and whether this user may break the glass on it. */
export interface RoleDemands {
  demands: Demands;
  breakGlassAvailable: boolean;
}

/** How an activation is being sought: each step checks what applies to it. */
export type PolicyStep = 'self-activation' | 'request' | 'approval' | 'extension';

export const policyRefusal = (code: string, message: string) => new AppError(403, code, message);

export class AccessRules {
  private readonly projectsCache: LookupCache<Map<string, ProjectResource>>;

  constructor(
    private readonly store: AccessPolicyStore,
    private readonly sources: AccessRulesSources,
    private readonly base: BaseRules,
    cacheSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.projectsCache = new LookupCache(cacheSeconds * 1000);
  }

  /** What each role demands now (or at `at`, for a grant that starts later), by role id. */
  async demandsFor(projectId: string, roles: readonly EligibleRole[], at?: Date): Promise<Map<string, Demands>> {
    const policy = this.store.current().document;
    const now = at ?? this.now();
    const facts = needsProjectFacts(policy) ? await this.projectFacts(projectId) : undefined;
    return new Map(roles.map((r) => [r.id, demandsOf(policy, this.targetOf(r, facts), this.base, now)]));
  }

  /** The chat channels the rule governing a role names (`notify.chat`), for its notifications. */
  async chatChannelsFor(target: Pick<EligibleRole, 'projectId' | 'role' | 'type' | 'resourceCondition'>): Promise<readonly string[]> {
    const demands = await this.demandsFor(target.projectId, [{ ...target, id: target.role }]);
    return demands.get(target.role)!.notify.chat;
  }

  /** The extra email recipients the rule governing a role names (`notify.emails`), for its notifications. */
  async notifyEmailsFor(target: Pick<EligibleRole, 'projectId' | 'role' | 'type' | 'resourceCondition'>): Promise<readonly string[]> {
    const demands = await this.demandsFor(target.projectId, [{ ...target, id: target.role }]);
    return demands.get(target.role)!.notify.emails;
  }

  /**
   * Where the rule governing a role posts the events of a ticket (`ticket.events`), and the ticket the
   * justification names; null when the rule posts none or the justification names no ticket. A grant read back
   * from IAM may have come from either type of eligible binding: the first of `types` whose rule posts events counts.
   */
  async ticketEventsFor(
    target: Pick<EligibleRole, 'projectId' | 'role' | 'resourceCondition'>,
    types: readonly EligibleRole['type'][],
    justification: string,
  ): Promise<{ endpoint: TicketEventsEndpoint; ticket: string } | null> {
    const roles = types.map((type) => ({ ...target, type, id: type }));
    const demands = await this.demandsFor(target.projectId, roles);
    for (const role of roles) {
      const d = demands.get(role.id)!;
      if (!d.ticket?.events) continue;
      const ticket = ticketIn(d, justification);
      return ticket === null ? null : { endpoint: d.ticket.events, ticket };
    }
    return null;
  }

  /** What each role demands now, and whether the user may break the glass on it, by role id. */
  async describe(userEmail: string, projectId: string, roles: readonly EligibleRole[]): Promise<Map<string, RoleDemands>> {
    const all = await this.demandsFor(projectId, roles);
    const needsGroups = [...all.values()].some((d) => d.breakGlass?.principals?.some((p) => p.startsWith('group:')));
    const groups = needsGroups ? await this.sources.groupsOf(userEmail) : [];
    const principals = new Set([`user:${userEmail.toLowerCase()}`, ...groups.map((g) => `group:${g.toLowerCase()}`)]);
    return new Map(
      [...all].map(([id, demands]) => {
        const bg = demands.breakGlass;
        return [id, { demands, breakGlassAvailable: bg !== null && (bg.principals === null || bg.principals.some((p) => principals.has(p.toLowerCase()))) }];
      }),
    );
  }

  /**
   * Refuses, naming the rule and the requirement not met, unless every role may be activated this way now
   * with this justification and duration. `step` says which requirements apply: approval kinds to the
   * first step, the simultaneous-grant limit to steps that add a grant. `at` is when the grant starts, for one
   * that starts later: the schedule's windows are read at that instant.
   */
  async enforce(
    userEmail: string,
    projectId: string,
    roles: readonly EligibleRole[],
    request: { justification: string; durationMinutes: number },
    step: PolicyStep,
    at?: Date,
  ): Promise<Map<string, Demands>> {
    const now = at ?? this.now();
    const all = await this.demandsFor(projectId, roles, now);
    for (const role of roles) {
      const demands = all.get(role.id)!;
      const who = ruleLabel(demands);
      if ((step === 'self-activation' || step === 'extension') && demands.approval.kind !== 'self') {
        throw policyRefusal(
          'APPROVAL_REQUIRED',
          `${who} requires ${wordsOf(demands)} for '${role.id}'${demands.notes.length ? ` (${demands.notes.join(' ')})` : ''}: ${step === 'extension' ? 'it cannot be extended without a new approval; request an extension from its approvers instead (POST /api/v1/me/grants/{grantId}/extension-requests, or "Request extension" on My access)' : 'it cannot be activated without approval'}.`,
        );
      }
      const problem = problemWithRequest(demands, request);
      if (problem && step === 'approval') {
        throw policyRefusal('REQUEST_NO_LONGER_VALID', `This request no longer meets the rules: ${problem}. Ask ${userEmail} to send a new request.`);
      }
      if (problem) throw invalidInput(problem);
      const schedule = scheduleProblem(demands, now);
      if (schedule) throw policyRefusal('OUTSIDE_SCHEDULE', `${schedule}.`);
      if (step !== 'extension') await this.requireRoomUnderRule(userEmail, demands, role);
    }
    // The ITSM is asked last, once every check that costs no call has passed, for all roles at once.
    const validations = roles.flatMap((role) => {
      const demands = all.get(role.id)!;
      const validation = demands.ticket?.validation;
      const ticket = ticketIn(demands, request.justification);
      if (!validation || ticket === null) return [];
      return [{ demands, validation, ticket, verdict: this.sources.ticketVerdict(validation, { ticket, project: projectId, role: role.role, requester: userEmail }) }];
    });
    for (const { demands, validation, ticket, verdict } of validations) {
      const answer = await verdict;
      if (answer.kind === 'valid') continue;
      const who = ruleLabel(demands);
      if (answer.kind === 'failed') {
        throw new AppError(
          503,
          'TICKET_VALIDATION_FAILED',
          `${who} requires a valid ticket, and ${ticket} could not be validated: ${answer.reason}. Nothing was granted; try again later, and if it persists ask your administrator to check the ITSM endpoint.`,
        );
      }
      const refusal = `${who} requires a valid ticket: ${endpointLabel(validation.url)} refused ${ticket}: ${answer.reason}`;
      if (step === 'approval') throw policyRefusal('REQUEST_NO_LONGER_VALID', `This request no longer meets the rules: ${refusal}. Ask ${userEmail} to send a new request.`);
      throw policyRefusal('TICKET_REFUSED', `${refusal}.`);
    }
    return all;
  }

  /**
   * Whether the role's rule approves this request itself: the rule's name and the conditions not met (none
   * when it does); null when the rule approves nothing itself. Groups are read fresh only when the rule names any.
   */
  async autoApproval(userEmail: string, role: EligibleRole, request: { justification: string; durationMinutes: number }): Promise<{ rule: string; unmet: string[] } | null> {
    const demands = (await this.demandsFor(role.projectId, [role])).get(role.id)!;
    const auto = demands.autoApprove;
    if (!auto || !demands.rule) return null;
    const groups = auto.requesters?.some((p) => p.startsWith('group:')) ? await this.sources.groupsOf(userEmail) : [];
    const principals = new Set([`user:${userEmail.toLowerCase()}`, ...groups.map((g) => `group:${g.toLowerCase()}`)]);
    return { rule: demands.rule, unmet: unmetAutoApproval(demands, request, principals) ?? [] };
  }

  /**
   * Refuses, naming the rule and the requirement not met, unless the user may break the glass on the role now
   * for this long (see breakGlassRefusal); the rule's limit of simultaneous grants still applies. Returns what
   * the rule demands.
   */
  async enforceBreakGlass(userEmail: string, projectId: string, role: EligibleRole, durationMinutes: number): Promise<Demands> {
    const { demands, breakGlassAvailable } = (await this.describe(userEmail, projectId, [role])).get(role.id)!;
    const refusal = breakGlassRefusal(demands, role.id, breakGlassAvailable, durationMinutes, this.now());
    if (refusal) throw new AppError(refusal.status, refusal.code, refusal.message);
    await this.requireRoomUnderRule(userEmail, demands, role);
    return demands;
  }

  private async requireRoomUnderRule(userEmail: string, demands: Demands, role: EligibleRole): Promise<void> {
    if (demands.maxActiveGrantsPerUser === null || !demands.rule) return;
    const held = await this.grantsUnderRule(userEmail, demands.rule, role);
    if (held >= demands.maxActiveGrantsPerUser) {
      throw policyRefusal(
        'TOO_MANY_GRANTS',
        `${ruleLabel(demands)} allows at most ${demands.maxActiveGrantsPerUser} grant${demands.maxActiveGrantsPerUser === 1 ? '' : 's'} in force at once under it, and ${userEmail} holds ${held}. End one first.`,
      );
    }
  }

  /** The user's grants in force that the same rule governs, read fresh; the role being activated is not counted twice. */
  private async grantsUnderRule(userEmail: string, ruleName: string, activating: EligibleRole): Promise<number> {
    const policy = this.store.current().document;
    const grants = await this.sources.activeGrants(userEmail);
    const facts = needsProjectFacts(policy) ? await this.allFacts() : undefined;
    let held = 0;
    for (const g of grants) {
      if (g.projectId === activating.projectId && g.role === activating.role && g.resourceCondition === activating.resourceCondition) continue;
      // A self-activated grant came from a self-approval binding; a peer-approved one from either type (a rule
      // may put a self-approval binding under approval), so it counts if the rule governs either.
      const types = g.approval.type === 'peer' ? (['peer', 'self'] as const) : (['self'] as const);
      if (types.some((type) => applyingRule(policy, this.targetOf({ ...g, type }, facts?.get(g.projectId)))?.rule.name === ruleName)) held++;
    }
    return held;
  }

  private targetOf(role: Pick<EligibleRole, 'projectId' | 'role' | 'type' | 'resourceCondition'>, facts: ProjectResource | undefined): PolicyTarget {
    return {
      projectId: role.projectId,
      folders: facts?.folders ?? [],
      labels: facts?.labels ?? {},
      role: role.role,
      type: role.type,
      resourceCondition: role.resourceCondition,
    };
  }

  private async projectFacts(projectId: string): Promise<ProjectResource | undefined> {
    return (await this.allFacts()).get(projectId);
  }

  private allFacts(): Promise<Map<string, ProjectResource>> {
    return this.projectsCache.get('', 'projects', async () => new Map((await this.sources.projects()).map((p) => [p.projectId, p])));
  }
}

function wordsOf(demands: Demands): string {
  const a = demands.approval;
  const n = `${a.requiredApprovals} approval${a.requiredApprovals === 1 ? '' : 's'}`;
  return a.kind === 'approvers' ? `${n} from ${a.principals.join(', ')}` : `${n} from peers`;
}
