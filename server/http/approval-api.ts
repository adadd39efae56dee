// The /api/v1 routes of peer approval: reviewers of a role, approval requests, and deciding them (approve,
// deny, cancel).
import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import * as api from '../api/schemas';
import type { Config } from '../config';
import { durationMinutesOf, isParticipant, type ApprovalRequest } from '../domain/approval-request';
import { entitlementId } from '../domain/entitlement';
import type { RequestState } from '../domain/request-decision';
import type { ApprovalService, CreatedRequest, DecisionOutcome, ScheduledStart } from '../services/approval';
import type { AuditLog, AuditUser } from '../services/audit';
import { invalidInput } from '../errors';
import { grantResultBody } from './api';
import { parse, principalOf, reply } from './exchange';

export interface ApprovalServices {
  config: Config;
  approval: ApprovalService;
  audit: AuditLog;
}

/** A host name, IPv4 or [IPv6] address, and an optional port: nothing that could bend a link elsewhere. */
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/**
 * The URL users open, for links in emails: PUBLIC_URL, or else the origin of this request as the user
 * reached it through IAP (its Host header; https on App Engine and Cloud Run, where IAP only serves https).
 */
export function publicUrlOf(req: Request, config: Config): string {
  if (config.publicUrl) return config.publicUrl;
  const host = req.get('host') ?? '';
  if (!HOST.test(host)) throw invalidInput(`The request's Host header "${host.slice(0, 100)}" is not a host name; set PUBLIC_URL to the URL users open.`);
  const forwarded = req.get('x-forwarded-proto')?.split(',')[0].trim();
  const scheme = config.platform !== 'local' ? 'https' : forwarded === 'https' || forwarded === 'http' ? forwarded : req.protocol;
  return `${scheme}://${host}`;
}

export function requestBody(request: ApprovalRequest): api.ApprovalRequestView {
  const { entitlement } = request;
  return {
    id: request.id,
    projectId: entitlement.projectId,
    roleId: entitlementId(entitlement),
    role: entitlement.role,
    resourceCondition: entitlement.resourceCondition,
    beneficiary: request.beneficiary,
    reviewers: [...request.reviewers],
    justification: request.justification,
    start: request.start.toISOString(),
    end: request.end.toISOString(),
    durationMinutes: durationMinutesOf(request),
    windowFromApproval: request.windowFromApproval,
    startsLater: request.startsLater === true,
    requiredApprovals: request.requiredApprovals,
    expiresAt: request.expiresAt.toISOString(),
    extendsGrant: request.extension ? { id: request.extension.grantId, start: request.extension.start.toISOString(), end: request.extension.end.toISOString() } : null,
  };
}

export function stateBody(state: RequestState): api.RequestState {
  return {
    status: state.status,
    approvals: state.approvals.map((a) => ({ approver: a.approver, at: a.at.toISOString() })),
    requiredApprovals: state.requiredApprovals,
    deniedBy: state.deniedBy,
    reason: state.reason,
  };
}

/** The answer to a denial or a cancellation: the request, its state, and whether this call decided it. */
function decisionBody(outcome: DecisionOutcome): api.RequestDecisionResponse {
  return {
    request: requestBody(outcome.request),
    ...stateBody(outcome.state),
    alreadyDecided: outcome.alreadyDecided,
    notificationFailures: outcome.notificationFailures,
  };
}

const scheduledStartBody = (s: ScheduledStart): api.ScheduledStart => ({ scheduledId: s.id, start: s.start.toISOString(), end: s.end.toISOString() });

const approvedByOf = (state: RequestState) => (state.status === 'approved' ? (state.approvals.at(-1)?.approver ?? null) : null);

export function approvalRoutes(deps: ApprovalServices): Router {
  const { config, approval, audit } = deps;
  const router = Router();

  /** Input refused before it reached the service is a refusal too, and is audited like the others. */
  const parseAudited = <T extends z.ZodType>(schema: T, value: unknown, where: string, user: AuditUser, event: 'request.failed' | 'approval.failed' | 'reviewers.list.failed', project?: string): z.infer<T> => {
    try {
      return parse(schema, value, where);
    } catch (e) {
      audit.record({ event, severity: 'WARNING', outcome: 'denied', user, project, message: `Refused input from ${user.email}: ${(e as Error).message}`, error: { code: 'INVALID_ARGUMENT', message: (e as Error).message } });
      throw e;
    }
  };

  router.get('/projects/:projectId/reviewers', async (req, res) => {
    const user = { ...principalOf(res) };
    const projectId = parseAudited(api.projectIdParam, req.params.projectId, 'projectId', user, 'reviewers.list.failed');
    const { role } = parseAudited(api.reviewersQuery, req.query, 'query', user, 'reviewers.list.failed', projectId);
    const { reviewers, warnings } = await approval.reviewers(user, projectId, role);
    reply(res, 200, api.reviewersResponse, { role, reviewers, warnings });
  });

  router.post('/projects/:projectId/approval-requests', async (req, res) => {
    const user = { ...principalOf(res) };
    const projectId = parseAudited(api.projectIdParam, req.params.projectId, 'projectId', user, 'request.failed');
    const body = parseAudited(api.approvalRequestBody, req.body, 'body', user, 'request.failed', projectId);
    const { start, ...rest } = body;
    createdBody(res, await approval.request(user, projectId, { ...rest, ...(start !== undefined ? { start: new Date(start) } : {}) }, publicUrlOf(req, config)));
  });

  router.post('/me/grants/:grantId/extension-requests', async (req, res) => {
    const user = { ...principalOf(res) };
    const grantId = parseAudited(api.grantIdParam, req.params.grantId, 'grantId', user, 'request.failed');
    const body = parseAudited(api.extensionRequestBody, req.body, 'body', user, 'request.failed');
    createdBody(res, await approval.requestExtension(user, grantId, body, publicUrlOf(req, config)));
  });

  /** A request just made, pending, or approved at once by its rule. */
  function createdBody(res: Response, created: CreatedRequest): void {
    reply(res, 201, api.approvalRequestCreatedResponse, {
      request: requestBody(created.request),
      token: created.token,
      status: created.approvedByRule ? 'approved' : 'pending',
      approvedBy: created.approvedByRule?.approver ?? null,
      grant: created.approvedByRule?.grant ? grantResultBody(created.approvedByRule.grant) : null,
      scheduled: created.approvedByRule?.scheduled ? scheduledStartBody(created.approvedByRule.scheduled) : null,
      notificationFailures: created.notificationFailures,
    });
  }

  router.get('/approval-requests/:token', async (req, res) => {
    const user = { ...principalOf(res) };
    const token = parseAudited(api.approvalTokenParam, req.params.token, 'token', user, 'approval.failed');
    const { request, state, escalationApprover } = await approval.status(user, token);
    const isBeneficiary = request.beneficiary === user.email;
    const isReviewer = (isParticipant(request, user.email) || escalationApprover) && !isBeneficiary;
    const pending = state.status === 'pending';
    reply(res, 200, api.approvalRequestStatusResponse, {
      request: requestBody(request),
      ...stateBody(state),
      approvedBy: approvedByOf(state),
      viewer: {
        email: user.email,
        isBeneficiary,
        isReviewer,
        canApprove: isReviewer && pending && !state.approvals.some((a) => a.approver === user.email),
        canDeny: isReviewer && pending,
        canCancel: isBeneficiary && pending,
      },
    });
  });

  router.post('/approval-requests/:token/approve', async (req, res) => {
    const user = { ...principalOf(res) };
    const token = parseAudited(api.approvalTokenParam, req.params.token, 'token', user, 'approval.failed');
    const outcome = await approval.approve(user, token, publicUrlOf(req, config));
    reply(res, 200, api.approvalResponse, {
      request: requestBody(outcome.request),
      ...stateBody(outcome.state),
      alreadyApproved: outcome.alreadyApproved,
      approvedBy: approvedByOf(outcome.state),
      grant: outcome.grant ? grantResultBody(outcome.grant) : null,
      scheduled: outcome.scheduled ? scheduledStartBody(outcome.scheduled) : null,
      notificationFailures: outcome.notificationFailures,
    });
  });

  router.post('/approval-requests/:token/deny', async (req, res) => {
    const user = { ...principalOf(res) };
    const token = parseAudited(api.approvalTokenParam, req.params.token, 'token', user, 'approval.failed');
    const { reason } = parseAudited(api.denyBody, req.body, 'body', user, 'approval.failed');
    reply(res, 200, api.requestDecisionResponse, decisionBody(await approval.deny(user, token, reason, publicUrlOf(req, config))));
  });

  router.post('/approval-requests/:token/cancel', async (req, res) => {
    const user = { ...principalOf(res) };
    const token = parseAudited(api.approvalTokenParam, req.params.token, 'token', user, 'approval.failed');
    reply(res, 200, api.requestDecisionResponse, decisionBody(await approval.cancel(user, token, publicUrlOf(req, config))));
  });

  return router;
}
