// What the activation and request dialogs enforce: each role's rule of the access policy as the roles list
// carries it, or the service's settings where there is no policy. Roles activated together get the strictest
// combination of their rules. The server checks everything again; this only lets the form offer what will pass.
import type { MeResponse, Role, RolePolicy } from '../../server/api/schemas';
import { formatDuration } from './format';

type Settings = MeResponse['settings'];

/** A pattern the justification must meet, what to tell users about it, and the rule it comes from. */
export interface TextRule {
  pattern: string;
  hint: string;
  rule: string | null;
}

/** What the justification field checks. */
export interface JustificationRules {
  maxLength: number;
  /** Patterns the whole justification must match, each of them. */
  patterns: TextRule[];
  /** Tickets the justification must contain: text each pattern matches somewhere in it. */
  tickets: TextRule[];
}

export interface Approval {
  kind: RolePolicy['approval']['kind'];
  requiredApprovals: number;
  /** Designated approvers (`user:`/`group:`), for kind approvers. */
  approvers: string[];
  rule: string | null;
}

export interface DialogRules extends JustificationRules {
  maxDurationMinutes: number;
  /** The rule that sets the maximum duration; null for the service's settings. */
  maxDurationRule: string | null;
  defaultDurationMinutes: number;
  /** What approval the roles need: none (`self`), or the strictest any of them needs. */
  approval: Approval;
  /** Why the roles cannot be activated or requested now (a schedule that refuses outside its windows), or null. */
  blocked: string | null;
  /** When the roles follow different rules: which, and that the strictest combination applies; else null. */
  combined: string | null;
  /** Where a rule was overruled (a binding that needs approval, approval outside the schedule). */
  notes: string[];
  /** How far ahead the roles may be asked to start: the shortest `scheduling.maxDelay`; null when any starts only at once. */
  maxStartDelayMinutes: number | null;
}

/** The service's own settings as rules: what applies without an access policy. */
export function settingsRules(settings: Settings): JustificationRules {
  return { maxLength: settings.justificationMaxLength, patterns: [{ pattern: settings.justificationPattern, hint: settings.justificationHint, rule: null }], tickets: [] };
}

/** What one role demands: its rule, or without a policy the settings and the binding's own approval type. */
function policyOf(role: Role, settings: Settings): RolePolicy {
  if (role.policy) return role.policy;
  const peer = role.activationType === 'peer';
  return {
    rule: null,
    summary: '',
    approval: { kind: peer ? 'peers' : 'self', requiredApprovals: peer ? 1 : 0, approvers: [] },
    maxDurationMinutes: settings.maxDurationMinutes,
    defaultDurationMinutes: null,
    justification: { pattern: settings.justificationPattern, hint: settings.justificationHint },
    ticket: null,
    schedule: null,
    maxActiveGrantsPerUser: null,
    breakGlass: null,
    scheduling: null,
    notes: [],
  };
}

/** Whether activating the role needs someone's approval now (its rule, or else its binding). */
export function needsApproval(role: Role): boolean {
  return role.policy ? role.policy.approval.kind !== 'self' : role.activationType === 'peer';
}

export const ruleName = (rule: string | null) => (rule ? `'${rule}'` : "the service's settings");

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

/** Why the schedule refuses the role now, or null when it does not. */
function scheduleRefusal(policy: RolePolicy): string | null {
  const s = policy.schedule;
  if (!s || s.insideNow || s.outside !== 'deny') return null;
  return `${policy.rule ? `Rule ${ruleName(policy.rule)}` : 'The access policy'} allows activation only ${s.windows.join(', ')} (${s.timeZone}), and it is outside those hours now.`;
}

const APPROVAL_STRENGTH = { self: 0, peers: 1, approvers: 2 } as const;

/** The rules a dialog enforces for these roles (at least one), the strictest of each where they differ. */
export function dialogRules(roles: readonly Role[], settings: Settings): DialogRules {
  const policies = roles.map((r) => policyOf(r, settings));
  const shortest = policies.reduce((a, b) => (b.maxDurationMinutes < a.maxDurationMinutes ? b : a));
  const maxDurationMinutes = shortest.maxDurationMinutes;
  const defaultDurationMinutes = Math.min(maxDurationMinutes, ...policies.map((p) => p.defaultDurationMinutes ?? settings.defaultDurationMinutes));
  const patterns = uniqueBy(
    policies.map((p) => ({ ...p.justification, rule: p.rule })),
    (p) => p.pattern,
  );
  const tickets = uniqueBy(
    policies.flatMap((p) => (p.ticket ? [{ pattern: p.ticket.pattern, hint: p.ticket.hint ?? `text matching ${p.ticket.pattern}`, rule: p.rule }] : [])),
    (t) => t.pattern,
  );
  const strictest = policies.reduce((a, b) =>
    APPROVAL_STRENGTH[b.approval.kind] > APPROVAL_STRENGTH[a.approval.kind] || (b.approval.kind === a.approval.kind && b.approval.requiredApprovals > a.approval.requiredApprovals) ? b : a,
  );
  const refusals = policies.map(scheduleRefusal).filter((r): r is string => r !== null);
  const rules = uniqueBy(policies, (p) => p.rule ?? '');
  return {
    maxLength: settings.justificationMaxLength,
    patterns,
    tickets,
    maxDurationMinutes,
    maxDurationRule: shortest.rule,
    defaultDurationMinutes,
    approval: { ...strictest.approval, approvers: [...strictest.approval.approvers], rule: strictest.rule },
    blocked: refusals.length > 0 ? refusals.join(' ') : null,
    combined:
      rules.length > 1
        ? `These roles follow different rules (${rules.map((p) => ruleName(p.rule)).join(', ')}), so the strictest of each applies: at most ${formatDuration(maxDurationMinutes)}${patterns.length > 1 ? ', every justification form' : ''}${tickets.length > 0 ? ', every ticket' : ''}.`
        : null,
    notes: [...new Set(policies.flatMap((p) => p.notes))],
    maxStartDelayMinutes: policies.every((p) => p.scheduling) ? Math.min(...policies.map((p) => p.scheduling!.maxDelayMinutes)) : null,
  };
}

/** "2 approvals from db-leads@example.com, grace@example.com", "1 approval from a peer". */
export function approvalInWords(approval: Approval): string {
  const n = approval.requiredApprovals;
  const count = `${n} approval${n === 1 ? '' : 's'}`;
  if (approval.kind === 'approvers') return `${count} from ${approval.approvers.map((p) => p.replace(/^(user|group):/, '')).join(', ')}`;
  return n === 1 ? `${count} from a peer` : `${count} from different peers`;
}
