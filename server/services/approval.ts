// Peer approval (multi-party approval): who may review a role, requesting a role from reviewers with a
// signed request sent by email, showing a request to the people in it, and approving it. Every decision
// re-reads eligibility from Google; the request itself lives only in its signed token.
import { activationDescription, type ActivationGrant } from '../domain/activation-binding';
import { endOfActivation, startOfActivation } from '../domain/activation-request';
import {
  checkApprover,
  checkReviewers,
  distinctReviewers,
  durationMinutesOf,
  findRecordedApproval,
  isParticipant,
  requestExpiry,
  type ApprovalRequest,
  type RecordedApproval,
} from '../domain/approval-request';
import { obfuscateToken, tokenFromLink } from '../domain/approval-link';
import { describeEntitlement, entitlementId, type Entitlement } from '../domain/entitlement';
import { InvalidInputError } from '../domain/invalid-input-error';
import { addActivations, type GrantOutcome } from '../domain/policy-edit';
import { normalizeJustification } from '../domain/justification';
import type { ResourceManager } from '../google/resource-manager';
import { AppError, forbidden, invalidInput, notEligible } from '../errors';
import { grantResultOf, newActivationId, type GrantResult } from './activation';
import type { AuditEvent, AuditLog, AuditUser } from './audit';
import type { Catalog } from './catalog';
import type { EntitlementChecks } from './entitlement-checks';
import type { NotificationService } from './notification';
import type { PolicyWriter } from './policy-writer';
import type { ApprovalTokens } from './approval-tokens';

export interface ApprovalRules {
  reviewers: { min: number; max: number };
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
}

export interface NewApprovalRequest {
  role: string;
  justification: string;
  durationMinutes: number;
  reviewers: string[];
}

export interface CreatedRequest {
  request: ApprovalRequest;
  /** The token as it appears in links (see domain/approval-link). */
  token: string;
  notificationFailures: string[];
}

export interface RequestStatus {
  request: ApprovalRequest;
  approvedBy: string | null;
  approved: boolean;
  /** Past its expiry: shown to its participants, never approvable. */
  expired: boolean;
}

export interface ApprovalOutcome {
  request: ApprovalRequest;
  /** The beneficiary's grant in force after the approval (a longer grant in force is kept, never shortened). */
  grant: GrantResult;
  /** True when the request had been approved before: nothing was written, nobody notified again. */
  alreadyApproved: boolean;
  approvedBy: string | null;
  notificationFailures: string[];
}

const unavailable = (message: string) => new AppError(503, 'PEER_APPROVAL_UNAVAILABLE', `Peer approval is not available: ${message}`);

export class ApprovalService {
  constructor(
    private readonly deps: ApprovalDependencies,
    private readonly rules: ApprovalRules,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Users who could review the caller's request for a role; only someone eligible to request it may ask. */
  async reviewers(user: AuditUser, projectId: string, roleId: string): Promise<string[]> {
    try {
      const [entitlement] = this.deps.checks.entitlementsOf(projectId, [roleId], 1);
      await this.deps.checks.requireEligible(user.email, projectId, [entitlement], 'peer');
      return await this.deps.catalog.reviewersFor(entitlement, user.email);
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

  async request(user: AuditUser, projectId: string, given: NewApprovalRequest, publicUrl: string): Promise<CreatedRequest> {
    const input = { ...given, justification: normalizeJustification(given.justification) };
    const activationId = newActivationId('peer');
    const reviewers = distinctReviewers(input.reviewers);
    const context = { user, project: projectId, activationId, justification: input.justification, reviewers };
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
      await allOrFirstFailure([
        checks.requireEligible(user.email, projectId, [{ id }], 'peer').then((eligible) => checks.requirePolicy(user.email, projectId, eligible, input, 'request')),
        this.requireReviewers(entitlement, user.email, reviewers, (outsiders) =>
          `${outsiders.join(', ')} ${outsiders.length === 1 ? 'is' : 'are'} not allowed to approve '${id}': a reviewer must hold the same peer-approval eligible role. Choose reviewers among the eligible ones.`,
        ),
      ]);
      const start = startOfActivation(this.now());
      const end = endOfActivation(start, input.durationMinutes);
      const request: ApprovalRequest = {
        id: activationId,
        beneficiary: user.email,
        reviewers,
        entitlement,
        justification: input.justification,
        start,
        end,
        issuedAt: start,
        expiresAt: requestExpiry(start, end, this.rules.requestTimeoutMinutes),
      };
      const jwt = await tokens.sign(request);
      const notificationFailures = await notifications.sendRequest(request, jwt, publicUrl, user);
      audit.record({
        ...context,
        ...windowOf(request),
        event: 'request.created',
        severity: 'NOTICE',
        outcome: 'success',
        message: `User ${user.email} requested '${describeEntitlement(entitlement)}' for ${input.durationMinutes} minutes from ${reviewers.join(', ')}`,
        roles: [{ role: entitlement.role, resourceCondition: entitlement.resourceCondition }],
        expiresAt: request.expiresAt.toISOString(),
        notificationFailures,
      });
      return { request, token: obfuscateToken(jwt), notificationFailures };
    } catch (e) {
      const error = asAppError(e);
      audit.record({
        ...context,
        ...failureOf(error),
        event: 'request.failed',
        message: `User ${user.email} failed to request '${input.role.slice(0, 2000)}' for ${input.durationMinutes} minutes: ${error.message}`,
        requestedRole: input.role.slice(0, 2000),
      });
      throw error;
    }
  }

  /** The request behind a link, for the requester and the reviewers only; whether it was approved. */
  async status(user: AuditUser, link: string): Promise<RequestStatus> {
    let request: ApprovalRequest | undefined;
    try {
      let expired: boolean;
      ({ request, expired } = await this.read(link));
      if (!isParticipant(request, user.email)) {
        throw forbidden(
          'NOT_A_PARTICIPANT',
          `You (${user.email}) are neither the requester nor a reviewer of this request, so you cannot open it. Only the requester and the reviewers they chose can.`,
        );
      }
      // A request for a project outside RESOURCE_SCOPE (signed under an earlier scope) reads nothing of it.
      await this.deps.catalog.requireOffered(user.email, request.entitlement.projectId);
      const policy = await this.deps.resourceManager.getProjectPolicy(request.entitlement.projectId);
      const recorded = findRecordedApproval(policy, request);
      return { request, approved: recorded !== null, approvedBy: recorded?.approver ?? null, expired };
    } catch (e) {
      const error = asAppError(e);
      this.deps.audit.record({
        ...(request ? contextOf(request) : {}),
        ...failureOf(error),
        event: 'approval.failed',
        step: 'view',
        user,
        message: `User ${user.email} could not open ${request ? `the approval request ${request.id}` : 'an approval request'}: ${error.message}`,
      });
      throw error;
    }
  }

  async approve(user: AuditUser, link: string, publicUrl: string): Promise<ApprovalOutcome> {
    let request: ApprovalRequest | undefined;
    const { checks, catalog, notifications, audit } = this.deps;
    try {
      request = await this.verified(link);
      const refusal = checkApprover(request, user.email);
      if (refusal) throw forbidden(refusal.reason === 'self-approval' ? 'SELF_APPROVAL' : 'NOT_A_REVIEWER', `${refusal.message}.`);
      const { beneficiary, entitlement } = request;
      const stale = checks.problemWith(request.justification, durationMinutesOf(request));
      if (stale) {
        throw forbidden('REQUEST_NO_LONGER_VALID', `This request no longer meets the rules: ${stale}. Ask ${beneficiary} to send a new request.`);
      }
      await catalog.requireOffered(user.email, entitlement.projectId);
      await allOrFirstFailure([
        checks
          .requireEligible(beneficiary, entitlement.projectId, [{ id: entitlementId(entitlement) }], 'peer', `The requester ${beneficiary} is`)
          .then((eligible) => checks.requirePolicy(beneficiary, entitlement.projectId, eligible, { justification: request!.justification, durationMinutes: durationMinutesOf(request!) }, 'approval')),
        this.requireReviewers(entitlement, beneficiary, [user.email], () =>
          `You (${user.email}) no longer hold the peer-approval eligible role '${entitlementId(entitlement)}', so you cannot approve this request.`,
        ),
      ]);
      const { recorded, outcome } = await this.grant(request, user.email);
      const grant = grantResultOf({ id: entitlementId(entitlement), ...entitlement }, request, outcome);
      if (recorded) {
        audit.record({
          ...contextOf(request),
          event: 'approval.succeeded',
          severity: 'INFO',
          outcome: 'success',
          user,
          alreadyApproved: true,
          message: `User ${user.email} approved '${describeEntitlement(entitlement)}' for ${beneficiary} again; it was already granted${recorded.approver ? ` (approved by ${recorded.approver})` : ''}, nothing changed`,
        });
        return { request, grant, alreadyApproved: true, approvedBy: recorded.approver, notificationFailures: [] };
      }
      catalog.invalidate(beneficiary);
      audit.record({
        ...contextOf(request),
        event: 'approval.succeeded',
        severity: 'NOTICE',
        outcome: 'success',
        user,
        alreadyApproved: false,
        message: `User ${user.email} approved '${describeEntitlement(entitlement)}' for ${beneficiary}`,
      });
      const notificationFailures = await notifications.sendApproved(request, user.email, publicUrl, user);
      return { request, grant, alreadyApproved: false, approvedBy: user.email, notificationFailures };
    } catch (e) {
      const error = asAppError(e);
      audit.record({
        ...(request ? contextOf(request) : {}),
        ...failureOf(error),
        event: 'approval.failed',
        step: 'approve',
        user,
        message: `User ${user.email} failed to approve ${request ? `'${describeEntitlement(request.entitlement)}' for ${request.beneficiary}` : 'an approval request'}: ${error.message}`,
      });
      throw error;
    }
  }

  /**
   * Writes the activation binding of an approved request, unless the policy already holds it (a repeated
   * approval): checked inside the read-modify-write, so two approvals racing still add one binding.
   * Returns the approval found (null when this call granted the request), and what the grant did.
   */
  private async grant(request: ApprovalRequest, approver: string): Promise<{ recorded: RecordedApproval | null; outcome: GrantOutcome }> {
    const { entitlement } = request;
    const description = activationDescription({ type: 'peer', approver, justification: request.justification });
    const grant: ActivationGrant = {
      user: request.beneficiary,
      role: entitlement.role,
      resourceCondition: entitlement.resourceCondition,
      start: request.start,
      end: request.end,
      description,
    };
    // What the written edit found and did. The writer may run the edit again to see whether a write that
    // timed out landed: that run finds this very grant, which must not make it a repeated approval.
    let result: { recorded: RecordedApproval | null; outcome: GrantOutcome } | undefined;
    await this.deps.writer.apply(
      entitlement.projectId,
      (policy) => {
        const recorded = findRecordedApproval(policy, request);
        if (recorded) {
          result ??= { recorded, outcome: { type: 'kept', current: request } };
          return policy;
        }
        const added = addActivations(policy, [grant]);
        if (added.policy !== policy || result === undefined) result = { recorded: null, outcome: added.outcomes[0] };
        return added.policy;
      },
      description,
    );
    return result!;
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

  /** Fresh: every one of `reviewers` holds the same peer-approval eligible binding as the requester. */
  private async requireReviewers(entitlement: Entitlement, beneficiary: string, reviewers: readonly string[], refusal: (outsiders: string[]) => string): Promise<void> {
    const holders = new Set(await this.deps.catalog.reviewersFor(entitlement, beneficiary));
    const outsiders = reviewers.filter((r) => !holders.has(r));
    if (outsiders.length > 0) throw notEligible(refusal(outsiders));
  }
}

/** Runs checks side by side, and reports the failure of the first one listed rather than the fastest. */
async function allOrFirstFailure(checks: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(checks)).find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function asAppError(e: unknown): AppError | Error {
  if (e instanceof AppError) return e;
  if (e instanceof InvalidInputError) return invalidInput(e.message);
  return e instanceof Error ? e : new Error(String(e));
}

function failureOf(error: Error): Pick<AuditEvent, 'severity' | 'outcome' | 'error'> {
  const denied = error instanceof AppError && error.httpStatus < 500;
  return {
    severity: 'WARNING',
    outcome: denied ? 'denied' : 'failure',
    error: { code: error instanceof AppError ? error.code : 'INTERNAL', message: error.message },
  };
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
  };
}
