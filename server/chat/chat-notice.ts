// What a chat message says about a request or an activation, before it is written for a platform: a
// title, labelled facts, the justification and a button to the request's page. Values are raw text here;
// each platform's module escapes them for its format.
import type { ApprovalRequest } from '../domain/approval-request';
import type { SelfActivation } from '../domain/notification-event';
import type { BreakGlassActivation } from '../domain/break-glass';
import { formatMailTime } from '../mail/mail-time';
import { alertTitle, ALERTS_PER_MESSAGE, requestedAccess } from '../mail/messages';
import type { Alert } from '../domain/admin-alerts';

export interface ChatFact {
  label: string;
  value: string;
}

export interface ChatNotice {
  /** One conversation per request: Google Chat threads by this key (the request id). */
  threadKey: string;
  title: string;
  /** One line of plain text: the message's summary, shown where the card cannot be. */
  summary: string;
  facts: ChatFact[];
  /** The requester's words; absent for notices nobody justified (alerts). */
  justification?: string;
  button: { text: string; url: string };
}

/** What happened to a request; `approvals` are the approvers so far, oldest first. */
export type RequestChatEvent =
  | { kind: 'requested'; link: string }
  | { kind: 'approval-recorded'; actor: string; approvals: readonly string[] }
  | { kind: 'approved'; actor: string; approvals: readonly string[] }
  | { kind: 'denied'; actor: string; reason: string | null }
  | { kind: 'cancelled'; actor: string }
  | { kind: 'expiring'; approvals: readonly string[] }
  | { kind: 'escalated'; approvals: readonly string[]; to: readonly string[] }
  | { kind: 'expired'; approvals: readonly string[] };

function windowText(start: Date, end: Date, timeZone: string): string {
  return `${formatMailTime(start, timeZone)} – ${formatMailTime(end, timeZone)}`;
}

function entitlementFacts(projectId: string, roles: readonly string[], resourceCondition: string | null | undefined): ChatFact[] {
  return [
    { label: 'Project', value: projectId },
    { label: roles.length === 1 ? 'Role' : 'Roles', value: roles.join(', ') },
    ...(resourceCondition ? [{ label: 'Resource condition', value: resourceCondition }] : []),
  ];
}

const TITLES: Record<RequestChatEvent['kind'], string> = {
  requested: 'Access requested',
  'approval-recorded': 'Approval recorded',
  approved: 'Access approved and granted',
  denied: 'Request denied',
  cancelled: 'Request cancelled',
  expiring: 'Request expires soon',
  escalated: 'Request escalated',
  expired: 'Request expired undecided',
};

const EXTENSION_TITLES: Record<RequestChatEvent['kind'], string> = {
  requested: 'Extension requested',
  'approval-recorded': 'Approval of an extension recorded',
  approved: 'Extension approved and granted',
  denied: 'Extension denied',
  cancelled: 'Extension request cancelled',
  expiring: 'Extension request expires soon',
  escalated: 'Extension request escalated',
  expired: 'Extension request expired undecided',
};

/** A message about a peer-approval request; `publicUrl` is where the SPA runs. */
export function requestNotice(request: ApprovalRequest, event: RequestChatEvent, publicUrl: string, timeZone: string): ChatNotice {
  const { projectId, role, resourceCondition } = request.entitlement;
  const approvals = 'approvals' in event ? event.approvals : [];
  const { extension } = request;
  const facts: ChatFact[] = [
    { label: 'Requester', value: request.beneficiary },
    ...entitlementFacts(projectId, [role], resourceCondition),
    ...(extension
      ? [
          { label: 'Extends', value: `the grant of ${windowText(extension.start, extension.end, timeZone)}` },
          { label: 'New end', value: formatMailTime(request.end, timeZone) },
        ]
      : [{ label: 'Window', value: windowText(request.start, request.end, timeZone) }]),
    { label: 'Approvals', value: `${approvals.length} of ${request.requiredApprovals}${approvals.length > 0 ? `: ${approvals.join(', ')}` : ''}` },
  ];
  if (event.kind === 'requested') facts.push({ label: 'Reviewers', value: request.reviewers.join(', ') });
  if (event.kind === 'denied') facts.push({ label: 'Denied by', value: event.actor }, ...(event.reason ? [{ label: 'Reason', value: event.reason }] : []));
  if (event.kind === 'cancelled') facts.push({ label: 'Cancelled by', value: event.actor });
  if (event.kind === 'expiring' || event.kind === 'expired') facts.push({ label: 'Reviewers', value: request.reviewers.join(', ') }, { label: event.kind === 'expiring' ? 'Expires' : 'Expired', value: formatMailTime(request.expiresAt, timeZone) });
  if (event.kind === 'escalated') facts.push({ label: 'Reviewers', value: request.reviewers.join(', ') }, { label: 'Escalated to', value: event.to.join(', ') }, { label: 'Expires', value: formatMailTime(request.expiresAt, timeZone) });
  const base = publicUrl.replace(/\/+$/, '');
  const title = extension ? EXTENSION_TITLES[event.kind] : TITLES[event.kind];
  return {
    threadKey: request.id,
    title,
    // An extension says what it asks in words: "Extension requested: extend alice@example.com's grant of …".
    summary: extension ? `${title}: ${requestedAccess(request, timeZone)}` : `${title}: ${request.beneficiary} – ${role} on ${projectId}`,
    facts,
    justification: request.justification,
    button: buttonOf(event, request, base),
  };
}

/** Where a request message leads: the request itself, the reviewers' inbox, the requester's list, or the app. */
function buttonOf(event: RequestChatEvent, request: ApprovalRequest, base: string): ChatNotice['button'] {
  if (event.kind === 'requested') return { text: 'Open the request', url: event.link };
  if (event.kind === 'expiring' || event.kind === 'escalated') return { text: 'Open the inbox', url: `${base}/inbox` };
  if (event.kind === 'expired') return { text: 'Open my requests', url: `${base}/requests#${encodeURIComponent(request.id)}` };
  return { text: 'Open JIT Access', url: `${base}/` };
}

/** A message about a self-activation (nobody approves it; the channel sees it happen). */
export function selfActivationNotice(activation: SelfActivation, activationId: string, publicUrl: string, timeZone: string): ChatNotice {
  return {
    threadKey: activationId,
    title: 'Access activated (self-approved)',
    summary: `Access activated: ${activation.beneficiary} – ${activation.roles.join(', ')} on ${activation.projectId}`,
    facts: [
      { label: 'User', value: activation.beneficiary },
      ...entitlementFacts(activation.projectId, activation.roles, null),
      { label: 'Window', value: windowText(activation.start, activation.end, timeZone) },
    ],
    justification: activation.justification,
    button: { text: 'Open JIT Access', url: `${publicUrl.replace(/\/+$/, '')}/` },
  };
}

/** A grant that ends soon, for its holder: a reminder with the way to extend it. */
export function grantEndingNotice(grant: { id: string; user: string; projectId: string; role: string; resourceCondition: string | null; end: Date }, publicUrl: string, timeZone: string): ChatNotice {
  return {
    threadKey: `grant-${grant.id}`,
    title: 'Access ends soon',
    summary: `Access ends soon: ${grant.user} – ${grant.role} on ${grant.projectId} at ${formatMailTime(grant.end, timeZone)}`,
    facts: [{ label: 'User', value: grant.user }, ...entitlementFacts(grant.projectId, [grant.role], grant.resourceCondition), { label: 'Ends', value: formatMailTime(grant.end, timeZone) }],
    button: { text: 'Extend in My access', url: `${publicUrl.replace(/\/+$/, '')}/my-access` },
  };
}

/** New alerts of the Admin area, one fact per alert (at most ALERTS_PER_MESSAGE, the rest counted). */
export function alertsNotice(alerts: readonly Alert[], publicUrl: string, timeZone: string): ChatNotice {
  const listed = alerts.slice(0, ALERTS_PER_MESSAGE);
  const more = alerts.length - listed.length;
  const title = alerts.length === 1 ? `Alert: ${alertTitle(alerts[0])}` : `${alerts.length} new alerts`;
  return {
    // Each run's alerts are a conversation of their own.
    threadKey: `alerts-${listed[0]?.id ?? 'none'}`,
    title,
    summary: `JIT Access: ${title}`,
    facts: [
      ...listed.map((a) => ({ label: `${alertTitle(a)} (${a.severity}, ${formatMailTime(a.time, timeZone)})`, value: a.message })),
      ...(more > 0 ? [{ label: 'More', value: `${more} more alerts in the Admin area` }] : []),
    ],
    button: { text: 'Open the Admin area', url: `${publicUrl.replace(/\/+$/, '')}/admin` },
  };
}

/** A message about a break-glass activation: at once, and once more when its review is overdue. */
export function breakGlassNotice(activation: BreakGlassActivation, kind: 'activated' | 'overdue', link: string, timeZone: string): ChatNotice {
  const title = kind === 'activated' ? 'Break-glass used' : 'Break-glass review overdue';
  return {
    threadKey: activation.activationId,
    title,
    summary: `${title}: ${activation.user} – ${activation.role} on ${activation.projectId}`,
    facts: [
      { label: 'User', value: activation.user },
      ...entitlementFacts(activation.projectId, [activation.role], activation.resourceCondition),
      { label: 'Window', value: windowText(activation.start, activation.end, timeZone) },
      { label: 'Rule', value: `${activation.rule ?? '(none)'}${activation.outsideSchedule ? ' (outside its schedule)' : ''}` },
      { label: 'Reviewers', value: activation.reviewers.join(', ') },
      { label: 'Review by', value: formatMailTime(activation.reviewBy, timeZone) },
    ],
    justification: activation.reason,
    button: { text: 'Review the activation', url: link },
  };
}
