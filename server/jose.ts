// jose, loaded when the first token is verified rather than at start-up, which verifies none.
import type { JWTVerifyGetKey } from 'jose';

type Jose = typeof import('jose');

let loaded: Jose | undefined;

export function jose(): Jose {
  return (loaded ??= require('jose') as Jose);
}

/** The keys published as a JWKS at `url`: fetched when a token first needs them, then cached for an hour. */
export function remoteKeys(url: string): JWTVerifyGetKey {
  let keys: JWTVerifyGetKey | undefined;
  return (header, token) => (keys ??= jose().createRemoteJWKSet(new URL(url), { cacheMaxAge: 60 * 60 * 1000, cooldownDuration: 30_000 }))(header, token);
}
