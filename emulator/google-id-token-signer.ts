// Google's own OpenID Connect signing key (not a service account's): it signs the ID tokens of IAM
// Credentials `generateIdToken` and of the OAuth token endpoint, and Google publishes it at
// `https://www.googleapis.com/oauth2/v3/certs`. Its own module because the API routes sign with it and the
// IAP proxy verifies with it, so neither has to import the other.
import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, createLocalJWKSet, type JWTPayload } from 'jose';

const generateRsaKeyPair = promisify(generateKeyPair);

export const GOOGLE_ID_TOKEN_ISSUER = 'https://accounts.google.com';
/** Google's ID tokens live one hour. */
export const ID_TOKEN_LIFETIME_SECONDS = 3600;

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export class GoogleIdTokenSigner {
  // One per emulator, made on first use (a 2048-bit RSA key takes a moment).
  private key: Promise<SigningKey> | undefined;

  private signingKey(): Promise<SigningKey> {
    return (this.key ??= createKey());
  }

  async sign(claims: JWTPayload): Promise<string> {
    const k = await this.signingKey();
    return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: k.kid, typ: 'JWT' }).sign(k.privateKey);
  }

  /** The published key set, `{"keys": [{kty, alg, use, kid, n, e}]}`. */
  async jwks() {
    const k = await this.signingKey();
    const { n, e } = k.publicKey.export({ format: 'jwk' });
    return { keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: k.kid, n: n!, e: e! }] };
  }

  /** What a verifier of Google's ID tokens resolves keys with (by `kid`, as from the published set). */
  async keySet() {
    return createLocalJWKSet(await this.jwks());
  }
}

/** The claims of a service account's ID token, in the order Google writes them; email only when asked for. */
export function serviceAccountIdTokenClaims(email: string, uniqueId: string, audience: string, issuedAt: number, includeEmail: boolean): JWTPayload {
  return {
    aud: audience,
    azp: uniqueId,
    ...(includeEmail ? { email, email_verified: true } : {}),
    exp: issuedAt + ID_TOKEN_LIFETIME_SECONDS,
    iat: issuedAt,
    iss: GOOGLE_ID_TOKEN_ISSUER,
    sub: uniqueId,
  };
}

/**
 * The claims of a person's ID token, as Google signs one after sign-in to an OAuth client (`aud` and `azp` that
 * client), with `hd` for accounts of a managed domain.
 */
export function userIdTokenClaims(email: string, uniqueId: string, clientId: string, hostedDomain: string | undefined, issuedAt: number): JWTPayload {
  return {
    iss: GOOGLE_ID_TOKEN_ISSUER,
    azp: clientId,
    aud: clientId,
    sub: uniqueId,
    ...(hostedDomain ? { hd: hostedDomain } : {}),
    email,
    email_verified: true,
    iat: issuedAt,
    exp: issuedAt + ID_TOKEN_LIFETIME_SECONDS,
  };
}

async function createKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  // Google's key ids are 40 lower-case hex digits; a digest of the public key gives the same shape.
  const kid = createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  return { kid, publicKey, privateKey };
}
