// The approver inbox, "my requests" and the pending requests of the roles list, read from the shared audit
// feed (never one log read per view). Lists lag the log by up to the feed's poll interval, except for what this
// instance wrote itself, which the feed holds at once; what a request's page shows, and every decision, is read
// fresh from the project's IAM policy instead.
import { decisionBy, escalationTo, requestsInLog, waitsFor, type LoggedRequest } from '../domain/request-log';
import type { AuditFeed } from './audit-feed';

/** How far back a reviewer sees what they decided, and a requester their requests. */
export const INBOX_DAYS = 7;
/** A request lives at most this long (signJwt's 12-hour limit on a token's lifetime): pending ones older were made before. */
const LONGEST_REQUEST_MS = 12 * 3_600_000;

export interface ReviewItem extends LoggedRequest {
  myDecision: { decision: 'approved' | 'denied'; at: Date } | null;
  /** Since when the request was offered to the reviewer by escalation; null for its own reviewers. */
  escalatedToMe: { at: Date } | null;
}

export class RequestInbox {
  constructor(
    private readonly feed: AuditFeed,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Requests waiting for the reviewer's decision (oldest first), and those they decided in the last INBOX_DAYS (newest first). */
  async reviews(reviewer: string): Promise<{ waiting: ReviewItem[]; decided: ReviewItem[]; readAt: Date }> {
    const { requests, readAt, since } = await this.read();
    const user = reviewer.toLowerCase();
    const waiting = requests.filter((r) => waitsFor(r, user)).map((r) => ({ ...r, myDecision: null, escalatedToMe: escalationTo(r, user) }));
    const decided = requests
      .map((r) => ({ ...r, myDecision: decisionBy(r, user), escalatedToMe: escalationTo(r, user) }))
      .filter((r) => r.myDecision !== null && r.myDecision.at.getTime() >= since.getTime())
      .sort((a, b) => b.myDecision!.at.getTime() - a.myDecision!.at.getTime());
    return { waiting, decided, readAt };
  }

  /** The requester's requests of the last INBOX_DAYS, and any still pending, newest first. */
  async requests(requester: string): Promise<{ requests: LoggedRequest[]; readAt: Date }> {
    const { requests, readAt, since } = await this.read();
    const user = requester.toLowerCase();
    const mine = requests.filter((r) => r.request.beneficiary === user && (r.status === 'pending' || r.createdAt.getTime() >= since.getTime()));
    return { requests: mine.reverse(), readAt };
  }

  /** The requester's pending requests on a project, by role id. */
  async pendingOf(requester: string, projectId: string): Promise<Map<string, LoggedRequest>> {
    const { requests } = await this.requests(requester);
    return new Map(requests.filter((r) => r.status === 'pending' && r.request.entitlement.projectId === projectId).map((r) => [r.roleId, r]));
  }

  /** A request as the log tells it, when the log read so far holds it. */
  async find(requestId: string): Promise<{ logged: LoggedRequest | null; readAt: Date }> {
    const { requests, readAt } = await this.read();
    return { logged: requests.find((r) => r.request.id === requestId) ?? null, readAt };
  }

  private async read(): Promise<{ requests: LoggedRequest[]; readAt: Date; since: Date }> {
    const now = this.now();
    const since = new Date(now.getTime() - INBOX_DAYS * 86_400_000);
    const { records, readAt } = await this.feed.since(new Date(since.getTime() - LONGEST_REQUEST_MS));
    return { requests: requestsInLog(records, now), readAt, since };
  }
}
