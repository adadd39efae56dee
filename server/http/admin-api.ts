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
import type { AdminHistory } from '../services/admin-history';
import type { AdminCharts } from '../services/admin-charts';
import { STANDING_REPORT_CACHE_SECONDS, type StandingPrivilegeReport } from '../services/admin-standing';
import { HISTORY_EVENTS, historyCsv, type HistoryRow } from '../domain/audit-history';
import type { Alert } from '../domain/admin-alerts';
import { EXTERNAL_GRACE_MINUTES, type AdminAlerts } from '../services/admin-alerts';
import { parse, principalOf, reply } from './exchange';
import { publicUrlOf } from './approval-api';

export interface AdminServices {
  config: Config;
  adminAccess: AdminAccess;
  elevations: AdminElevations;
  history: AdminHistory;
  standing: StandingPrivilegeReport;
  alerts: AdminAlerts;
  charts: AdminCharts;
  /** How often the shared audit feed reads the log at most (AUDIT_POLL_SECONDS). */
  auditPollSeconds: number;
}

const ROLE = 'adminRole';

function elevationBody(e: Elevation): api.AdminElevation {
  return { ...e, start: e.start.toISOString(), end: e.end.toISOString() };
}

function alertBody(a: Alert): api.AlertView {
  return { ...a, time: a.time.toISOString() };
}

function historyRowBody(row: HistoryRow): api.HistoryRowView {
  return { ...row, time: row.time.toISOString() };
}

export function adminRoutes(deps: AdminServices): Router {
  const { adminAccess, elevations, history, standing, alerts, charts, config } = deps;
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
    const { breakGlass, ...filter } = parse(api.adminElevationsQuery, { ...req.query }, 'query');
    const list = await elevations.list({ ...filter, breakGlass: breakGlass === undefined ? undefined : breakGlass === 'true' });
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

  router.get('/admin/standing-privileges', async (_req, res) => {
    const report = await standing.report();
    reply(res, 200, api.standingPrivilegesResponse, {
      standingWhileEligible: report.standingWhileEligible,
      privileged: report.privileged,
      computedAt: report.computedAt.toISOString(),
      freshness: `From Asset Inventory (usually minutes behind IAM) and Cloud Identity, computed at ${report.computedAt.toISOString()} and kept for ${STANDING_REPORT_CACHE_SECONDS / 60} minutes for every admin.`,
      warnings: report.warnings,
    });
  });

  const readHistory = async (req: Request) => {
    const q = parse(api.adminHistoryQuery, { ...req.query }, 'query');
    return history.list({ from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined }, { user: q.user, projectId: q.projectId, role: q.role, event: q.event });
  };

  router.get('/admin/history', async (req, res) => {
    const list = await readHistory(req);
    reply(res, 200, api.adminHistoryResponse, {
      rows: list.rows.map(historyRowBody),
      from: list.from.toISOString(),
      to: list.to.toISOString(),
      readAt: list.readAt.toISOString(),
      freshness: `From the audit log in Cloud Logging, read at ${list.readAt.toISOString()} by a feed shared by every view (at most every ${deps.auditPollSeconds} seconds); entries reach Cloud Logging seconds after they are written.`,
      events: [...HISTORY_EVENTS],
    });
  });

  router.get('/admin/charts', async (req, res) => {
    const q = parse(api.adminChartsQuery, { ...req.query }, 'query');
    const result = await charts.charts({ from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
    reply(res, 200, api.adminChartsResponse, {
      ...result,
      from: result.from.toISOString(),
      to: result.to.toISOString(),
      readAt: result.readAt.toISOString(),
      freshness: `From the audit log in Cloud Logging, read at ${result.readAt.toISOString()} by the feed the history reads too (at most every ${deps.auditPollSeconds} seconds); days are UTC days.`,
    });
  });

  router.get('/admin/history.csv', async (req, res) => {
    const list = await readHistory(req);
    res.status(200).type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="jit-access-history-${list.from.toISOString().slice(0, 10)}-${list.to.toISOString().slice(0, 10)}.csv"`);
    res.send(historyCsv(list.rows));
  });

  router.get('/admin/alerts', async (req, res) => {
    const q = parse(api.adminAlertsQuery, { ...req.query }, 'query');
    const list = await alerts.list(q.days);
    reply(res, 200, api.adminAlertsResponse, {
      alerts: list.alerts.map(alertBody),
      from: list.from.toISOString(),
      to: list.to.toISOString(),
      readAt: list.readAt.toISOString(),
      searchedAt: list.searchedAt.toISOString(),
      frequentActivations: config.alerts.frequentActivations,
      freshness:
        `From the audit log, read at ${list.readAt.toISOString()} by the feed every view shares (at most every ${deps.auditPollSeconds} seconds), ` +
        `and grants in force from Asset Inventory, searched at ${list.searchedAt.toISOString()} (shared for ${ELEVATIONS_CACHE_SECONDS} seconds; usually minutes behind IAM). ` +
        `A grant is judged written outside this service only once it is ${EXTERNAL_GRACE_MINUTES} minutes old, so that its audit entry has been read.`,
      warnings: list.warnings,
    });
  });

  return router;
}
