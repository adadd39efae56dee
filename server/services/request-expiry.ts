// Notices of a pending request's end, run by the scheduled task (/tasks/cleanup) like the break-glass reminders:
// ONE "expires soon" notice to the reviewers still to decide once a pending request is within the lead time of
// its expiry (see expiryLeadOf), and ONE "expired" notice to the requester once it expired undecided (at most
// EXPIRED_NOTICE_WINDOW_MS ago). Each notice is sent once without a database: it is audited as
// `request.expiry.notified` with its `notice`, and the next run — on any instance — reads those entries back from
// the shared audit feed (which holds this instance's own entries at once) and leaves those requests out.
// Anyone who may write to the log could plant a request entry, so a notice goes out only for a request this
// service signed: the service never mails or posts text and recipients someone else chose. Before expiry that
// is checked by signing the logged claims again (they must match the logged digest); after it Google signs no
// token whose `exp` has passed, so the request's record (domain/request-record), signed at its creation and
// logged with it, must carry the service's signature and exactly the logged claims. An entry without a record
// (forged, or written before requests had one) gets no "expired" notice; all refusals are reported. The
// "expired" notice also posts the `lapsed` ticket event where the rule writes back to an ITSM.
import { requestsInLog, type LoggedRequest } from '../domain/request-log';
import type { ApprovalService, RecordCheck } from './approval';
import type { AuditLog } from './audit';
import type { AuditFeed, AuditRecord } from './audit-feed';
import type { NotificationService } from './notification';
import type { TicketEvents } from './ticket-events';

/** A pending request is announced as expiring at most this long before its expiry. */
export const EXPIRY_NOTICE_LEAD_MS = 3_600_000;

/**
 * The hour before expiry, but never more than the last half of the request's life: requests live 60 minutes by
 * default (ACTIVATION_REQUEST_TIMEOUT), and a notice the moment one is made would say nothing new.
 */
export function expiryLeadOf(request: { issuedAt: Date; expiresAt: Date }): number {
  return Math.min(EXPIRY_NOTICE_LEAD_MS, (request.expiresAt.getTime() - request.issuedAt.getTime()) / 2);
}
/** Requests that expired longer ago than this are not announced (a run missed for a day, or a first deployment). */
export const EXPIRED_NOTICE_WINDOW_MS = 24 * 3_600_000;
/**
 * A request counts as expired undecided only once the audit log was read this long after its expiry: a decision
 * made on another instance in its last seconds is logged a moment later and served after Cloud Logging's
 * ingestion delay, and a requester who was granted must never hear that nothing was.
 */
export const EXPIRED_NOTICE_SETTLE_MS = 2 * 60_000;
/** A request lives at most this long (signJwt's 12-hour limit on a token's lifetime). */
const LONGEST_REQUEST_MS = 12 * 3_600_000;

type Notice = 'expiring' | 'expired';

export interface ExpiryNoticeReport {
  /** Requests whose reviewers this run told that they expire soon. */
  expiringSoon: string[];
  /** Requests whose requester this run told that they expired undecided. */
  expired: string[];
  /** Requests with a notice due but not sent (a dry run). */
  pending: string[];
  /** Notices that failed, and requests refused a notice (an entry the service did not sign). */
  failures: { activationId: string; message: string }[];
}

const RECORD_REFUSALS: Record<Exclude<RecordCheck, 'vouched'>, string> = {
  'no-record': 'Its audit entry carries no request record signed by this service (it was written before requests had one, or by someone else), so no expiry notice was sent.',
  'not-signed': 'Its request record is not signed by this service, so no expiry notice was sent.',
  'other-request': 'Its request record, signed by this service, describes another request than its audit entry, so no expiry notice was sent.',
};

export class RequestExpiryNotices {
  constructor(
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly notifications: Pick<NotificationService, 'sendExpiry'>,
    private readonly requests: Pick<ApprovalService, 'issued' | 'recordCheck'>,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
    /** Tells the ITSM a rule's `ticket.events` names that a request lapsed; absent without an access policy. */
    private readonly ticketEvents?: Pick<TicketEvents, 'lapsed'>,
  ) {}

  async run(options: { dryRun: boolean; invoker: string }, publicUrl: string): Promise<ExpiryNoticeReport> {
    const now = this.now();
    let records: AuditRecord[];
    let readAt: Date;
    try {
      ({ records, readAt } = await this.feed.since(new Date(now.getTime() - EXPIRED_NOTICE_WINDOW_MS - LONGEST_REQUEST_MS)));
    } catch (e) {
      // Never fails the sweep: reported and audited, and the next run sends what is due then.
      const message = `Pending requests could not be read from the audit log, so no expiry notices were sent: ${(e as Error).message}`;
      this.audit.record({ event: 'notification.failed', severity: 'ERROR', outcome: 'failure', message, channel: 'expiry', notification: 'RequestExpiringSoon', invoker: options.invoker });
      return { expiringSoon: [], expired: [], pending: [], failures: [{ activationId: '*', message }] };
    }
    const sent = new Set<string>();
    for (const { payload } of records) {
      if (payload.event === 'request.expiry.notified' && typeof payload.activationId === 'string') sent.add(`${payload.activationId}/${String(payload.notice)}`);
    }
    const report: ExpiryNoticeReport = { expiringSoon: [], expired: [], pending: [], failures: [] };
    const due: { logged: LoggedRequest; notice: Notice }[] = [];
    for (const logged of requestsInLog(records, now)) {
      const notice = this.noticeDue(logged, now, readAt);
      if (!notice || sent.has(`${logged.request.id}/${notice}`)) continue;
      const refusal = notice === 'expiring' ? await this.signedProblem(logged) : await this.recordProblem(logged);
      if (refusal) report.failures.push({ activationId: logged.request.id, message: refusal });
      else due.push({ logged, notice });
    }
    if (options.dryRun) {
      report.pending = due.map((d) => d.logged.request.id);
      return report;
    }
    for (const { logged, notice } of due) {
      const { request } = logged;
      const notificationFailures = await this.notifications.sendExpiry(
        request,
        notice,
        logged.approvals.map((a) => a.approver),
        publicUrl,
      );
      (notice === 'expiring' ? report.expiringSoon : report.expired).push(request.id);
      // Only here, where the request's record vouched for it: a planted entry never makes the service post to an ITSM.
      if (notice === 'expired') await this.ticketEvents?.lapsed(request);
      for (const message of notificationFailures) report.failures.push({ activationId: request.id, message });
      // Audited even when a channel failed (that failure is audited too): the notice is not repeated.
      this.audit.record({
        event: 'request.expiry.notified',
        severity: 'INFO',
        outcome: 'success',
        project: request.entitlement.projectId,
        activationId: request.id,
        notice,
        expiresAt: request.expiresAt.toISOString(),
        invoker: options.invoker,
        notificationFailures,
        message:
          notice === 'expiring'
            ? `Told the reviewers of ${request.id} by ${request.beneficiary} that it expires at ${request.expiresAt.toISOString()}`
            : `Told ${request.beneficiary} that their request ${request.id} expired undecided at ${request.expiresAt.toISOString()}`,
      });
    }
    return report;
  }

  /** Which notice a logged request is due, if any (before asking whether the service signed it). */
  private noticeDue(logged: LoggedRequest, now: Date, readAt: Date): Notice | null {
    const expiresAt = logged.request.expiresAt.getTime();
    if (logged.status === 'pending' && expiresAt - now.getTime() <= expiryLeadOf(logged.request)) return 'expiring';
    const settled = readAt.getTime() - expiresAt >= EXPIRED_NOTICE_SETTLE_MS;
    if (logged.status === 'expired' && settled && now.getTime() - expiresAt <= EXPIRED_NOTICE_WINDOW_MS) return 'expired';
    return null;
  }

  /** Why no "expires soon" notice may go out: the entry is not one this service signed, or that cannot be checked. */
  private async signedProblem(logged: LoggedRequest): Promise<string | null> {
    try {
      if (await this.requests.issued(logged)) return null;
      return 'Its audit entry does not describe a request this service signed, so no notice was sent.';
    } catch (e) {
      return `Could not check that this service signed the request, so no notice was sent: ${(e as Error).message}`;
    }
  }

  /** Why no "expired" notice may go out: the entry's record does not vouch for it, or that cannot be checked. */
  private async recordProblem(logged: LoggedRequest): Promise<string | null> {
    try {
      const check = await this.requests.recordCheck(logged);
      return check === 'vouched' ? null : RECORD_REFUSALS[check];
    } catch (e) {
      return `Could not check the request record's signature, so no expiry notice was sent: ${(e as Error).message}`;
    }
  }
}
