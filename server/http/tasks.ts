// /tasks: jobs a scheduler triggers, outside /api and IAP — the sweeper (/tasks/cleanup, hourly) and the
// workflow task (/tasks/workflows, every 5 minutes). Two callers are trusted: App Engine cron (its
// X-Appengine-Cron header, which App Engine strips from outside requests — so only on App Engine), and
// Cloud Scheduler presenting a Google-signed OIDC token of the configured service account, issued for the
// task's own URL (PUBLIC_URL/tasks/NAME), so that a token for one task runs no other.
import { Router, type NextFunction, type Request, type Response } from 'express';
import * as api from '../api/schemas';
import type { Config } from '../config';
import { AppError, forbidden, unauthenticated } from '../errors';
import type { CleanupService, CleanupReport } from '../services/cleanup';
import type { AlertNotifications, AlertNotificationReport } from '../services/alert-notifications';
import type { BreakGlassService, ReminderReport } from '../services/break-glass';
import type { RequestExpiryNotices, ExpiryNoticeReport } from '../services/request-expiry';
import type { WorkflowTask } from '../services/workflow-task';
import { publicUrlOf } from './approval-api';
import type { AuditLog } from '../services/audit';
import type { GoogleIdTokenVerifier } from './google-id-token';
import { parse, reply } from './exchange';
import { sendError } from './errors';

export interface TaskServices {
  config: Config;
  cleanup: CleanupService;
  /** Its reminders of overdue break-glass reviews run with the sweeper. */
  breakGlass: BreakGlassService;
  /** Its notices of pending requests that expire soon or expired run with the sweeper. */
  requestExpiry: RequestExpiryNotices;
  audit: AuditLog;
  idTokens: GoogleIdTokenVerifier;
  /** Sends new alerts where ALERT_EMAILS / ALERT_CHAT_CHANNELS say; absent when neither is set. */
  alertNotifications?: AlertNotifications;
  /** The passes of /tasks/workflows (escalations, reminders, …). */
  workflows: WorkflowTask;
}

const CRON_HEADER = 'x-appengine-cron';

/** Who called, as the audit log names them. */
async function taskCallerOf(req: Request, config: Config, idTokens: GoogleIdTokenVerifier): Promise<string> {
  const authorization = req.get('authorization');
  if (authorization !== undefined) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!bearer) throw unauthenticated('The Authorization header must be "Bearer <Google-signed OIDC ID token>".');
    const { invokerServiceAccount } = config.cleanup;
    const audience = config.publicUrl ? `${config.publicUrl}/tasks${req.path}` : undefined;
    if (!invokerServiceAccount || !audience) {
      throw forbidden('TASK_CALLER_NOT_CONFIGURED', 'Calls with an OIDC token are not enabled: set CLEANUP_INVOKER_SERVICE_ACCOUNT (and PUBLIC_URL) to the service account Cloud Scheduler uses.');
    }
    const { email } = await idTokens.verify(bearer[1], audience);
    if (email !== invokerServiceAccount) {
      throw forbidden('TASK_CALLER_NOT_ALLOWED', `The token belongs to ${email}, but only ${invokerServiceAccount} (CLEANUP_INVOKER_SERVICE_ACCOUNT) may run this task.`);
    }
    return `serviceAccount:${email}`;
  }
  if (req.get(CRON_HEADER) !== undefined) {
    if (config.platform === 'appengine' && req.get(CRON_HEADER) === 'true') return 'App Engine cron';
    throw forbidden(
      'CRON_HEADER_NOT_TRUSTED',
      config.platform === 'appengine'
        ? `The ${CRON_HEADER} header must be "true".`
        : `The ${CRON_HEADER} header is trusted only on App Engine, which strips it from outside requests; here (${config.platform}) anyone could send it. Use Cloud Scheduler with an OIDC token instead.`,
    );
  }
  throw unauthenticated(
    'This task runs only for App Engine cron (X-Appengine-Cron) or for Cloud Scheduler with a Google-signed OIDC token (Authorization: Bearer …) of CLEANUP_INVOKER_SERVICE_ACCOUNT.',
  );
}

export function taskRoutes(deps: TaskServices): Router {
  const { config, cleanup, breakGlass, requestExpiry, audit, idTokens, alertNotifications, workflows } = deps;
  const router = Router();

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.locals.taskCaller = await taskCallerOf(req, config, idTokens);
      next();
    } catch (e) {
      if (e instanceof AppError && e.httpStatus === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/"');
      audit.record({ event: 'auth.failed', severity: 'WARNING', outcome: 'denied', message: `Refused ${req.method} /tasks${req.path}: ${(e as Error).message}`, path: `/tasks${req.path}` });
      next(e);
    }
  });

  // App Engine cron sends GET; Cloud Scheduler is set up to send POST.
  const runCleanup = async (req: Request, res: Response) => {
    const query = parse(api.cleanupQuery, req.query, 'query');
    const dryRun = query.dryRun === 'true';
    const invoker = res.locals.taskCaller as string;
    const report = await cleanup.run({ dryRun, invoker });
    // Alerts, reminders of overdue break-glass reviews and notices of expiring requests ride on the sweeper's schedule; a dry run sends
    // nothing. Their failures never fail the sweep: what is unsent is sent by the next run.
    const alerts = alertNotifications && !dryRun ? await alertNotifications.run(invoker) : null;
    const reminders = await remindersOf(() => breakGlass.remindOverdue({ dryRun, invoker }, publicUrlOf(req, config)));
    const expiry = await requestExpiry.run({ dryRun, invoker }, publicUrlOf(req, config));
    const body = cleanupBody(report, alerts, reminders, expiry);
    if (report.failures.length > 0) {
      // 503 makes App Engine cron and Cloud Scheduler retry; the projects that were cleaned stay cleaned.
      const names = report.failures.map((f) => `${f.projectId} (${f.message})`).join('; ');
      return sendError(res, 503, 'CLEANUP_INCOMPLETE', `Expired activations could not be removed from ${report.failures.length} project(s): ${names}`, body);
    }
    reply(res, 200, api.cleanupResponse, body);
  };
  router.get('/cleanup', runCleanup);
  router.post('/cleanup', runCleanup);

  // Always 200 when the caller is accepted: a pass's failures are in its report and the audit log, and the
  // next run (minutes later) tries again; a retry by the scheduler would only come sooner.
  const runWorkflows = async (req: Request, res: Response) => {
    const query = parse(api.workflowsQuery, req.query, 'query');
    const report = await workflows.run({ dryRun: query.dryRun === 'true', invoker: res.locals.taskCaller as string, publicUrl: publicUrlOf(req, config) });
    reply(res, 200, api.workflowsResponse, report);
  };
  router.get('/workflows', runWorkflows);
  router.post('/workflows', runWorkflows);

  router.use((req, res) => sendError(res, 404, 'NOT_FOUND', `There is no task ${req.method} /tasks${req.path}.`));
  return router;
}

/** A failure to read what is overdue (the audit log) is reported, and leaves the sweep's own outcome alone. */
async function remindersOf(remind: () => Promise<ReminderReport>): Promise<ReminderReport> {
  try {
    return await remind();
  } catch (e) {
    return { reminded: [], pending: [], failures: [{ activationId: '*', message: `Overdue break-glass reviews could not be read: ${(e as Error).message}` }] };
  }
}

function cleanupBody(report: CleanupReport, alerts: AlertNotificationReport | null, reminders: ReminderReport, expiry: ExpiryNoticeReport): api.CleanupResponse {
  return {
    ...report,
    alerts,
    breakGlassReminders: reminders,
    requestExpiryNotices: expiry,
    projects: report.projects.map((p) => ({
      projectId: p.projectId,
      removed: p.removed.map((r) => ({ ...r, start: r.start.toISOString(), end: r.end.toISOString() })),
    })),
  };
}
