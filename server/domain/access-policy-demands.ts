// What the access policy demands of one activation: the first rule that matches the eligible role, its
// settings merged over the defaults and the environment's, and the checks a request must pass.
//
// Invariants, enforced here and nowhere else:
// - The policy is asked only about roles IAM already made eligible (an EligibleRole); it cannot add one.
// - It never weakens the binding: a peer-approval binding stays peer-approved even if a rule says `self`.
//   Break-glass is the one exception, explicit in the rule and available only through its own flow.
import { DEFAULT_REVIEW_WITHIN_MINUTES, delayMinutes, durationMinutes, type AccessPolicyDocument, type PolicyApproval, type PolicyMatch, type PolicyRule, type PolicySettings } from './access-policy';
import { isInsideWindows, localTime, parseWindow, WEEKDAYS } from './access-policy-schedule';
import type { ActivationType } from './eligibility';
import { checkDurationMinutes } from './activation-request';
import { JustificationPolicy } from './justification';

/** What the policy is asked about: one eligible role of a user, and the project it is on. */
export interface PolicyTarget {
  readonly projectId: string;
  /** Ancestor folders, as numeric ids or `folders/N`; empty when unknown (a rule on folders then cannot match). */
  readonly folders: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly role: string;
  readonly type: ActivationType;
  readonly resourceCondition: string | null;
}

/** The settings of the environment (jit-access 1.x variables): what applies where the policy says nothing. */
export interface BaseRules {
  readonly maxDurationMinutes: number;
  readonly justification: { readonly pattern: string; readonly hint: string; readonly maxLength: number };
}

export type ApprovalKind = 'self' | 'peers' | 'approvers';

export interface Demands {
  /** The rule that applies, or null when none matches (or there is no policy). */
  readonly rule: string | null;
  /** Why that rule matched, one reason per criterion; empty for a rule without criteria. */
  readonly matchedBecause: readonly string[];
  readonly approval: {
    readonly kind: ApprovalKind;
    /** Designated approvers (kind approvers), else empty. */
    readonly principals: readonly string[];
    /** Distinct approvers needed; 0 for self. */
    readonly requiredApprovals: number;
    /** Who may also decide a request still undecided `afterMinutes` after it was made; null when the rule names nobody. */
    readonly escalation: { readonly afterMinutes: number; readonly principals: readonly string[] } | null;
  };
  readonly maxDurationMinutes: number;
  readonly defaultDurationMinutes: number | null;
  readonly justification: { readonly pattern: string; readonly hint: string; readonly maxLength: number };
  readonly ticket: {
    readonly pattern: string;
    readonly hint: string | null;
    readonly validation: { readonly url: string; readonly secret: string; readonly timeoutSeconds: number } | null;
    /** Ticket write-back; its secret defaults to the validation's (the policy's schema requires one of them). */
    readonly events: { readonly url: string; readonly secret: string; readonly timeoutSeconds: number } | null;
  } | null;
  readonly schedule: { readonly timeZone: string; readonly windows: readonly string[]; readonly outside: 'deny' | 'requireApproval'; readonly insideNow: boolean } | null;
  readonly maxActiveGrantsPerUser: number | null;
  readonly breakGlass: {
    readonly principals: readonly string[] | null;
    readonly maxDurationMinutes: number;
    readonly reviewers: readonly string[];
    /** Reviewers are reminded of an activation still unreviewed this long after it. */
    readonly reviewWithinMinutes: number;
  } | null;
  readonly notify: { readonly emails: readonly string[]; readonly chat: readonly string[] };
  /**
   * The conditions under which the rule approves a request itself; null without them, where no approval is
   * needed, and for a peer-approval binding (whose approval by people no rule waives).
   */
  readonly autoApprove: AutoApproval | null;
  /** How far ahead a request may ask its grant to start (`scheduling`); null when grants start at once. */
  readonly scheduling: { readonly maxDelayMinutes: number } | null;
  /** Where the policy asked for less than the binding or the schedule demands, and was overruled. */
  readonly notes: readonly string[];
}

/** An auto-approval's conditions; every one that is set must hold. */
export interface AutoApproval {
  readonly maxDurationMinutes: number | null;
  readonly insideSchedule: boolean;
  readonly ticketValid: boolean;
  /** `user:` and `group:` principals; null for anyone eligible. */
  readonly requesters: readonly string[] | null;
}

/** `*` matches any text, `?` one character; everything else literally. */
export function globMatches(pattern: string, text: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === text;
  const source = pattern.replace(/[.+^${}()|[\]\\/-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(text);
}

const folderId = (f: string) => f.replace(/^folders\//, '');

/** Whether the rule's match holds for the target and why: every criterion that held, or the one that failed. */
export function explainMatch(match: PolicyMatch | undefined, target: PolicyTarget): { matches: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const fail = (why: string) => ({ matches: false, reasons: [why] });
  if (!match) return { matches: true, reasons };
  if (match.projects) {
    const hit = match.projects.find((p) => globMatches(p, target.projectId));
    if (!hit) return fail(`project ${target.projectId} matches none of ${match.projects.join(', ')}`);
    reasons.push(`project ${target.projectId} matches ${hit}`);
  }
  if (match.folders) {
    const ancestors = new Set(target.folders.map(folderId));
    const hit = match.folders.find((f) => ancestors.has(folderId(f)));
    if (!hit) return fail(`project ${target.projectId} is in none of the folders ${match.folders.map(folderId).join(', ')}`);
    reasons.push(`project ${target.projectId} is in folder ${folderId(hit)}`);
  }
  if (match.labels) {
    for (const [key, value] of Object.entries(match.labels)) {
      const actual = target.labels[key];
      if (actual === undefined || !globMatches(value, actual)) return fail(`label ${key} of ${target.projectId} is ${actual === undefined ? 'not set' : actual}, not ${value}`);
      reasons.push(`label ${key}=${actual} matches ${value}`);
    }
  }
  if (match.roles) {
    const hit = match.roles.find((r) => globMatches(r, target.role));
    if (!hit) return fail(`role ${target.role} matches none of ${match.roles.join(', ')}`);
    reasons.push(`role ${target.role} matches ${hit}`);
  }
  const bindingType = target.type === 'self' ? 'self-approval' : 'peer-approval';
  if (match.activationType) {
    if (match.activationType !== target.type) return fail(`the eligible binding is ${bindingType}, not ${match.activationType}`);
    reasons.push(`the eligible binding is ${bindingType}`);
  }
  if (match.resourceCondition !== undefined) {
    const has = target.resourceCondition !== null;
    if (match.resourceCondition !== has) return fail(has ? 'the binding has a resource condition' : 'the binding has no resource condition');
    reasons.push(has ? 'the binding has a resource condition' : 'the binding has no resource condition');
  }
  return { matches: true, reasons };
}

/** The first rule that matches, in file order, and why; null when none does. */
export function applyingRule(policy: AccessPolicyDocument, target: PolicyTarget): { rule: PolicyRule; reasons: string[] } | null {
  for (const rule of policy.rules) {
    const { matches, reasons } = explainMatch(rule.match, target);
    if (matches) return { rule, reasons };
  }
  return null;
}

/** Whether any rule matches on folders or labels, which cost a lookup of the project's ancestry. */
export function needsProjectFacts(policy: AccessPolicyDocument): boolean {
  return policy.rules.some((r) => r.match?.folders !== undefined || r.match?.labels !== undefined);
}

const APPROVAL_STRENGTH: Record<ApprovalKind, number> = { self: 0, peers: 1, approvers: 1 };

type RuleApproval = { kind: ApprovalKind; principals: string[]; requiredApprovals?: number; escalation?: Demands['approval']['escalation'] };

function approvalOf(approval: PolicyApproval | undefined): RuleApproval | undefined {
  if (approval === undefined) return undefined;
  if (typeof approval === 'string') return { kind: approval, principals: [] };
  const escalation = approval.escalation && { afterMinutes: durationMinutes(approval.escalation.after), principals: approval.escalation.approvers };
  return { kind: approval.kind, principals: approval.principals ?? [], requiredApprovals: approval.requiredApprovals, escalation };
}

/**
 * What activating `target` demands at `now`. Without a policy, or when no rule matches and the policy has
 * no defaults, this is exactly the environment's rules and the binding's own approval type.
 */
export function demandsOf(policy: AccessPolicyDocument | undefined, target: PolicyTarget, base: BaseRules, now: Date): Demands {
  const found = policy ? applyingRule(policy, target) : null;
  const defaults: PolicySettings = policy?.defaults ?? {};
  const rule: PolicySettings = found?.rule ?? {};
  const pick = <K extends keyof PolicySettings>(key: K): PolicySettings[K] => (rule[key] !== undefined ? rule[key] : defaults[key]);
  const ruleName = found?.rule.name ?? null;
  const notes: string[] = [];

  const bindingKind: ApprovalKind = target.type === 'peer' ? 'peers' : 'self';
  let approval: RuleApproval = approvalOf(pick('approval')) ?? { kind: bindingKind, principals: [] };
  if (APPROVAL_STRENGTH[approval.kind] < APPROVAL_STRENGTH[bindingKind]) {
    notes.push(`The policy asks for ${approval.kind}-approval, but the eligible binding requires peer approval, which a policy cannot waive.`);
    approval = { kind: bindingKind, principals: [] };
  }

  const scheduleSettings = pick('schedule');
  let schedule: Demands['schedule'] = null;
  if (scheduleSettings) {
    const windows = scheduleSettings.windows.map(parseWindow);
    const insideNow = isInsideWindows(windows, scheduleSettings.timeZone, now);
    const outside = scheduleSettings.outside ?? 'deny';
    schedule = { timeZone: scheduleSettings.timeZone, windows: windows.map((w) => w.text), outside, insideNow };
    if (!insideNow && outside === 'requireApproval' && approval.kind === 'self') {
      notes.push('Outside the schedule\'s windows, the rule requires peer approval.');
      approval = { kind: 'peers', principals: [] };
    }
  }

  const auto = pick('autoApprove');
  let autoApprove: AutoApproval | null = null;
  if (auto && target.type === 'peer') {
    notes.push('The rule approves some requests itself, but the eligible binding requires peer approval, which a policy cannot waive.');
  } else if (auto && approval.kind !== 'self') {
    autoApprove = {
      maxDurationMinutes: auto.maxDuration !== undefined ? durationMinutes(auto.maxDuration) : null,
      insideSchedule: auto.insideSchedule === true,
      ticketValid: auto.ticketValid === true,
      requesters: auto.requesters ?? null,
    };
  }

  const maxDuration = pick('maxDuration');
  const defaultDuration = pick('defaultDuration');
  const justification = pick('justification');
  const ticket = pick('ticket');
  const breakGlass = pick('breakGlass');
  const notify = pick('notify');
  const scheduling = pick('scheduling');
  return {
    rule: ruleName,
    matchedBecause: found?.reasons ?? [],
    approval: {
      kind: approval.kind,
      principals: approval.principals,
      requiredApprovals: approval.kind === 'self' ? 0 : (approval.requiredApprovals ?? 1),
      escalation: approval.kind === 'self' ? null : (approval.escalation ?? null),
    },
    maxDurationMinutes: maxDuration !== undefined ? durationMinutes(maxDuration) : base.maxDurationMinutes,
    defaultDurationMinutes: defaultDuration !== undefined ? durationMinutes(defaultDuration) : null,
    justification: justification ? { ...justification, maxLength: base.justification.maxLength } : base.justification,
    ticket: ticket
      ? {
          pattern: ticket.pattern,
          hint: ticket.hint ?? null,
          validation: ticket.validation ? { url: ticket.validation.url, secret: ticket.validation.secret, timeoutSeconds: ticket.validation.timeoutSeconds ?? 5 } : null,
          events: ticket.events
            ? { url: ticket.events.url, secret: ticket.events.secret ?? ticket.validation!.secret, timeoutSeconds: ticket.events.timeoutSeconds ?? 5 }
            : null,
        }
      : null,
    schedule,
    maxActiveGrantsPerUser: pick('maxActiveGrantsPerUser') ?? null,
    breakGlass: breakGlass
      ? {
          principals: breakGlass.principals ?? null,
          maxDurationMinutes: durationMinutes(breakGlass.maxDuration),
          reviewers: breakGlass.reviewers,
          reviewWithinMinutes: breakGlass.reviewWithin !== undefined ? durationMinutes(breakGlass.reviewWithin) : DEFAULT_REVIEW_WITHIN_MINUTES,
        }
      : null,
    notify: { emails: notify?.emails ?? [], chat: notify?.chat ?? [] },
    autoApprove,
    scheduling: scheduling ? { maxDelayMinutes: delayMinutes(scheduling.maxDelay) } : null,
    notes,
  };
}

/** How a refusal names the rule: "Rule 'prod-db'" or, without one, the service's settings. */
export function ruleLabel(demands: Demands): string {
  return demands.rule ? `Rule '${demands.rule}' of the access policy` : 'The service\'s settings';
}

/** The ticket id in a justification: the first text the ticket pattern matches; null when there is none. */
export function ticketIn(demands: Demands, justification: string): string | null {
  if (!demands.ticket) return null;
  return new RegExp(demands.ticket.pattern, 'u').exec(justification)?.[0] || null;
}

/**
 * What is wrong with a request against these demands (justification, ticket, duration), or null; the
 * schedule is checked apart (scheduleProblem), as a refusal rather than an input mistake. Every message
 * names the rule and the requirement not met.
 */
export function problemWithRequest(demands: Demands, request: { justification: string; durationMinutes: number }): string | null {
  const who = ruleLabel(demands);
  const justification = new JustificationPolicy(demands.justification).checkJustification(request.justification);
  if (justification) return demands.rule ? `${who}: ${justification}` : justification;
  if (demands.ticket && ticketIn(demands, request.justification) === null) {
    return `${who} requires a ticket in the justification${demands.ticket.hint ? ` (${demands.ticket.hint})` : ''}, matching /${demands.ticket.pattern}/`;
  }
  const duration = checkDurationMinutes(request.durationMinutes, demands.maxDurationMinutes);
  if (duration) return demands.rule ? `${who}: ${duration}` : duration;
  return null;
}

/** Null inside the schedule's windows (or without a schedule), else why activation is refused now. */
export function scheduleProblem(demands: Demands, now: Date): string | null {
  const s = demands.schedule;
  if (!s || s.insideNow || s.outside !== 'deny') return null;
  const local = localTime(now, s.timeZone);
  const clock = `${String(Math.floor(local.minutes / 60)).padStart(2, '0')}:${String(local.minutes % 60).padStart(2, '0')}`;
  return `${ruleLabel(demands)} allows activation only ${s.windows.join(', ')} (${s.timeZone}); it is ${WEEKDAYS[local.day]} ${clock} there now`;
}

/**
 * The conditions of the rule's auto-approval that a request does not meet, in words: empty when the rule
 * approves it itself; null when the rule approves nothing itself. `requester` is the requester's principals
 * (`user:EMAIL` and a `group:EMAIL` per group). The request has passed the rule's checks already (its ticket
 * matched and, where the rule validates tickets, was validated).
 */
export function unmetAutoApproval(
  demands: Demands,
  request: { justification: string; durationMinutes: number },
  requester: ReadonlySet<string>,
): string[] | null {
  const auto = demands.autoApprove;
  if (!auto) return null;
  const unmet: string[] = [];
  if (auto.maxDurationMinutes !== null && request.durationMinutes > auto.maxDurationMinutes) {
    unmet.push(`${formatMinutes(request.durationMinutes)} is longer than ${formatMinutes(auto.maxDurationMinutes)}`);
  }
  if (auto.insideSchedule && !demands.schedule?.insideNow) unmet.push('it is outside the schedule\'s windows');
  if (auto.ticketValid && ticketIn(demands, request.justification) === null) unmet.push('the justification names no ticket');
  if (auto.requesters && !auto.requesters.some((p) => requester.has(p.toLowerCase()))) unmet.push(`the requester is none of ${auto.requesters.join(', ')}`);
  return unmet;
}

/** The demands in words, as the roles list and `policy explain` show them. */
export function describeDemands(demands: Demands): string {
  const parts: string[] = [];
  const a = demands.approval;
  if (a.kind === 'self') parts.push('no approval');
  else if (a.kind === 'peers') parts.push(`${a.requiredApprovals} approval${a.requiredApprovals === 1 ? '' : 's'} from peers`);
  else parts.push(`${a.requiredApprovals} approval${a.requiredApprovals === 1 ? '' : 's'} from ${a.principals.map((p) => p.replace(/^(user|group):/, '')).join(', ')}`);
  parts.push(`up to ${formatMinutes(demands.maxDurationMinutes)}`);
  if (demands.schedule) parts.push(`${demands.schedule.windows.join(', ')} ${demands.schedule.timeZone}${demands.schedule.outside === 'requireApproval' ? ' (approval needed outside)' : ''}`);
  if (demands.ticket) parts.push('ticket required');
  if (demands.maxActiveGrantsPerUser !== null) parts.push(`at most ${demands.maxActiveGrantsPerUser} active at once`);
  if (demands.autoApprove) {
    const max = demands.autoApprove.maxDurationMinutes;
    parts.push(`approved by the rule${max !== null ? ` up to ${formatMinutes(max)}` : ''}${demands.autoApprove.requesters || demands.autoApprove.insideSchedule || demands.autoApprove.ticketValid ? ' (conditions apply)' : ''}`);
  }
  if (demands.breakGlass) parts.push(`break-glass up to ${formatMinutes(demands.breakGlass.maxDurationMinutes)}`);
  if (demands.scheduling) parts.push(`may start up to ${formatDelay(demands.scheduling.maxDelayMinutes)} later`);
  return parts.join(' · ');
}

/** A delay in words: `7 d`, `1 d 12 h`, `90 min`. */
export function formatDelay(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const rest = minutes % 1440;
  if (days === 0) return formatMinutes(rest);
  return rest === 0 ? `${days} d` : `${days} d ${formatMinutes(rest)}`;
}

/**
 * Null when a grant may start at `start` under these demands (asked at `now`), else what is wrong: a rule
 * without `scheduling` allows no later start, and one with it allows at most `maxDelay` ahead.
 */
export function startProblem(demands: Demands, start: Date, now: Date): string | null {
  const who = ruleLabel(demands);
  if (start.getTime() <= now.getTime()) return `The start (${start.toISOString()}) must be in the future; leave it out to start at once`;
  if (!demands.scheduling) return `${who} does not allow a later start (it sets no scheduling.maxDelay): leave the start out to start at once`;
  const latest = new Date(now.getTime() + demands.scheduling.maxDelayMinutes * 60_000);
  if (start.getTime() > latest.getTime()) {
    return `${who} allows a start at most ${formatDelay(demands.scheduling.maxDelayMinutes)} ahead, that is no later than ${latest.toISOString()}; ${start.toISOString()} is later`;
  }
  return null;
}

export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h === 0 ? `${m} min` : m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Whether a grant of `role` on `projectId` counts towards the rule's limit of simultaneous grants. */
export function countsTowardsRule(policy: AccessPolicyDocument, ruleName: string, target: PolicyTarget): boolean {
  return applyingRule(policy, target)?.rule.name === ruleName;
}
