// The /api/v1 routes of the approver inbox (requests to decide and break-glass activations to review) and "my
// requests", read from the audit log, and the route that re-establishes a pending request for one of its
// participants without the email.
import { Router } from 'express';
import * as api from '../api/schemas';
import type { Clock } from '../clock';
import type { LoggedRequest } from '../domain/request-log';
import type { ApprovalService } from '../services/approval';
import type { AuditLog } from '../services/audit';
import type { BreakGlassService } from '../services/break-glass';
import type { RequestInbox, ReviewItem } from '../services/request-inbox';
import { requestBody, stateBody } from './approval-api';
import { activationBody } from './break-glass-api';
import { parse, principalOf, reply } from './exchange';

export interface InboxServices {
  inbox: RequestInbox;
  approval: ApprovalService;
  breakGlass: BreakGlassService;
  audit: AuditLog;
  auditPollSeconds: number;
  /** The service's clock, for what is overdue now. */
  clock: Clock;
}

function loggedRequestBody(logged: LoggedRequest): api.LoggedRequestView {
  return {
    request: requestBody(logged.request),
    ...stateBody({ ...logged, requiredApprovals: logged.request.requiredApprovals }),
    createdAt: logged.createdAt.toISOString(),
    decidedAt: logged.decidedAt?.toISOString() ?? null,
  };
}

function reviewItemBody(item: ReviewItem): api.ReviewItem {
  return {
    ...loggedRequestBody(item),
    myDecision: item.myDecision ? { decision: item.myDecision.decision, at: item.myDecision.at.toISOString() } : null,
    escalatedToMe: item.escalatedToMe ? { at: item.escalatedToMe.at.toISOString() } : null,
  };
}

export function inboxRoutes(deps: InboxServices): Router {
  const { inbox, approval, breakGlass, audit } = deps;
  const router = Router();
  const freshness = (readAt: Date) =>
    `From the audit log in Cloud Logging, read at ${readAt.toISOString()} by a feed shared by every view (at most every ${deps.auditPollSeconds} seconds), with what this instance wrote since; entries reach Cloud Logging seconds after they are written. A request's own page reads its state from IAM.`;

  router.get('/me/reviews', async (_req, res) => {
    const user = principalOf(res);
    const [{ waiting, decided, readAt }, toReview] = await Promise.all([inbox.reviews(user.email), breakGlass.waitingFor(user)]);
    const now = deps.clock().getTime();
    // Both lists come from the same feed; the older read is the one the answer can vouch for.
    const readFrom = new Date(Math.min(readAt.getTime(), toReview.readAt.getTime()));
    reply(res, 200, api.myReviewsResponse, {
      waiting: waiting.map(reviewItemBody),
      decided: decided.map(reviewItemBody),
      breakGlass: toReview.cases.map((c) => ({ activation: activationBody(c.activation), overdue: c.activation.reviewBy.getTime() <= now })),
      readAt: readFrom.toISOString(),
      freshness: freshness(readFrom),
    });
  });

  router.get('/me/requests', async (_req, res) => {
    const user = principalOf(res);
    const { requests, readAt } = await inbox.requests(user.email);
    reply(res, 200, api.myRequestsResponse, { requests: requests.map(loggedRequestBody), readAt: readAt.toISOString(), freshness: freshness(readAt) });
  });

  router.post('/approval-request-tokens', async (req, res) => {
    const user = { ...principalOf(res) };
    let requestId: string;
    try {
      ({ requestId } = parse(api.requestTokenBody, req.body, 'body'));
    } catch (e) {
      audit.record({ event: 'approval.failed', step: 'reissue', severity: 'WARNING', outcome: 'denied', user, message: `Refused input from ${user.email}: ${(e as Error).message}`, error: { code: 'INVALID_ARGUMENT', message: (e as Error).message } });
      throw e;
    }
    const { request, token } = await approval.reissue(user, requestId);
    reply(res, 200, api.requestTokenResponse, { requestId: request.id, token });
  });

  return router;
}
