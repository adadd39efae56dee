// Google's HTTP conventions: the error envelope, strict request checking and a small regex router.
import type { Request, Response } from 'express';
import { z } from 'zod';

export type GoogleStatus =
  | 'INVALID_ARGUMENT'
  | 'FAILED_PRECONDITION'
  | 'OUT_OF_RANGE'
  | 'UNAUTHENTICATED'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'ABORTED'
  | 'ALREADY_EXISTS'
  | 'RESOURCE_EXHAUSTED'
  | 'CANCELLED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNIMPLEMENTED';

export const httpCodeOf: Record<GoogleStatus, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

const legacyReason: Partial<Record<GoogleStatus, string>> = {
  INVALID_ARGUMENT: 'badRequest',
  FAILED_PRECONDITION: 'failedPrecondition',
  UNAUTHENTICATED: 'authError',
  PERMISSION_DENIED: 'forbidden',
  NOT_FOUND: 'notFound',
  ABORTED: 'aborted',
  ALREADY_EXISTS: 'alreadyExists',
  RESOURCE_EXHAUSTED: 'rateLimitExceeded',
  INTERNAL: 'backendError',
  UNAVAILABLE: 'backendError',
  DEADLINE_EXCEEDED: 'deadlineExceeded',
};

/** An error answered in Google's envelope: `{"error": {code, message, status, errors, details}}`. */
export class GoogleApiError extends Error {
  constructor(
    readonly status: GoogleStatus,
    message: string,
    readonly details: object[] = [],
    readonly httpCode: number = httpCodeOf[status],
  ) {
    super(message);
  }

  toJSON() {
    return {
      error: {
        code: this.httpCode,
        message: this.message,
        status: this.status,
        errors: [{ message: this.message, domain: 'global', reason: legacyReason[this.status] ?? 'unknown' }],
        ...(this.details.length > 0 ? { details: this.details } : {}),
      },
    };
  }
}

export const invalidArgument = (message: string) => new GoogleApiError('INVALID_ARGUMENT', message);
export const permissionDenied = (message = 'The caller does not have permission') => new GoogleApiError('PERMISSION_DENIED', message);
export const notFound = (message: string) => new GoogleApiError('NOT_FOUND', message);

/**
 * An IAM denial with the ErrorInfo detail Google attaches (`IAM_PERMISSION_DENIED`, the permission in
 * the metadata), so clients can tell which permission is missing. APIs differ in their wording only.
 */
export function iamPermissionDenied(permission: string, resource: string, message = `Permission '${permission}' denied on resource (or it may not exist).`): GoogleApiError {
  return new GoogleApiError('PERMISSION_DENIED', message, [
    { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'IAM_PERMISSION_DENIED', domain: 'iam.googleapis.com', metadata: { permission, resource } },
  ]);
}

export function sendError(res: Response, err: GoogleApiError): void {
  if (err.status === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/"');
  res.status(err.httpCode).type('application/json; charset=UTF-8').send(JSON.stringify(err.toJSON()));
}

/** System parameters every Google API accepts on any method. */
const SYSTEM_PARAMS = new Set(['alt', '$alt', 'prettyPrint', '$prettyPrint', 'fields', 'key', 'quotaUser', '$.xgafv', 'access_token', 'callback']);

/** Query parameters as a map of repeated values, after rejecting names the method does not know. */
export function strictQuery(req: Request, allowed: readonly string[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const search = new URL(req.originalUrl, 'http://x').searchParams;
  for (const [name, value] of search) {
    if (SYSTEM_PARAMS.has(name)) continue;
    if (!allowed.includes(name)) {
      throw invalidArgument(
        `Invalid JSON payload received. Unknown name "${name}": Cannot bind query parameter. Field '${name}' could not be found in request message.`,
      );
    }
    result.set(name, [...(result.get(name) ?? []), value]);
  }
  return result;
}

export function single(query: Map<string, string[]>, name: string): string | undefined {
  const values = query.get(name);
  if (values && values.length > 1) throw invalidArgument(`Invalid value at '${name}': repeated values for a singular field.`);
  return values?.[0];
}

export function queryBool(query: Map<string, string[]>, name: string): boolean | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw invalidArgument(`Invalid value at '${name}' (TYPE_BOOL), "${v}"`);
  return v === 'true';
}

export function queryInt(query: Map<string, string[]>, name: string): number | undefined {
  const v = single(query, name);
  if (v === undefined) return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw invalidArgument(`Invalid value at '${name}' (TYPE_INT32), "${v}"`);
  return Number(v);
}

/**
 * Parses a JSON body with a strict zod schema, answering unknown fields the way Google's JSON front end
 * does: `Invalid JSON payload received. Unknown name "x" at 'policy': Cannot find field.`
 */
export function strictBody<T extends z.ZodType>(req: Request, schema: T): z.infer<T> {
  const body = req.body === undefined || (typeof req.body === 'object' && req.body !== null && Object.keys(req.body).length === 0 && !req.is('application/json')) ? {} : req.body;
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue.path.length > 0 ? ` at '${issue.path.join('.')}'` : '';
  if (issue.code === 'unrecognized_keys') {
    return failUnknown(issue.keys[0], at);
  }
  throw invalidArgument(`Invalid JSON payload received${at}: ${issue.message}`);
}

function failUnknown(key: string, at: string): never {
  throw invalidArgument(`Invalid JSON payload received. Unknown name "${key}"${at}: Cannot find field.`);
}

export type Handler = (req: Request, res: Response, match: RegExpMatchArray) => Promise<unknown> | unknown;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  pattern: RegExp;
  /** API family for faults and latency, e.g. `cloudresourcemanager`. */
  api: string;
  /** Method name for the call counter, e.g. `cloudresourcemanager.projects.getIamPolicy`. */
  name: string;
  /** Permissions are enforced by the handler; a route marked public skips bearer authentication. */
  public?: boolean;
  /** A public route that injected latency and errors still reach (the chat webhooks). */
  faults?: boolean;
  handler: Handler;
}
