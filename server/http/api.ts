// The /api/v1 routes. Each handler validates its input with the schemas of server/api, calls one use
// case, and checks its answer against the response schema.
import { Router, type Request } from 'express';
import * as api from '../api/schemas';
import type { Config } from '../config';
import { projectNotOffered, type Catalog } from '../services/catalog';
import type { ActivationService, ActivationResult, GrantResult } from '../services/activation';
import type { ScheduledActivations } from '../services/scheduled-activations';
import type { AuditLog } from '../services/audit';
import type { AccessRules, RoleDemands } from '../services/access-policy-rules';
import { describeDemands } from '../domain/access-policy-demands';
import type { AdminAccess } from '../services/admin-access';
import type { RequestInbox } from '../services/request-inbox';
import type { LoggedRequest } from '../domain/request-log';
import { parse, principalOf, reply } from './exchange';

export interface ApiServices {
  config: Config;
  catalog: Catalog;
  activation: ActivationService;
  audit: AuditLog;
  version: string;
  /** The access policy, when ACCESS_POLICY is set. */
  policy?: AccessRules;
  adminAccess: AdminAccess;
  /** The caller's pending requests, from the audit log. */
  inbox: RequestInbox;
  /** Activations with a later start. */
  scheduled: ScheduledActivations;
}

function projectIdOf(req: Request): string {
  return parse(api.projectIdParam, req.params.projectId, 'projectId');
}

/** A grant as an activation or an approval answers it. */
export function grantResultBody(grant: GrantResult): api.Grant {
  return { ...grant, start: grant.start.toISOString(), end: grant.end.toISOString(), previousEnd: grant.previousEnd?.toISOString() ?? null };
}

function activationBody(result: ActivationResult, projectId: string, user: string): api.ActivationResponse {
  return {
    activationId: result.activationId,
    projectId,
    user,
    justification: result.justification,
    grants: result.grants.map(grantResultBody),
    notificationFailures: result.notificationFailures,
  };
}

export function apiRoutes(deps: ApiServices): Router {
  const { config, catalog, activation, audit } = deps;
  const router = Router();

  router.get('/me', async (_req, res) => {
    const user = principalOf(res);
    const adminRole = await deps.adminAccess.shownRole(user.email);
    reply(res, 200, api.meResponse, {
      user: { email: user.email },
      settings: {
        justificationHint: config.justification.hint,
        justificationPattern: config.justification.pattern,
        justificationMaxLength: config.justification.maxLength,
        defaultDurationMinutes: Math.min(60, config.activationTimeoutMinutes),
        maxDurationMinutes: config.activationTimeoutMinutes,
        maxRolesPerRequest: config.maxRolesPerRequest,
        minReviewers: config.reviewers.min,
        maxReviewers: config.reviewers.max,
        requestTimeoutMinutes: config.activationRequestTimeoutMinutes,
      },
      version: deps.version,
      adminRole,
    });
  });

  router.get('/projects', async (_req, res) => {
    const user = principalOf(res);
    try {
      const { projects, warnings } = await catalog.projectList(user.email);
      reply(res, 200, api.projectsResponse, { projects, warnings });
    } catch (e) {
      audit.record({ event: 'projects.list.failed', severity: 'ERROR', outcome: 'failure', user: { ...user }, message: `Listing projects for ${user.email} failed: ${(e as Error).message}` });
      throw e;
    }
  });

  router.get('/projects/:projectId/roles', async (req, res) => {
    const user = principalOf(res);
    const projectId = projectIdOf(req);
    try {
      const { roles, warnings } = await catalog.listRoles(user.email, projectId);
      // A project that exists but offers the caller nothing answers as one that does not exist.
      if (roles.length === 0 && warnings.length === 0) throw projectNotOffered(user.email, projectId);
      const [policies, pending] = await Promise.all([deps.policy?.describe(user.email, projectId, roles), pendingRequestsOf(deps.inbox, user.email, projectId)]);
      reply(res, 200, api.rolesResponse, {
        roles: roles.map((r) => {
          const request = pending.requests.get(r.id);
          return {
          id: r.id,
          projectId: r.projectId,
          role: r.role,
          resourceCondition: r.resourceCondition,
          activationType: r.type,
          ...(r.title ? { title: r.title } : {}),
          ...(r.description ? { description: r.description } : {}),
          status: r.active ? ('active' as const) : request ? ('pending' as const) : ('eligible' as const),
          activeUntil: r.active ? r.active.end.toISOString() : null,
          pendingRequest: request
            ? {
                id: request.request.id,
                approvals: request.approvals.map((a) => ({ approver: a.approver, at: a.at.toISOString() })),
                requiredApprovals: request.request.requiredApprovals,
                expiresAt: request.request.expiresAt.toISOString(),
              }
            : null,
          ...(policies ? { policy: rolePolicyOf(policies.get(r.id)!) } : {}),
          };
        }),
        warnings: pending.warning ? [...warnings, pending.warning] : warnings,
      });
    } catch (e) {
      audit.record({ event: 'roles.list.failed', severity: 'ERROR', outcome: 'failure', user: { ...user }, project: projectId, message: `Listing roles on ${projectId} for ${user.email} failed: ${(e as Error).message}` });
      throw e;
    }
  });

  router.post('/projects/:projectId/activations', async (req, res) => {
    const user = principalOf(res);
    const projectId = projectIdOf(req);
    const body = parse(api.activationRequestBody, req.body, 'body');
    if (body.start !== undefined) {
      const s = await deps.scheduled.schedule({ ...user }, projectId, body.roles, body.justification, body.durationMinutes, new Date(body.start));
      return reply(res, 202, api.scheduledActivationResponse, {
        scheduledId: s.id,
        activationId: s.activationId,
        projectId,
        user: user.email,
        justification: s.justification,
        roles: s.roles.map((r) => ({ ...r })),
        start: s.start.toISOString(),
        end: s.end.toISOString(),
      });
    }
    const result = await activation.selfActivate({ ...user }, projectId, body.roles, body.justification, body.durationMinutes);
    reply(res, 201, api.activationResponse, activationBody(result, projectId, user.email));
  });

  return router;
}

/** The caller's pending requests on a project; the roles list answers without them, saying so, when the audit log cannot be read. */
async function pendingRequestsOf(inbox: RequestInbox, email: string, projectId: string): Promise<{ requests: Map<string, LoggedRequest>; warning: string | null }> {
  try {
    return { requests: await inbox.pendingOf(email, projectId), warning: null };
  } catch (e) {
    return { requests: new Map(), warning: `Your pending requests could not be read from the audit log, so none is shown: ${(e as Error).message}` };
  }
}

/** A role's rule as the roles list carries it: structured for the SPA, and in words. */
function rolePolicyOf({ demands: d, breakGlassAvailable }: RoleDemands): api.RolePolicy {
  return {
    rule: d.rule,
    summary: describeDemands(d),
    approval: { kind: d.approval.kind, requiredApprovals: d.approval.requiredApprovals, approvers: [...d.approval.principals] },
    maxDurationMinutes: d.maxDurationMinutes,
    defaultDurationMinutes: d.defaultDurationMinutes,
    justification: { pattern: d.justification.pattern, hint: d.justification.hint },
    ticket: d.ticket ? { pattern: d.ticket.pattern, hint: d.ticket.hint } : null,
    schedule: d.schedule ? { ...d.schedule, windows: [...d.schedule.windows] } : null,
    maxActiveGrantsPerUser: d.maxActiveGrantsPerUser,
    breakGlass: d.breakGlass ? { available: breakGlassAvailable, maxDurationMinutes: d.breakGlass.maxDurationMinutes, reviewers: [...d.breakGlass.reviewers] } : null,
    scheduling: d.scheduling ? { maxDelayMinutes: d.scheduling.maxDelayMinutes } : null,
    notes: [...d.notes],
  };
}
