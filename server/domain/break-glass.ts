// Break-glass: an eligible user activates, at once, a role whose rule requires approval — where the rule
// allows it for them — for at most the rule's break-glass duration, with a reason; the rule's reviewers are
// told at once and review it afterwards (acknowledge or flag). Nothing here makes anyone eligible: IAM still
// decides who holds the role, and the rule who may break the glass.
//
// What stays stateless: the grant is an ordinary activation binding marked in its description (see
// activation-binding), the activation and its review are audit entries read back through the shared feed, and
// the marks that must be decided exactly once — a review, a reminder — are non-granting decision bindings in the
// project's IAM policy (see request-decision), written under its etag and kept a day, after which the audit
// entries written with them remember.
import { z } from 'zod';
import { ruleLabel, scheduleProblem, type Demands } from './access-policy-demands';
import type { ActivationType } from './eligibility';
import type { Policy } from './iam-policy';
import { capacityProblem, decisionBindingOf, decisionsIn, removeExpiredDecisions, type Decision } from './request-decision';

/** `bg-` and 12 random bytes in base64url: an id that travels in URL paths as it is. */
export const BREAK_GLASS_ID = /^bg-[A-Za-z0-9_-]{16}$/;

/** A review's note: one line, at most this long. */
export const MAX_REVIEW_NOTE_LENGTH = 500;

/** How long a review or reminder mark stays in the project's policy: far longer than the audit feed lags. */
export const MARK_KEPT_MS = 24 * 3_600_000;

export interface Refusal {
  readonly status: 400 | 403;
  readonly code: string;
  readonly message: string;
}

/**
 * Why the user may not break the glass on a role now, or null when they may. `allowed`: the user is among the
 * rule's break-glass principals (or it names none). Break-glass waives the approval, nothing else: a schedule
 * that denies activation still does.
 */
export function breakGlassRefusal(demands: Demands, roleId: string, allowed: boolean, durationMinutes: number, now: Date): Refusal | null {
  const who = ruleLabel(demands);
  const bg = demands.breakGlass;
  if (!bg) return { status: 403, code: 'BREAK_GLASS_NOT_ALLOWED', message: `${who} does not allow break-glass for '${roleId}'. Request approval instead.` };
  if (!allowed) {
    return {
      status: 403,
      code: 'BREAK_GLASS_NOT_ALLOWED',
      message: `${who} allows break-glass for '${roleId}' only to ${(bg.principals ?? []).join(', ')}, and you are not among them. Request approval instead.`,
    };
  }
  if (demands.approval.kind === 'self') {
    return { status: 400, code: 'BREAK_GLASS_NOT_NEEDED', message: `'${roleId}' needs no approval now: activate it the usual way. Break-glass is only for roles that need approval.` };
  }
  const schedule = scheduleProblem(demands, now);
  if (schedule) return { status: 403, code: 'OUTSIDE_SCHEDULE', message: `${schedule}. Break-glass waives the approval, not a schedule that denies activation.` };
  if (durationMinutes > bg.maxDurationMinutes) {
    return { status: 400, code: 'INVALID_ARGUMENT', message: `${who} allows break-glass for at most ${bg.maxDurationMinutes} minutes; choose a duration of at most ${bg.maxDurationMinutes} minutes.` };
  }
  return null;
}

/** A break-glass activation as its audit entry (`breakglass.activated`) records it. */
export interface BreakGlassActivation {
  readonly activationId: string;
  readonly at: Date;
  readonly user: string;
  readonly projectId: string;
  readonly role: string;
  readonly resourceCondition: string | null;
  readonly durationMinutes: number;
  readonly start: Date;
  readonly end: Date;
  readonly reason: string;
  /** Principals (`user:`, `group:`) of the rule's reviewers. */
  readonly reviewers: readonly string[];
  readonly reviewBy: Date;
  readonly outsideSchedule: boolean;
  readonly rule: string | null;
  /** The eligible binding the user broke the glass on: peer-approval, or self-approval that the rule made stricter. */
  readonly bindingType: ActivationType;
}

export type ReviewOutcome = 'acknowledged' | 'flagged';

export interface BreakGlassReview {
  readonly outcome: ReviewOutcome;
  readonly note: string | null;
  readonly reviewer: string;
  readonly at: Date;
}

/** An activation, its review if any, and when its reviewers were reminded if they were. */
export interface BreakGlassCase {
  readonly activation: BreakGlassActivation;
  readonly review: BreakGlassReview | null;
  readonly remindedAt: Date | null;
}

const instant = z.iso.datetime().transform((t) => new Date(t));
const activatedPayload = z.object({
  event: z.literal('breakglass.activated'),
  activationId: z.string().regex(BREAK_GLASS_ID),
  user: z.object({ email: z.string() }),
  project: z.string(),
  role: z.string(),
  resourceCondition: z.string().nullable(),
  durationMinutes: z.number(),
  start: instant,
  end: instant,
  reason: z.string(),
  reviewers: z.array(z.string()),
  reviewBy: instant,
  outsideSchedule: z.boolean(),
  rule: z.string().nullable(),
  bindingType: z.enum(['self', 'peer']),
});
const reviewedPayload = z.object({
  event: z.literal('breakglass.reviewed'),
  activationId: z.string(),
  outcome: z.enum(['acknowledged', 'flagged']),
  note: z.string().nullable(),
  reviewer: z.string(),
});
const remindedPayload = z.object({ event: z.literal('breakglass.reminded'), activationId: z.string() });

/** The break-glass activations among audit entries (oldest first), with their first review and reminder. */
export function breakGlassCasesOf(records: readonly { timestamp: Date; payload: Record<string, unknown> }[]): Map<string, BreakGlassCase> {
  const cases = new Map<string, { activation: BreakGlassActivation; review: BreakGlassReview | null; remindedAt: Date | null }>();
  const reviews = new Map<string, BreakGlassReview>();
  const reminders = new Map<string, Date>();
  for (const { timestamp, payload } of records) {
    const activated = activatedPayload.safeParse(payload);
    if (activated.success) {
      const a = activated.data;
      cases.set(a.activationId, {
        activation: { ...a, at: timestamp, user: a.user.email.toLowerCase(), projectId: a.project },
        review: null,
        remindedAt: null,
      });
      continue;
    }
    const reviewed = reviewedPayload.safeParse(payload);
    if (reviewed.success && !reviews.has(reviewed.data.activationId)) {
      const r = reviewed.data;
      reviews.set(r.activationId, { outcome: r.outcome, note: r.note, reviewer: r.reviewer.toLowerCase(), at: timestamp });
      continue;
    }
    const reminded = remindedPayload.safeParse(payload);
    if (reminded.success && !reminders.has(reminded.data.activationId)) reminders.set(reminded.data.activationId, timestamp);
  }
  for (const [id, c] of cases) {
    c.review = reviews.get(id) ?? null;
    c.remindedAt = reminders.get(id) ?? null;
  }
  return cases;
}

/** The SPA page where reviewers open a break-glass activation (a link in emails and chat messages). */
export function breakGlassLink(publicUrl: string, activationId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/break-glass/${activationId}`;
}

/** `user:EMAIL` and `group:EMAIL` of a user and their groups, lower-case, to match principals against. */
export function principalsOf(email: string, groups: readonly string[]): Set<string> {
  return new Set([`user:${email.toLowerCase()}`, ...groups.map((g) => `group:${g.toLowerCase()}`)]);
}

/** Whether someone with these principals reviews the activation: one of its reviewers, and not its user. */
export function reviewsActivation(activation: BreakGlassActivation, principals: ReadonlySet<string>): boolean {
  if (principals.has(`user:${activation.user}`)) return false;
  return activation.reviewers.some((r) => principals.has(r.toLowerCase()));
}

/** The email addresses that reach the reviewers: users' own, and groups' (a group address reaches its members). */
export function reviewerAddresses(reviewers: readonly string[]): string[] {
  return [...new Set(reviewers.map((r) => r.replace(/^(user|group):/i, '').toLowerCase()))];
}

export type MarkKind = ReviewOutcome | 'reminded';

/** A review or a reminder to record once; `actor` is the reviewer, or for a reminder the activation's user. */
export interface BreakGlassMark {
  readonly kind: MarkKind;
  readonly activationId: string;
  readonly actor: string;
  readonly note: string | null;
}

/**
 * The modify step of recording a mark: `existing` is a review (for a review) or a reminder (for a reminder)
 * already recorded for the activation, in which case the policy is handed back unchanged; `full` when Google's
 * limits leave no room for one more record. Records past their time are dropped on the way. Pure.
 */
export function markBreakGlass<P extends Policy>(policy: P, mark: BreakGlassMark, now: Date): { policy: P; existing: Decision | null; full: boolean } {
  const live = removeExpiredDecisions(policy, now).policy;
  const decisions = decisionsIn(live);
  const sameKind = (d: Decision) => (mark.kind === 'reminded' ? d.kind === 'reminded' : d.kind === 'acknowledged' || d.kind === 'flagged');
  const existing = decisions.find((d) => d.requestId === mark.activationId && sameKind(d)) ?? null;
  if (existing) return { policy, existing, full: false };
  if (capacityProblem(decisions, mark.actor.toLowerCase(), now)) return { policy, existing: null, full: true };
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const decision: Decision = { kind: mark.kind, requestId: mark.activationId, actor: mark.actor.toLowerCase(), at, until: new Date(at.getTime() + MARK_KEPT_MS), reason: mark.note };
  const edited = { ...structuredClone(live), version: 3, bindings: [...structuredClone(live.bindings ?? []), decisionBindingOf(decision)] } as P;
  return { policy: edited, existing: null, full: false };
}
