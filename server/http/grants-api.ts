// /api/v1/me/grants: the caller's own grants in force — list, end early, extend.
import { Router, type Request } from 'express';
import * as api from '../api/schemas';
import type { ActiveGrant } from '../domain/grant';
import type { GrantService } from '../services/grants';
import type { ScheduledActivations } from '../services/scheduled-activations';
import type { ScheduledGrant } from '../domain/scheduled-activation';
import type { AuditLog } from '../services/audit';
import { parse, principalOf, reply } from './exchange';

export interface GrantServices {
  grants: GrantService;
  scheduled: ScheduledActivations;
  audit: AuditLog;
}

function grantBody(grant: ActiveGrant): api.ActiveGrant {
  return { ...grant, start: grant.start.toISOString(), end: grant.end.toISOString() };
}

function scheduledBody(s: ScheduledGrant): api.ScheduledGrant {
  const { id, roles, start, end, ...rest } = s;
  return { ...rest, scheduledId: id, roles: roles.map((r) => ({ ...r })), start: start.toISOString(), end: end.toISOString() };
}

function grantIdOf(req: Request): string {
  return parse(api.grantIdParam, req.params.grantId, 'grantId');
}

export function grantsRoutes(deps: GrantServices): Router {
  const { grants, audit } = deps;
  const router = Router();

  router.get('/me/grants', async (_req, res) => {
    const user = principalOf(res);
    try {
      const list = await grants.list(user.email);
      reply(res, 200, api.myGrantsResponse, { grants: list.grants.map(grantBody), scheduled: list.scheduled.map(scheduledBody), warnings: list.warnings });
    } catch (e) {
      audit.record({ event: 'grants.list.failed', severity: 'ERROR', outcome: 'failure', user: { ...user }, message: `Listing the grants of ${user.email} failed: ${(e as Error).message}` });
      throw e;
    }
  });

  router.delete('/me/grants/:grantId', async (req, res) => {
    const user = principalOf(res);
    const id = grantIdOf(req);
    const body = parse(api.endGrantBody, req.body ?? {}, 'body');
    const { ended, endedAt } = await grants.end({ ...user }, id, body.reason);
    reply(res, 200, api.endGrantResponse, { ended: grantBody(ended), endedAt: endedAt.toISOString() });
  });

  router.delete('/me/scheduled/:scheduledId', async (req, res) => {
    const user = principalOf(res);
    const id = parse(api.scheduledIdParam, req.params.scheduledId, 'scheduledId');
    const cancelled = await deps.scheduled.cancel({ ...user }, id);
    reply(res, 200, api.cancelScheduledResponse, cancelled);
  });

  router.post('/me/grants/:grantId/extend', async (req, res) => {
    const user = principalOf(res);
    const id = grantIdOf(req);
    const body = parse(api.extendGrantBody, req.body, 'body');
    const { previous, grant } = await grants.extend({ ...user }, id, body.durationMinutes, body.justification);
    reply(res, 200, api.extendGrantResponse, { grant: grantBody(grant), previousEnd: previous.end.toISOString() });
  });

  return router;
}
