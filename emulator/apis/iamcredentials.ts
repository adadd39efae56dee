// IAM Service Account Credentials v1: signJwt, and the public key endpoints verifiers fetch
// (`www.googleapis.com/service_accounts/v1/metadata/{jwk,x509}/EMAIL`), served on the emulator's host.
import { createHash, createSign, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { z } from 'zod';
import type { Request, Response } from 'express';
import type { EmulatorEnv } from '../env';
import type { EmulatorState } from '../state';
import { iamPermissionDenied, invalidArgument, notFound, strictBody, strictQuery, type Route } from '../http';
import { selfSignedCertificate } from '../x509';

const generateRsaKeyPair = promisify(generateKeyPair);

/** Google caps a signed JWT's lifetime at 12 hours. */
const MAX_LIFETIME_SECONDS = 12 * 3600;
/** The exp the emulator adds when the caller sends none (the documented behaviour of the IAM v1 signJwt). */
const DEFAULT_LIFETIME_SECONDS = 3600;
/** Keys never rotate in the emulator, so verifiers may cache them as long as Google's caches live. */
const KEY_CACHE_CONTROL = 'public, max-age=21600, must-revalidate, no-transform';

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certificate: string;
}

const signJwtBody = z
  .object({
    payload: z.string().optional(),
    delegates: z.array(z.string()).optional(),
  })
  .strict();

/** The project a service account belongs to, from the three email forms Google issues. */
export function projectOfServiceAccount(email: string): string | undefined {
  const userManaged = /^[^@]+@([a-z][-a-z0-9]{4,28}[a-z0-9])\.iam\.gserviceaccount\.com$/.exec(email);
  if (userManaged) return userManaged[1];
  const appEngine = /^([a-z][-a-z0-9]{4,28}[a-z0-9])@appspot\.gserviceaccount\.com$/.exec(email);
  if (appEngine) return appEngine[1];
  const compute = /^([0-9]+)-compute@developer\.gserviceaccount\.com$/.exec(email);
  return compute?.[1];
}

/** `projects/-/serviceAccounts/EMAIL` → the email, lower case; anything else is a 400. */
function accountOf(name: string, field: string): string {
  const m = /^projects\/([^/]+)\/serviceAccounts\/([^/]+)$/.exec(name);
  if (!m) throw invalidArgument(`Invalid ${field} "${name}": expected projects/-/serviceAccounts/EMAIL_OR_UNIQUE_ID.`);
  if (m[1] !== '-') {
    throw invalidArgument(`Invalid ${field} "${name}": the project must be the wildcard '-' (projects/-/serviceAccounts/${m[2]}); the account's own project is inferred from it.`);
  }
  return m[2].toLowerCase();
}

/**
 * The service account a credentials call (signJwt, generateIdToken) acts as, once the caller is allowed
 * to: each link of the delegation chain needs implicitDelegation on the next account, the last needs
 * `permission` on the target. Unknown accounts deny like missing permissions.
 */
export function actingServiceAccount(state: EmulatorState, principal: string, name: string, delegateNames: readonly string[], permission: string): string {
  const email = accountOf(name, 'name');
  const delegates = delegateNames.map((d, i) => accountOf(d, `delegates[${i}]`));
  const chain = [principal, ...delegates.map((d) => `serviceAccount:${d}`)];
  const targets = [...delegates, email];
  for (let i = 0; i < targets.length; i++) {
    const needed = i === targets.length - 1 ? permission : 'iam.serviceAccounts.implicitDelegation';
    const project = projectOfServiceAccount(targets[i]);
    const allowed =
      state.serviceAccounts.includes(targets[i]) && project !== undefined && state.hasPermission(chain[i], needed, `projects/${project}/serviceAccounts/${targets[i]}`);
    if (!allowed) throw iamPermissionDenied(needed, `projects/-/serviceAccounts/${targets[i]}`);
  }
  return email;
}

export function iamCredentialsRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  // Per emulator, not per state: a reset must not invalidate tokens signed before it.
  const keys = new Map<string, Promise<SigningKey>>();

  const keyOf = (email: string): Promise<SigningKey> => {
    let key = keys.get(email);
    if (!key) {
      key = createKey(email, state.now());
      keys.set(email, key);
    }
    return key;
  };

  const signJwt = async (req: Request, res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    const body = strictBody(req, signJwtBody);
    const email = actingServiceAccount(state, res.locals.principal as string, `projects/${match[1]}/serviceAccounts/${match[2]}`, body.delegates ?? [], 'iam.serviceAccounts.signJwt');

    const payload = claimsOf(body.payload, Math.floor(state.now().getTime() / 1000));
    const key = await keyOf(email);
    const header = { alg: 'RS256', kid: key.kid, typ: 'JWT' };
    const signingInput = `${b64url(JSON.stringify(header))}.${b64url(payload)}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(key.privateKey).toString('base64url');
    return { keyId: key.kid, signedJwt: `${signingInput}.${signature}` };
  };

  const publicKeys = (render: (key: SigningKey) => unknown) => async (req: Request, res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    const email = match[1].toLowerCase();
    if (!state.serviceAccounts.includes(email)) throw notFound(`Service account ${match[1]} not found; it has no public keys.`);
    const body = render(await keyOf(email));
    res.setHeader('Cache-Control', KEY_CACHE_CONTROL);
    return body;
  };

  return [
    {
      method: 'POST',
      pattern: /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+):signJwt$/,
      api: 'iamcredentials',
      name: 'iamcredentials.signJwt',
      handler: signJwt,
    },
    {
      method: 'GET',
      pattern: /^\/service_accounts\/v1\/metadata\/jwk\/([^/]+)$/,
      api: 'iamcredentials',
      name: 'iamcredentials.metadata.jwk',
      public: true,
      handler: publicKeys((key) => {
        const jwk = key.publicKey.export({ format: 'jwk' });
        return { keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: key.kid, n: jwk.n, e: jwk.e }] };
      }),
    },
    {
      method: 'GET',
      pattern: /^\/service_accounts\/v1\/metadata\/x509\/([^/]+)$/,
      api: 'iamcredentials',
      name: 'iamcredentials.metadata.x509',
      public: true,
      handler: publicKeys((key) => ({ [key.kid]: key.certificate })),
    },
  ];
}

async function createKey(email: string, now: Date): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  // Google's key ids are 40 lower-case hex digits; a digest of the public key gives the same shape.
  const kid = createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  const notAfter = new Date(now.getTime() + 10 * 365 * 86_400_000);
  return { kid, publicKey, privateKey, certificate: selfSignedCertificate(email, publicKey, privateKey, now, notAfter) };
}

/** Validates the caller's claims and returns the payload to sign: verbatim, or with the default exp added. */
function claimsOf(payload: string | undefined, nowSeconds: number): string {
  if (!payload) throw invalidArgument('Invalid argument: payload is required: the JWT claims as a JSON object serialized to a string.');
  let claims: unknown;
  try {
    claims = JSON.parse(payload);
  } catch (e) {
    throw invalidArgument(`Invalid JWT payload: not valid JSON (${(e as Error).message}).`);
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) throw invalidArgument('Invalid JWT payload: the claims must be a JSON object.');
  const exp = (claims as Record<string, unknown>).exp;
  if (exp === undefined) return JSON.stringify({ ...claims, exp: nowSeconds + DEFAULT_LIFETIME_SECONDS });
  if (typeof exp !== 'number' || !Number.isInteger(exp)) throw invalidArgument(`Invalid JWT payload: exp must be an integer number of seconds since the epoch, got ${JSON.stringify(exp)}.`);
  if (exp < nowSeconds) throw invalidArgument(`Invalid JWT payload: exp ${exp} is in the past (now is ${nowSeconds}).`);
  if (exp > nowSeconds + MAX_LIFETIME_SECONDS) {
    throw invalidArgument(`Invalid JWT payload: exp ${exp} is more than 12 hours (${MAX_LIFETIME_SECONDS} s) after now (${nowSeconds}); sign a shorter-lived token.`);
  }
  return payload;
}

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
