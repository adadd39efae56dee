// Composition of the emulator: one HTTP port for the Google APIs and /_emulator, an SMTP port, and
// optionally the IAP proxy in front of the service.
import express, { type Request, type Response, type NextFunction } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmulatorState } from './state';
import type { QuotaCharge } from './quotas';
import { projectOfServiceAccount } from './apis/iamcredentials';
import type { World } from './world';
import { GoogleApiError, sendError, httpCodeOf, type GoogleStatus, type Route } from './http';
import { resourceManagerRoutes } from './apis/resourcemanager';
import { assetRoutes } from './apis/asset';
import { iamCredentialsRoutes } from './apis/iamcredentials';
import { loggingRoutes } from './apis/logging';
import { pubsubRoutes } from './apis/pubsub';
import { cloudIdentityRoutes } from './apis/cloudidentity';
import { secretManagerRoutes } from './apis/secretmanager';
import { oidcRoutes } from './apis/oidc';
import { iamRoutes } from './apis/iam';
import { controlRoutes } from './control';
import { chatSinkRoutes } from './chat-sink';
import { itsmRoutes, type RawBodyRequest } from './itsm';
import { mailboxRoutes, startSmtpServer, type SmtpServerHandle } from './mailbox';
import { oauth2Routes } from './apis/oauth2';
import { iapKeyRoutes, startIapProxy, type IapProxyHandle } from './iap';
import { IapSigner } from './iap-signer';
import { GoogleIdTokenSigner } from './google-id-token-signer';
import { FrontDoor } from './front-door';
import type { EmulatorEnv } from './env';

export interface EmulatorOptions {
  world: World;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  smtpPort?: number;
  /** Starts the IAP proxy on this port (0 = free port) when `upstream` is given. */
  iapPort?: number;
  upstream?: string;
  /** The audience the IAP proxy signs assertions for. */
  iapAudience?: string;
  /** IAP's OAuth client id: the audience of the ID tokens the IAP proxy accepts (programmatic access). */
  iapClientId?: string;
  /** Where state is saved on change and restored from at start. */
  stateFile?: string;
}

export interface RunningEmulator {
  url: string;
  smtpPort: number;
  iapUrl?: string;
  iapAudience: string;
  iapClientId: string;
  state: EmulatorState;
  /** Points the IAP proxy at the service once it is listening. */
  setUpstream(url: string): void;
  close(): Promise<void>;
}

const STATUS_OF_HTTP: Record<number, GoogleStatus> = Object.fromEntries(
  (Object.entries(httpCodeOf) as [GoogleStatus, number][]).map(([status, code]) => [code, status]),
);

export const DEFAULT_IAP_AUDIENCE = '/projects/300000000000/apps/jit-host';
/** Shaped like Google's: the project number, a dash, 32 characters, `.apps.googleusercontent.com`. */
export const DEFAULT_IAP_CLIENT_ID = '300000000000-jitaccessiapemulator0000000000.apps.googleusercontent.com';

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const state = new EmulatorState(options.world);
  if (options.stateFile) state.restore(options.stateFile);

  let baseUrl = '';
  let smtp: SmtpServerHandle | undefined;
  let iap: IapProxyHandle | undefined;
  const env: EmulatorEnv = {
    state,
    get baseUrl() {
      return baseUrl;
    },
    get smtpPort() {
      return smtp?.port ?? 0;
    },
    get iapUrl() {
      return iap?.url;
    },
    iapAudience: options.iapAudience ?? DEFAULT_IAP_AUDIENCE,
    iapClientId: options.iapClientId ?? DEFAULT_IAP_CLIENT_ID,
    iapSigner: new IapSigner(),
    googleIdTokens: new GoogleIdTokenSigner(),
    stateFile: options.stateFile,
  };

  const tokenRoutes = oauth2Routes(env);
  // Through the front door, oauth2.googleapis.com serves its token endpoint and nothing else.
  const frontDoor = new FrontDoor(apiApp(tokenRoutes.filter((r) => r.name === 'oauth2.token'), env));
  const routes: Route[] = [
    ...resourceManagerRoutes(env),
    ...assetRoutes(env),
    ...iamCredentialsRoutes(env),
    ...iamRoutes(env),
    ...loggingRoutes(env),
    ...pubsubRoutes(env),
    ...cloudIdentityRoutes(env),
    ...secretManagerRoutes(env),
    ...oidcRoutes(env),
    ...tokenRoutes,
    ...iapKeyRoutes(env),
    ...controlRoutes(env),
    ...mailboxRoutes(env),
    ...chatSinkRoutes(env),
    ...itsmRoutes(env),
    frontDoor.caRoute(),
  ];

  const app = apiApp(routes, env, options.stateFile);
  const server: Server = await new Promise((resolve, reject) => {
    // Express 5 hands a listen error to the callback; a busy port must fail loudly, not half-start.
    const s = app.listen(options.port ?? 0, host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  frontDoor.attach(server);
  baseUrl = `http://${host}:${(server.address() as AddressInfo).port}`;
  const closeHttp = () =>
    new Promise<void>((resolve) => {
      frontDoor.close();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  try {
    smtp = await startSmtpServer(env, host, options.smtpPort ?? 0);
    if (options.iapPort !== undefined) iap = await startIapProxy(env, host, options.iapPort, options.upstream);
  } catch (error) {
    // A half-started emulator would keep listening behind the error its caller sees (and keep Jest from exiting).
    await Promise.all([closeHttp(), smtp?.close()]);
    throw error;
  }

  return {
    url: baseUrl,
    smtpPort: smtp.port,
    iapUrl: iap?.url,
    iapAudience: env.iapAudience,
    iapClientId: env.iapClientId,
    state,
    setUpstream: (url) => iap?.setUpstream(url),
    close: async () => {
      await Promise.all([closeHttp(), smtp?.close(), iap?.close()]);
    },
  };
}

/** Google's HTTP front end over a set of routes: JSON bodies (forms only where a route reads them), errors in Google's envelope. */
function apiApp(routes: Route[], env: EmulatorEnv, stateFile?: string): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // Every body is read as JSON, whatever its type, except forms (the OAuth token endpoint's). The bytes are
  // kept too: the fake ITSM checks a signature over them.
  app.use(express.json({ limit: '10mb', type: (req) => !isForm(req as Request), verify: (req, _res, buf) => void ((req as RawBodyRequest).rawBody = buf) }));
  app.use(express.urlencoded({ extended: false, limit: '64kb' }));
  app.use((req, res) => dispatch(routes, env, req, res, stateFile));
  app.use((err: Error & { type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.parse.failed') {
      sendError(res, new GoogleApiError('INVALID_ARGUMENT', `Invalid JSON payload received. ${err.message}`));
    } else {
      sendError(res, new GoogleApiError('INTERNAL', `Internal error in the emulator: ${err.message}`));
    }
  });
  return app;
}

function isForm(req: Request): boolean {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

async function dispatch(routes: Route[], env: EmulatorEnv, req: Request, res: Response, stateFile?: string): Promise<void> {
  const { state } = env;
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return sendError(res, new GoogleApiError('INVALID_ARGUMENT', `Malformed percent-encoding in the path ${req.path}`));
  }
  const candidates = routes.filter((r) => r.pattern.test(path));
  const route = candidates.find((r) => r.method === req.method);
  if (!route) {
    if (candidates.length > 0) return sendError(res, new GoogleApiError('INVALID_ARGUMENT', `Method ${req.method} is not allowed on ${path}`, [], 405));
    return sendError(res, new GoogleApiError('NOT_FOUND', `The requested URL ${path} was not found on this server.`));
  }
  const match = path.match(route.pattern)!;
  try {
    if (!route.public) {
      state.recordCall(route.name);
      res.locals.principal = authenticate(env, req);
      state.quotas.charge(route.name, quotaChargeOf(state, res.locals.principal, req, path), state.now());
      await injectFaults(state, route);
    } else if (route.faults) {
      state.recordCall(route.name);
      await injectFaults(state, route);
    }
    const body = await route.handler(req, res, match);
    if (!res.headersSent) res.status(200).json(body ?? {});
    if (stateFile && req.method !== 'GET' && !route.public) state.save(stateFile);
  } catch (e) {
    if (e instanceof GoogleApiError) return sendError(res, e);
    throw e;
  }
}

function authenticate(env: EmulatorEnv, req: Request): string {
  const header = req.get('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) {
    throw new GoogleApiError(
      'UNAUTHENTICATED',
      'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
    );
  }
  return env.state.principalOf(m[1]);
}

/**
 * Who pays for a request: the project named by `x-goog-user-project`, else the project of the calling service
 * account (by number when the world has it), else the caller itself; and the organization of the resource the
 * path names, for the quotas counted per organization.
 */
function quotaChargeOf(state: EmulatorState, principal: string, req: Request, path: string): QuotaCharge {
  const userProject = req.get('x-goog-user-project');
  const accountProject = principal.startsWith('serviceAccount:') ? projectOfServiceAccount(principal.slice('serviceAccount:'.length)) : undefined;
  const projectId = userProject ?? accountProject;
  const consumer = projectId ? `projects/${state.project(projectId)?.number ?? projectId}` : principal;
  const named = /^\/v[0-9]+\/((?:organizations|folders|projects)\/[^/:]+)/.exec(path)?.[1];
  const organization = named ? state.ancestry(named).find((n) => n.startsWith('organizations/')) : undefined;
  return { consumer, organization, securityCommandCenter: state.organization.securityCommandCenter === 'premium' };
}

async function injectFaults(state: EmulatorState, route: Route): Promise<void> {
  const latency = state.faults.latencyMs[route.name] ?? state.faults.latencyMs[route.api] ?? state.faults.latencyMs['*'] ?? 0;
  if (latency > 0) await new Promise((r) => setTimeout(r, latency));
  const key = [route.name, route.api, '*'].find((k) => state.faults.errors[k]);
  if (!key) return;
  const fault = state.faults.errors[key];
  if (Math.random() >= fault.rate) return;
  if (fault.count !== undefined) {
    if (fault.count <= 0) return;
    fault.count -= 1;
  }
  const status = STATUS_OF_HTTP[fault.status] ?? 'UNKNOWN';
  const message =
    fault.status === 429
      ? `Quota exceeded for quota metric '${route.name}' (injected by the emulator).`
      : fault.status === 503
        ? 'The service is currently unavailable (injected by the emulator).'
        : `Injected fault ${fault.status} (emulator).`;
  throw new GoogleApiError(status as GoogleStatus, message, [], fault.status);
}
