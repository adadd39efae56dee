// Approval requests as the audit log tells them: each `request.created` entry starts one, and the decision
// entries after it (approval.recorded, approval.succeeded, request.denied, request.cancelled) move it on. The
// inbox, "my requests" and the roles list read them from here. This is a view, never the truth: the truth of a
// decision is the project's IAM policy (request-decision), which every decision and every opened request reads
// fresh; a list may lag the log, and an entry could have been written by anyone allowed to write the log
// (docs/security.md), so nothing read here grants or decides anything.
import { z } from 'zod';
import { historyRowOf } from './audit-history';
import { parseEntitlementId } from './entitlement';
import { grantExtensionOf, type ApprovalRequest, type GrantExtension } from './approval-request';
import type { RequestStatus } from './request-decision';
import { requestRecordSchema, type RequestRecord } from './request-record';

export interface LoggedRequest {
  /** The request as its token carries it, rebuilt from the `request.created` entry. */
  readonly request: ApprovalRequest;
  readonly roleId: string;
  /** When the request was made (the entry's time). */
  readonly createdAt: Date;
  /** SHA-256 of the signed token (base64url), which lets the service re-establish it safely; null for entries without one. */
  readonly tokenDigest: string | null;
  /** The request's record as signed by the service (see request-record); null for entries without a well-formed one. */
  readonly requestRecord: RequestRecord | null;
  readonly status: RequestStatus;
  readonly approvals: readonly { readonly approver: string; readonly at: Date }[];
  readonly deniedBy: string | null;
  readonly reason: string | null;
  readonly cancelledAt: Date | null;
  /** When it was granted, denied or cancelled; null while pending or once expired undecided. */
  readonly decidedAt: Date | null;
  /**
   * Whom the workflow task offered it to as escalation approvers (`request.escalated`), and when; empty when it
   * was not escalated. It lists the request in their inbox; whether they may decide it is checked against the rule in force.
   */
  readonly escalatedTo: readonly { readonly approver: string; readonly at: Date }[];
}

const EMAIL = /^[^\s@]+@[^\s@]+$/;
const isoInstant = z.iso.datetime({ offset: true }).transform((t) => new Date(t));

/** The fields of a `request.created` entry a request is rebuilt from; entries without them are skipped. */
const createdSchema = z.object({
  activationId: z.string().regex(/^mpa-[A-Za-z0-9+/=_-]{1,64}$/),
  user: z.object({ email: z.string().regex(EMAIL) }),
  roleId: z.string().min(1),
  reviewers: z.array(z.string().regex(EMAIL)).min(1),
  justification: z.string(),
  start: isoInstant,
  end: isoInstant,
  issuedAt: isoInstant,
  expiresAt: isoInstant,
  windowFromApproval: z.boolean(),
  requiredApprovals: z.number().int().min(1).max(10),
  // Absent in entries written before requests carried it, as in the tokens of then: a peer-approval binding.
  bindingType: z.enum(['self', 'peer']).optional(),
  tokenDigest: z.string().optional(),
  // Only on a request to extend a grant: the grant's id and its end when the request was made.
  extendsGrant: z.object({ id: z.string(), end: isoInstant }).optional(),
  // Only on a request for a later start: start–end is the requested window.
  startsLater: z.literal(true).optional(),
  // Absent in entries written before requests had one; a malformed one counts as absent.
  requestRecord: requestRecordSchema.optional().catch(undefined),
});

type Draft = { -readonly [K in keyof LoggedRequest]: LoggedRequest[K] };

function createdOf(time: Date, payload: Record<string, unknown>): Draft | null {
  const parsed = createdSchema.safeParse(payload);
  if (!parsed.success) return null;
  const c = parsed.data;
  let entitlement;
  let extension: GrantExtension | undefined;
  try {
    entitlement = parseEntitlementId(c.roleId);
    if (c.extendsGrant) extension = grantExtensionOf({ id: c.extendsGrant.id, end: Math.floor(c.extendsGrant.end.getTime() / 1000) }, entitlement, c.start, c.windowFromApproval);
  } catch {
    return null;
  }
  return {
    request: {
      id: c.activationId,
      beneficiary: c.user.email.toLowerCase(),
      reviewers: [...new Set(c.reviewers.map((r) => r.toLowerCase()))],
      entitlement,
      justification: c.justification,
      start: c.start,
      end: c.end,
      windowFromApproval: c.windowFromApproval,
      requiredApprovals: c.requiredApprovals,
      bindingType: c.bindingType ?? 'peer',
      issuedAt: c.issuedAt,
      expiresAt: c.expiresAt,
      ...(extension ? { extension } : {}),
      ...(c.startsLater && c.windowFromApproval && !extension ? { startsLater: true as const } : {}),
    },
    roleId: c.roleId,
    createdAt: time,
    tokenDigest: c.tokenDigest ?? null,
    requestRecord: c.requestRecord ?? null,
    status: 'pending',
    approvals: [],
    deniedBy: null,
    reason: null,
    cancelledAt: null,
    decidedAt: null,
    escalatedTo: [],
  };
}

const escalatedSchema = z.object({ escalatedTo: z.array(z.string().regex(EMAIL)) });

/**
 * The requests the entries tell of, oldest first. A decision counts only once its request's `request.created`
 * entry was read; the first final decision (granted, denied, cancelled) of a request ends it, as under the etag;
 * repeated decisions (`alreadyApproved`, `alreadyDecided`) change nothing.
 */
export function requestsInLog(records: readonly { timestamp: Date; payload: Record<string, unknown> }[], now: Date): LoggedRequest[] {
  const requests = new Map<string, Draft>();
  for (const { timestamp, payload } of records) {
    // Written by the workflow task, not by a user, and not part of the history.
    if (payload.event === 'request.escalated') {
      const request = typeof payload.activationId === 'string' ? requests.get(payload.activationId) : undefined;
      const escalated = escalatedSchema.safeParse(payload);
      if (request && escalated.success) {
        const offered = new Set(request.escalatedTo.map((e) => e.approver));
        const added = [...new Set(escalated.data.escalatedTo.map((e) => e.toLowerCase()))].filter((e) => !offered.has(e));
        request.escalatedTo = [...request.escalatedTo, ...added.map((approver) => ({ approver, at: timestamp }))];
      }
      continue;
    }
    const row = historyRowOf(timestamp, payload);
    if (!row || row.outcome !== 'success') continue;
    const id = typeof payload.activationId === 'string' ? payload.activationId : null;
    if (!id) continue;
    if (row.event === 'request.created') {
      const created = createdOf(timestamp, payload);
      if (created && !requests.has(id)) requests.set(id, created);
      continue;
    }
    const request = requests.get(id);
    if (!request || !row.actor || request.status !== 'pending' || payload.alreadyApproved === true || payload.alreadyDecided === true) continue;
    switch (row.event) {
      case 'approval.recorded':
      case 'approval.succeeded': {
        // A rule that approves a request itself is named as its approver (`rule:NAME`); the entry's user is the requester.
        const approver = typeof payload.approvedBy === 'string' && payload.approvedBy.startsWith('rule:') ? payload.approvedBy : row.actor;
        if (!request.approvals.some((a) => a.approver === approver)) request.approvals = [...request.approvals, { approver, at: timestamp }];
        if (row.event === 'approval.succeeded') {
          request.status = 'approved';
          request.decidedAt = timestamp;
        }
        break;
      }
      case 'request.denied':
        request.status = 'denied';
        request.deniedBy = row.actor;
        request.reason = typeof payload.reason === 'string' ? payload.reason : null;
        request.decidedAt = timestamp;
        break;
      case 'request.cancelled':
        request.status = 'cancelled';
        request.cancelledAt = timestamp;
        request.decidedAt = timestamp;
        break;
    }
  }
  return [...requests.values()].map((r) => (r.status === 'pending' && now.getTime() >= r.request.expiresAt.getTime() ? { ...r, status: 'expired' } : r));
}

/** What a reviewer decided on a request, as far as the log tells; null when they did not decide it. */
export function decisionBy(logged: LoggedRequest, reviewer: string): { decision: 'approved' | 'denied'; at: Date } | null {
  const user = reviewer.toLowerCase();
  const approval = logged.approvals.find((a) => a.approver === user);
  if (approval) return { decision: 'approved', at: approval.at };
  if (logged.deniedBy === user && logged.decidedAt) return { decision: 'denied', at: logged.decidedAt };
  return null;
}

/** A pending request waits for this reviewer when they are among its reviewers (or it was escalated to them) and have not approved it yet. */
export function waitsFor(logged: LoggedRequest, reviewer: string): boolean {
  const user = reviewer.toLowerCase();
  return logged.status === 'pending' && (logged.request.reviewers.includes(user) || escalationTo(logged, user) !== null) && !logged.approvals.some((a) => a.approver === user);
}

/**
 * Since when a request was offered to this user by escalation, as far as the log tells; null when it was not, and
 * for its own reviewers, whom it reached by their being chosen.
 */
export function escalationTo(logged: LoggedRequest, user: string): { at: Date } | null {
  const email = user.toLowerCase();
  if (logged.request.reviewers.includes(email)) return null;
  const offer = logged.escalatedTo.find((e) => e.approver === email);
  return offer ? { at: offer.at } : null;
}
