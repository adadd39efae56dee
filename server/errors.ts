// Errors the service answers with: an HTTP status, a stable machine-readable code and a message a user
// can act on. Services throw them; the HTTP layer turns them into `{"error": {code, message}}`.
export class AppError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: string,
    message: string,
    /** Extra fields for the response body, e.g. which notifications failed. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const invalidInput = (message: string) => new AppError(400, 'INVALID_ARGUMENT', message);
export const unauthenticated = (message: string) => new AppError(401, 'UNAUTHENTICATED', message);
export const forbidden = (code: string, message: string) => new AppError(403, code, message);
export const notEligible = (message: string) => new AppError(403, 'NOT_ELIGIBLE', message);
export const notFound = (message: string) => new AppError(404, 'NOT_FOUND', message);
export const conflict = (message: string) => new AppError(409, 'CONFLICT', message);
