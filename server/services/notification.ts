// Tells people what happened: email (SMTP) and Pub/Sub (NOTIFICATION_TOPIC). A notification that fails
// after access was granted never undoes or hides the grant: it is audited and reported to the caller.
// Only the request to the reviewers is essential, because nobody could approve a request they never saw.
import type { ApprovalRequest } from '../domain/approval-request';
import { approvalLink } from '../domain/approval-link';
import {
  activationApprovedEvent,
  requestActivationEvent,
  requestDecisionEvent,
  selfApprovedEvent,
  type NotificationEvent,
  type SelfActivation,
} from '../domain/notification-event';
import type { Mailer, OutgoingMail } from '../mail/mailer';
import { approvedMail, decisionMail, requestMail, revokedMail, type RevokedMailInput } from '../mail/messages';
import type { RequestState } from '../domain/request-decision';
import type { PubSub } from '../google/pubsub';
import { AppError } from '../errors';
import type { AuditLog, AuditUser } from './audit';

export interface NotificationChannels {
  mailer?: Mailer;
  /** The publisher and the full topic name `projects/P/topics/T`. */
  pubsub?: { client: PubSub; topic: string };
}

/** What an email is about: a Pub/Sub event's type, or a revocation (sent by email only). */
type MailType = NotificationEvent['type'] | 'GrantRevoked';

/** Who triggered a notification and what it is about, for the audit entry of a failure. */
interface Context {
  user: AuditUser;
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
    if (mailer) {
      const failure = await this.mail(context, 'RequestActivation', `The request email to ${request.reviewers.join(', ')}`, {
        ...requestMail({ request, link, publicUrl, timeZone: this.timeZone }),
        messageId: mailer.messageIdFor(request.id),
      });
      if (failure) throw unsent(failure);
    }
    if (!pubsub) return [];
    const failure = await this.publish(context, requestActivationEvent(request, publicUrl, jwt));
    if (failure && !mailer) throw unsent(failure);
    return failure ? [failure] : [];
  }

  /** Tells the requester (reviewers in copy) that their request was approved; returns what failed. */
  async sendApproved(request: ApprovalRequest, approver: string, publicUrl: string, user: AuditUser): Promise<string[]> {
    const context = { user, project: request.entitlement.projectId, activationId: request.id };
    const { mailer } = this.channels;
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
    return failures.filter((f): f is string => f !== null);
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
    return failures.filter((f): f is string => f !== null);
  }

  /** Self-activations go to Pub/Sub only, as in jit-access 1.x; returns what failed. */
  async sendSelfActivated(activation: SelfActivation, activationId: string, user: AuditUser): Promise<string[]> {
    if (!this.channels.pubsub) return [];
    const failure = await this.publish({ user, project: activation.projectId, activationId }, selfApprovedEvent(activation));
    return failure ? [failure] : [];
  }

  /** Tells a user an admin revoked their grant (the admin in copy); returns what failed. */
  async sendRevoked(revocation: Omit<RevokedMailInput, 'timeZone'>, admin: AuditUser): Promise<string[]> {
    const { mailer } = this.channels;
    if (!mailer) return [];
    const failure = await this.mail({ user: admin, project: revocation.projectId, activationId: '' }, 'GrantRevoked', `The revocation email to ${revocation.user}`, revokedMail({ ...revocation, timeZone: this.timeZone }));
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

  private failed(context: Context, channel: 'email' | 'pubsub', type: MailType, message: string): string {
    this.audit.record({ ...context, event: 'notification.failed', severity: 'ERROR', outcome: 'failure', message, channel, notification: type });
    return message;
  }
}

function unsent(failure: string): AppError {
  return new AppError(503, 'NOTIFICATION_FAILED', `Your request was not sent, so nobody can approve it: ${failure.replace(/\.$/, '')}. Nothing was granted; try again later, or ask your administrator to check how the service sends notifications.`);
}
