// The events published to Pub/Sub, in jit-access 1.x's format (reference §8.6): the message data is the
// JSON `{"type": …, "attributes": {…}}`, attribute names are the property names in lower case, instants
// are ISO-8601 UTC, lists are arrays of strings and everything else is a string.
import { baseUrlOf, legacyApprovalLink } from './approval-link';
import type { ApprovalRequest } from './approval-request';
import type { BreakGlassActivation } from './break-glass';

/**
 * jit-access 1.x's three types keep their names and attributes; the others are this service's own (docs/api.md):
 * the rest of a request's lifecycle, break-glass, and the workflow task's escalations and grant-end reminders.
 */
export type NotificationType =
  | 'RequestActivation'
  | 'ActivationApproved'
  | 'ActivationSelfApproved'
  | 'ApprovalRecorded'
  | 'RequestDenied'
  | 'RequestCancelled'
  | 'RequestExpiringSoon'
  | 'RequestExpired'
  | 'BreakGlassActivated'
  | 'BreakGlassReviewOverdue'
  | 'RequestEscalated'
  | 'GrantEndingSoon';

export interface NotificationEvent {
  type: NotificationType;
  attributes: Record<string, string | string[]>;
}

/** `2023-11-28T22:13:44Z`: Java's `Instant.toString`, which leaves out zero milliseconds. */
function isoInstant(instant: Date): string {
  return instant.toISOString().replace('.000Z', 'Z');
}

function requestAttributes(request: ApprovalRequest): Record<string, string | string[]> {
  return {
    beneficiary: request.beneficiary,
    reviewers: [...request.reviewers],
    project_id: request.entitlement.projectId,
    role: request.entitlement.role,
    resource_condition: request.entitlement.resourceCondition ?? '',
    start_time: isoInstant(request.start),
    end_time: isoInstant(request.end),
    justification: request.justification,
    // A request to extend a grant: the grant's window when asked (start_time–end_time is then the time added).
    ...(request.extension ? { extended_grant_start_time: isoInstant(request.extension.start), extended_grant_end_time: isoInstant(request.extension.end) } : {}),
  };
}

/**
 * A request was made; `action_url` is the link reviewers open (holding it grants nothing). Both URLs
 * are in jit-access 1.x's form (see legacyApprovalLink), which consumers of the topic parse.
 */
export function requestActivationEvent(request: ApprovalRequest, publicUrl: string, jwt: string): NotificationEvent {
  return {
    type: 'RequestActivation',
    attributes: {
      ...requestAttributes(request),
      request_expiry_time: isoInstant(request.expiresAt),
      base_url: baseUrlOf(publicUrl),
      action_url: legacyApprovalLink(publicUrl, jwt, request.entitlement.projectId),
    },
  };
}

export function activationApprovedEvent(request: ApprovalRequest, approver: string, publicUrl: string): NotificationEvent {
  return { type: 'ActivationApproved', attributes: { approver, ...requestAttributes(request), base_url: baseUrlOf(publicUrl) } };
}

/** A decision that did not grant: `actor` is the reviewer, or the requester who cancelled. */
export function requestDecisionEvent(
  request: ApprovalRequest,
  type: 'ApprovalRecorded' | 'RequestDenied' | 'RequestCancelled',
  decision: { actor: string; approvals: number; reason?: string },
  publicUrl: string,
): NotificationEvent {
  return {
    type,
    attributes: {
      actor: decision.actor,
      ...requestAttributes(request),
      request_id: request.id,
      approvals: String(decision.approvals),
      required_approvals: String(request.requiredApprovals),
      ...(decision.reason !== undefined ? { reason: decision.reason } : {}),
      base_url: baseUrlOf(publicUrl),
    },
  };
}

/** A pending request about to expire undecided (for its reviewers), or that expired undecided (for its requester). */
export function requestExpiryEvent(request: ApprovalRequest, type: 'RequestExpiringSoon' | 'RequestExpired', publicUrl: string): NotificationEvent {
  return { type, attributes: { ...requestAttributes(request), request_id: request.id, required_approvals: String(request.requiredApprovals), base_url: baseUrlOf(publicUrl) } };
}

/**
 * A pending request nobody decided within its rule's `escalation.after`, offered to its escalation approvers
 * besides its reviewers (`escalated_to`, empty when the rule names nobody else).
 */
export function requestEscalatedEvent(request: ApprovalRequest, escalation: { approvers: readonly string[]; approvals: number; afterMinutes: number }, publicUrl: string): NotificationEvent {
  return {
    type: 'RequestEscalated',
    attributes: {
      ...requestAttributes(request),
      request_id: request.id,
      approvals: String(escalation.approvals),
      required_approvals: String(request.requiredApprovals),
      escalated_to: [...escalation.approvers],
      escalation_after_minutes: String(escalation.afterMinutes),
      base_url: baseUrlOf(publicUrl),
    },
  };
}

/** A grant the service wrote that ends soon, for its holder; `grant_id` is the id My access and the API name it by. */
export function grantEndingSoonEvent(grant: { id: string; user: string; projectId: string; role: string; resourceCondition: string | null; end: Date }, publicUrl: string): NotificationEvent {
  return {
    type: 'GrantEndingSoon',
    attributes: {
      grant_id: grant.id,
      beneficiary: grant.user,
      project_id: grant.projectId,
      role: grant.role,
      resource_condition: grant.resourceCondition ?? '',
      end_time: isoInstant(grant.end),
      base_url: baseUrlOf(publicUrl),
    },
  };
}

export interface SelfActivation {
  beneficiary: string;
  projectId: string;
  roles: readonly string[];
  start: Date;
  end: Date;
  justification: string;
}

export function selfApprovedEvent(activation: SelfActivation): NotificationEvent {
  return {
    type: 'ActivationSelfApproved',
    attributes: {
      beneficiary: activation.beneficiary,
      project_id: activation.projectId,
      role: activation.roles.join(', '),
      start_time: isoInstant(activation.start),
      end_time: isoInstant(activation.end),
      justification: activation.justification,
    },
  };
}

/**
 * A break-glass activation (`BreakGlassActivated`, at once) or its review overdue (`BreakGlassReviewOverdue`,
 * once); `review_url` is the page where its reviewers acknowledge or flag it.
 */
export function breakGlassEvent(type: 'BreakGlassActivated' | 'BreakGlassReviewOverdue', activation: BreakGlassActivation, reviewUrl: string): NotificationEvent {
  return {
    type,
    attributes: {
      activation_id: activation.activationId,
      beneficiary: activation.user,
      project_id: activation.projectId,
      role: activation.role,
      resource_condition: activation.resourceCondition ?? '',
      start_time: isoInstant(activation.start),
      end_time: isoInstant(activation.end),
      justification: activation.reason,
      reviewers: [...activation.reviewers],
      review_by: isoInstant(activation.reviewBy),
      outside_schedule: String(activation.outsideSchedule),
      rule: activation.rule ?? '',
      review_url: reviewUrl,
    },
  };
}
