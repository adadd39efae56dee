// Google-signed OIDC ID tokens, as Cloud Scheduler sends them (`Authorization: Bearer …`) when a job is
// set up with an OIDC token for a service account: RS256, issuer accounts.google.com, our audience.
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { jose, remoteKeys } from '../jose';
import { systemClock, type Clock } from '../clock';
import { AppError, unauthenticated } from '../errors';

/** Google issues ID tokens under both spellings. */
export const GOOGLE_ID_TOKEN_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

export interface GoogleIdentity {
  /** Lower-cased; only present when the token was requested with the email claim. */
  email: string;
  subject: string;
}

export class GoogleIdTokenVerifier {
  private readonly keys: JWTVerifyGetKey;

  constructor(
    jwksUrl: string,
    private readonly now: Clock = systemClock,
  ) {
    this.keys = remoteKeys(jwksUrl);
  }

  async verify(token: string, audience: string): Promise<GoogleIdentity> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jose().jwtVerify(token, this.keys, {
        issuer: GOOGLE_ID_TOKEN_ISSUERS,
        audience,
        algorithms: ['RS256'],
        clockTolerance: 30,
        requiredClaims: ['exp', 'iat', 'sub'],
        currentDate: this.now(),
      }));
    } catch (e) {
      const { errors } = jose();
      if (e instanceof errors.JWKSTimeout || !(e instanceof errors.JOSEError)) {
        throw new AppError(503, 'GOOGLE_KEYS_UNAVAILABLE', `Google's token signing keys could not be fetched to check the caller: ${(e as Error).message}`);
      }
      throw unauthenticated(`The bearer token was rejected: ${reasonOf(e, audience)}`);
    }
    if (typeof payload.email !== 'string' || payload.email === '') {
      throw unauthenticated('The bearer token was rejected: it carries no email claim (Cloud Scheduler includes it; with gcloud, request the token with --include-email).');
    }
    if (payload.email_verified !== true) throw unauthenticated(`The bearer token was rejected: Google has not verified its email ${payload.email}.`);
    return { email: payload.email.toLowerCase(), subject: String(payload.sub) };
  }
}

function reasonOf(e: unknown, audience: string): string {
  const { errors } = jose();
  if (e instanceof errors.JWTExpired) return 'it has expired.';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return `it was issued for another audience (expected ${audience}; set the Cloud Scheduler job's OIDC audience to it).`;
    if (e.claim === 'iss') return `it was not issued by Google (expected issuer ${GOOGLE_ID_TOKEN_ISSUERS[0]}).`;
    if (e.claim === 'iat' || e.claim === 'nbf') return 'it is not valid yet (check the clocks).';
    return `the claim "${e.claim}" is invalid.`;
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return 'it is not signed with RS256.';
  if (e instanceof errors.JWKSNoMatchingKey) return 'it is signed with a key Google does not publish.';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'its signature is invalid.';
  return 'it is not a Google-signed ID token.';
}
