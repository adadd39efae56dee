// Turns whatever a handler threw into `{"error": {code, message}}` with the right status. A user's
// mistake is always a 4xx that names the problem; an unexpected failure is a 500 with a reference id.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { AppError } from '../errors';
import { redactTokens } from '../domain/redaction';

/** The first problem of a zod error, named by its field: `durationMinutes: must be a whole number`. */
export function describeZodError(error: z.ZodError, where: string): string {
  const issue = error.issues[0];
  const field = issue.path.length > 0 ? issue.path.join('.') : where;
  if (issue.code === 'unrecognized_keys') return `${where}: unknown field "${issue.keys[0]}"`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${field}: is required`;
  return `${field}: ${issue.message}`;
}

export function sendError(res: Response, status: number, code: string, message: string, details?: Record<string, unknown>): void {
  res.status(status).json({ error: { code, message, ...details } });
}

export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  if (res.headersSent) return;
  if (err instanceof AppError) return sendError(res, err.httpStatus, err.code, err.message, err.details);
  const bodyError = err as { type?: string; status?: number };
  if (bodyError?.type === 'entity.parse.failed') return sendError(res, 400, 'INVALID_ARGUMENT', 'The request body is not valid JSON.');
  if (bodyError?.type === 'entity.too.large') return sendError(res, 413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.');
  if (bodyError?.type === 'charset.unsupported' || bodyError?.type === 'encoding.unsupported') {
    return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 JSON.');
  }
  if (typeof bodyError?.status === 'number' && bodyError.status >= 400 && bodyError.status < 500) {
    return sendError(res, bodyError.status, 'INVALID_ARGUMENT', 'The request could not be read.');
  }
  const reference = randomUUID();
  process.stderr.write(
    `${JSON.stringify({ severity: 'ERROR', message: redactTokens(`Unhandled error on ${req.method} ${req.path}: ${(err as Error)?.stack ?? String(err)}`), reference })}\n`,
  );
  sendError(res, 500, 'INTERNAL', `Something went wrong on our side (reference ${reference}). Try again; if it persists, give this reference to your administrator.`);
}
