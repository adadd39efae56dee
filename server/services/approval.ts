// Peer approval (multi-party approval): who may review a role, requesting a role from reviewers with a
// signed request sent by email, showing a request to the people in it, and deciding it: approvals towards
// the required count, denial, cancellation by the requester. Every decision re-reads eligibility from Google;
// the request lives in its signed token, its decisions in the project's IAM policy (see RequestDecisions).
// A peer-approval binding always needs approval; a self-approval one does when the access policy says so.
import { endOfActivation, startOfActivation } from '../domain/activation-request';
import {
  checkApprover,
  checkReviewers,
  distinctReviewers,
  durationMinutesOf,
  isBeforeRequestedStart,
  isParticipant,
  requestExpiry,
  type ApprovalRequest,
  type GrantExtension,
} from '../domain/approval-request';
import { findActiveGrant, parseGrantId, type ActiveGrant } from '../domain/grant';
import type { DecisionAction, RequestState } from '../domain/request-decision';
import { obfuscateToken, tokenFromLink } from '../domain/approval-link';
import { describeEntitlement, entitlementId } from '../domain/entitlement';
import type { ActivationType } from '../domain/eligibility';
import type { EligibleRole } from '../domain/eligible-roles';
import { normalizeJustification } from '../domain/justification';
import { isServiceAccountEmail } from '../domain/iam-policy';
import type { ResourceManager } from '../google/resource-manager';
import { AppError, forbidden, invalidInput, notEligible, notFound } from '../errors';
import { grantResultOf, newActivationId, type GrantResult } from './activation';
import type { AuditEvent, AuditLog, AuditUser } from './audit';
import { asAppError, failureOf } from './failures';
import type { Catalog, Reviewers } from './catalog';
import type { EntitlementChecks, RequestedEntitlement } from './entitlement-checks';
import type { NotificationService } from './notification';
import type { PolicyWriter } from './policy-writer';
import type { ApprovalTokens } from './approval-tokens';
import type { RequestDecisions } from './request-decisions';
import type { RequestInbox } from './request-inbox';
import type { LoggedRequest } from '../domain/request-log';
import { tokenDigest } from './approval-tokens';
import type { TicketEvents } from './ticket-events';
import { fitsDescription, scheduledId } from '../domain/scheduled-activation';

export interface ApprovalRules {
  reviewers: { min: number; max: number; serviceAccountsMayApprove: boolean };
  requestTimeoutMinutes: number;
}

export interface ApprovalDependencies {
  catalog: Catalog;
  checks: EntitlementChecks;
  writer: PolicyWriter;
  resourceManager: ResourceManager;
  /** Absent when the service does not know its own account, which peer approval needs to sign. */
  tokens?: ApprovalTokens;
  notifications: NotificationService;
  audit: AuditLog;
  decisions: RequestDecisions;
  /**
   * Who approves requests for an eligible role under the access policy; null when its rule needs no approval
   * (only ever for a self-approval binding). Without a policy: one peer for peer-approval bindings (jit-access 1.x).
   */
  approvalDemand?: (role: EligibleRole) => Promise<ApprovalDemand | null>;
  /** The users among principals (`user:` and, resolved, `group:`), for designated approvers. */
  usersOf?: (principals: readonly string[]) => Promise<string[]>;
  /** Whether the role's rule approves this request itself (see AccessRules.autoApproval); absent without a policy. */
  autoApproval?: (requester: string, role: EligibleRole, request: { justification: string; durationMinutes: number }) => Promise<{ rule: string; unmet: string[] } | null>;
  /** Requests as the audit log tells them: a second request for a pending role, and re-establishing a request. */
  inbox?: RequestInbox;
  /** Ticket write-back, under an access policy: told of each step once it is recorded, never changing its outcome. */
  ticketEvents?: TicketEvents;
  /**
   * Why the role's rule does not allow a grant to start at `start` (in the past, no `scheduling.maxDelay`, or
   * further ahead than it); null when it does. Absent without an access policy, which allows no later start.
   */
  startProblem?: (role: EligibleRole, start: Date, now: Date) => Promise<string | null>;
}

/** Who approves a role's requests, and how many of them must. */
export interface ApprovalDemand {
  kind: 'peers' | 'approvers';
  /** Designated approvers (kind approvers): principals, who need not be eligible themselves. */
  principals: readonly string[];
  requiredApprovals: number;
  /** Who may also decide a request still undecided this long after it was made (the rule's `escalation`). */
  escalation?: { afterMinutes: number; principals: readonly string[] } | null;
}

/** A request's escalation under the rule in force: from when, and to whom. */
export interface Escalation {
  /** The request's issuedAt plus the rule's delay. */
  from: Date;
  afterMinutes: number;
  /** As the rule names them: `user:` and `group:` principals. */
  principals: readonly string[];
}

const ONE_PEER: ApprovalDemand = { kind: 'peers', principals: [], requiredApprovals: 1 };

/** What differs between the audit entries of approvals that complete a request (see recordApproved). */
interface CompletingApproval {
  approvedBy?: string;
  requiredApprovals: number;
  approvals: readonly string[];
  window: { start: Date; end: Date };
  scheduled: boolean;
  message: string;
}

/** A role a request asks approval for, what its rule demands, and who may approve it. */
interface ApprovalTarget {
  role: EligibleRole;
  demand: ApprovalDemand;
  /** The designated approvers (kind approvers), else the holders of the same eligible binding; never the requester. */
  candidates: Reviewers;
}

export interface NewApprovalRequest {
  role: string;
  justification: string;
  durationMinutes: number;
  reviewers: string[];
  /** A later start (within the rule's `scheduling.maxDelay`); absent: the grant starts at the approval. */
  start?: Date;
}

/** A request to extend a grant in force: the time to add after its end, and why. */
export type NewExtensionRequest = Omit<NewApprovalRequest, 'role' | 'start'>;

export interface CreatedRequest {
  request: ApprovalRequest;
  /** The token as it appears in links (see domain/approval-link). */
  token: string;
  /**
   * When the rule approved the request itself (actor `rule:NAME`): the grant written at once, or for a later
   * start the grant scheduled; else null.
   */
  approvedByRule: { approver: string; grant: GrantResult | null; scheduled: ScheduledStart | null } | null;
  notificationFailures: string[];
}

export interface RequestStatus {
  request: ApprovalRequest;
  /** Read fresh from the project's policy; `expired` once past the token's expiry undecided. */
  state: RequestState;
  /** The viewer is not among the request's reviewers but may decide it as an escalation approver (its delay has passed). */
  escalationApprover: boolean;
}

/** A peer grant scheduled by the approval that landed before the request's later start. */
export interface ScheduledStart {
  /** What DELETE /api/v1/me/scheduled/{id} cancels it by (the requester). */
  id: string;
  start: Date;
  end: Date;
}

export interface ApprovalOutcome {
  request: ApprovalRequest;
  state: RequestState;
  /** Set instead of `grant` when the approval that completed the request landed before its later start. */
  scheduled: ScheduledStart | null;
  /** The beneficiary's grant in force after the approval that granted (a longer grant in force is kept, never shortened); null while approvals are missing. */
  grant: GrantResult | null;
  /** True when the request had been approved before: nothing was written, nobody notified again. */
  alreadyApproved: boolean;
  notificationFailures: string[];
}

/** A denial or cancellation: the request's state after it. */
export interface DecisionOutcome {
  request: ApprovalRequest;
  state: RequestState;
  /** The same person had made the same decision before: nothing was written, nobody notified again. */
  alreadyDecided: boolean;
  notificationFailures: string[];
}

/** A request re-established from the audit log for one of its participants. */
export interface ReissuedRequest {
  request: ApprovalRequest;
  /** The token as it appears in links: the very token the reviewers were sent. */
  token: string;
}

/** What a logged request's record says of it: it vouches for it, or there is none, or it is not the service's, or not of this request. */
export type RecordCheck = 'vouched' | 'no-record' | 'not-signed' | 'other-request';

/** A denial's reason: required, one line, at most this long. */
export const MAX_DENIAL_REASON_LENGTH = 500;

const unavailable = (message: string) => new AppError(503, 'PEER_APPROVAL_UNAVAILABLE', `Peer approval is not available: ${message}`);

export class ApprovalService {
  constructor(
    private readonly deps: ApprovalDependencies,
    private readonly rules: ApprovalRules,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Users who could review the caller's request for a role, and the groups that could not be read on the
   * way; only someone eligible to request it may ask.
   */
  async reviewers(user: AuditUser, projectId: string, roleId: string): Promise<Reviewers> {
    try {
      const [entitlement] = this.deps.checks.entitlementsOf(projectId, [roleId], 1);
      return (await this.approvalTarget(user.email, entitlement, `You (${user.email}) are`, false, 'request')).candidates;
    } catch (e) {
      const error = asAppError(e);
      this.deps.audit.record({
        event: 'reviewers.list.failed',
        ...failureOf(error),
        user,
        project: projectId,
        message: `Listing reviewers of '${roleId}' for ${user.email} failed: ${error.message}`,
        requestedRole: roleId.slice(0, 2000),
      });
      throw error;
    }
  }

  /**
   * A request for a role's approval; with `extension`, a request to extend the requester's grant of that role
   * (see requestExtension): `durationMinutes` is then the time added after the grant's end.
   */
  async request(user: AuditUser, projectId: string, given: NewApprovalRequest, publicUrl: string, extension?: GrantExtension): Promise<CreatedRequest> {
    const input = { ...given, justification: normalizeJustification(given.justification) };
    const activationId = newActivationId('peer');
    const reviewers = distinctReviewers(input.reviewers);
    const context = { user, project: projectId, activationId, justification: input.justification, reviewers, ...(extension ? { extendsGrant: extensionClaim(extension) } : {}) };
    const { checks, tokens, notifications, audit } = this.deps;
    try {
      const [{ id, ...entitlement }] = checks.entitlementsOf(projectId, [input.role], 1);
      const reviewerProblem = checkReviewers(user.email, reviewers, this.rules.reviewers);
      if (reviewerProblem) throw invalidInput(reviewerProblem);
      checks.checkJustificationAndDuration(input.justification, input.durationMinutes);
      if (!tokens) throw unavailable('the service does not know its own service account (set SERVICE_ACCOUNT), which signs requests.');
      if (!notifications.canReachReviewers) {
        throw unavailable('neither email (SMTP_SENDER_ADDRESS) nor Pub/Sub (NOTIFICATION_TOPIC) is configured, so no reviewer could learn about a request.');
      }
      // Before the checks that run side by side read anything about the project.
      await this.deps.catalog.requireOffered(user.email, projectId);
      await this.refuseSecondRequest(user.email, projectId, id);
      const { role, demand, candidates } = await this.approvalTarget(user.email, { id, ...entitlement }, `You (${user.email}) are`, true, 'request', extension ? 'Extend it yourself (Extend on My access).' : undefined);
      if (reviewers.length < demand.requiredApprovals) {
        throw invalidInput(`'${id}' needs ${demand.requiredApprovals} approvals from different reviewers: select at least ${demand.requiredApprovals} reviewers (you selected ${reviewers.length}).`);
      }
      requireAmong(candidates, reviewers, (outsiders) =>
        demand.kind === 'approvers'
          ? `${outsiders.join(', ')} ${outsiders.length === 1 ? 'is' : 'are'} not among the designated approvers of '${id}'. Choose reviewers among them.`
          : `${outsiders.join(', ')} ${outsiders.length === 1 ? 'is' : 'are'} not allowed to approve '${id}': a reviewer must hold the same ${bindingWords(role.type)} eligible role. Choose reviewers among the eligible ones.`,
      );
      const later = input.start ? await this.laterStart(activationId, role, input.start) : null;
      await checks.requirePolicy(user.email, projectId, [role], input, 'request', later ?? undefined);
      const auto = (await this.deps.autoApproval?.(user.email, role, input)) ?? null;
      const issuedAt = startOfActivation(this.now());
      // The grant starts when the last approval lands and lasts the requested duration; an extension adds the
      // duration after the grant's end, and can be approved only while the grant lasts. A later start is the
      // start if approved before it.
      const start = extension ? extension.end : (later ?? issuedAt);
      const end = endOfActivation(start, input.durationMinutes);
      const request: ApprovalRequest = {
        id: activationId,
        beneficiary: user.email,
        reviewers,
        entitlement,
        justification: input.justification,
        start,
        end,
        windowFromApproval: !extension,
        requiredApprovals: demand.requiredApprovals,
        bindingType: role.type,
        issuedAt,
        // A request for a later start expires as any other, counted from when it was made: approved after its
        // start, it grants from the approval.
        expiresAt: extension ? requestExpiry(issuedAt, extension.end, this.rules.requestTimeoutMinutes) : requestExpiry(issuedAt, end, this.rules.requestTimeoutMinutes, true),
        ...(extension ? { extension } : {}),
        ...(later ? { startsLater: true as const } : {}),
      };
      // The record (domain/request-record) lets the sweeper tell the requester of the request's expiry safely.
      const [jwt, requestRecord] = await allInOrder([tokens.sign(request), tokens.signRecord(request)] as const);
      const byRule = auto && auto.unmet.length === 0 ? `rule:${auto.rule}` : null;
      // A request the rule approves itself asks nobody: its reviewers learn of the approval instead.
      const notificationFailures = byRule ? [] : await notifications.sendRequest(request, jwt, publicUrl, user);
      audit.record({
        ...context,
        ...windowOf(request),
        event: 'request.created',
        severity: 'NOTICE',
        outcome: 'success',
        message:
          (extension
            ? `User ${user.email} requested to extend their grant of '${describeEntitlement(entitlement)}', ending at ${extension.end.toISOString()}, by ${input.durationMinutes} minutes from ${reviewers.join(', ')}`
            : `User ${user.email} requested '${describeEntitlement(entitlement)}' for ${input.durationMinutes} minutes${later ? ` from ${later.toISOString()}` : ''} from ${reviewers.join(', ')}`) +
          (auto ? (byRule ? `; rule '${auto.rule}' approves it itself` : `; rule '${auto.rule}' does not approve it itself: ${auto.unmet.join('; ')}`) : ''),
        roles: [{ role: entitlement.role, resourceCondition: entitlement.resourceCondition }],
        // What the token carries, so that the inbox can list the request and re-establish it (see reissue).
        roleId: id,
        windowFromApproval: request.windowFromApproval,
        requiredApprovals: request.requiredApprovals,
        bindingType: request.bindingType,
        ...(request.startsLater ? { startsLater: true } : {}),
        issuedAt: request.issuedAt.toISOString(),
        expiresAt: request.expiresAt.toISOString(),
        ...(auto ? { autoApproval: { rule: auto.rule, unmet: auto.unmet } } : {}),
        tokenDigest: tokenDigest(jwt),
        // In full: it grants nothing, and its signature is what vouches for this entry once the request expired.
        requestRecord,
        notificationFailures,
      });
      const approvedByRule = byRule ? await this.approveByRule(request, byRule, demand, user, publicUrl) : null;
      // Should the rule's approval not land (the project holds as many decisions as Google allows), people decide.
      const asked = byRule && !approvedByRule ? await notifications.sendRequest(request, jwt, publicUrl, user) : [];
      await this.deps.ticketEvents?.requested(request, approvedByRule && { approver: byRule!, grant: approvedByRule.grant });
      return {
        request,
        token: obfuscateToken(jwt),
        approvedByRule: approvedByRule && { approver: byRule!, grant: approvedByRule.grant, scheduled: approvedByRule.scheduled },
        notificationFailures: [...notificationFailures, ...asked, ...(approvedByRule?.notificationFailures ?? [])],
      };
    } catch (e) {
      const error = asAppError(e);
      audit.record({
        ...context,
        ...failureOf(error),
        event: 'request.failed',
        message: `User ${user.email} failed to request ${extension ? `an extension of '${input.role.slice(0, 2000)}' by` : `'${input.role.slice(0, 2000)}' for`} ${input.durationMinutes} minutes: ${error.message}`,
        requestedRole: input.role.slice(0, 2000),
      });
      throw error;
    }
  }

  /**
   * Asks the approvers of a role to extend the caller's grant of it in force (`grantId`, as GET /me/grants lists
   * it) by `durationMinutes` after its end: a request like any other (reviewers, N-of-M, the rule's limits on the
   * added duration, auto-approval), whose signed claims name the grant and its end. Approving it rewrites that
   * grant to end later, if it still ends there then.
   */
  async requestExtension(user: AuditUser, grantId: string, given: NewExtensionRequest, publicUrl: string): Promise<CreatedRequest> {
    let grant: ActiveGrant;
    try {
      grant = await this.grantToExtend(user.email, grantId);
    } catch (e) {
      const error = asAppError(e);
      this.deps.audit.record({
        ...failureOf(error),
        event: 'request.failed',
        user,
        justification: given.justification,
        message: `User ${user.email} failed to request an extension of a grant by ${given.durationMinutes} minutes: ${error.message}`,
      });
      throw error;
    }
    const { projectId, role, resourceCondition } = grant;
    return this.request(user, projectId, { ...given, role: entitlementId({ projectId, role, resourceCondition }) }, publicUrl, { grantId: grant.id, start: grant.start, end: grant.end });
  }

  /** The caller's grant in force that the id names, read fresh; a break-glass activation is reviewed, not extended. */
  private async grantToExtend(userEmail: string, id: string): Promise<ActiveGrant> {
    const key = parseGrantId(id);
    const missing = notFound(
      `You (${userEmail}) hold no grant in force with this id on project ${key.projectId}: it has expired, was ended or replaced, or is not yours. List your grants again.`,
    );
    if (!(await this.deps.catalog.listProjects(userEmail)).includes(key.projectId)) throw missing;
    const policy = await this.deps.resourceManager.getProjectPolicy(key.projectId);
    const grant = findActiveGrant(policy.bindings ?? [], userEmail, key, this.now());
    if (!grant) throw missing;
    if (grant.approval.type === 'break-glass') {
      throw forbidden(
        'BREAK_GLASS_NOT_EXTENDED',
        `Your grant of '${describeEntitlement(grant)}' is a break-glass activation, which its reviewers review afterwards; it cannot be extended. Request approval for the role once it ends, or break the glass again if the rule allows.`,
      );
    }
    return grant;
  }

  /**
   * The rule's own approval of a request just made, through the same decision path as a reviewer's: recorded
   * in the project's policy with the grant, as every approval the request needs; audited as approval.succeeded
   * with the rule as approver, and notified like any approval. Null when the request was decided otherwise
   * meanwhile (a cancellation racing it), which the decision path refuses.
   */
  private async approveByRule(
    request: ApprovalRequest,
    approver: string,
    demand: ApprovalDemand,
    user: AuditUser,
    publicUrl: string,
  ): Promise<{ grant: GrantResult | null; scheduled: ScheduledStart | null; notificationFailures: string[] } | null> {
    const { outcome, grant: written, scheduled: window } = await this.deps.decisions.apply(request, { kind: 'approve', actor: approver }, demand.requiredApprovals);
    if (outcome.type !== 'granted') return null;
    if (window) {
      const scheduled = this.recordScheduled(request, approver, window, user, [approver]);
      const notificationFailures = await this.deps.notifications.sendApproved({ ...request, ...window }, approver, publicUrl, user, [approver]);
      return { grant: null, scheduled, notificationFailures };
    }
    const { entitlement, beneficiary } = request;
    const grant = grantResultOf({ id: entitlementId(entitlement), ...entitlement }, written!, written!.outcome);
    this.deps.catalog.invalidate(beneficiary, entitlement.projectId);
    this.recordApproved(request, user, {
      approvedBy: approver,
      requiredApprovals: outcome.state.requiredApprovals,
      approvals: [approver],
      window: grant,
      scheduled: false,
      message: `The access policy's ${approver} approved ${requested(request)} for ${beneficiary} itself; granted until ${grant.end.toISOString()}`,
    });
    const notificationFailures = await this.deps.notifications.sendApproved(asGranted(request, grant), approver, publicUrl, user, [approver]);
    return { grant, scheduled: null, notificationFailures };
  }

  /**
   * The start a request asks for, checked: in the future, allowed by the role's rule (`scheduling.maxDelay`),
   * and recordable (the role's name fits the scheduled grant's record).
   */
  private async laterStart(activationId: string, role: EligibleRole, requested: Date): Promise<Date> {
    const start = startOfActivation(requested);
    const now = this.now();
    if (start.getTime() <= now.getTime()) throw invalidInput(`The start (${start.toISOString()}) must be in the future; leave it out to start when the request is approved.`);
    if (!this.deps.startProblem) {
      throw forbidden('SCHEDULING_NOT_ALLOWED', 'This service runs without an access policy, and only a rule of one (scheduling.maxDelay) allows a later start: leave the start out to start when the request is approved.');
    }
    const problem = await this.deps.startProblem(role, start, now);
    if (problem) throw forbidden('SCHEDULING_NOT_ALLOWED', `${problem} ('${role.id}').`);
    if (!fitsDescription(activationId, role.role, role.resourceCondition !== null)) throw invalidInput(`The role name ${role.role} is too long to be recorded for a later start; leave the start out.`);
    return start;
  }

  /**
   * Audits the approval that completed a request (approval.succeeded): the grant written now, or scheduled
   * (`scheduled`) when it starts later. `approvedBy` is named where the entry's user does not say it all: the
   * rule's own approval (the entry's user is the requester) and a scheduled grant.
   */
  private recordApproved(request: ApprovalRequest, user: AuditUser, approval: CompletingApproval): void {
    const { approvedBy, requiredApprovals, approvals, window, scheduled, message } = approval;
    this.deps.audit.record({
      ...contextOf(request),
      user,
      event: 'approval.succeeded',
      severity: 'NOTICE',
      outcome: 'success',
      alreadyApproved: false,
      ...(approvedBy !== undefined ? { approvedBy } : {}),
      requiredApprovals,
      approvals: [...approvals],
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      ...(scheduled ? { scheduled: true } : {}),
      message,
    });
  }

  /**
   * Audits a peer grant scheduled by the approval that completed its request before its later start:
   * `activation.scheduled`, which also tells the workflow task's scheduledStarts pass which project to read.
   */
  private recordScheduled(request: ApprovalRequest, approver: string, window: { start: Date; end: Date }, user: AuditUser, approvals: readonly string[]): ScheduledStart {
    const { entitlement, beneficiary } = request;
    this.deps.catalog.invalidate(beneficiary, entitlement.projectId);
    this.recordApproved(request, user, {
      approvedBy: approver,
      requiredApprovals: request.requiredApprovals,
      approvals,
      window,
      scheduled: true,
      message: `${approver} approved ${requested(request)} for ${beneficiary}${approvals.length > 1 ? ` (${approvals.join(', ')})` : ''}; scheduled from ${window.start.toISOString()} until ${window.end.toISOString()}`,
    });
    this.deps.audit.record({
      user: { email: beneficiary, userId: '', deviceId: '', accessLevels: [] },
      project: entitlement.projectId,
      activationId: request.id,
      justification: request.justification,
      start: window.start.toISOString(),
      end: window.end.toISOString(),
      event: 'activation.scheduled',
      severity: 'NOTICE',
      outcome: 'success',
      approvedBy: approver,
      message: `${approver} approved the request ${request.id}, so '${describeEntitlement(entitlement)}' is scheduled for ${beneficiary} from ${window.start.toISOString()} until ${window.end.toISOString()}`,
      roles: [{ role: entitlement.role, resourceCondition: entitlement.resourceCondition }],
    });
    return { id: scheduledId(entitlement.projectId, request.id), ...window };
  }

  /** The request behind a link, for the requester and the reviewers only, and its state read fresh from IAM. */
  async status(user: AuditUser, link: string): Promise<RequestStatus> {
    let request: ApprovalRequest | undefined;
    try {
      ({ request } = await this.read(link));
      const escalationApprover = !isParticipant(request, user.email) && (await this.requireDueEscalation(request, user.email, 'open', 'NOT_A_PARTICIPANT', `You (${user.email}) are neither the requester nor a reviewer of this request, so you cannot open it. Only the requester and the reviewers they chose can.`));
      // A request for a project outside RESOURCE_SCOPE (signed under an earlier scope) reads nothing of it.
      await this.deps.catalog.requireOffered(user.email, request.entitlement.projectId);
      return { request, state: await this.deps.decisions.state(request), escalationApprover };
    } catch (e) {
      throw this.failed(e, request, user, 'view', `open ${request ? `the approval request ${request.id}` : 'an approval request'}`);
    }
  }

  async approve(user: AuditUser, link: string, publicUrl: string): Promise<ApprovalOutcome> {
    let request: ApprovalRequest | undefined;
    const { checks, catalog, notifications, audit } = this.deps;
    try {
      if (isServiceAccountEmail(user.email) && !this.rules.reviewers.serviceAccountsMayApprove) {
        throw forbidden('SERVICE_ACCOUNT_CANNOT_APPROVE', `${user.email} is a service account, and service accounts may not approve requests here (SERVICE_ACCOUNTS_MAY_APPROVE is false). A person among the reviewers must approve it.`);
      }
      request = await this.verified(link);
      const refusal = checkApprover(request, user.email);
      if (refusal?.reason === 'self-approval') throw forbidden('SELF_APPROVAL', `${refusal.message}.`);
      if (refusal) await this.requireDueEscalation(request, user.email, 'approve', 'NOT_A_REVIEWER', `${refusal.message}.`);
      const { beneficiary, entitlement } = request;
      const stale = checks.problemWith(request.justification, durationMinutesOf(request));
      if (stale) {
        throw forbidden('REQUEST_NO_LONGER_VALID', `This request no longer meets the rules: ${stale}. Ask ${beneficiary} to send a new request.`);
      }
      const demand = await this.requireReviewer(request, user.email, 'approve', refusal !== null);
      const { outcome, grant: written, scheduled: window } = await this.deps.decisions.apply(request, { kind: 'approve', actor: user.email }, demand.requiredApprovals);
      const state = outcome.state;
      const context = { ...contextOf(request), user, requiredApprovals: state.requiredApprovals, approvals: state.approvals.map((a) => a.approver) };
      if (outcome.type === 'unchanged') {
        const approvedBy = state.approvals.at(-1)?.approver;
        // A reviewer whose click lost the race to another reviewer's approval did not approve anything.
        const approvedBefore = state.approvals.some((a) => a.approver === user.email.toLowerCase());
        audit.record({
          ...context,
          event: 'approval.succeeded',
          severity: 'INFO',
          outcome: 'success',
          alreadyApproved: true,
          message:
            state.status === 'approved'
              ? `User ${user.email} ${approvedBefore ? 'approved' : 'tried to approve'} '${describeEntitlement(entitlement)}' for ${beneficiary}${approvedBefore ? ' again' : ''}; it was already granted${approvedBy ? ` (approved by ${approvedBy})` : ''}, nothing changed`
              : `User ${user.email} approved '${describeEntitlement(entitlement)}' for ${beneficiary} again; their approval was already recorded (${state.approvals.length} of ${state.requiredApprovals}), nothing changed`,
        });
        return { request, state, grant: null, scheduled: null, alreadyApproved: true, notificationFailures: [] };
      }
      if (outcome.type === 'grant-changed') throw extensionRefused(request, outcome.grant);
      if (outcome.type !== 'granted' && outcome.type !== 'approval-recorded') throw closedRequest(outcome.type, state, 'approve');
      if (outcome.type === 'approval-recorded') {
        audit.record({
          ...context,
          event: 'approval.recorded',
          severity: 'NOTICE',
          outcome: 'success',
          alreadyApproved: false,
          message: `User ${user.email} approved ${requested(request)} for ${beneficiary}: ${state.approvals.length} of ${state.requiredApprovals} approvals`,
        });
        const [notificationFailures] = await Promise.all([
          notifications.sendDecision(request, 'approval-recorded', state, user.email, publicUrl, user),
          this.deps.ticketEvents?.approved(request, user.email, null),
        ]);
        return { request, state, grant: null, scheduled: null, alreadyApproved: false, notificationFailures };
      }
      if (window) {
        const approvals = state.approvals.map((a) => a.approver);
        const scheduled = this.recordScheduled({ ...request, requiredApprovals: state.requiredApprovals }, user.email, window, user, approvals);
        const [notificationFailures] = await Promise.all([notifications.sendApproved({ ...request, ...window }, user.email, publicUrl, user, approvals), this.deps.ticketEvents?.approved(request, user.email, null)]);
        return { request, state, grant: null, scheduled, alreadyApproved: false, notificationFailures };
      }
      const grant = grantResultOf({ id: entitlementId(entitlement), ...entitlement }, written!, written!.outcome);
      catalog.invalidate(beneficiary, entitlement.projectId);
      this.recordApproved(request, user, {
        requiredApprovals: state.requiredApprovals,
        approvals: context.approvals,
        window: grant,
        scheduled: false,
        message: `User ${user.email} approved ${requested(request)} for ${beneficiary}${state.requiredApprovals > 1 ? ` (${state.approvals.map((a) => a.approver).join(', ')})` : ''}; granted until ${grant.end.toISOString()}`,
      });
      const [notificationFailures] = await Promise.all([
        notifications.sendApproved(asGranted(request, grant), user.email, publicUrl, user, state.approvals.map((a) => a.approver)),
        this.deps.ticketEvents?.approved(request, user.email, grant),
      ]);
      return { request, state, grant, scheduled: null, alreadyApproved: false, notificationFailures };
    } catch (e) {
      throw this.failed(e, request, user, 'approve', `approve ${request ? `'${describeEntitlement(request.entitlement)}' for ${request.beneficiary}` : 'an approval request'}`);
    }
  }

  /**
   * The token of a pending request, for one of its participants, without the email: rebuilt from the
   * request's `request.created` audit entry and signed again. RS256 signatures are deterministic, so signing
   * the same claims with the same key gives back the very token that was sent; its digest, which the entry
   * carries, must match, or nothing is handed out. An entry someone else wrote or altered (anyone allowed to
   * write the log could) therefore never yields a token the service did not issue (docs/security.md). The
   * token then goes through every check of an emailed one.
   */
  async reissue(user: AuditUser, requestId: string): Promise<ReissuedRequest> {
    let request: ApprovalRequest | undefined;
    try {
      this.tokensOrUnavailable();
      if (!this.deps.inbox) throw unavailable('the service does not read its audit log.');
      const { logged, readAt } = await this.deps.inbox.find(requestId);
      if (!logged) {
        throw new AppError(
          404,
          'REQUEST_NOT_FOUND',
          `The audit log as read at ${readAt.toISOString()} holds no request ${requestId}: it is older than the inbox reaches, or so recent that Cloud Logging does not serve it yet (try again in a minute), or the id is wrong. The link in the email opens it too.`,
        );
      }
      if (!isParticipant(logged.request, user.email)) {
        await this.requireDueEscalation(logged.request, user.email, 'open', 'NOT_A_PARTICIPANT', `You (${user.email}) are neither the requester nor a reviewer of the request ${requestId}, so you cannot open it.`);
      }
      request = logged.request;
      if (this.now().getTime() >= request.expiresAt.getTime()) {
        throw new AppError(410, 'REQUEST_EXPIRED', `The request ${requestId} expired at ${request.expiresAt.toISOString()} and can no longer be decided or cancelled.`);
      }
      await this.deps.catalog.requireOffered(user.email, request.entitlement.projectId);
      const state = await this.deps.decisions.state(request);
      if (state.status !== 'pending') {
        const closed = closedRequest('refused', state, 'approve');
        const by = state.status === 'denied' ? ` by ${state.deniedBy}` : '';
        throw new AppError(closed.httpStatus, closed.code, `The request ${requestId} was ${state.status}${by}; nothing is left to decide or cancel.`);
      }
      const jwt = await this.issuedToken(logged);
      if (!jwt) {
        throw new AppError(
          409,
          'REQUEST_NOT_REESTABLISHED',
          `The audit entry of the request ${requestId} does not describe a request the service signed (it carries no digest of its token, or was altered, or Google rotated the signing key since), so it cannot be opened from the list; open the link from the email instead.`,
        );
      }
      this.deps.audit.record({
        ...contextOf(request),
        user,
        event: 'request.reissued',
        severity: 'INFO',
        outcome: 'success',
        message: `User ${user.email} opened the request ${request.id} of ${request.beneficiary} for '${describeEntitlement(request.entitlement)}' from the list`,
      });
      return { request, token: obfuscateToken(jwt) };
    } catch (e) {
      throw this.failed(e, request, user, 'reissue', `open the request ${requestId} from the list`);
    }
  }

  /** Whether a logged request is one this service signed: an entry anyone else wrote is never acted on. */
  async issued(logged: LoggedRequest): Promise<boolean> {
    return (await this.issuedToken(logged)) !== null;
  }

  /**
   * Whether a logged request's record (domain/request-record) vouches for it: signed by the service and
   * describing exactly the logged request. Needs no signJwt, and works after the request expired.
   */
  async recordCheck(logged: LoggedRequest): Promise<RecordCheck> {
    if (!logged.requestRecord) return 'no-record';
    return (await this.tokensOrUnavailable().recordProblem(logged.requestRecord, logged.request)) ?? 'vouched';
  }

  /** The token the service issued for a logged request, signed again; null when the entry does not describe one it issued. */
  private async issuedToken(logged: LoggedRequest): Promise<string | null> {
    if (!logged.tokenDigest) return null;
    const jwt = await this.tokensOrUnavailable().sign(logged.request);
    return tokenDigest(jwt) === logged.tokenDigest ? jwt : null;
  }

  /**
   * A requester has at most one pending request per role: a second one is refused with a pointer to the first.
   * The log only suggests one; it counts once the service signed it and IAM still has it pending, so that an
   * entry someone else wrote, or a decision the log does not show yet, never blocks a request.
   */
  private async refuseSecondRequest(requester: string, projectId: string, roleId: string): Promise<void> {
    // A log that cannot be read (the service account lacks roles/logging.viewer) never blocks a request.
    const pending = (await this.deps.inbox?.pendingOf(requester, projectId).catch(() => undefined))?.get(roleId);
    if (!pending || !(await this.issuedToken(pending)) || (await this.deps.decisions.state(pending.request)).status !== 'pending') return;
    throw new AppError(
      409,
      'REQUEST_PENDING',
      `You already have a pending request ${pending.request.id} for '${roleId}' (${pending.approvals.length} of ${pending.request.requiredApprovals} approvals, until ${pending.request.expiresAt.toISOString()}). Wait for its reviewers, or cancel it on the My requests page before requesting again.`,
      { pendingRequestId: pending.request.id, pendingRequestPage: `/requests#${pending.request.id}` },
    );
  }

  /** A reviewer denies the request, with a reason the requester is told; it ends for every reviewer. */
  async deny(user: AuditUser, link: string, reason: string, publicUrl: string): Promise<DecisionOutcome> {
    let request: ApprovalRequest | undefined;
    try {
      request = await this.verified(link);
      const refusal = checkApprover(request, user.email);
      if (refusal?.reason === 'self-approval') throw forbidden('SELF_DENIAL', 'You cannot deny your own request: cancel it instead.');
      if (refusal) await this.requireDueEscalation(request, user.email, 'deny', 'NOT_A_REVIEWER', `${refusal.message.replace('approve it', 'deny it')}.`);
      await this.requireReviewer(request, user.email, 'deny', refusal !== null);
      return await this.decideAndTell(request, user, { kind: 'deny', actor: user.email, reason }, publicUrl);
    } catch (e) {
      throw this.failed(e, request, user, 'deny', `deny ${request ? `the request ${request.id}` : 'an approval request'}`);
    }
  }

  /** The requester withdraws a pending request; reviewers are told. */
  async cancel(user: AuditUser, link: string, publicUrl: string): Promise<DecisionOutcome> {
    let request: ApprovalRequest | undefined;
    try {
      request = await this.verified(link);
      if (request.beneficiary !== user.email.toLowerCase()) {
        throw forbidden('NOT_THE_REQUESTER', `Only the requester (${request.beneficiary}) can cancel this request; as a reviewer, deny it instead.`);
      }
      await this.deps.catalog.requireOffered(user.email, request.entitlement.projectId);
      return await this.decideAndTell(request, user, { kind: 'cancel', actor: user.email }, publicUrl);
    } catch (e) {
      throw this.failed(e, request, user, 'cancel', `cancel ${request ? `the request ${request.id}` : 'an approval request'}`);
    }
  }

  private async decideAndTell(request: ApprovalRequest, user: AuditUser, action: DecisionAction & { kind: 'deny' | 'cancel' }, publicUrl: string): Promise<DecisionOutcome> {
    const { outcome } = await this.deps.decisions.apply(request, action, request.requiredApprovals);
    const { state } = outcome;
    const done = action.kind === 'deny' ? 'denied' : 'cancelled';
    if (outcome.type !== 'unchanged' && outcome.type !== done) throw closedRequest(outcome.type, state, action.kind);
    const alreadyDecided = outcome.type === 'unchanged';
    this.deps.audit.record({
      ...contextOf(request),
      user,
      event: action.kind === 'deny' ? 'request.denied' : 'request.cancelled',
      severity: alreadyDecided ? 'INFO' : 'NOTICE',
      outcome: 'success',
      alreadyDecided,
      approvals: state.approvals.map((a) => a.approver),
      requiredApprovals: state.requiredApprovals,
      ...(action.kind === 'deny' ? { reason: action.reason } : {}),
      message:
        `User ${user.email} ${done} the request ${request.id} of ${request.beneficiary} for '${describeEntitlement(request.entitlement)}'` +
        (action.kind === 'deny' ? `: ${action.reason}` : '') +
        (alreadyDecided ? ' again; nothing changed' : ''),
    });
    if (alreadyDecided) return { request, state, alreadyDecided, notificationFailures: [] };
    const reason = action.kind === 'deny' ? action.reason : undefined;
    const [notificationFailures] = await Promise.all([
      this.deps.notifications.sendDecision(request, done, state, user.email, publicUrl, user, reason),
      this.deps.ticketEvents?.decided(request, done, user.email, reason ?? null),
    ]);
    return { request, state, alreadyDecided, notificationFailures };
  }

  /**
   * Fresh: the user may still decide the request — a designated approver of the rule in force, or a holder of
   * the same peer-approval eligible role — and the requester is still eligible. Returns what the rule demands.
   */
  private async requireReviewer(request: ApprovalRequest, reviewer: string, verb: 'approve' | 'deny', byEscalation: boolean): Promise<ApprovalDemand> {
    const { beneficiary, entitlement } = request;
    const id = entitlementId(entitlement);
    await this.deps.catalog.requireOffered(reviewer, entitlement.projectId);
    const { role, demand, candidates } = await this.approvalTarget(beneficiary, { id, ...entitlement }, `The requester ${beneficiary} is`, true, 'decision');
    // An escalation approver was checked against the rule in force (requireDueEscalation); they need not be a candidate.
    if (!byEscalation) requireAmong(candidates, [reviewer.toLowerCase()], () =>
      demand.kind === 'approvers'
        ? `You (${reviewer}) are no longer a designated approver of '${id}', so you cannot ${verb} this request.`
        : `You (${reviewer}) no longer hold the ${bindingWords(role.type)} eligible role '${id}', so you cannot ${verb} this request.`,
    );
    // The rule is re-checked when a request is approved; a denial needs no more than a reviewer.
    const asked = { justification: request.justification, durationMinutes: durationMinutesOf(request) };
    // An approval before a later start is checked against the rule as it reads at the start (its windows).
    if (verb === 'approve') await this.deps.checks.requirePolicy(beneficiary, entitlement.projectId, [role], asked, 'approval', isBeforeRequestedStart(request, this.now()) ? request.start : undefined);
    return demand;
  }

  /**
   * The escalation the rule in force names for the request's role (read now: a rule changed since the request
   * was made applies), with its approvers resolved fresh; null when the rule names none. Nothing is stored:
   * the delay counts from the signed request's issuedAt.
   */
  async escalationOf(request: ApprovalRequest): Promise<Escalation | null> {
    const demand = await this.demandOf({ id: entitlementId(request.entitlement), ...request.entitlement, type: request.bindingType });
    if (!demand?.escalation) return null;
    const { afterMinutes, principals } = demand.escalation;
    return { from: new Date(request.issuedAt.getTime() + afterMinutes * 60_000), afterMinutes, principals };
  }

  /** The escalation approvers as users (groups resolved, read fresh), never the requester. */
  async escalationApprovers(request: ApprovalRequest, escalation: Escalation): Promise<string[]> {
    return (await this.designatedUsers({ kind: 'approvers', principals: escalation.principals, requiredApprovals: 1 })).filter((u) => u !== request.beneficiary);
  }

  /**
   * For someone who is not among the request's reviewers: passes when they are an escalation approver of the
   * rule in force and its delay has passed; before that, a 403 saying from when; otherwise `code` and `message`.
   */
  private async requireDueEscalation(request: ApprovalRequest, user: string, verb: 'open' | 'approve' | 'deny', code: string, message: string): Promise<true> {
    const escalation = await this.escalationOf(request);
    if (!escalation || !(await this.escalationApprovers(request, escalation)).includes(user.toLowerCase())) throw forbidden(code, message);
    if (this.now().getTime() < escalation.from.getTime()) {
      throw forbidden(
        'ESCALATION_NOT_DUE',
        `You (${user.toLowerCase()}) are an escalation approver of this request: you can ${verb} it from ${escalation.from.toISOString()} (${escalation.afterMinutes} minutes after it was made) if it is still undecided then. Until then only its reviewers (${request.reviewers.join(', ')}) can.`,
      );
    }
    return true;
  }

  /**
   * Fresh: the requester holds the role through either type of eligible binding, and the rule in force
   * demands approval for it — with who may approve (the holders read fresh for decisions, cached for lists).
   * Eligibility and the role's holders are read side by side; the holders only when peers may approve.
   * For a `decision` on a request already made, a rule that now needs no approval (a self-approval binding
   * back inside its schedule) keeps the request's approval by peers: approving it grants no more than the
   * requester could take.
   */
  private async approvalTarget(
    requester: string,
    entitlement: RequestedEntitlement,
    who: string,
    fresh: boolean,
    step: 'request' | 'decision',
    instead = 'Activate it yourself.',
  ): Promise<ApprovalTarget> {
    const { projectId, id } = entitlement;
    // Which binding type the requester holds is read below; what each type demands costs no Google call.
    const [self, peer] = await Promise.all([this.demandOf({ ...entitlement, type: 'self' }), this.demandOf({ ...entitlement, type: 'peer' })]);
    const byType: Record<ActivationType, ApprovalDemand | null> = { self, peer };
    const byPeers = [self, peer].some((d) => (d === null ? step === 'decision' : d.kind === 'peers'));
    const [[role], holders] = await allInOrder([
      this.deps.checks.requireEligible(requester, projectId, [entitlement], 'any', who),
      byPeers ? this.deps.catalog.reviewersFor(entitlement, requester, fresh) : Promise.resolve(undefined),
    ] as const);
    const ruled = byType[role.type];
    if (!ruled && step === 'request') {
      throw notEligible(`${who} not allowed to request it with peer approval: '${id}' needs no approval. ${instead}`);
    }
    const demand = ruled ?? ONE_PEER;
    if (demand.kind === 'approvers') {
      return { role, demand, candidates: { reviewers: (await this.designatedUsers(demand)).filter((u) => u !== requester.toLowerCase()), warnings: [] } };
    }
    const { reviewers, warnings } = await holders!(role.type);
    return { role, demand, candidates: { reviewers: this.rules.reviewers.serviceAccountsMayApprove ? reviewers : reviewers.filter((h) => !isServiceAccountEmail(h)), warnings } };
  }

  private demandOf(role: EligibleRole): Promise<ApprovalDemand | null> {
    if (this.deps.approvalDemand) return this.deps.approvalDemand(role);
    return Promise.resolve(role.type === 'peer' ? ONE_PEER : null);
  }

  private async designatedUsers(demand: ApprovalDemand): Promise<string[]> {
    const direct = demand.principals.filter((p) => p.toLowerCase().startsWith('user:')).map((p) => p.slice('user:'.length).toLowerCase());
    if (!this.deps.usersOf) return direct;
    return [...new Set((await this.deps.usersOf(demand.principals)).map((u) => u.toLowerCase()))];
  }

  /** Audits a failed step (never the token) and returns the error to throw. */
  private failed(e: unknown, request: ApprovalRequest | undefined, user: AuditUser, step: 'view' | 'approve' | 'deny' | 'cancel' | 'reissue', what: string): Error {
    const error = asAppError(e);
    this.deps.audit.record({
      ...(request ? contextOf(request) : {}),
      ...failureOf(error),
      event: 'approval.failed',
      step,
      user,
      message: `User ${user.email} ${step === 'view' ? 'could not' : 'failed to'} ${what}: ${error.message}`,
    });
    return error;
  }

  private async verified(link: string): Promise<ApprovalRequest> {
    return this.tokensOrUnavailable().verify(tokenFromLink(link));
  }

  private async read(link: string): Promise<{ request: ApprovalRequest; expired: boolean }> {
    return this.tokensOrUnavailable().read(tokenFromLink(link));
  }

  private tokensOrUnavailable(): ApprovalTokens {
    if (!this.deps.tokens) throw unavailable('the service does not know its own service account (set SERVICE_ACCOUNT), which verifies requests.');
    return this.deps.tokens;
  }
}

/** Runs steps side by side, and reports the failure of the first one listed rather than the fastest. */
async function allInOrder<T extends readonly unknown[]>(steps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Every one of `reviewers` is among the candidates who may approve, else a refusal naming the others. */
function requireAmong(candidates: Reviewers, reviewers: readonly string[], refusal: (outsiders: string[]) => string): void {
  const allowed = new Set(candidates.reviewers);
  const outsiders = reviewers.filter((r) => !allowed.has(r));
  if (outsiders.length > 0) throw notEligible(refusal(outsiders));
}

const bindingWords = (type: ActivationType) => (type === 'peer' ? 'peer-approval' : 'self-approval');

/** Why a request no longer takes a decision, as the caller's error. */
function closedRequest(type: 'refused' | 'full' | 'denied' | 'cancelled' | 'approval-recorded' | 'granted' | 'grant-changed', state: RequestState, verb: string): AppError {
  if (type === 'full') {
    return new AppError(409, 'TOO_MANY_OPEN_DECISIONS', `The project's IAM policy holds as many request decisions as Google's limits allow; try again later.`);
  }
  switch (state.status) {
    case 'expired':
      return new AppError(410, 'REQUEST_EXPIRED', `This approval request expired and can no longer be ${verb === 'cancel' ? 'cancelled' : 'decided'}: ask the requester to send a new one.`);
    case 'denied':
      return new AppError(409, 'REQUEST_DENIED', `This request was denied by ${state.deniedBy}${state.reason ? ` (${state.reason})` : ''}; it can no longer be ${verb === 'approve' ? 'approved' : verb === 'deny' ? 'denied' : 'cancelled'}.`);
    case 'cancelled':
      return new AppError(409, 'REQUEST_CANCELLED', `The requester cancelled this request; it can no longer be ${verb === 'approve' ? 'approved' : 'denied'}.`);
    case 'approved':
      return new AppError(409, 'REQUEST_APPROVED', `This request was already approved and granted; it can no longer be ${verb === 'deny' ? 'denied' : 'cancelled'}. The requester can end the grant from My access.`);
    default:
      return new AppError(409, 'CONFLICT', 'This request changed while it was being decided; open it again.');
  }
}

/** An extension whose grant no longer has the window it extends: nothing is granted, whoever approves. */
function extensionRefused(request: ApprovalRequest, grant: 'replaced' | 'gone'): AppError {
  const what = `${request.beneficiary}'s grant of '${describeEntitlement(request.entitlement)}' ending at ${request.extension!.end.toISOString()}`;
  return new AppError(
    409,
    grant === 'gone' ? 'GRANT_ENDED' : 'GRANT_ALREADY_EXTENDED',
    grant === 'gone'
      ? `This request extends ${what}, which has ended or was revoked, so it can no longer be extended; nothing was granted. ${request.beneficiary} can request the role again.`
      : `This request extends ${what}, which was extended or replaced since, so it no longer ends then; nothing was granted. ${request.beneficiary} can request a new extension of the grant in force.`,
  );
}

/**
 * The request as its approval notices tell it: with the window granted. An extension keeps its own, which says
 * the time added and the new end.
 */
function asGranted(request: ApprovalRequest, grant: GrantResult): ApprovalRequest {
  // Granted, a request for a later start has its window: its notices no longer speak of one to come.
  return request.extension ? request : { ...request, start: grant.start, end: grant.end, startsLater: undefined };
}

/** What a request asks for, in an audit message: the role, or the extension of a grant of it. */
function requested(request: ApprovalRequest): string {
  const role = `'${describeEntitlement(request.entitlement)}'`;
  return request.extension ? `the extension of the grant of ${role} ending at ${request.extension.end.toISOString()} by ${durationMinutesOf(request)} minutes` : role;
}

/** How the audit entry of an extension request names its grant: the id and the end the claims carry. */
function extensionClaim(extension: GrantExtension): { id: string; end: string } {
  return { id: extension.grantId, end: extension.end.toISOString() };
}

function windowOf(request: ApprovalRequest) {
  return { start: request.start.toISOString(), end: request.end.toISOString() };
}

/** What the audit entries of one request share; never the token itself. */
function contextOf(request: ApprovalRequest): Partial<AuditEvent> {
  return {
    ...windowOf(request),
    project: request.entitlement.projectId,
    activationId: request.id,
    beneficiary: request.beneficiary,
    reviewers: [...request.reviewers],
    justification: request.justification,
    roles: [{ role: request.entitlement.role, resourceCondition: request.entitlement.resourceCondition }],
    ...(request.extension ? { extendsGrant: extensionClaim(request.extension) } : {}),
  };
}
