// The IAP proxy's signing key: ES256, a new key at every start. Its own module because the emulator's
// environment holds one and the IAP proxy uses it, so neither has to import the other.
import { randomBytes, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';

export class IapSigner {
  readonly kid = randomBytes(4).toString('base64url');
  private readonly keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  /** An ES256 JWT over exactly these claims; another `kid` in the header only serves the unknown-key test case. */
  sign(claims: JWTPayload, kid = this.kid): Promise<string> {
    return signEs256(claims, this.keys.privateKey, kid);
  }

  get publicKeyPem(): string {
    return this.keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  get jwk() {
    const { x, y } = this.keys.publicKey.export({ format: 'jwk' });
    return { kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: this.kid, x, y };
  }
}

export function signEs256(claims: JWTPayload, key: KeyObject, kid: string): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid }).sign(key);
}
