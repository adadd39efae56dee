// The Express application: security headers, health checks, the /api routes behind IAP and the
// anti-CSRF header, and the single-page app.
import express, { type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorHandler, sendError } from './errors';
import { IAP_HEADER, type IapVerifier } from './iap';
import { setPrincipal } from './exchange';
import { apiRoutes, type ApiServices } from './api';
import { grantsRoutes, type GrantServices } from './grants-api';
import { approvalRoutes, type ApprovalServices } from './approval-api';
import { taskRoutes, type TaskServices } from './tasks';
import { adminRoutes, type AdminServices } from './admin-api';
import { breakGlassRoutes, type BreakGlassServices } from './break-glass-api';
import { inboxRoutes, type InboxServices } from './inbox-api';
import { spaFiles } from './static-files';
import type { WarmUp } from '../warm-up';
import { openApiDocument } from '../api/openapi';
import type { HealthCheck } from './health';
import type { AuditLog } from '../services/audit';
import { withRequestReads } from '../services/request-reads';

export interface AppDependencies extends ApiServices, GrantServices, TaskServices, ApprovalServices, AdminServices, BreakGlassServices, InboxServices {
  iap: IapVerifier;
  health: HealthCheck;
  audit: AuditLog;
  /** Built SPA (dist/web); absent in API-only test setups. */
  webRoot?: string;
  /** Sees every request first: the first one starts loading what requests need (server/warm-up.ts). */
  warmUp?: WarmUp;
}

export const CSRF_HEADER = 'x-jitaccess';

/** The SPA loads nothing from elsewhere, so the policy can forbid everything else. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export function createApp(deps: AppDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (deps.warmUp) app.use(deps.warmUp.onRequest);
  app.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.get('/health/alive', (_req, res) => {
    res.json({ healthy: true });
  });
  app.get('/health/ready', async (_req, res) => {
    const report = await deps.health.check();
    res.status(report.healthy ? 200 : 503).json(report);
  });

  const api = express.Router();
  api.use(authenticate(deps));
  // Before the CSRF check, so that a signed-in browser can open it; it is the same for everyone.
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  api.use(requireCsrfHeader);
  // Bodies are read only for callers who signed in: others learn nothing but that they must (401).
  api.use(express.json({ limit: '64kb', type: () => true }));
  // After the body is read: what a request's checks read from Google is shared by them (services/request-reads.ts).
  api.use((_req, _res, next) => withRequestReads(next));
  api.use('/v1', apiRoutes(deps));
  api.use('/v1', grantsRoutes(deps));
  api.use('/v1', approvalRoutes(deps));
  api.use('/v1', inboxRoutes(deps));
  api.use('/v1', adminRoutes(deps));
  api.use('/v1', breakGlassRoutes(deps));
  api.use((req, res) => sendError(res, 404, 'NOT_FOUND', `There is no API route ${req.method} ${req.baseUrl}${req.path}.`));
  app.use('/api', api);
  app.use('/tasks', taskRoutes(deps));

  if (deps.webRoot && existsSync(path.join(deps.webRoot, 'index.html'))) app.use(spaFiles(deps.webRoot));

  app.use(errorHandler);
  return app;
}

function authenticate(deps: AppDependencies) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      setPrincipal(res, await deps.iap.verify(req.get(IAP_HEADER)));
      next();
    } catch (e) {
      deps.audit.record({
        event: 'auth.failed',
        severity: 'WARNING',
        outcome: 'denied',
        message: `Refused ${req.method} ${req.path}: ${(e as Error).message}`,
        path: req.path,
      });
      next(e);
    }
  };
}

/** A custom header forces a CORS preflight, which is never granted: other sites cannot call the API. */
function requireCsrfHeader(req: Request, res: Response, next: NextFunction): void {
  if (req.get(CSRF_HEADER) !== '1') {
    return sendError(res, 403, 'CSRF_HEADER_MISSING', `Every API request must carry the header "X-JITACCESS: 1" (protection against cross-site requests).`);
  }
  next();
}

