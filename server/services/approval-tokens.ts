// Approval requests as signed tokens: signed through IAM Credentials as the service's own account, and
// accepted only when that account's published key verifies them (RS256, our issuer and audience, not
// expired). Whoever holds a token can read it, but only the people named in it can act on it. The same
// account signs each request's record (domain/request-record), which says where a logged request came from.
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { jose, remoteKeys } from '../jose';
import { systemClock, type Clock } from '../clock';
import { approvalClaims, approvalRequestOf, type ApprovalRequest } from '../domain/approval-request';
import { InvalidInputError } from '../domain/invalid-input-error';
import { compactJwtOf, requestRecordClaims, requestRecordOf, type RequestRecord } from '../domain/request-record';
import type { IamCredentials } from '../google/iam-credentials';
import { AppError, forbidden, invalidInput } from '../errors';

export class ApprovalTokens {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    private readonly iamCredentials: IamCredentials,
    /** The service account that signs, and the issuer and audience of every token. */
    private readonly serviceAccount: string,
    jwksUrl: string,
    private readonly now: Clock = systemClock,
  ) {
    this.keys = remoteKeys(jwksUrl);
  }

  sign(request: ApprovalRequest): Promise<string> {
    return this.iamCredentials.signJwt(this.serviceAccount, approvalClaims(request, this.serviceAccount));
  }

  /** The request's record, signed as its token is: one more signJwt per request. */
  async signRecord(request: ApprovalRequest): Promise<RequestRecord> {
    return requestRecordOf(await this.iamCredentials.signJwt(this.serviceAccount, requestRecordClaims(request, this.serviceAccount)));
  }

  /**
   * Whether a record vouches for a request: signed with one of the account's published keys, and its claims
   * exactly the record claims of that request (issuer and record audience included). Its expiry is not checked:
   * a record tells where a request came from, it never allows anything. Null when it vouches; throws when the
   * keys cannot be fetched.
   */
  async recordProblem(record: RequestRecord, request: ApprovalRequest): Promise<'not-signed' | 'other-request' | null> {
    const { errors, compactVerify } = jose();
    let payload: Uint8Array;
    try {
      ({ payload } = await compactVerify(compactJwtOf(record), this.keys, { algorithms: ['RS256'] }));
    } catch (e) {
      if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid || !(e instanceof errors.JOSEError)) {
        throw new AppError(503, 'SIGNING_KEYS_UNAVAILABLE', `The public keys of ${this.serviceAccount} could not be fetched to check a request record: ${(e as Error).message}`);
      }
      return 'not-signed';
    }
    let claims: unknown;
    try {
      claims = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return 'other-request';
    }
    return isDeepStrictEqual(claims, requestRecordClaims(request, this.serviceAccount)) ? null : 'other-request';
  }

  /** The request a token carries, after every check; an AppError that says what is wrong otherwise. */
  async verify(jwt: string): Promise<ApprovalRequest> {
    let payload: JWTPayload;
    try {
      ({ payload } = await this.verified(jwt));
    } catch (e) {
      throw this.rejection(e);
    }
    return requestOf(payload);
  }

  /**
   * Like verify, but an expired request that is otherwise valid (our signature, issuer, audience) is
   * returned too, so that its participants can still see what it asked for; it can never be approved.
   */
  async read(jwt: string): Promise<{ request: ApprovalRequest; expired: boolean }> {
    let payload: JWTPayload;
    let expired = false;
    try {
      ({ payload } = await this.verified(jwt));
    } catch (e) {
      if (!(e instanceof jose().errors.JWTExpired) || typeof e.payload.exp !== 'number') throw this.rejection(e);
      expired = true;
      try {
        // Checked as of the second before it expired: every other check still applies.
        ({ payload } = await this.verified(jwt, new Date((e.payload.exp - 1) * 1000)));
      } catch (again) {
        throw this.rejection(again);
      }
    }
    return { request: requestOf(payload), expired };
  }

  private verified(jwt: string, currentDate: Date = this.now()) {
    return jose().jwtVerify(jwt, this.keys, {
      algorithms: ['RS256'],
      issuer: this.serviceAccount,
      audience: this.serviceAccount,
      requiredClaims: ['exp', 'iat', 'jti'],
      currentDate,
    });
  }

  private rejection(e: unknown): AppError {
    const { errors } = jose();
    if (e instanceof errors.JWTExpired) {
      const exp = typeof e.payload.exp === 'number' ? ` at ${new Date(e.payload.exp * 1000).toISOString()}` : '';
      return new AppError(410, 'REQUEST_EXPIRED', `This approval request expired${exp} and can no longer be approved: ask the requester to send a new one.`);
    }
    if (e instanceof errors.JWKSTimeout || !(e instanceof errors.JOSEError)) {
      return new AppError(503, 'SIGNING_KEYS_UNAVAILABLE', `The public keys of ${this.serviceAccount} could not be fetched to check the approval request: ${(e as Error).message}`);
    }
    if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) {
      return invalidInput('The approval link is damaged or incomplete: open the link from the email again, in full.');
    }
    if (e instanceof errors.JWTClaimValidationFailed) {
      if (e.claim === 'iss' || e.claim === 'aud') return invalidToken(`it was issued for another service (expected ${this.serviceAccount})`);
      return invalidToken(`its claim "${e.claim}" is invalid`);
    }
    if (e instanceof errors.JOSEAlgNotAllowed) return invalidToken('it is not signed with RS256');
    if (e instanceof errors.JWKSNoMatchingKey) return invalidToken(`it is not signed by ${this.serviceAccount}`);
    if (e instanceof errors.JWSSignatureVerificationFailed) return invalidToken('its signature does not match its content');
    return invalidToken((e as Error).message);
  }
}

/**
 * SHA-256 of a signed token, base64url: what the audit log may carry instead of the token. It tells whether a
 * token signed again is the very one issued, and gives nobody the token (docs/security.md).
 */
export function tokenDigest(jwt: string): string {
  return createHash('sha256').update(jwt, 'utf8').digest('base64url');
}

function requestOf(payload: JWTPayload): ApprovalRequest {
  try {
    return approvalRequestOf(payload);
  } catch (e) {
    if (e instanceof InvalidInputError) throw invalidToken(e.message);
    throw e;
  }
}

function invalidToken(reason: string): AppError {
  return forbidden('INVALID_APPROVAL_TOKEN', `This approval request is not valid: ${reason.replace(/\.$/, '')}. Nothing was granted.`);
}
