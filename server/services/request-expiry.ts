// Notices of a pending request's end, run by the scheduled task (/tasks/cleanup) like the break-glass reminders:
// ONE "expires soon" notice to the reviewers still to decide once a pending request is within
// the lead time of its expiry (see expiryLeadOf), and ONE "expired" notice to the requester once it expired undecided.
// Each notice is sent once without a database: it is audited as `request.expiry.notified`, and the next run —
// on any instance — reads those entries back from the shared audit feed (which holds this instance's own
// entries at once) and leaves those requests out.
import { requestsInLog, type LoggedRequest } from '../domain/request-log';
import type { AuditLog } from './audit';
import type { AuditFeed, AuditRecord } from './audit-feed';
import type { NotificationService } from './notification';

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
/** A request lives at most this long (signJwt's 12-hour limit on a token's lifetime). */
const LONGEST_REQUEST_MS = 12 * 3_600_000;

type Notice = 'expiring' | 'expired';

export interface ExpiryNoticeReport {
  /** Requests whose reviewers this run told that they expire soon. */
  expiringSoon: string[];
  /** Requests whose requester this run told that they expired. */
  expired: string[];
  /** Requests with a notice due but not sent (a dry run). */
  pending: string[];
  failures: { activationId: string; message: string }[];
}

export class RequestExpiryNotices {
  constructor(
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly notifications: Pick<NotificationService, 'sendExpiry'>,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async run(options: { dryRun: boolean; invoker: string }, publicUrl: string): Promise<ExpiryNoticeReport> {
    const now = this.now();
    let records: AuditRecord[];
    try {
      records = (await this.feed.since(new Date(now.getTime() - EXPIRED_NOTICE_WINDOW_MS - LONGEST_REQUEST_MS))).records;
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
    const due: { logged: LoggedRequest; notice: Notice }[] = [];
    for (const logged of requestsInLog(records, now)) {
      const expiresAt = logged.request.expiresAt.getTime();
      const notice: Notice | null =
        logged.status === 'pending' && expiresAt - now.getTime() <= expiryLeadOf(logged.request)
          ? 'expiring'
          : logged.status === 'expired' && now.getTime() - expiresAt <= EXPIRED_NOTICE_WINDOW_MS
            ? 'expired'
            : null;
      if (notice && !sent.has(`${logged.request.id}/${notice}`)) due.push({ logged, notice });
    }
    const report: ExpiryNoticeReport = { expiringSoon: [], expired: [], pending: [], failures: [] };
    if (options.dryRun) {
      report.pending = due.map((d) => d.logged.request.id);
      return report;
    }
    for (const { logged, notice } of due) {
      const { request } = logged;
      const approvals = logged.approvals.map((a) => a.approver);
      const notificationFailures = await this.notifications.sendExpiry(request, notice, approvals, publicUrl);
      (notice === 'expiring' ? report.expiringSoon : report.expired).push(request.id);
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
}
