// How the service reaches Google: credentials, the API root (Google or the local emulator), timeouts,
// retries, and the translation of Google's errors into answers a user can act on.
import type { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { AppError } from '../errors';

export interface GoogleEndpoints {
  /** Root URL for the googleapis REST clients; undefined means Google's own hosts. */
  rootUrl?: string;
  /** Where IAP publishes its signing keys (JWKS). */
  iapJwksUrl: string;
  /** Where a service account's public keys (JWKS) are published. */
  serviceAccountJwksUrl(email: string): string;
  /** Where Google publishes the keys that sign its OIDC ID tokens (Cloud Scheduler's, for instance). */
  googleIdTokenJwksUrl: string;
}

export function googleEndpoints(emulatorEndpoint?: string): GoogleEndpoints {
  if (emulatorEndpoint) {
    return {
      rootUrl: `${emulatorEndpoint}/`,
      iapJwksUrl: `${emulatorEndpoint}/iap/verify/public_key-jwk`,
      serviceAccountJwksUrl: (email) => `${emulatorEndpoint}/service_accounts/v1/metadata/jwk/${encodeURIComponent(email)}`,
      googleIdTokenJwksUrl: `${emulatorEndpoint}/oauth2/v3/certs`,
    };
  }
  return {
    iapJwksUrl: 'https://www.gstatic.com/iap/verify/public_key-jwk',
    serviceAccountJwksUrl: (email) => `https://www.googleapis.com/service_accounts/v1/metadata/jwk/${encodeURIComponent(email)}`,
    googleIdTokenJwksUrl: 'https://www.googleapis.com/oauth2/v3/certs',
  };
}

/** The emulator maps bearer tokens to principals; the service presents this one (its own account). */
export const EMULATOR_ACCESS_TOKEN = 'jit-access-service';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/**
 * Node's own fetch for every Google call: gaxios would otherwise load node-fetch with a dynamic import
 * on first use, which costs start-up time and fails inside Jest's module system.
 */
const transporterOptions = { fetchImplementation: fetch };

/**
 * The service's credentials, created when the first Google API is called: google-auth-library, like the
 * googleapis modules (see {@link lazyClient}), takes a good part of start-up time to load, and start-up
 * calls no Google API.
 */
export type GoogleCredentials = () => GoogleAuth | OAuth2Client;

export function googleCredentials(emulatorEndpoint?: string): GoogleCredentials {
  let credentials: GoogleAuth | OAuth2Client | undefined;
  return () => (credentials ??= createCredentials(emulatorEndpoint));
}

function createCredentials(emulatorEndpoint?: string): GoogleAuth | OAuth2Client {
  const { GoogleAuth, OAuth2Client } = require('google-auth-library') as typeof import('google-auth-library');
  if (emulatorEndpoint) {
    const client = new OAuth2Client({ transporterOptions });
    client.setCredentials({ access_token: EMULATOR_ACCESS_TOKEN });
    return client;
  }
  return new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], clientOptions: { transporterOptions } });
}

export interface Timeouts {
  connectMs: number;
  readMs: number;
  writeMs: number;
}

/** Options for the googleapis clients of one API. */
function clientOptions(auth: GoogleCredentials, endpoints: GoogleEndpoints) {
  return { auth: auth(), ...(endpoints.rootUrl ? { rootUrl: endpoints.rootUrl } : {}), userAgentDirectives: [{ product: 'jit-access', version: '1' }] };
}

/** The googleapis client of one API, built on its first call (its module is loaded then, too). */
export function lazyClient<T>(auth: GoogleCredentials, endpoints: GoogleEndpoints, build: (options: ReturnType<typeof clientOptions>) => T): () => T {
  let client: T | undefined;
  return () => (client ??= build(clientOptions(auth, endpoints)));
}

const READ_RETRIES = 2;
const FIRST_RETRY_DELAY_MS = 250;

/**
 * Per-call options. Reads are idempotent and retried on 5xx, on a connection dropped before any answer,
 * and on 429 (quota) unless `retryQuota` is false (a per-day quota does not come back within a request),
 * with exponential backoff or Google's Retry-After, as long as the wait ends before the read timeout, the request's deadline. Writes are not
 * retried here (an IAM write is retried only as a whole read-modify-write, by the policy writer).
 */
export function readOptions(timeouts: Timeouts, retryQuota = true) {
  const deadline = Date.now() + timeouts.readMs;
  const delayOf = (err: RetryableError) => {
    const attempt = err.config?.retryConfig?.currentRetryAttempt ?? 0;
    return Math.max(FIRST_RETRY_DELAY_MS * 2 ** attempt, retryAfterMs(err));
  };
  return {
    timeout: timeouts.readMs,
    retry: true,
    retryConfig: {
      retry: READ_RETRIES,
      httpMethodsToRetry: ['GET', 'POST'],
      // A read that timed out is not retried: the timeout is the budget the operator configured.
      noResponseRetries: 0,
      shouldRetry: (err: RetryableError) => {
        const status = err.response?.status;
        if ((err.config?.retryConfig?.currentRetryAttempt ?? 0) >= READ_RETRIES) return false;
        if (status === undefined ? !isDroppedConnection(err) : status < 500 && !(status === 429 && retryQuota)) return false;
        return Date.now() + delayOf(err) < deadline;
      },
      retryBackoff: (err: RetryableError) => new Promise<void>((resolve) => setTimeout(resolve, delayOf(err))),
    },
  };
}

interface RetryableError {
  config?: { retryConfig?: { currentRetryAttempt?: number } };
  response?: { status?: number; headers?: unknown };
}

/** Codes of a connection lost before any answer (Node's fetch reports `UND_ERR_SOCKET`), somewhere in an error's causes. */
const DROPPED_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * Whether a call failed because its connection was dropped before an answer — a kept-alive connection
 * the other side closed as it was reused, say. A read is sent again; a timeout is not such a failure.
 */
function isDroppedConnection(err: unknown): boolean {
  let cause = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; cause && depth < 5; depth++, cause = cause.cause as typeof cause) {
    if (typeof cause.code === 'string' && DROPPED_CONNECTION_CODES.has(cause.code)) return true;
  }
  return false;
}

/** Google's Retry-After (seconds), when it sends one. */
function retryAfterMs(err: RetryableError): number {
  const headers = err.response?.headers as { get?: (name: string) => string | null } | Record<string, string> | undefined;
  const value = typeof headers?.get === 'function' ? headers.get('retry-after') : (headers as Record<string, string> | undefined)?.['retry-after'];
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

export function writeOptions(timeouts: Timeouts, headers?: Record<string, string>) {
  return { timeout: timeouts.writeMs, retry: false, ...(headers ? { headers } : {}) };
}

interface GaxiosLikeError {
  status?: number;
  code?: string | number;
  message?: string;
  name?: string;
  cause?: { name?: string };
  response?: { status?: number; data?: { error?: { message?: string; status?: string } } };
}

/** The HTTP status of a failed Google call, or undefined when no response came back. */
export function statusOf(e: unknown): number | undefined {
  const err = e as GaxiosLikeError;
  return err?.response?.status ?? (typeof err?.status === 'number' ? err.status : undefined);
}

/** Google's own error message, without the client library's decoration. */
export function googleMessageOf(e: unknown): string {
  const err = e as GaxiosLikeError;
  return err?.response?.data?.error?.message ?? err?.message ?? String(e);
}

/**
 * Whether a call ran out of time. With fetch, gaxios reports its timeout as code `TimeoutError` (the
 * abort signal's reason); its message varies ("Unexpected Gaxios Error" in some runtimes), so the message
 * is only the last resort.
 */
export function isTimeout(e: unknown): boolean {
  const err = e as GaxiosLikeError;
  return (
    err?.code === 'TimeoutError' ||
    err?.cause?.name === 'TimeoutError' ||
    err?.name === 'AbortError' ||
    err?.code === 'ETIMEDOUT' ||
    err?.code === 'ECONNABORTED' ||
    /timeout|timed out|aborted/i.test(err?.message ?? '')
  );
}

/**
 * Translates a failed Google call into an AppError. `what` names the call in words
 * ("reading the IAM policy of project prod-app") so the message says what failed.
 */
export function backendError(e: unknown, what: string): AppError {
  if (e instanceof AppError) return e;
  const status = statusOf(e);
  const message = googleMessageOf(e);
  if (status === undefined) {
    if (isTimeout(e)) return new AppError(504, 'BACKEND_TIMEOUT', `Google did not answer in time while ${what}. Try again in a minute.`);
    return new AppError(503, 'BACKEND_UNAVAILABLE', `Google could not be reached while ${what}: ${message}`);
  }
  if (status === 401) return new AppError(502, 'BACKEND_UNAUTHENTICATED', `Google rejected the service's credentials while ${what}: ${message}`);
  if (status === 403) {
    return new AppError(502, 'BACKEND_PERMISSION_DENIED', `The service's account lacks a permission for ${what}: ${message} — see docs/deploy.md for the roles it needs.`);
  }
  if (status === 404) return new AppError(502, 'BACKEND_NOT_FOUND', `Google did not find what the service asked for while ${what}: ${message}`);
  if (status === 409 || status === 412) return new AppError(409, 'CONFLICT', `Concurrent changes kept conflicting while ${what}. Try again.`);
  if (status === 429) {
    return new AppError(429, 'QUOTA_EXCEEDED', `Google's API quota is exhausted (${what}). Try again in a minute; if this persists, ask the administrator to request a higher quota. Google said: ${message}`);
  }
  const role = status === 400 ? /Role (\S+?) (?:is not supported for this resource|does not exist)/i.exec(message) : null;
  if (role) {
    return new AppError(
      400,
      'ROLE_NOT_GRANTABLE',
      `The role ${role[1].replace(/^\(|\)\.?$|\.$/g, '')} cannot be granted on this resource (Google: ${message}). Roles of folders, organizations or billing accounts cannot be activated on a project; ask an administrator to make a project-level role eligible instead.`,
    );
  }
  if (status >= 500) return new AppError(503, 'BACKEND_UNAVAILABLE', `Google's API failed while ${what} (HTTP ${status}). Try again in a minute.`);
  return new AppError(502, 'BACKEND_REJECTED', `Google rejected the request while ${what}: ${message}`);
}
