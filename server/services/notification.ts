// Tells people what happened: email (SMTP), Pub/Sub (NOTIFICATION_TOPIC) and chat (CHAT_CHANNELS). A notification that fails
// after access was granted never undoes or hides the grant: it is audited and reported to the caller.
// Only the request to the reviewers is essential, because nobody could approve a request they never saw.
import type { ApprovalRequest } from '../domain/approval-request';
import { approvalLink } from '../domain/approval-link';
import {
  activationApprovedEvent,
  requestActivationEvent,
  breakGlassEvent,
  grantEndingSoonEvent,
  requestDecisionEvent,
  requestEscalatedEvent,
  requestExpiryEvent,
  selfApprovedEvent,
  type NotificationEvent,
  type SelfActivation,
} from '../domain/notification-event';
import type { Mailer, OutgoingMail } from '../mail/mailer';
import { approvedMail, breakGlassMail, decisionMail, escalatedMail, expiryMail, grantEndingMail, requestMail, revokedMail, scheduledMail, watcherMail, type RevokedMailInput, type RoleGrant, type ScheduledMailInput, type WatchedEvent } from '../mail/messages';
import { breakGlassLink, type BreakGlassActivation } from '../domain/break-glass';
import type { RequestState } from '../domain/request-decision';
import type { PubSub } from '../google/pubsub';
import { AppError } from '../errors';
import type { AuditLog, AuditUser } from './audit';
import type { ChatNotifier } from './chat';
import { breakGlassNotice, grantEndingNotice, requestNotice, selfActivationNotice, type ChatNotice, type RequestChatEvent } from '../chat/chat-notice';
import type { ActivationType } from '../domain/eligibility';

/** What the access policy's rule for a role is matched on, to find the chat channels and extra recipients it names. */
export interface RuleTarget {
  projectId: string;
  role: string;
  resourceCondition: string | null;
  type: ActivationType;
}

export interface NotificationChannels {
  mailer?: Mailer;
  /** The publisher and the full topic name `projects/P/topics/T`. */
  pubsub?: { client: PubSub; topic: string };
  /**
   * Chat webhooks: the default channel gets every notice, and each role's rule may name more
   * (`notify.chat`); `publicUrl` is the SPA's address for self-activations, whose callers do not pass one.
   */
  chat?: { notifier: ChatNotifier; channelsFor(target: RuleTarget): Promise<readonly string[]>; publicUrl?: string };
  /**
   * The extra email recipients the rule governing a role names (`notify.emails`), told of its requests,
   * decisions and self-activations by email; `publicUrl` as for chat.
   */
  watchers?: { emailsFor(target: RuleTarget): Promise<readonly string[]>; publicUrl?: string };
}

/** What an email is about: a Pub/Sub event's type, or what is sent by email only (a revocation, a scheduled grant's outcome). */
type MailType = NotificationEvent['type'] | 'GrantRevoked' | 'ScheduledGrantStarted' | 'ScheduledGrantRefused';

/** Who triggered a notification and what it is about, for the audit entry of a failure. */
interface Context {
  /** Absent for what the service does on its own (a reminder from the sweeper). */
  user?: AuditUser;
  project: string;
  activationId: string;
}

export class NotificationService {
  constructor(
    private readonly channels: NotificationChannels,
    private readonly audit: AuditLog,
    private readonly timeZone: string,
  ) {}

  /** Whether a request can reach its reviewers at all: by email, or at least through Pub/Sub. */
  get canReachReviewers(): boolean {
    return this.channels.mailer !== undefined || this.channels.pubsub !== undefined;
  }

  /**
   * Sends a new request to its reviewers. Throws (503) when the channel that carries the link to them
   * fails: email when SMTP is configured, else Pub/Sub. Returns what else could not be sent.
   */
  async sendRequest(request: ApprovalRequest, jwt: string, publicUrl: string, user: AuditUser): Promise<string[]> {
    const link = approvalLink(publicUrl, jwt);
    const context = { user, project: request.entitlement.projectId, activationId: request.id };
    const { mailer, pubsub } = this.channels;
    const chat = this.chatRequest(context, request, { kind: 'requested', link }, 'RequestActivation', publicUrl);
    if (mailer) {
      const failure = await this.mail(context, 'RequestActivation', `The request email to ${request.reviewers.join(', ')}`, {
        ...requestMail({ request, link, publicUrl, timeZone: this.timeZone }),
        messageId: mailer.messageIdFor(request.id),
      });
      if (failure) {
        await chat;
        throw unsent(failure);
      }
    }
    const failure = pubsub ? await this.publish(context, requestActivationEvent(request, publicUrl, jwt)) : null;
    const chatFailures = await chat;
    if (failure && !mailer) throw unsent(failure);
    // Told only once the request reached its reviewers: a request that was not sent does not exist.
    const watcherFailures = await this.tellWatchers(context, 'RequestActivation', [targetOf(request)], { kind: 'requested', request }, publicUrl);
    return [...(failure ? [failure] : []), ...chatFailures, ...watcherFailures];
  }

  /** Tells the requester (reviewers in copy) that their request was approved; returns what failed. */
  async sendApproved(request: ApprovalRequest, approver: string, publicUrl: string, user: AuditUser, approvals: readonly string[] = [approver]): Promise<string[]> {
    const context = { user, project: request.entitlement.projectId, activationId: request.id };
    const { mailer } = this.channels;
    const chat = this.chatRequest(context, request, { kind: 'approved', actor: approver, approvals }, 'ActivationApproved', publicUrl);
    const failures = await Promise.all([
      mailer
        ? this.mail(context, 'ActivationApproved', `The approval email to ${request.beneficiary}`, {
            ...approvedMail({ request, approver, publicUrl, timeZone: this.timeZone }),
            messageId: mailer.messageIdFor(`${request.id}/approved`),
            inReplyTo: mailer.messageIdFor(request.id),
          })
        : null,
      this.channels.pubsub ? this.publish(context, activationApprovedEvent(request, approver, publicUrl)) : null,
    ]);
    const watcherFailures = await this.tellWatchers(context, 'ActivationApproved', [targetOf(request)], { kind: 'approved', request, actor: approver }, publicUrl);
    return [...failures.filter((f): f is string => f !== null), ...(await chat), ...watcherFailures];
  }

  /** An approval towards the required count, a denial or a cancellation, by email and Pub/Sub; returns what failed. */
  async sendDecision(
    request: ApprovalRequest,
    decision: 'approval-recorded' | 'denied' | 'cancelled',
    state: RequestState,
    actor: string,
    publicUrl: string,
    user: AuditUser,
    reason?: string,
  ): Promise<string[]> {
    const context = { user, project: request.entitlement.projectId, activationId: request.id };
    const type = decision === 'approval-recorded' ? 'ApprovalRecorded' : decision === 'denied' ? 'RequestDenied' : 'RequestCancelled';
    const approvals = state.approvals.length;
    const { mailer, pubsub } = this.channels;
    const event: RequestChatEvent =
      decision === 'approval-recorded'
        ? { kind: decision, actor, approvals: state.approvals.map((a) => a.approver) }
        : decision === 'denied'
          ? { kind: decision, actor, reason: reason ?? null }
          : { kind: decision, actor };
    const chat = this.chatRequest(context, request, event, type, publicUrl);
    const failures = await Promise.all([
      mailer
        ? this.mail(context, type, `The ${decision === 'approval-recorded' ? 'approval' : decision === 'denied' ? 'denial' : 'cancellation'} email`, {
            ...decisionMail({ request, decision, actor: actor.toLowerCase(), approvals, reason, publicUrl, timeZone: this.timeZone }),
            messageId: mailer.messageIdFor(`${request.id}/${decision}/${approvals}`),
            inReplyTo: mailer.messageIdFor(request.id),
          })
        : null,
      pubsub ? this.publish(context, requestDecisionEvent(request, type, { actor: actor.toLowerCase(), approvals, reason }, publicUrl)) : null,
    ]);
    const watched: WatchedEvent =
      decision === 'approval-recorded'
        ? { kind: decision, request, actor: actor.toLowerCase(), approvals }
        : decision === 'denied'
          ? { kind: decision, request, actor: actor.toLowerCase(), reason }
          : { kind: decision, request };
    const watcherFailures = await this.tellWatchers(context, type, [targetOf(request)], watched, publicUrl);
    return [...failures.filter((f): f is string => f !== null), ...(await chat), ...watcherFailures];
  }

  /**
   * Sent by the sweeper: a pending request expires soon (`expiring`, to the reviewers who have not approved it)
   * or expired undecided (`expired`, to the requester); email, Pub/Sub and chat. Never throws; returns what failed.
   */
  async sendExpiry(request: ApprovalRequest, kind: 'expiring' | 'expired', approvals: readonly string[], publicUrl: string): Promise<string[]> {
    const waitingFor = request.reviewers.filter((r) => !approvals.includes(r));
    const context = { project: request.entitlement.projectId, activationId: request.id };
    const type = kind === 'expiring' ? 'RequestExpiringSoon' : 'RequestExpired';
    const { mailer, pubsub } = this.channels;
    const failures = await Promise.all([
      mailer
        ? this.mail(context, type, `The ${kind === 'expiring' ? 'expires-soon' : 'expired'} email`, {
            ...expiryMail({ request, kind, to: waitingFor, publicUrl, timeZone: this.timeZone }),
            messageId: mailer.messageIdFor(`${request.id}/${kind}`),
            inReplyTo: mailer.messageIdFor(request.id),
          })
        : null,
      pubsub ? this.publish(context, requestExpiryEvent(request, type, publicUrl)) : null,
    ]);
    const chatFailures = await this.chatRequest(context, request, { kind, approvals }, type, publicUrl);
    return [...failures.filter((f): f is string => f !== null), ...chatFailures];
  }

  /**
   * Sent by the workflow task: a pending request nobody decided within its rule's delay, offered to the
   * escalation approvers by email (a link to their inbox), Pub/Sub and chat. Never throws; returns what failed.
   */
  async sendEscalated(request: ApprovalRequest, approvers: readonly string[], approvals: readonly string[], afterMinutes: number, publicUrl: string): Promise<string[]> {
    const context = { project: request.entitlement.projectId, activationId: request.id };
    const type = 'RequestEscalated';
    const { mailer, pubsub } = this.channels;
    const failures = await Promise.all([
      mailer && approvers.length > 0
        ? this.mail(context, type, `The escalation email to ${approvers.join(', ')}`, {
            ...escalatedMail({ request, to: approvers, afterMinutes, publicUrl, timeZone: this.timeZone }),
            messageId: mailer.messageIdFor(`${request.id}/escalated`),
            inReplyTo: mailer.messageIdFor(request.id),
          })
        : null,
      pubsub ? this.publish(context, requestEscalatedEvent(request, { approvers, approvals: approvals.length, afterMinutes }, publicUrl)) : null,
    ]);
    const chatFailures = await this.chatRequest(context, request, { kind: 'escalated', approvals, to: approvers }, type, publicUrl);
    return [...failures.filter((f): f is string => f !== null), ...chatFailures];
  }

  /**
   * Sent by the workflow task: the holder of a grant is reminded that it ends soon, by email, Pub/Sub and in
   * the chat channels of the role's rule. Never throws; returns what failed.
   */
  async sendGrantEnding(grant: { id: string; user: string; projectId: string; role: string; resourceCondition: string | null; end: Date; bindingType: ActivationType }, publicUrl: string): Promise<string[]> {
    const context = { project: grant.projectId, activationId: grant.id };
    const type = 'GrantEndingSoon';
    const { mailer, pubsub, chat } = this.channels;
    const failures = await Promise.all([
      mailer
        ? this.mail(context, type, `The reminder email to ${grant.user}`, {
            ...grantEndingMail({ ...grant, publicUrl, timeZone: this.timeZone }),
            messageId: mailer.messageIdFor(`${grant.id}/ending`),
          })
        : null,
      pubsub ? this.publish(context, grantEndingSoonEvent(grant, publicUrl)) : null,
    ]);
    const target: RuleTarget = { projectId: grant.projectId, role: grant.role, resourceCondition: grant.resourceCondition, type: grant.bindingType };
    // A reminder concerns its holder alone: posted only where the rule asks for chat (notify.chat).
    const chatFailures = chat ? await this.postChat(context, type, [target], grantEndingNotice(grant, publicUrl, this.timeZone), true) : [];
    return [...failures.filter((f): f is string => f !== null), ...chatFailures];
  }

  /**
   * Self-activations go to Pub/Sub, as in jit-access 1.x, to chat, and by email to the extra recipients the
   * roles' rules name; `grants` are the roles with their bindings' resource conditions. Returns what failed.
   */
  async sendSelfActivated(activation: SelfActivation, activationId: string, user: AuditUser, grants: readonly RoleGrant[]): Promise<string[]> {
    const context = { user, project: activation.projectId, activationId };
    const { chat, watchers } = this.channels;
    const targets = grants.map((g) => ({ projectId: activation.projectId, role: g.role, resourceCondition: g.resourceCondition, type: 'self' as const }));
    const [failure, chatFailures, watcherFailures] = await Promise.all([
      this.channels.pubsub ? this.publish(context, selfApprovedEvent(activation)) : null,
      chat?.publicUrl ? this.postChat(context, 'ActivationSelfApproved', targets, selfActivationNotice(activation, activationId, chat.publicUrl, this.timeZone)) : [],
      this.tellWatchers(context, 'ActivationSelfApproved', targets, { kind: 'self-activated', activation, grants }, watchers?.publicUrl),
    ]);
    return [...(failure ? [failure] : []), ...chatFailures, ...watcherFailures];
  }

  /**
   * Tells the rule's reviewers of a break-glass activation (`activated`, at once) or that its review is overdue
   * (`overdue`): email (the user in copy; the rule's `notify.emails` get a notice of the activation), Pub/Sub and
   * chat. Never throws: the grant stands; returns what failed.
   */
  async sendBreakGlass(activation: BreakGlassActivation, kind: 'activated' | 'overdue', bindingType: ActivationType, publicUrl: string, user?: AuditUser): Promise<string[]> {
    const context = { user, project: activation.projectId, activationId: activation.activationId };
    const type = kind === 'activated' ? 'BreakGlassActivated' : 'BreakGlassReviewOverdue';
    const link = breakGlassLink(publicUrl, activation.activationId);
    const { mailer, pubsub } = this.channels;
    const target: RuleTarget = { projectId: activation.projectId, role: activation.role, resourceCondition: activation.resourceCondition, type: bindingType };
    const failures = await Promise.all([
      mailer
        ? this.mail(context, type, `The break-glass ${kind === 'activated' ? 'notice' : 'reminder'} email to ${activation.reviewers.join(', ')}`, {
            ...breakGlassMail({ activation, link, publicUrl, timeZone: this.timeZone, kind }),
            messageId: mailer.messageIdFor(kind === 'activated' ? activation.activationId : `${activation.activationId}/overdue`),
            ...(kind === 'overdue' ? { inReplyTo: mailer.messageIdFor(activation.activationId) } : {}),
          })
        : null,
      pubsub ? this.publish(context, breakGlassEvent(type, activation, link)) : null,
    ]);
    const chatFailures = await this.postChat(context, type, [target], breakGlassNotice(activation, kind, link, this.timeZone));
    // The rule's extra recipients hear of the activation, not of the reminder (which is the reviewers' business).
    const watcherFailures = kind === 'activated' ? await this.tellWatchers(context, type, [target], { kind: 'break-glass', activation }, publicUrl) : [];
    return [...failures.filter((f): f is string => f !== null), ...chatFailures, ...watcherFailures];
  }

  /** Tells a user an admin revoked their grant (the admin in copy); returns what failed. */
  async sendRevoked(revocation: Omit<RevokedMailInput, 'timeZone'>, admin: AuditUser): Promise<string[]> {
    const { mailer } = this.channels;
    if (!mailer) return [];
    const failure = await this.mail({ user: admin, project: revocation.projectId, activationId: '' }, 'GrantRevoked', `The revocation email to ${revocation.user}`, revokedMail({ ...revocation, timeZone: this.timeZone }));
    return failure ? [failure] : [];
  }

  /** Tells a user what became of their scheduled grant at its start (by email); returns what failed. */
  async sendScheduledOutcome(outcome: Omit<ScheduledMailInput, 'timeZone'>, activationId: string): Promise<string[]> {
    if (!this.channels.mailer) return [];
    const type = outcome.refusal === null ? 'ScheduledGrantStarted' : 'ScheduledGrantRefused';
    const failure = await this.mail({ project: outcome.projectId, activationId }, type, `The scheduled-grant email to ${outcome.user}`, scheduledMail({ ...outcome, timeZone: this.timeZone }));
    return failure ? [failure] : [];
  }

  /** Null when sent, else a sentence saying what could not be sent and why (audited). */
  private async mail(context: Context, type: MailType, what: string, mail: OutgoingMail): Promise<string | null> {
    try {
      await this.channels.mailer!.send(mail);
      return null;
    } catch (e) {
      return this.failed(context, 'email', type, `${what} could not be sent: ${(e as Error).message}`);
    }
  }

  private async publish(context: Context, event: NotificationEvent): Promise<string | null> {
    const { client, topic } = this.channels.pubsub!;
    try {
      await client.publishJson(topic, event);
      return null;
    } catch (e) {
      return this.failed(context, 'pubsub', event.type, `The Pub/Sub message ${event.type} could not be published to ${topic}: ${(e as Error).message}`);
    }
  }

  private chatRequest(context: Context, request: ApprovalRequest, event: RequestChatEvent, type: MailType, publicUrl: string): Promise<string[]> {
    return this.postChat(context, type, [targetOf(request)], requestNotice(request, event, publicUrl, this.timeZone));
  }

  /**
   * Emails the extra recipients the roles' rules name (`notify.emails`), one notice to all of them; returns
   * the failure, audited. Their notice never decides whether a request was sent or access granted.
   */
  private async tellWatchers(context: Context, type: MailType, targets: RuleTarget[], event: WatchedEvent, publicUrl: string | undefined): Promise<string[]> {
    const { mailer, watchers } = this.channels;
    if (!mailer || !watchers) return [];
    let recipients: string[];
    try {
      recipients = [...new Set((await Promise.all(targets.map((t) => watchers.emailsFor(t)))).flat().map((e) => e.toLowerCase()))];
    } catch (e) {
      return [this.failed(context, 'email', type, `The extra recipients of the access policy could not be read: ${(e as Error).message}`)];
    }
    if (recipients.length === 0) return [];
    const key = 'request' in event ? event.request.id : context.activationId;
    const failure = await this.mail(context, type, `The notice to ${recipients.join(', ')}`, {
      ...watcherMail({ event, recipients, publicUrl, timeZone: this.timeZone }),
      messageId: mailer.messageIdFor(`${key}/notify/${event.kind}${event.kind === 'approval-recorded' ? `/${event.approvals}` : ''}`),
      ...(event.kind !== 'requested' && event.kind !== 'self-activated' && event.kind !== 'break-glass' ? { inReplyTo: mailer.messageIdFor(`${key}/notify/requested`) } : {}),
    });
    return failure ? [failure] : [];
  }

  /** Posts to the default channel and those the roles' rules name; returns the failures, audited. */
  /** `onlyNamed`: not to the default channel, only to those the rules name (a holder's own reminder). */
  private async postChat(context: Context, type: MailType, targets: RuleTarget[], notice: ChatNotice, onlyNamed = false): Promise<string[]> {
    const { chat } = this.channels;
    if (!chat) return [];
    let named: string[];
    try {
      named = (await Promise.all(targets.map((t) => chat.channelsFor(t)))).flat();
    } catch (e) {
      return [this.failed(context, 'chat', type, `The chat channels of the access policy could not be read: ${(e as Error).message}`)];
    }
    const failures = await chat.notifier.post(named, notice, onlyNamed);
    return failures.map((f) => this.failed(context, 'chat', type, f.message));
  }

  private failed(context: Context, channel: 'email' | 'pubsub' | 'chat', type: MailType, message: string): string {
    this.audit.record({ ...context, event: 'notification.failed', severity: 'ERROR', outcome: 'failure', message, channel, notification: type });
    return message;
  }
}

/** The rule a request's role is governed by is matched on this: the binding the requester held it through. */
function targetOf(request: ApprovalRequest): RuleTarget {
  const { projectId, role, resourceCondition } = request.entitlement;
  return { projectId, role, resourceCondition: resourceCondition ?? null, type: request.bindingType };
}

function unsent(failure: string): AppError {
  return new AppError(503, 'NOTIFICATION_FAILED', `Your request was not sent, so nobody can approve it: ${failure.replace(/\.$/, '')}. Nothing was granted; try again later, or ask your administrator to check how the service sends notifications.`);
}
