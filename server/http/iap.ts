// Identity-Aware Proxy: every request reaches the service through IAP, which signs who the user is in the
// x-goog-iap-jwt-assertion header. The assertion is the only identity the service trusts.
import type { JWTPayload, JWTVerifyGetKey } from 'jose';
import { jose, remoteKeys } from '../jose';
import { systemClock, type Clock } from '../clock';
import { AppError, unauthenticated } from '../errors';

export const IAP_ISSUER = 'https://cloud.google.com/iap';
export const IAP_HEADER = 'x-goog-iap-jwt-assertion';

export interface IapPrincipal {
  /** Lower-cased, as jit-access does: IAM member strings are compared case-insensitively. */
  email: string;
  userId: string;
  deviceId: string;
  accessLevels: string[];
}

export class IapVerifier {
  private readonly keys: JWTVerifyGetKey;

  /** `audience` undefined means the audience is not checked (IAP_VERIFY_AUDIENCE=false). */
  constructor(
    jwksUrl: string,
    readonly audience: string | undefined,
    private readonly now: Clock = systemClock,
  ) {
    this.keys = remoteKeys(jwksUrl);
  }

  async verify(assertion: string | undefined): Promise<IapPrincipal> {
    if (!assertion) {
      throw unauthenticated(`This service must be reached through Identity-Aware Proxy: the request has no ${IAP_HEADER} header.`);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jose().jwtVerify(assertion, this.keys, {
        issuer: IAP_ISSUER,
        audience: this.audience,
        algorithms: ['ES256'],
        // IAP's guidance: allow 30 seconds of clock skew; `iat` must be in the past, and an assertion
        // lives at most 10 minutes (so one issued earlier is refused whatever its `exp` says).
        clockTolerance: 30,
        maxTokenAge: '10m',
        requiredClaims: ['exp', 'iat', 'email', 'sub'],
        currentDate: this.now(),
      }));
    } catch (e) {
      const { errors } = jose();
      if (e instanceof errors.JWKSTimeout || !(e instanceof errors.JOSEError)) {
        throw new AppError(503, 'IAP_KEYS_UNAVAILABLE', `IAP's signing keys could not be fetched to check the sign-in: ${(e as Error).message}`);
      }
      throw unauthenticated(`The IAP assertion was rejected: ${reasonOf(e, this.audience)}`);
    }
    const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : '';
    if (!email) throw unauthenticated('The IAP assertion was rejected: it carries no email.');
    const google = (payload.google ?? {}) as { device_id?: unknown; access_levels?: unknown };
    return {
      email,
      userId: String(payload.sub),
      deviceId: typeof google.device_id === 'string' ? google.device_id : 'unknown',
      accessLevels: Array.isArray(google.access_levels) ? google.access_levels.filter((l): l is string => typeof l === 'string') : [],
    };
  }
}

function reasonOf(e: unknown, audience: string | undefined): string {
  const { errors } = jose();
  if (e instanceof errors.JWTExpired) return 'it has expired.';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return `it was issued for another application (expected audience ${audience}).`;
    if (e.claim === 'iss') return `it was not issued by IAP (expected issuer ${IAP_ISSUER}).`;
    if (e.claim === 'iat' || e.claim === 'nbf') return 'it is not valid yet (check the clocks).';
    return `the claim "${e.claim}" is invalid.`;
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return 'it is not signed with ES256.';
  if (e instanceof errors.JWKSNoMatchingKey) return 'it is signed with a key IAP does not publish.';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'its signature is invalid.';
  return 'it is malformed.';
}
