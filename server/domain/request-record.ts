// A request record: the claims of an approval request, signed at its creation by the same account as its token
// but for another audience, and logged in full in the request's `request.created` entry. It lets the sweeper
// check, after the request expired (when Google no longer signs its claims again), that a logged request is one
// the service made. It grants nothing: no verifier of approval requests accepts its audience (docs/security.md).
import { z } from 'zod';
import { approvalClaims, type ApprovalRequest } from './approval-request';

/** The audience of a request record: never the service account itself, which approval requests carry. */
export function requestRecordAudience(serviceAccount: string): string {
  return `${serviceAccount}/request-record`;
}

/** The claims of a request's record: those of its token, for the record's audience. */
export function requestRecordClaims(request: ApprovalRequest, serviceAccount: string): Record<string, unknown> {
  return { ...approvalClaims(request, serviceAccount), aud: requestRecordAudience(serviceAccount) };
}

/**
 * A signed record in the flattened JWS JSON serialization (RFC 7515 §7.2.2): the three parts of the compact
 * JWT Google signed, apart. Logged this way because the audit log scrubs every compact JWT from what it writes.
 */
export interface RequestRecord {
  readonly protected: string;
  readonly payload: string;
  readonly signature: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

export const requestRecordSchema = z.object({
  protected: z.string().regex(BASE64URL).max(2000),
  payload: z.string().regex(BASE64URL).max(200_000),
  signature: z.string().regex(BASE64URL).max(2000),
});

/** A compact JWT (`header.payload.signature`) as a record. */
export function requestRecordOf(jwt: string): RequestRecord {
  const [header, payload, signature, ...rest] = jwt.split('.');
  const record = requestRecordSchema.safeParse({ protected: header, payload, signature });
  if (rest.length > 0 || !record.success) throw new Error('signJwt returned something other than a compact JWT');
  return record.data;
}

/** The record as the compact JWT it was signed as. */
export function compactJwtOf(record: RequestRecord): string {
  return `${record.protected}.${record.payload}.${record.signature}`;
}
