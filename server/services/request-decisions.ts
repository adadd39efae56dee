// The decisions on a request, recorded in and read from the project's IAM policy (see domain/request-decision):
// each one is a read-modify-write through the shared PolicyWriter, and the last required approval writes the
// grant in the very same write, so that two instances deciding at once meet at the etag.
import { activationDescription, type ActivationGrant } from '../domain/activation-binding';
import { extendedWindowOf, findRecordedApproval, grantWindowOf, isBeforeRequestedStart, type ApprovalRequest } from '../domain/approval-request';
import { grantStateOf } from '../domain/grant';
import { addActivations, type GrantOutcome } from '../domain/policy-edit';
import { decide, decisionsIn, requestStateOf, type DecisionAction, type DecisionOutcome, type RequestState } from '../domain/request-decision';
import { addScheduled, conditionFingerprint, scheduledCapacityProblem } from '../domain/scheduled-activation';
import type { ResourceManager } from '../google/resource-manager';
import type { PolicyWriter } from './policy-writer';

/** What a decision did; with `grant`, the grant it wrote (or kept, when a longer one was in force). */
export interface DecisionResult {
  outcome: DecisionOutcome;
  grant?: { start: Date; end: Date; outcome: GrantOutcome };
  /**
   * Set instead of `grant` when the last approval landed before the later start the request asks for: the
   * scheduled grant recorded in the same write (domain/scheduled-activation), which the workflow task's
   * scheduledStarts pass grants at `start` after checking eligibility and the rule again.
   */
  scheduled?: { start: Date; end: Date };
}

export class RequestDecisions {
  constructor(
    private readonly writer: PolicyWriter,
    private readonly resourceManager: ResourceManager,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The request's state, read fresh from the project's policy. */
  async state(request: ApprovalRequest): Promise<RequestState> {
    const policy = await this.resourceManager.getProjectPolicy(request.entitlement.projectId);
    const state = requestStateOf(request, decisionsIn(policy), this.now());
    if (state.status !== 'pending' && state.status !== 'expired') return state;
    // A fixed-window request approved before decisions were recorded (by jit-access 1.x, or an earlier version).
    const legacy = request.windowFromApproval || request.extension ? null : findRecordedApproval(policy, request);
    if (!legacy) return state;
    return { ...state, status: 'approved', approvals: legacy.approver ? [{ approver: legacy.approver, at: request.start }] : [], decidedAt: request.start };
  }

  /**
   * Records `action` on the request if it is still open to it; the approval that completes the required
   * count also adds the grant. `requiredApprovals` is what the rule demands now (never fewer than the token).
   * An approval of an extension is recorded only while the grant it extends is in force with the window the
   * request names, and the last one rewrites that grant's binding to end later: one binding, never two.
   */
  async apply(request: ApprovalRequest, action: DecisionAction, requiredApprovals: number): Promise<DecisionResult> {
    const decided = { ...request, requiredApprovals: Math.max(request.requiredApprovals, requiredApprovals) };
    // The writer may run the edit more than once (a retry after a conflict, or a read-back after a write that
    // timed out); the result of the run that was written is the one that counts.
    let result: DecisionResult | undefined;
    await this.writer.apply(
      request.entitlement.projectId,
      (policy) => {
        const now = this.now();
        const edit = decide(policy, decided, action, now);
        const changed = edit.outcome.type === 'granted' || edit.outcome.type === 'approval-recorded' ? this.extendedGrantChange(policy, request, now) : null;
        if (changed) {
          result = { outcome: { type: 'grant-changed', state: requestStateOf(decided, decisionsIn(policy), now), grant: changed } };
          return policy;
        }
        if (edit.outcome.type !== 'granted') {
          // Finding the grant this very caller wrote (a write that timed out but landed) keeps what it wrote.
          const ownGrant = result?.grant && edit.outcome.type === 'unchanged' && edit.outcome.state.approvals.at(-1)?.approver === action.actor.toLowerCase();
          if (!ownGrant) result = { outcome: edit.outcome };
          return edit.policy;
        }
        if (this.isLegacyGrantIn(policy, request)) {
          result = { outcome: { type: 'unchanged', state: { ...edit.outcome.state, status: 'approved' } } };
          return policy;
        }
        const window = request.extension ? extendedWindowOf(request, request.extension) : grantWindowOf(request, edit.outcome.at);
        if (isBeforeRequestedStart(request, edit.outcome.at)) {
          if (scheduledCapacityProblem(edit.policy, request.beneficiary, 1)) {
            result = { outcome: { type: 'full', state: requestStateOf(decided, decisionsIn(policy), now), scope: 'actor', retryAfter: request.start } };
            return policy;
          }
          const grant = this.grantOf(request, action.actor, window);
          const record = { activationId: request.id, user: grant.user, role: grant.role, resourceConditionFingerprint: conditionFingerprint(grant.resourceCondition), start: grant.start, end: grant.end, grantDescription: grant.description };
          result = { outcome: edit.outcome, scheduled: window };
          return addScheduled(edit.policy, [record]);
        }
        const added = addActivations(edit.policy, [this.grantOf(request, action.actor, window)]);
        result = { outcome: edit.outcome, grant: { ...window, outcome: added.outcomes[0] } };
        return added.policy;
      },
      reasonOf(request, action),
    );
    return result!;
  }

  /** A fixed-window request granted before decisions were recorded must not grant again. */
  private isLegacyGrantIn(policy: Parameters<typeof findRecordedApproval>[0], request: ApprovalRequest): boolean {
    return !request.windowFromApproval && !request.extension && findRecordedApproval(policy, request) !== null;
  }

  /** For an extension request: how its grant changed since the request was made; null when it is still in force as it was (or for any other request). */
  private extendedGrantChange(policy: Parameters<typeof findRecordedApproval>[0], request: ApprovalRequest, now: Date): 'replaced' | 'gone' | null {
    if (!request.extension) return null;
    const { projectId, role, resourceCondition } = request.entitlement;
    const state = grantStateOf(policy.bindings ?? [], request.beneficiary, { projectId, role, resourceCondition, start: request.extension.start, end: request.extension.end }, now);
    return state === 'in-force' ? null : state;
  }

  private grantOf(request: ApprovalRequest, approver: string, window: { start: Date; end: Date }): ActivationGrant {
    return {
      user: request.beneficiary,
      role: request.entitlement.role,
      resourceCondition: request.entitlement.resourceCondition,
      ...window,
      description: activationDescription({ type: 'peer', approver, justification: request.justification }),
    };
  }
}

/** The `x-goog-request-reason` of a decision's write: for an approval, the grant's description, as in jit-access 1.x. */
function reasonOf(request: ApprovalRequest, action: DecisionAction): string {
  if (action.kind === 'approve') return activationDescription({ type: 'peer', approver: action.actor, justification: request.justification });
  return `${action.kind === 'deny' ? 'Denial' : 'Cancellation'} of request ${request.id} by ${action.actor.toLowerCase()}`;
}
