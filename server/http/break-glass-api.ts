// The /api/v1 routes of break-glass: activating at once where the rule allows it, opening an activation and
// reviewing it. The activations waiting for my review are listed by the inbox (inbox-api).
import { Router } from 'express';
import * as api from '../api/schemas';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { BreakGlassActivation, BreakGlassReview } from '../domain/break-glass';
import type { BreakGlassService } from '../services/break-glass';
import { grantResultBody } from './api';
import { publicUrlOf } from './approval-api';
import { parse, principalOf, reply } from './exchange';

export interface BreakGlassServices {
  config: Config;
  breakGlass: BreakGlassService;
  /** The service's clock, for what is overdue now. */
  clock: Clock;
}

export function activationBody(a: BreakGlassActivation): api.BreakGlassActivationView {
  return {
    activationId: a.activationId,
    user: a.user,
    projectId: a.projectId,
    role: a.role,
    resourceCondition: a.resourceCondition,
    durationMinutes: a.durationMinutes,
    start: a.start.toISOString(),
    end: a.end.toISOString(),
    reason: a.reason,
    reviewers: [...a.reviewers],
    reviewBy: a.reviewBy.toISOString(),
    outsideSchedule: a.outsideSchedule,
    rule: a.rule,
  };
}

function reviewBody(r: BreakGlassReview) {
  return { outcome: r.outcome, note: r.note, reviewer: r.reviewer, at: r.at.toISOString() };
}

export function breakGlassRoutes(deps: BreakGlassServices): Router {
  const { config, breakGlass } = deps;
  const router = Router();

  router.post('/projects/:projectId/break-glass', async (req, res) => {
    const user = { ...principalOf(res) };
    const projectId = parse(api.projectIdParam, req.params.projectId, 'projectId');
    const body = parse(api.breakGlassBody, req.body, 'body');
    const result = await breakGlass.activate(user, projectId, body, publicUrlOf(req, config));
    reply(res, 201, api.breakGlassResponse, { activation: activationBody(result.activation), grant: grantResultBody(result.grant), notificationFailures: result.notificationFailures });
  });

  router.get('/break-glass/:activationId', async (req, res) => {
    const user = { ...principalOf(res) };
    const id = parse(api.breakGlassIdParam, req.params.activationId, 'activationId');
    const view = await breakGlass.show(user, id);
    const { activation, review, remindedAt } = view.case;
    reply(res, 200, api.breakGlassCaseResponse, {
      activation: activationBody(activation),
      review: review ? reviewBody(review) : null,
      remindedAt: remindedAt?.toISOString() ?? null,
      overdue: review === null && activation.reviewBy.getTime() <= deps.clock().getTime(),
      viewer: view.viewer,
      readAt: view.readAt.toISOString(),
    });
  });

  router.post('/break-glass/:activationId/review', async (req, res) => {
    const user = { ...principalOf(res) };
    const id = parse(api.breakGlassIdParam, req.params.activationId, 'activationId');
    const body = parse(api.breakGlassReviewBody, req.body, 'body');
    const reviewed = await breakGlass.review(user, id, body.decision === 'flag' ? 'flagged' : 'acknowledged', body.note || null);
    reply(res, 200, api.breakGlassReviewResponse, { activation: activationBody(reviewed.activation), review: reviewBody(reviewed.review!) });
  });

  return router;
}
