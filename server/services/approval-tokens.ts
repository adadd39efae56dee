// Approval requests as signed tokens: signed through IAM Credentials as the service's own account, and
// accepted only when that account's published key verifies them (RS256, our issuer and audience, not
// expired). Whoever holds a token can read it, but only the people named in it can act on it.
import { createRemoteJWKSet, jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { approvalClaims, approvalRequestOf, type ApprovalRequest } from '../domain/approval-request';
import { InvalidInputError } from '../domain/invalid-input-error';
import type { IamCredentials } from '../google/iam-credentials';
import { AppError, forbidden, invalidInput } from '../errors';

export class ApprovalTokens {
  private readonly keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(
    private readonly iamCredentials: IamCredentials,
    /** The service account that signs, and the issuer and audience of every token. */
    private readonly serviceAccount: string,
    jwksUrl: string,
  ) {
    this.keys = createRemoteJWKSet(new URL(jwksUrl), { cacheMaxAge: 60 * 60 * 1000, cooldownDuration: 30_000 });
  }

  sign(request: ApprovalRequest): Promise<string> {
    return this.iamCredentials.signJwt(this.serviceAccount, approvalClaims(request, this.serviceAccount));
  }

  /** The request a token carries, after every check; an AppError that says what is wrong otherwise. */
  async verify(jwt: string): Promise<ApprovalRequest> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, this.keys, {
        algorithms: ['RS256'],
        issuer: this.serviceAccount,
        audience: this.serviceAccount,
        requiredClaims: ['exp', 'iat', 'jti'],
      }));
    } catch (e) {
      throw this.rejection(e);
    }
    try {
      return approvalRequestOf(payload);
    } catch (e) {
      if (e instanceof InvalidInputError) throw invalidToken(e.message);
      throw e;
    }
  }

  private rejection(e: unknown): AppError {
    if (e instanceof joseErrors.JWTExpired) {
      const exp = typeof e.payload.exp === 'number' ? ` at ${new Date(e.payload.exp * 1000).toISOString()}` : '';
      return new AppError(410, 'REQUEST_EXPIRED', `This approval request expired${exp} and can no longer be approved: ask the requester to send a new one.`);
    }
    if (e instanceof joseErrors.JWKSTimeout || !(e instanceof joseErrors.JOSEError)) {
      return new AppError(503, 'SIGNING_KEYS_UNAVAILABLE', `The public keys of ${this.serviceAccount} could not be fetched to check the approval request: ${(e as Error).message}`);
    }
    if (e instanceof joseErrors.JWTInvalid || e instanceof joseErrors.JWSInvalid) {
      return invalidInput('The approval link is damaged or incomplete: open the link from the email again, in full.');
    }
    if (e instanceof joseErrors.JWTClaimValidationFailed) {
      if (e.claim === 'iss' || e.claim === 'aud') return invalidToken(`it was issued for another service (expected ${this.serviceAccount})`);
      return invalidToken(`its claim "${e.claim}" is invalid`);
    }
    if (e instanceof joseErrors.JOSEAlgNotAllowed) return invalidToken('it is not signed with RS256');
    if (e instanceof joseErrors.JWKSNoMatchingKey) return invalidToken(`it is not signed by ${this.serviceAccount}`);
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) return invalidToken('its signature does not match its content');
    return invalidToken((e as Error).message);
  }
}

function invalidToken(reason: string): AppError {
  return forbidden('INVALID_APPROVAL_TOKEN', `This approval request is not valid: ${reason.replace(/\.$/, '')}. Nothing was granted.`);
}
