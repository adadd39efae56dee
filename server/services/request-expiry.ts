// Notices of a pending request's end, run by the scheduled task (/tasks/cleanup) like the break-glass reminders:
// ONE "expires soon" notice to the reviewers still to decide once a pending request is within the lead time of
// its expiry (see expiryLeadOf). Each notice is sent once without a database: it is audited as
// `request.expiry.notified`, and the next run — on any instance — reads those entries back from the shared audit
// feed (which holds this instance's own entries at once) and leaves those requests out.
// Anyone who may write to the log could plant a request entry, so a notice goes out only for a request this
// service signed (its claims signed again match the logged digest): the service never mails or posts text and
// recipients someone else chose. That check needs the request unexpired (Google signs no token whose `exp` has
// passed), which is why there is no notice once a request has expired: My requests shows it.
import { requestsInLog, type LoggedRequest } from '../domain/request-log';
import type { ApprovalService } from './approval';
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
/** A request lives at most this long (signJwt's 12-hour limit on a token's lifetime). */
const LONGEST_REQUEST_MS = 12 * 3_600_000;

export interface ExpiryNoticeReport {
  /** Requests whose reviewers this run told that they expire soon. */
  expiringSoon: string[];
  /** Requests with a notice due but not sent (a dry run). */
  pending: string[];
  /** Notices that failed, and requests refused a notice (an entry the service did not sign). */
  failures: { activationId: string; message: string }[];
}

export class RequestExpiryNotices {
  constructor(
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly notifications: Pick<NotificationService, 'sendExpiringSoon'>,
    private readonly requests: Pick<ApprovalService, 'issued'>,
    private readonly audit: AuditLog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async run(options: { dryRun: boolean; invoker: string }, publicUrl: string): Promise<ExpiryNoticeReport> {
    const now = this.now();
    let records: AuditRecord[];
    try {
      records = (await this.feed.since(new Date(now.getTime() - LONGEST_REQUEST_MS))).records;
    } catch (e) {
      // Never fails the sweep: reported and audited, and the next run sends what is due then.
      const message = `Pending requests could not be read from the audit log, so no expiry notices were sent: ${(e as Error).message}`;
      this.audit.record({ event: 'notification.failed', severity: 'ERROR', outcome: 'failure', message, channel: 'expiry', notification: 'RequestExpiringSoon', invoker: options.invoker });
      return { expiringSoon: [], pending: [], failures: [{ activationId: '*', message }] };
    }
    const sent = new Set<string>();
    for (const { payload } of records) {
      if (payload.event === 'request.expiry.notified' && typeof payload.activationId === 'string') sent.add(payload.activationId);
    }
    const report: ExpiryNoticeReport = { expiringSoon: [], pending: [], failures: [] };
    const due: LoggedRequest[] = [];
    for (const logged of requestsInLog(records, now)) {
      const left = logged.request.expiresAt.getTime() - now.getTime();
      if (logged.status !== 'pending' || left > expiryLeadOf(logged.request) || sent.has(logged.request.id)) continue;
      const refusal = await this.provenanceProblem(logged);
      if (refusal) report.failures.push({ activationId: logged.request.id, message: refusal });
      else due.push(logged);
    }
    if (options.dryRun) {
      report.pending = due.map((d) => d.request.id);
      return report;
    }
    for (const logged of due) {
      const { request } = logged;
      const notificationFailures = await this.notifications.sendExpiringSoon(
        request,
        logged.approvals.map((a) => a.approver),
        publicUrl,
      );
      report.expiringSoon.push(request.id);
      for (const message of notificationFailures) report.failures.push({ activationId: request.id, message });
      // Audited even when a channel failed (that failure is audited too): the notice is not repeated.
      this.audit.record({
        event: 'request.expiry.notified',
        severity: 'INFO',
        outcome: 'success',
        project: request.entitlement.projectId,
        activationId: request.id,
        notice: 'expiring',
        expiresAt: request.expiresAt.toISOString(),
        invoker: options.invoker,
        notificationFailures,
        message: `Told the reviewers of ${request.id} by ${request.beneficiary} that it expires at ${request.expiresAt.toISOString()}`,
      });
    }
    return report;
  }

  /** Why no notice may go out for a logged request: it is not one this service signed, or that cannot be checked. */
  private async provenanceProblem(logged: LoggedRequest): Promise<string | null> {
    try {
      if (await this.requests.issued(logged)) return null;
      return 'Its audit entry does not describe a request this service signed, so no notice was sent.';
    } catch (e) {
      return `Could not check that this service signed the request, so no notice was sent: ${(e as Error).message}`;
    }
  }
}
