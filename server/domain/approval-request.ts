// A peer-approval request: who asks for which entitlement, for when, and who may approve it. It travels
// as the claims of a signed JWT (jit-access 1.8.1's claim layout), so the server keeps no state for it.
import { z } from 'zod';
import { parseActivationBinding } from './activation-binding';
import type { ActivationType } from './eligibility';
import { entitlementId, parseEntitlementId, type Entitlement } from './entitlement';
import { parseGrantId } from './grant';
import { hasMember, principalMember, type Policy } from './iam-policy';
import { InvalidInputError } from './invalid-input-error';

export interface ApprovalRequest {
  /** `mpa-…`, the activation id (reference §2.4). */
  readonly id: string;
  /** The requester, who gets the role once a reviewer approves. */
  readonly beneficiary: string;
  readonly reviewers: readonly string[];
  readonly entitlement: Entitlement;
  readonly justification: string;
  /**
   * The activation window. Requests signed by jit-access 1.x (and by this service before 2.0) grant exactly
   * this window; with `windowFromApproval`, it is the window as if approved at once, and the grant starts
   * when the last required approval lands and lasts as long (see grantWindowOf).
   */
  readonly start: Date;
  readonly end: Date;
  readonly windowFromApproval: boolean;
  /** How many distinct reviewers must approve (the requester never counts); 1 for 1.x requests. */
  readonly requiredApprovals: number;
  /**
   * The eligible binding the requester holds the role through: `self` when an access-policy rule puts a
   * self-approval binding under approval, so that the rule of the request is matched on the right activation
   * type; `peer` for 1.x requests.
   */
  readonly bindingType: ActivationType;
  readonly issuedAt: Date;
  /** After this instant nobody can approve the request any more. */
  readonly expiresAt: Date;
  /**
   * Set on a request to extend the requester's grant in force: the grant (its id) and its window when the
   * request was made. `start`–`end` of the request is then the added time (from the grant's end), and an
   * approval rewrites the grant to run from its start to `end`, if the grant still has this very window.
   */
  readonly extension?: GrantExtension;
  /**
   * Set on a request for a later start (the rule's `scheduling.maxDelay`): `start`–`end` is then the requested
   * window. Approved before `start`, the grant is scheduled for exactly that window; approved later, it starts
   * at the approval and lasts as long (see grantWindowOf). Absent on every other request, whose tokens stay
   * as they were.
   */
  readonly startsLater?: true;
}

/** The grant an extension request extends, as it was when the request was made. */
export interface GrantExtension {
  /** The grant's id (see domain/grant), which names its entitlement and window. */
  readonly grantId: string;
  readonly start: Date;
  readonly end: Date;
}

/**
 * The window an approved extension gives the grant: from its start to its end plus the added time. One binding
 * replaces the grant's, so the grant continues without a gap or an overlap.
 */
export function extendedWindowOf(request: ApprovalRequest, extension: GrantExtension): { start: Date; end: Date } {
  return { start: extension.start, end: request.end };
}

/** The window an approval at `approvedAt` grants. */
export function grantWindowOf(request: ApprovalRequest, approvedAt: Date): { start: Date; end: Date } {
  if (isBeforeRequestedStart(request, approvedAt)) return { start: request.start, end: request.end };
  if (!request.windowFromApproval) return { start: request.start, end: request.end };
  return { start: approvedAt, end: new Date(approvedAt.getTime() + request.end.getTime() - request.start.getTime()) };
}

/** Whether an approval at `approvedAt` lands before the later start the request asks for: its grant is then scheduled. */
export function isBeforeRequestedStart(request: ApprovalRequest, approvedAt: Date): boolean {
  return request.startsLater === true && approvedAt.getTime() < request.start.getTime();
}

const seconds = (instant: Date) => Math.floor(instant.getTime() / 1000);
const instantOf = (epochSeconds: number) => new Date(epochSeconds * 1000);

/**
 * When a request stops being approvable: ACTIVATION_REQUEST_TIMEOUT after it was made, and for a fixed window
 * never after it ended (a binding that is already over would grant nothing). A window that starts at the
 * approval has no such end.
 */
export function requestExpiry(start: Date, end: Date, timeoutMinutes: number, windowFromApproval = false): Date {
  const timeout = start.getTime() + timeoutMinutes * 60_000;
  return new Date(windowFromApproval ? timeout : Math.min(timeout, end.getTime()));
}

/** The JWT claims of a request, as jit-access 1.8.1 signs them; `issuer` is the service account. */
export function approvalClaims(request: ApprovalRequest, issuer: string): Record<string, unknown> {
  return {
    jti: request.id,
    beneficiary: request.beneficiary,
    reviewers: [...request.reviewers],
    entitlement: entitlementId(request.entitlement),
    justification: request.justification,
    start: seconds(request.start),
    end: seconds(request.end),
    iss: issuer,
    aud: issuer,
    iat: seconds(request.issuedAt),
    exp: seconds(request.expiresAt),
    // Claims jit-access 1.x does not know; left out for 1.x-style requests so those stay byte-compatible.
    ...(request.windowFromApproval ? { windowFromApproval: true } : {}),
    ...(request.requiredApprovals !== 1 ? { requiredApprovals: request.requiredApprovals } : {}),
    ...(request.bindingType !== 'peer' ? { bindingType: request.bindingType } : {}),
    ...(request.extension ? { extendsGrant: { id: request.extension.grantId, end: seconds(request.extension.end) } } : {}),
    ...(request.startsLater ? { startsLater: true } : {}),
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const epochSeconds = z.number().int().nonnegative();
const claimsSchema = z.object({
  jti: z.string().regex(/^mpa-[A-Za-z0-9+/=_-]{1,64}$/, 'is not a peer-approval activation id'),
  beneficiary: z.string().regex(EMAIL, 'is not an email address'),
  reviewers: z.array(z.string().regex(EMAIL, 'is not an email address')).min(1, 'names no reviewer'),
  entitlement: z.string().min(1),
  justification: z.string(),
  start: epochSeconds,
  end: epochSeconds,
  iat: epochSeconds,
  exp: epochSeconds,
  windowFromApproval: z.boolean().optional(),
  requiredApprovals: z.number().int().min(1).max(10).optional(),
  bindingType: z.enum(['self', 'peer']).optional(),
  extendsGrant: z.object({ id: z.string().max(4000), end: epochSeconds }).strict().optional(),
  startsLater: z.literal(true).optional(),
});

/**
 * The request carried by verified claims. The signature proves we issued them; this checks that they
 * describe a request (a token of another kind, signed by the same account, is refused).
 */
export function approvalRequestOf(claims: unknown): ApprovalRequest {
  const parsed = claimsSchema.safeParse(claims);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(`The token is not an approval request: claim "${issue.path.join('.')}" ${issue.message}`);
  }
  const c = parsed.data;
  if (c.end <= c.start) throw new InvalidInputError('The token is not an approval request: its activation ends before it starts');
  if (c.startsLater && (c.extendsGrant || !c.windowFromApproval)) throw new InvalidInputError('The token is not an approval request: a later start is only asked for a new grant');
  const entitlement = parseEntitlementId(c.entitlement);
  return {
    id: c.jti,
    beneficiary: c.beneficiary.toLowerCase(),
    reviewers: [...new Set(c.reviewers.map((r) => r.toLowerCase()))],
    entitlement,
    justification: c.justification,
    start: instantOf(c.start),
    end: instantOf(c.end),
    windowFromApproval: c.windowFromApproval ?? false,
    requiredApprovals: c.requiredApprovals ?? 1,
    bindingType: c.bindingType ?? 'peer',
    issuedAt: instantOf(c.iat),
    expiresAt: instantOf(c.exp),
    ...(c.extendsGrant ? { extension: grantExtensionOf(c.extendsGrant, entitlement, instantOf(c.start), c.windowFromApproval ?? false) } : {}),
    ...(c.startsLater ? { startsLater: true as const } : {}),
  };
}

/**
 * The grant an extension request names, checked against the rest of the request: the grant is of the requested
 * entitlement, ends at the instant the claims say, and the added time starts where it ends.
 */
export function grantExtensionOf(claim: { id: string; end: number }, entitlement: Entitlement, start: Date, windowFromApproval: boolean): GrantExtension {
  const refused = (why: string) => new InvalidInputError(`The token is not an approval request: the grant it extends ${why}`);
  let key;
  try {
    key = parseGrantId(claim.id);
  } catch (e) {
    if (e instanceof InvalidInputError) throw refused('has no valid id');
    throw e;
  }
  if (entitlementId(key) !== entitlementId(entitlement)) throw refused('is of another role');
  if (seconds(key.end) !== claim.end || key.end.getTime() !== start.getTime() || windowFromApproval) throw refused('does not end where the added time starts');
  return { grantId: claim.id, start: key.start, end: key.end };
}

/** The reviewers a requester picked, lower-cased and without duplicates, in the order given. */
export function distinctReviewers(reviewers: readonly string[]): string[] {
  return [...new Set(reviewers.map((r) => r.toLowerCase()))];
}

/** Null when the requester picked an allowed set of reviewers, otherwise what is wrong. */
export function checkReviewers(requester: string, reviewers: readonly string[], limits: { min: number; max: number }): string | null {
  if (reviewers.includes(requester.toLowerCase())) {
    return `You cannot review your own request: remove ${requester.toLowerCase()} from the reviewers`;
  }
  if (reviewers.length < limits.min) {
    return `Select at least ${limits.min} reviewer${limits.min === 1 ? '' : 's'} (you selected ${reviewers.length})`;
  }
  if (reviewers.length > limits.max) {
    return `Select at most ${limits.max} reviewer${limits.max === 1 ? '' : 's'} (you selected ${reviewers.length})`;
  }
  return null;
}

/** Whether the user takes part in the request (and so may see it). */
export function isParticipant(request: ApprovalRequest, email: string): boolean {
  const user = email.toLowerCase();
  return user === request.beneficiary || request.reviewers.includes(user);
}

/** Why someone may not approve a request, as far as the request itself decides. */
export interface ApproverRefusal {
  readonly reason: 'self-approval' | 'not-a-reviewer';
  readonly message: string;
}

/**
 * Null when `approver` may approve the request, otherwise why not. Eligibility is a separate, fresh
 * check; this is what the request itself decides.
 */
export function checkApprover(request: ApprovalRequest, approver: string): ApproverRefusal | null {
  const user = approver.toLowerCase();
  if (user === request.beneficiary) {
    return { reason: 'self-approval', message: 'You cannot approve your own request: one of the reviewers you chose must approve it' };
  }
  if (!request.reviewers.includes(user)) {
    return { reason: 'not-a-reviewer', message: `You (${user}) are not among the reviewers of this request (${request.reviewers.join(', ')}), so you cannot approve it` };
  }
  return null;
}

/** The length of the requested activation, in minutes. */
export function durationMinutesOf(request: ApprovalRequest): number {
  return (request.end.getTime() - request.start.getTime()) / 60_000;
}

/** What the policy says about a request that was approved already. */
export interface RecordedApproval {
  /** From the binding's description; null when it does not name one (e.g. written by hand). */
  readonly approver: string | null;
}

const APPROVED_BY = /^Approved by ([^\s,]+), justification: /;

/**
 * Finds the grant of this very request in a policy: an activation binding the beneficiary is a member of
 * (alone, or merged by Google with another user's identical activation), for the same role and resource condition and exactly the request's window. Every request has its own
 * window (to the second), so this tells a replayed approval from a new one without any stored state.
 */
export function findRecordedApproval(policy: Policy, request: ApprovalRequest): RecordedApproval | null {
  const member = principalMember(request.beneficiary);
  for (const binding of policy.bindings ?? []) {
    const activation = parseActivationBinding(binding);
    if (
      activation !== null &&
      activation.role === request.entitlement.role &&
      activation.resourceCondition === request.entitlement.resourceCondition &&
      activation.start.getTime() === request.start.getTime() &&
      activation.end.getTime() === request.end.getTime() &&
      hasMember(binding, member)
    ) {
      const approver = APPROVED_BY.exec(binding.condition?.description ?? '');
      return { approver: approver ? approver[1] : null };
    }
  }
  return null;
}
