// /api/v1/admin/…: the Admin area. Every route, known or not, first checks the caller's role against the
// roster and their groups read fresh; auditors read, only admins act.
import { Router, type NextFunction, type Request, type Response } from 'express';
import * as api from '../api/schemas';
import type { Config } from '../config';
import type { AdminRole } from '../domain/admin-roster';
import type { Elevation } from '../domain/admin-elevation';
import type { AdminAccess } from '../services/admin-access';
import type { AdminElevations } from '../services/admin-elevations';
import { ELEVATIONS_CACHE_SECONDS } from '../services/admin-elevations';
import { parse, principalOf, reply } from './exchange';
import { publicUrlOf } from './approval-api';

export interface AdminServices {
  config: Config;
  adminAccess: AdminAccess;
  elevations: AdminElevations;
}

const ROLE = 'adminRole';

function elevationBody(e: Elevation): api.AdminElevation {
  return { ...e, start: e.start.toISOString(), end: e.end.toISOString() };
}

export function adminRoutes(deps: AdminServices): Router {
  const { adminAccess, elevations, config } = deps;
  const router = Router();

  router.use('/admin', async (_req: Request, res: Response, next: NextFunction) => {
    res.locals[ROLE] = await adminAccess.require(principalOf(res).email, 'auditor');
    next();
  });
  const adminsOnly = async (_req: Request, res: Response, next: NextFunction) => {
    await adminAccess.require(principalOf(res).email, 'admin');
    next();
  };

  router.get('/admin/me', (_req, res) => {
    reply(res, 200, api.adminMeResponse, { user: { email: principalOf(res).email }, role: res.locals[ROLE] as AdminRole });
  });

  router.get('/admin/elevations', async (req, res) => {
    const filter = parse(api.adminElevationsQuery, { ...req.query }, 'query');
    const list = await elevations.list(filter);
    reply(res, 200, api.adminElevationsResponse, {
      elevations: list.elevations.map(elevationBody),
      searchedAt: list.searchedAt.toISOString(),
      freshness: `From Asset Inventory, searched at ${list.searchedAt.toISOString()} (one search serves every admin for ${ELEVATIONS_CACHE_SECONDS} seconds); Asset Inventory usually lags IAM by a few minutes. A revocation reads the project's IAM policy fresh.`,
      warnings: list.warnings,
    });
  });

  router.post('/admin/revocations', adminsOnly, async (req, res) => {
    const body = parse(api.revokeGrantBody, req.body, 'body');
    const result = await elevations.revoke({ ...principalOf(res) }, { user: body.user, grantId: body.grantId }, body.reason, publicUrlOf(req, config));
    reply(res, 200, api.revokeGrantResponse, { revoked: elevationBody(result.revoked), revokedAt: result.revokedAt.toISOString(), notificationFailures: result.notificationFailures });
  });

  return router;
}
