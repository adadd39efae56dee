// The emails of peer approval, in HTML and plain text: the request to the reviewers, and the news of the
// approval to the requester. Every value from a user goes through `html` (escaped) or plain text.
import type { ApprovalRequest } from '../domain/approval-request';
import type { SelfActivation } from '../domain/notification-event';
import { reviewerAddresses, type BreakGlassActivation } from '../domain/break-glass';
import { html, httpUrl, type Markup } from './html';
import { formatMailTime } from './mail-time';
import type { OutgoingMail } from './mailer';
import type { Alert } from '../domain/admin-alerts';

export interface RequestMailInput {
  request: ApprovalRequest;
  /** The page where reviewers open the request. */
  link: string;
  publicUrl: string;
  timeZone: string;
}

export interface ApprovedMailInput {
  request: ApprovalRequest;
  approver: string;
  publicUrl: string;
  timeZone: string;
}

type Detail = [label: string, value: string];

const FONT = "font-family:Roboto,Arial,Helvetica,sans-serif";

function detailsOf(request: ApprovalRequest, timeZone: string, withUser: boolean): Detail[] {
  const { entitlement } = request;
  return [
    ...(withUser ? [['User', request.beneficiary] as Detail] : []),
    ['Project', entitlement.projectId],
    ['Role', entitlement.role],
    ['Resource condition', entitlement.resourceCondition ?? '(none: the whole project)'],
    ...windowDetails(request, timeZone),
    ['Justification', request.justification],
  ];
}

/** A window that starts at the approval is said as a duration: the approver sees exactly what will be granted. */
function windowDetails(request: ApprovalRequest, timeZone: string): Detail[] {
  const approvalsNeeded: Detail[] = request.requiredApprovals > 1 ? [['Approvals needed', `${request.requiredApprovals} from different reviewers`]] : [];
  if (request.extension) {
    return [
      ['Current grant', `${formatMailTime(request.extension.start, timeZone)} – ${formatMailTime(request.extension.end, timeZone)}`],
      ['Extension', `${addedMinutesOf(request)} minutes, to end at ${formatMailTime(request.end, timeZone)}`],
      ...approvalsNeeded,
    ];
  }
  if (request.startsLater) {
    return [
      ['Start time', `${formatMailTime(request.start, timeZone)} (or when the request is approved, if later)`],
      ['Duration', `${addedMinutesOf(request)} minutes`],
      ...approvalsNeeded,
    ];
  }
  if (!request.windowFromApproval) {
    return [
      ['Start time', formatMailTime(request.start, timeZone)],
      ['End time', formatMailTime(request.end, timeZone)],
    ];
  }
  return [['Duration', `${addedMinutesOf(request)} minutes, from the moment the request is approved`], ...approvalsNeeded];
}

const addedMinutesOf = (request: ApprovalRequest) => Math.round((request.end.getTime() - request.start.getTime()) / 60_000);

/**
 * What a request asks for, after "to": "access the Google Cloud project P", or for an extension "extend
 * alice@example.com's grant of ROLE on P, ending at T, by N minutes" (`own`: "their grant").
 */
export function requestedAccess(request: ApprovalRequest, timeZone: string, own = false): string {
  const { projectId, role } = request.entitlement;
  if (!request.extension) return `access the Google Cloud project ${projectId}`;
  return `extend ${own ? 'their' : `${request.beneficiary}'s`} grant of ${role} on the Google Cloud project ${projectId}, ending at ${formatMailTime(request.extension.end, timeZone)}, by ${addedMinutesOf(request)} minutes`;
}

function page(title: string, body: Markup, publicUrl: string | undefined): string {
  const sender = publicUrl ? html`<a href="${httpUrl(publicUrl)}" style="color:#1a73e8">JIT Access</a>` : html`JIT Access`;
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head>
<body style="margin:0;padding:24px;background:#f1f3f4;${FONT};color:#202124">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-radius:8px;padding:24px">
<tr><td>
${body}
<p style="margin-top:32px;font-size:12px;color:#5f6368">This email was sent by ${sender}.</p>
</td></tr></table>
</td></tr></table>
</body></html>`.text;
}

function detailsTable(details: Detail[]): Markup {
  const rows = details.map(
    ([label, value]) =>
      html`<tr><th align="left" valign="top" style="padding:4px 16px 4px 0;font-weight:500;white-space:nowrap">${label}</th><td style="padding:4px 0;word-break:break-word">${value}</td></tr>`,
  );
  return html`<table role="presentation" cellpadding="0" cellspacing="0" style="font-size:14px;margin:16px 0">${rows}</table>`;
}

function textDetails(details: Detail[]): string {
  return details.map(([label, value]) => `${label}: ${value}`).join('\n');
}

export function requestSubject(request: ApprovalRequest): string {
  return `${request.beneficiary} requests ${request.extension ? 'an extension of their access' : 'access'} to project ${request.entitlement.projectId}`;
}

/** To the reviewers, the requester in copy. */
export function requestMail({ request, link, publicUrl, timeZone }: RequestMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const details = detailsOf(request, timeZone, true);
  const expires = formatMailTime(request.expiresAt, timeZone);
  const { projectId, role } = request.entitlement;
  const title = request.extension ? 'Extension request' : 'Access request';
  const asks = `${request.beneficiary} requests your approval to ${requestedAccess(request, timeZone, true)}.`;
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${asks}</p>
<h2 style="font-size:16px;font-weight:500;margin:24px 0 0">Request details</h2>
${detailsTable(details)}
<p style="margin:24px 0"><a href="${httpUrl(link)}" style="display:inline-block;background:#1a73e8;color:#ffffff;text-decoration:none;padding:10px 24px;border-radius:4px;font-weight:500">Review request</a></p>
<p>This request automatically expires on ${expires}.</p>
<h2 style="font-size:14px;font-weight:500;margin:24px 0 0">Why am I seeing this?</h2>
<p style="font-size:14px;color:#5f6368">${request.beneficiary} needs approval to use ${role} on ${projectId}, and chose you because you hold the same access. Approve only if the justification makes sense to you.</p>`;
  const text = [
    asks,
    '',
    textDetails(details),
    '',
    `Review the request: ${link}`,
    '',
    `This request automatically expires on ${expires}.`,
    `You receive this email because you hold the same access (${role} on ${projectId}).`,
  ].join('\n');
  return {
    to: request.reviewers,
    cc: [request.beneficiary],
    subject: requestSubject(request),
    html: page(title, body, publicUrl),
    text,
  };
}

/** To the requester, the reviewers in copy. */
export function approvedMail({ request, approver, publicUrl, timeZone }: ApprovedMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const details = detailsOf(request, timeZone, false);
  const approved = request.extension
    ? `${approver} approved your request to ${requestedAccess(request, timeZone, true).replace(/^extend their/, 'extend your')}: it now ends at ${formatMailTime(request.end, timeZone)}.`
    : request.startsLater
      ? `${approver} approved your request to access the Google Cloud project ${request.entitlement.projectId}: it is scheduled from ${formatMailTime(request.start, timeZone)} until ${formatMailTime(request.end, timeZone)}, and granted then if you are still eligible.`
      : `${approver} approved your request to access the Google Cloud project ${request.entitlement.projectId}.`;
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">Your request was approved</h1>
<p>${approved}</p>
${detailsTable(details)}
<p style="font-size:14px;color:#5f6368">IAM applies the change within a few minutes.</p>`;
  const text = [approved, '', textDetails(details), '', `JIT Access: ${publicUrl}`].join('\n');
  return {
    to: [request.beneficiary],
    cc: request.reviewers,
    subject: `Re: ${requestSubject(request)}`,
    html: page('Your request was approved', body, publicUrl),
    text,
  };
}

export interface RevokedMailInput {
  user: string;
  admin: string;
  projectId: string;
  role: string;
  resourceCondition: string | null;
  end: Date;
  reason: string;
  revokedAt: Date;
  publicUrl: string;
  timeZone: string;
}

/** To the user whose grant an admin revoked, the admin in copy. */
export function revokedMail(input: RevokedMailInput): OutgoingMail {
  const details: Detail[] = [
    ['Project', input.projectId],
    ['Role', input.role],
    ['Resource condition', input.resourceCondition ?? '(none: the whole project)'],
    ['Would have ended', formatMailTime(input.end, input.timeZone)],
    ['Revoked', formatMailTime(input.revokedAt, input.timeZone)],
    ['Revoked by', input.admin],
    ['Reason', input.reason],
  ];
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">Your access was revoked</h1>
<p>${input.admin} revoked your access to ${input.role} on the Google Cloud project ${input.projectId}.</p>
${detailsTable(details)}
<p style="font-size:14px;color:#5f6368">If you still need access, activate or request it again with a justification.</p>`;
  const text = [`${input.admin} revoked your access to ${input.role} on the Google Cloud project ${input.projectId}.`, '', textDetails(details), '', `JIT Access: ${input.publicUrl}`].join('\n');
  return {
    to: [input.user],
    cc: [input.admin],
    subject: `Your access to project ${input.projectId} was revoked`,
    html: page('Your access was revoked', body, input.publicUrl),
    text,
  };
}

/** What became of a scheduled grant at its start: granted, or refused (with why). */
export interface ScheduledMailInput {
  user: string;
  projectId: string;
  roles: readonly string[];
  start: Date;
  end: Date;
  /** Null when granted; else why nothing was granted. */
  refusal: string | null;
  publicUrl: string | undefined;
  timeZone: string;
}

/** To the user whose scheduled grant reached its start. */
export function scheduledMail(input: ScheduledMailInput): OutgoingMail {
  const roles = input.roles.join(', ');
  const granted = input.refusal === null;
  const title = granted ? 'Your scheduled access started' : 'Your scheduled access was not granted';
  const sentence = granted
    ? `Your scheduled access to ${roles} on the Google Cloud project ${input.projectId} was granted as planned.`
    : `Your scheduled access to ${roles} on the Google Cloud project ${input.projectId} was not granted: ${input.refusal}`;
  const details: Detail[] = [
    ['Project', input.projectId],
    ['Role', roles],
    ['Start', formatMailTime(input.start, input.timeZone)],
    ['End', formatMailTime(input.end, input.timeZone)],
  ];
  const after = granted ? 'The access ends on its own at the end shown.' : 'Eligibility and the access policy are checked again at the start. If you still need access, ask your administrator, then activate or request it again.';
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${sentence}</p>
${detailsTable(details)}
<p style="font-size:14px;color:#5f6368">${after}</p>`;
  const text = [sentence, '', textDetails(details), '', after, ...(input.publicUrl ? [`JIT Access: ${input.publicUrl}`] : [])].join('\n');
  return {
    to: [input.user],
    cc: [],
    subject: granted ? `Your scheduled access to project ${input.projectId} started` : `Your scheduled access to project ${input.projectId} was not granted`,
    html: page(title, body, input.publicUrl),
    text,
  };
}

/** A transition other than the request and its grant: an approval towards N, a denial, a cancellation. */
export interface DecisionMailInput {
  request: ApprovalRequest;
  decision: 'approval-recorded' | 'denied' | 'cancelled';
  /** Who decided: a reviewer, or the requester who cancelled. */
  actor: string;
  approvals: number;
  reason?: string;
  publicUrl: string;
  timeZone: string;
}

/**
 * To the requester and the reviewers: the requester learns every decision, the reviewers that the request ended
 * or still needs them. Threaded under the request's email.
 */
export function decisionMail({ request, decision, actor, approvals, reason, publicUrl, timeZone }: DecisionMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const details = detailsOf(request, timeZone, true);
  const title = decision === 'denied' ? 'The request was denied' : decision === 'cancelled' ? 'The request was cancelled' : 'An approval was recorded';
  const missing = request.requiredApprovals - approvals;
  const asked = requestedAccess(request, timeZone, true);
  const sentence =
    decision === 'denied'
      ? `${actor} denied the request of ${request.beneficiary} to ${asked}.`
      : decision === 'cancelled'
        ? `${request.beneficiary} cancelled their request to ${asked}. Nothing is left to review.`
        : `${actor} approved the request of ${request.beneficiary} to ${asked}: ${approvals} of ${request.requiredApprovals} approvals. It is granted once ${missing} more reviewer${missing === 1 ? ' approves' : 's approve'}.`;
  const reasonDetails: Detail[] = reason !== undefined ? [['Reason', reason]] : [];
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${sentence}</p>
${detailsTable([...reasonDetails, ...details])}`;
  const text = [sentence, '', textDetails([...reasonDetails, ...details]), '', `JIT Access: ${publicUrl}`].join('\n');
  return {
    to: decision === 'cancelled' ? request.reviewers : [request.beneficiary],
    cc: decision === 'cancelled' ? [] : request.reviewers.filter((r) => r !== actor),
    subject: `Re: ${requestSubject(request)}`,
    html: page(title, body, publicUrl),
    text,
  };
}

export interface ExpiryMailInput {
  request: ApprovalRequest;
  /** `expiring`: to the reviewers who have not approved yet, before it expires; `expired`: to the requester. */
  kind: 'expiring' | 'expired';
  /** The reviewers still to decide, for `expiring`. */
  to: readonly string[];
  publicUrl: string;
  timeZone: string;
}

/** A pending request's end without a decision, threaded under the request's email. */
export function expiryMail({ request, kind, to, publicUrl, timeZone }: ExpiryMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const details = detailsOf(request, timeZone, true);
  const expires = formatMailTime(request.expiresAt, timeZone);
  const title = kind === 'expiring' ? 'The request expires soon' : 'The request expired';
  const sentence =
    kind === 'expiring'
      ? `The request of ${request.beneficiary} to ${requestedAccess(request, timeZone, true)} expires on ${expires} unless it is approved; review it in your inbox.`
      : `Your request to ${requestedAccess(request, timeZone, true).replace(/^extend their/, 'extend your')} expired on ${expires} without enough approvals. ${request.extension ? 'Your grant was not extended' : 'Nothing was granted'}; request it again if you still need it.`;
  // Reviewers decide from their inbox (the sweeper holds no signed link); the requester sees it in their list.
  const base = publicUrl.replace(/\/+$/, '');
  const destination = kind === 'expiring' ? { label: 'Your inbox', url: `${base}/inbox` } : { label: 'Your requests', url: `${base}/requests#${encodeURIComponent(request.id)}` };
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${sentence}</p>
${detailsTable(details)}
<p><a href="${httpUrl(destination.url)}" style="color:#1a73e8">${destination.label}</a></p>`;
  const text = [sentence, '', textDetails(details), '', `${destination.label}: ${destination.url}`].join('\n');
  return {
    to: kind === 'expiring' ? to : [request.beneficiary],
    cc: [],
    subject: `Re: ${requestSubject(request)}`,
    html: page(title, body, publicUrl),
    text,
  };
}

export interface EscalatedMailInput {
  request: ApprovalRequest;
  /** The escalation approvers it is offered to. */
  to: readonly string[];
  /** How long it waited undecided, in minutes (the rule's delay). */
  afterMinutes: number;
  publicUrl: string;
  timeZone: string;
}

/** A request nobody decided within the rule's delay, offered to its escalation approvers: they decide from their inbox. */
export function escalatedMail({ request, to, afterMinutes, publicUrl, timeZone }: EscalatedMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const details: Detail[] = [...detailsOf(request, timeZone, true), ['Reviewers', request.reviewers.join(', ')], ['Expires', formatMailTime(request.expiresAt, timeZone)]];
  const title = 'A request waits for your approval';
  const sentence = `The request of ${request.beneficiary} to access the Google Cloud project ${request.entitlement.projectId} has waited more than ${afterMinutes} minutes undecided, so the access policy lets you approve or deny it as an escalation approver; review it in your inbox.`;
  // Escalation approvers decide from their inbox: the task holds no signed link to send.
  const inbox = `${publicUrl.replace(/\/+$/, '')}/inbox`;
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${sentence}</p>
${detailsTable(details)}
<p><a href="${httpUrl(inbox)}" style="color:#1a73e8">Your inbox</a></p>`;
  const text = [sentence, '', textDetails(details), '', `Your inbox: ${inbox}`].join('\n');
  return { to, cc: [], subject: `Escalated: ${requestSubject(request)}`, html: page(title, body, publicUrl), text };
}

export interface GrantEndingMailInput {
  user: string;
  projectId: string;
  role: string;
  resourceCondition: string | null;
  end: Date;
  publicUrl: string;
  timeZone: string;
}

/** To the holder of a grant that ends soon, with the way to extend it. */
export function grantEndingMail(input: GrantEndingMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const ends = formatMailTime(input.end, input.timeZone);
  const details: Detail[] = [
    ['Project', input.projectId],
    ['Role', input.role],
    ['Resource condition', input.resourceCondition ?? '(none: the whole project)'],
    ['Ends', ends],
  ];
  const title = 'Your access ends soon';
  const sentence = `Your access to ${input.role} on the Google Cloud project ${input.projectId} ends on ${ends}. If you still need it, extend it in My access.`;
  const myAccess = `${input.publicUrl.replace(/\/+$/, '')}/my-access`;
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${sentence}</p>
${detailsTable(details)}
<p><a href="${httpUrl(myAccess)}" style="color:#1a73e8">My access</a></p>`;
  const text = [sentence, '', textDetails(details), '', `My access: ${myAccess}`].join('\n');
  return { to: [input.user], cc: [], subject: `Your access to project ${input.projectId} ends at ${ends}`, html: page(title, body, input.publicUrl), text };
}

/** The most alerts one message lists; the rest are counted, and the Admin area shows them all. */
export const ALERTS_PER_MESSAGE = 50;

export interface AlertsMailInput {
  to: readonly string[];
  alerts: readonly Alert[];
  publicUrl: string;
  timeZone: string;
}

const ALERT_TITLES: Record<Alert['kind'], string> = {
  'frequent-activations': 'Role activated unusually often',
  'break-glass-outside-schedule': 'Break-glass outside the change windows',
  'break-glass-review-overdue': 'Break-glass not reviewed in time',
  'external-activation': 'Activation written outside JIT Access',
};

export function alertTitle(alert: Alert): string {
  return ALERT_TITLES[alert.kind];
}

/** New alerts of the Admin area, to the recipients of ALERT_EMAILS: one message per run of the scheduled task. */
export function alertsMail({ to, alerts, publicUrl, timeZone }: AlertsMailInput): OutgoingMail {
  const listed = alerts.slice(0, ALERTS_PER_MESSAGE);
  const more = alerts.length - listed.length;
  const adminUrl = `${publicUrl.replace(/\/+$/, '')}/admin`;
  const items = listed.map(
    (a) => html`<li style="margin:0 0 12px"><b>${alertTitle(a)}</b> (${a.severity}, ${formatMailTime(a.time, timeZone)})<br>${a.message}</li>`,
  );
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${alerts.length === 1 ? 'A new alert' : `${alerts.length} new alerts`}</h1>
<ul style="font-size:14px;padding-left:20px">${items}</ul>
${more > 0 ? html`<p>And ${more} more.</p>` : html``}
<p><a href="${httpUrl(adminUrl)}" style="color:#1a73e8">Open the Admin area</a></p>`;
  const text = [
    ...listed.map((a) => `- ${alertTitle(a)} (${a.severity}, ${formatMailTime(a.time, timeZone)}): ${a.message}`),
    ...(more > 0 ? [`And ${more} more.`] : []),
    '',
    `Admin area: ${adminUrl}`,
  ].join('\n');
  return {
    to,
    cc: [],
    subject: `JIT Access: ${alerts.length === 1 ? `alert: ${alertTitle(alerts[0])}` : `${alerts.length} new alerts`}`,
    html: page('JIT Access alerts', body, publicUrl),
    text,
    // ALERT_EMAILS names mailboxes, not users: SMTP_ADDRESS_MAPPING is not theirs to rewrite.
    literalAddresses: true,
  };
}

/** A role a self-activation granted, with the resource condition of its binding. */
export interface RoleGrant {
  role: string;
  resourceCondition: string | null;
}

/** What the access policy's extra recipients (`notify.emails`) are told about. */
export type WatchedEvent =
  | { kind: 'self-activated'; activation: SelfActivation; grants: readonly RoleGrant[] }
  | { kind: 'requested'; request: ApprovalRequest }
  | { kind: 'approved'; request: ApprovalRequest; actor: string }
  | { kind: 'approval-recorded'; request: ApprovalRequest; actor: string; approvals: number }
  | { kind: 'denied'; request: ApprovalRequest; actor: string; reason?: string }
  | { kind: 'cancelled'; request: ApprovalRequest }
  | { kind: 'break-glass'; activation: BreakGlassActivation };

export interface WatcherMailInput {
  event: WatchedEvent;
  /** Email addresses, as the policy lists them. */
  recipients: readonly string[];
  /** Absent for a self-activation when PUBLIC_URL is not set: the notice then links nowhere. */
  publicUrl: string | undefined;
  timeZone: string;
}

/**
 * To the extra recipients a rule names: what happened, for their information. It carries no approval link:
 * they are not reviewers, and a link is for those who decide.
 */
export function watcherMail({ event, recipients, publicUrl, timeZone }: WatcherMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const { title, sentence, details, subject } = describeWatched(event, timeZone);
  const why = 'You receive this notice because the access policy names you as a recipient (notify.emails) of this role\'s activations and requests.';
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${sentence}</p>
${detailsTable(details)}
<p style="font-size:14px;color:#5f6368">${why}</p>`;
  const text = [sentence, '', textDetails(details), '', why, ...(publicUrl ? [`JIT Access: ${publicUrl}`] : [])].join('\n');
  return { to: recipients, cc: [], subject, html: page(title, body, publicUrl), text, literalAddresses: true };
}

function describeWatched(event: WatchedEvent, timeZone: string): { title: string; sentence: string; details: Detail[]; subject: string } {
  if (event.kind === 'self-activated') {
    const a = event.activation;
    const roles = event.grants.map((g) => g.role).join(', ');
    return {
      title: 'Access activated',
      sentence: `${a.beneficiary} activated ${roles} on the Google Cloud project ${a.projectId} without approval, as the rule allows.`,
      details: [
        ['User', a.beneficiary],
        ['Project', a.projectId],
        ...event.grants.map((g): Detail => ['Role', g.resourceCondition ? `${g.role} (${g.resourceCondition})` : g.role]),
        ['Start time', formatMailTime(a.start, timeZone)],
        ['End time', formatMailTime(a.end, timeZone)],
        ['Justification', a.justification],
      ],
      subject: `${a.beneficiary} activated access to project ${a.projectId}`,
    };
  }
  if (event.kind === 'break-glass') {
    const a = event.activation;
    return {
      title: 'Break-glass used',
      sentence: `${a.user} broke the glass: they activated ${a.role} on the Google Cloud project ${a.projectId} without the approval it normally needs; ${a.reviewers.join(', ')} review it.`,
      details: [
        ['User', a.user],
        ['Project', a.projectId],
        ['Role', a.resourceCondition ? `${a.role} (${a.resourceCondition})` : a.role],
        ['Start time', formatMailTime(a.start, timeZone)],
        ['End time', formatMailTime(a.end, timeZone)],
        ['Reason', a.reason],
      ],
      subject: breakGlassSubject(a),
    };
  }
  const { request } = event;
  const who = request.beneficiary;
  const { projectId, role } = request.entitlement;
  const details = detailsOf(request, timeZone, true);
  const subject = `Re: ${requestSubject(request)}`;
  switch (event.kind) {
    case 'requested':
      return {
        title: 'Access requested',
        sentence: request.extension
          ? `${who} requested to ${requestedAccess(request, timeZone, true)} from ${request.reviewers.join(', ')}.`
          : `${who} requested ${role} on the Google Cloud project ${projectId} from ${request.reviewers.join(', ')}.`,
        details,
        subject: requestSubject(request),
      };
    case 'approved':
      return { title: 'Access approved', sentence: `${event.actor} approved the request of ${who} for ${role} on the Google Cloud project ${projectId}; it is granted.`, details, subject };
    case 'approval-recorded':
      return {
        title: 'An approval was recorded',
        sentence: `${event.actor} approved the request of ${who} for ${role} on the Google Cloud project ${projectId}: ${event.approvals} of ${request.requiredApprovals} approvals.`,
        details,
        subject,
      };
    case 'denied':
      return {
        title: 'The request was denied',
        sentence: `${event.actor} denied the request of ${who} for ${role} on the Google Cloud project ${projectId}.`,
        details: event.reason !== undefined ? [['Reason', event.reason], ...details] : details,
        subject,
      };
    case 'cancelled':
      return { title: 'The request was cancelled', sentence: `${who} cancelled their request for ${role} on the Google Cloud project ${projectId}.`, details, subject };
  }
}

export interface BreakGlassMailInput {
  activation: BreakGlassActivation;
  /** The page where reviewers acknowledge or flag the activation. */
  link: string;
  publicUrl: string;
  timeZone: string;
  /** `activated`: at once; `overdue`: the one reminder once the review is late. */
  kind: 'activated' | 'overdue';
}

export function breakGlassSubject(activation: BreakGlassActivation): string {
  return `Break-glass: ${activation.user} activated ${activation.role} on project ${activation.projectId}`;
}

/** To the rule's reviewers (group addresses reach their members), the user in copy: review this break-glass activation. */
export function breakGlassMail({ activation, link, publicUrl, timeZone, kind }: BreakGlassMailInput): Omit<OutgoingMail, 'messageId' | 'inReplyTo'> {
  const details: Detail[] = [
    ['User', activation.user],
    ['Project', activation.projectId],
    ['Role', activation.role],
    ['Resource condition', activation.resourceCondition ?? '(none: the whole project)'],
    ['Start time', formatMailTime(activation.start, timeZone)],
    ['End time', formatMailTime(activation.end, timeZone)],
    ['Reason', activation.reason],
    ['Rule', activation.rule ?? '(none)'],
    ['Outside the rule\'s schedule', activation.outsideSchedule ? 'yes' : 'no'],
    ['Review by', formatMailTime(activation.reviewBy, timeZone)],
  ];
  const title = kind === 'activated' ? 'Break-glass used' : 'Break-glass review overdue';
  const sentence =
    kind === 'activated'
      ? `${activation.user} broke the glass: they activated ${activation.role} on the Google Cloud project ${activation.projectId} without the approval it normally needs. The access is in force now.`
      : `Nobody has reviewed the break-glass activation of ${activation.role} on ${activation.projectId} by ${activation.user}, which was due by ${formatMailTime(activation.reviewBy, timeZone)}.`;
  const body = html`<h1 style="font-size:22px;font-weight:400;margin:0 0 16px">${title}</h1>
<p>${sentence}</p>
${detailsTable(details)}
<p style="margin:24px 0"><a href="${httpUrl(link)}" style="display:inline-block;background:#c5221f;color:#ffffff;text-decoration:none;padding:10px 24px;border-radius:4px;font-weight:500">Review the activation</a></p>
<h2 style="font-size:14px;font-weight:500;margin:24px 0 0">Why am I seeing this?</h2>
<p style="font-size:14px;color:#5f6368">The access policy names you as a reviewer of break-glass activations under this rule. Acknowledge the activation if the reason holds, or flag it for follow-up.</p>`;
  const text = [sentence, '', textDetails(details), '', `Review the activation: ${link}`, '', 'The access policy names you as a reviewer of break-glass activations under this rule.'].join('\n');
  return {
    to: reviewerAddresses(activation.reviewers),
    cc: [activation.user],
    subject: kind === 'activated' ? breakGlassSubject(activation) : `Review overdue: ${breakGlassSubject(activation)}`,
    html: page(title, body, publicUrl),
    text,
  };
}
