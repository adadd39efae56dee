// How a failed user action is reported: the error the caller gets, and the fields of its audit entry.
import { InvalidInputError } from '../domain/invalid-input-error';
import { AppError, invalidInput } from '../errors';
import type { AuditEvent } from './audit';

/** The error to answer with: a domain rule's refusal becomes a 400, anything else stays what it is. */
export function asAppError(e: unknown): AppError | Error {
  if (e instanceof AppError) return e;
  if (e instanceof InvalidInputError) return invalidInput(e.message);
  return e instanceof Error ? e : new Error(String(e));
}

/** A refusal (4xx) is `denied`, anything else a `failure`; the error's code and message go with it. */
export function failureOf(error: Error): Pick<AuditEvent, 'severity' | 'outcome' | 'error'> {
  const denied = error instanceof AppError && error.httpStatus < 500;
  return {
    severity: 'WARNING',
    outcome: denied ? 'denied' : 'failure',
    error: { code: error instanceof AppError ? error.code : 'INTERNAL', message: error.message },
  };
}
