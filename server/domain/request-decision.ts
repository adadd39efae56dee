// The decisions that gate a grant — an approval towards N, a denial, a cancellation, and "this request has
// granted" — recorded in the project's IAM policy as bindings that grant nothing. They are read and written in
// the same etag-guarded read-modify-write as the grant itself, so that approvals, denials and cancellations
// racing on any number of instances resolve to exactly one outcome without any other store.
//
// A decision binding: role DECISION_ROLE, the deciding user as its member, a condition that is never true
// (NEVER_TRUE), the title DECISION_TITLE, and a description naming the decision, the request, when it was made
// and until when it must be kept (the request's expiry): `approved mpa-… at 2040-01-01T10:00:00Z until
// 2040-01-01T11:00:00Z`, with `: reason` after a denial. Google merges bindings with the same role and condition;
// two approvals of one request in the same second then share a binding, which still reads as two decisions.
import type { Binding, Policy } from './iam-policy';
import { principalMember } from './iam-policy';

export const DECISION_TITLE = 'JIT access decision';

/**
 * The role of decision bindings. It must be grantable on a project (it is: it is how projects are browsed) and
 * harmless were the condition ever ignored: it shows where the project sits in the hierarchy and nothing inside
 * it (docs/security.md argues the choice).
 */
export const DECISION_ROLE = 'roles/browser';

/** A condition IAM evaluates to false at every instant: nothing is ever granted through a decision binding. */
export const NEVER_TRUE = 'request.time < timestamp("1970-01-01T00:00:00Z")';

/**
 * Google allows at most 20 conditional bindings per role and principal: one person can hold at most this many
 * decisions on one project at a time (they are swept once their request expires).
 */
export const MAX_DECISIONS_PER_ACTOR = 20;

/**
 * Decision bindings one project's policy may hold at a time. Each costs about 300 bytes and one of the policy's
 * 1,500 principals; 100 keep a policy well inside Google's size limit ("a few tens of KB", not published) next to
 * its own bindings.
 */
export const MAX_DECISIONS_PER_PROJECT = 100;

/** Google's condition descriptions are not documented; the emulator allows 256 characters, and so do we. */
export const MAX_DESCRIPTION_LENGTH = 256;

/**
 * The decisions of peer requests (`mpa-` ids), and the marks of break-glass activations (`bg-` ids, see
 * domain/break-glass): a review (acknowledged or flagged) and the reminder of an overdue review.
 */
export type DecisionKind = 'approved' | 'granted' | 'denied' | 'cancelled' | 'acknowledged' | 'flagged' | 'reminded';

export interface Decision {
  readonly kind: DecisionKind;
  readonly requestId: string;
  /** The user who decided (a reviewer, or the requester who cancelled), or `rule:NAME` for a rule's auto-approval. */
  readonly actor: string;
  /** The user the record is on, when not the actor: a rule is no IAM principal, so its approval is put on the requester. */
  readonly holder?: string;
  readonly at: Date;
  /** The request's expiry: the record must be kept until then, and can be swept after. */
  readonly until: Date;
  /** A denial's reason, or a review's note, as far as the description holds it (see MAX_DESCRIPTION_LENGTH). */
  readonly reason: string | null;
}

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DESCRIPTION = /^(approved|granted|denied|cancelled|acknowledged|flagged|reminded) ((?:mpa|bg)-[A-Za-z0-9+/=_-]{1,64}) at (\S+) until (\S+?)(?:: (.*))?$/s;
const CONTROL_CHARACTERS = /[\p{Cc}\p{Zl}\p{Zp}]/gu;

/** The actor of a rule's auto-approval: `rule:NAME`. */
export const RULE_ACTOR_PREFIX = 'rule:';
const BY_RULE = /^by (rule:[a-z0-9][-a-z0-9]{0,62})$/;

export const isRuleActor = (actor: string) => actor.startsWith(RULE_ACTOR_PREFIX);

const isoSeconds = (instant: Date) => instant.toISOString().replace(/\.\d{3}Z$/, 'Z');

function instantOf(text: string): Date | null {
  if (!ISO_SECONDS.test(text)) return null;
  const instant = new Date(text);
  return Number.isNaN(instant.getTime()) ? null : instant;
}

/** The description of a decision; a denial's reason is shortened (ending in …) to fit the description. */
export function decisionDescription(decision: Omit<Decision, 'actor'>): string {
  const head = `${decision.kind} ${decision.requestId} at ${isoSeconds(decision.at)} until ${isoSeconds(decision.until)}`;
  if (decision.reason === null) return head;
  const reason = decision.reason.replace(CONTROL_CHARACTERS, ' ');
  const room = MAX_DESCRIPTION_LENGTH - head.length - 2;
  return `${head}: ${reason.length <= room ? reason : `${reason.slice(0, room - 1)}…`}`;
}

/** A rule's approval says so after the window: `granted mpa-… at … until …: by rule:NAME`. */
export function decisionBindingOf(decision: Decision): Binding {
  const byRule = isRuleActor(decision.actor);
  return {
    role: DECISION_ROLE,
    members: [principalMember(decision.holder ?? decision.actor)],
    condition: { title: DECISION_TITLE, description: decisionDescription(byRule ? { ...decision, reason: `by ${decision.actor}` } : decision), expression: NEVER_TRUE },
  };
}

/**
 * The decisions a binding records, one per user member; empty for any other binding. Only the exact shape this
 * module writes is read, so that a binding someone else wrote with a similar title is never taken for one.
 */
export function parseDecisionBinding(binding: Binding): Decision[] {
  const condition = binding.condition;
  if (binding.role !== DECISION_ROLE || condition?.title !== DECISION_TITLE || condition.expression !== NEVER_TRUE) return [];
  const m = DESCRIPTION.exec(condition.description ?? '');
  if (!m) return [];
  const at = instantOf(m[3]);
  const until = instantOf(m[4]);
  if (!at || !until) return [];
  const kind = m[1] as DecisionKind;
  const rule = kind === 'approved' || kind === 'granted' ? BY_RULE.exec(m[5] ?? '')?.[1] : undefined;
  return (binding.members ?? [])
    .filter((member) => member.toLowerCase().startsWith('user:'))
    .map((member) => {
      const user = member.slice('user:'.length).toLowerCase();
      return rule ? { kind, requestId: m[2], actor: rule, holder: user, at, until, reason: null } : { kind, requestId: m[2], actor: user, at, until, reason: m[5] ?? null };
    });
}

export function isDecisionBinding(binding: Binding): boolean {
  return parseDecisionBinding(binding).length > 0;
}

/** Every decision recorded in a policy. */
export function decisionsIn(policy: Policy): Decision[] {
  return (policy.bindings ?? []).flatMap(parseDecisionBinding);
}

export type RequestStatus = 'pending' | 'approved' | 'denied' | 'cancelled' | 'expired';

/** What a request needs to be decided on: its id, expiry and how many approvals it needs. */
export interface DecidedRequest {
  readonly id: string;
  readonly beneficiary: string;
  readonly expiresAt: Date;
  readonly requiredApprovals: number;
}

export interface RequestState {
  readonly status: RequestStatus;
  /** Distinct approvers in the order their approvals landed (the one that granted last). */
  readonly approvals: readonly { readonly approver: string; readonly at: Date }[];
  readonly requiredApprovals: number;
  readonly deniedBy: string | null;
  readonly reason: string | null;
  /** When the request granted, denied or was cancelled; null while pending or once expired undecided. */
  readonly decidedAt: Date | null;
}

/**
 * The state of a request from its recorded decisions. Under the etag a request gets at most one final decision
 * (granted, denied or cancelled); should a policy ever hold several, the earliest counts.
 */
export function requestStateOf(request: DecidedRequest, decisions: readonly Decision[], now: Date): RequestState {
  const own = decisions.filter((d) => d.requestId === request.id).sort((a, b) => a.at.getTime() - b.at.getTime());
  const approvals: { approver: string; at: Date }[] = [];
  for (const d of own) {
    if ((d.kind === 'approved' || d.kind === 'granted') && !approvals.some((a) => a.approver === d.actor)) approvals.push({ approver: d.actor, at: d.at });
  }
  const final = own.find((d) => d.kind !== 'approved');
  const base = { approvals, requiredApprovals: request.requiredApprovals, deniedBy: null, reason: null };
  if (final?.kind === 'granted') return { ...base, status: 'approved', decidedAt: final.at };
  if (final?.kind === 'denied') return { ...base, status: 'denied', deniedBy: final.actor, reason: final.reason, decidedAt: final.at };
  if (final?.kind === 'cancelled') return { ...base, status: 'cancelled', decidedAt: final.at };
  return { ...base, status: now.getTime() >= request.expiresAt.getTime() ? 'expired' : 'pending', decidedAt: null };
}

export type DecisionAction =
  /** By a reviewer, or by a rule (actor `rule:NAME`), whose approval counts as every required one. */
  | { readonly kind: 'approve'; readonly actor: string }
  | { readonly kind: 'deny'; readonly actor: string; readonly reason: string }
  | { readonly kind: 'cancel'; readonly actor: string };

/** What an action did to a request, decided inside the read-modify-write. */
export type DecisionOutcome =
  /** An approval was recorded; more are needed. */
  | { readonly type: 'approval-recorded'; readonly state: RequestState }
  /** The last required approval: the caller adds the grant to the same policy edit. */
  | { readonly type: 'granted'; readonly state: RequestState; readonly at: Date }
  | { readonly type: 'denied'; readonly state: RequestState }
  | { readonly type: 'cancelled'; readonly state: RequestState }
  /** The same person repeated the same decision: nothing changed. */
  | { readonly type: 'unchanged'; readonly state: RequestState }
  /** The request is no longer open to this action; `state` says why. */
  | { readonly type: 'refused'; readonly state: RequestState }
  /** The actor, or the project, holds as many decision records as Google's limits allow; `retryAfter` says when one frees up. */
  | { readonly type: 'full'; readonly state: RequestState; readonly scope: 'actor' | 'project'; readonly retryAfter: Date }
  /**
   * An extension request's grant no longer has the window the request extends: it ended or was revoked
   * (`gone`), or another extension or activation replaced it (`replaced`). Nothing was recorded.
   */
  | { readonly type: 'grant-changed'; readonly state: RequestState; readonly grant: 'replaced' | 'gone' };

/** The policy after a decision (the very object given when nothing changed), and what the decision did. */
export interface DecisionEdit<P extends Policy> {
  readonly policy: P;
  readonly outcome: DecisionOutcome;
}

/**
 * The modify step of a decision: reads the request's decisions in `policy`, and records the action if the
 * request is still open to it. Records of requests that expired before `now` are dropped along the way, so a
 * project never accumulates them even between sweeps. Pure; the input is never mutated.
 */
export function decide<P extends Policy>(policy: P, request: DecidedRequest, action: DecisionAction, now: Date): DecisionEdit<P> {
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const actor = action.actor.toLowerCase();
  const bindings = policy.bindings ?? [];
  const live = bindings.filter((b) => !isDecisionBinding(b) || parseDecisionBinding(b)[0].until.getTime() >= now.getTime());
  const decisions = live.flatMap(parseDecisionBinding);
  const state = requestStateOf(request, decisions, now);
  const unchanged = (type: 'unchanged' | 'refused'): DecisionEdit<P> => ({ policy, outcome: { type, state } });

  if (state.status === 'expired') return unchanged('refused');
  if (state.status !== 'pending') {
    const repeats =
      (action.kind === 'approve' && state.status === 'approved') ||
      (action.kind === 'deny' && state.status === 'denied' && state.deniedBy === actor) ||
      (action.kind === 'cancel' && state.status === 'cancelled');
    return unchanged(repeats ? 'unchanged' : 'refused');
  }
  if (action.kind === 'approve' && state.approvals.some((a) => a.approver === actor)) return unchanged('unchanged');

  const byRule = isRuleActor(actor);
  const kind: DecisionKind =
    action.kind === 'deny' ? 'denied' : action.kind === 'cancel' ? 'cancelled' : byRule || state.approvals.length + 1 >= request.requiredApprovals ? 'granted' : 'approved';
  const holder = byRule ? request.beneficiary.toLowerCase() : actor;
  const decision: Decision = { kind, requestId: request.id, actor, ...(byRule ? { holder } : {}), at, until: request.expiresAt, reason: action.kind === 'deny' ? action.reason : null };

  const full = capacityProblem(decisions, holder, now);
  if (full) return { policy, outcome: { type: 'full', state, ...full } };

  const edited = { ...structuredClone(policy), version: 3, bindings: [...structuredClone(live), decisionBindingOf(decision)] } as P;
  const after = requestStateOf(request, [...decisions, decision], now);
  const outcome: DecisionOutcome =
    kind === 'granted'
      ? { type: 'granted', state: after, at }
      : kind === 'approved'
        ? { type: 'approval-recorded', state: after }
        : { type: kind, state: after };
  return { policy: edited, outcome };
}

/** Null when one more decision held by `holder` fits Google's limits, else who is full and when a record frees up. */
export function capacityProblem(decisions: readonly Decision[], holder: string, now: Date): { scope: 'actor' | 'project'; retryAfter: Date } | null {
  const earliest = (ds: readonly Decision[]) => new Date(Math.max(now.getTime(), Math.min(...ds.map((d) => d.until.getTime())) + 1000));
  const byActor = decisions.filter((d) => (d.holder ?? d.actor) === holder);
  if (byActor.length >= MAX_DECISIONS_PER_ACTOR) return { scope: 'actor', retryAfter: earliest(byActor) };
  if (decisions.length >= MAX_DECISIONS_PER_PROJECT) return { scope: 'project', retryAfter: earliest(decisions) };
  return null;
}

/** Removes the decision bindings whose request expired before `now`; nothing else. */
export function removeExpiredDecisions<P extends Policy>(policy: P, now: Date): { policy: P; removed: number } {
  const bindings = policy.bindings ?? [];
  const kept = bindings.filter((b) => !isDecisionBinding(b) || parseDecisionBinding(b)[0].until.getTime() >= now.getTime());
  if (kept.length === bindings.length) return { policy, removed: 0 };
  return { policy: { ...structuredClone(policy), version: 3, bindings: structuredClone(kept) }, removed: bindings.length - kept.length };
}
