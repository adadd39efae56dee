// Google's OAuth 2.0 token endpoint (`https://oauth2.googleapis.com/token`) for service-account keys: the
// JWT-bearer grant (RFC 7523) that google-auth-library's JWT client (through gtoken) sends, answered with a
// Google-signed ID token when the assertion names a `target_audience`. And the key files it needs: JSON
// keys for the world's service accounts, issued by an emulator-only route, valid until the emulator stops;
// and, standing in for a person's Google sign-in, ID tokens for the world's users.
import { generateKeyPair, randomBytes, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { EmulatorEnv } from '../env';
import { GoogleApiError, notFound, strictBody, type Route } from '../http';
import { iapUserIdOf } from '../iap';
import { serviceAccountIdTokenClaims, userIdTokenClaims } from '../google-id-token-signer';
import { projectOfServiceAccount } from './iamcredentials';

const generateRsaKeyPair = promisify(generateKeyPair);

/** The one audience Google accepts in a JWT-bearer assertion, wherever the request arrives (a proxy, a private endpoint). */
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** "Token must be a short-lived token (60 minutes)". */
const MAX_ASSERTION_LIFETIME_SECONDS = 3600;
/** Google allows at most 10 keys per service account. */
const MAX_KEYS_PER_ACCOUNT = 10;

const SHORT_LIVED =
  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.';

interface IssuedKey {
  id: string;
  publicKey: KeyObject;
}

/** A refusal in OAuth 2.0's error format (RFC 6749 §5.2), as Google's token endpoint answers. */
class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly httpCode = 400,
  ) {
    super(description);
  }
}

const keyRequestSchema = z.object({}).strict();
const userIdTokenRequestSchema = z.object({ audience: z.string({ error: 'audience is required: the OAuth client id the ID token is for' }).min(1) }).strict();

export function oauth2Routes(env: EmulatorEnv): Route[] {
  const { state } = env;
  // Per emulator, not per state: a reset must not invalidate key files already handed out.
  const keys = new Map<string, IssuedKey[]>();

  const issueKey = async (req: Request, _res: Response, match: RegExpMatchArray) => {
    strictBody(req, keyRequestSchema);
    const email = match[1].toLowerCase();
    if (!state.serviceAccounts.includes(email)) {
      throw notFound(`Service account ${match[1]} is not an account of the emulator's world; keys are issued for: ${state.serviceAccounts.join(', ')}.`);
    }
    const issued = keys.get(email) ?? [];
    if (issued.length >= MAX_KEYS_PER_ACCOUNT) {
      throw new GoogleApiError('FAILED_PRECONDITION', `Precondition check failed: ${email} already has ${MAX_KEYS_PER_ACCOUNT} keys, the most Google allows per service account. Reuse a key file; keys last until the emulator stops.`);
    }
    const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    const id = randomBytes(20).toString('hex');
    keys.set(email, [...issued, { id, publicKey }]);
    const project = projectOfServiceAccount(email);
    // The fields of the key file Google's console downloads that clients read; the URLs of its certificate
    // pages are left out because the emulator does not serve them.
    return {
      type: 'service_account',
      ...(project ? { project_id: project } : {}),
      private_key_id: id,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: email,
      client_id: iapUserIdOf(email),
      token_uri: GOOGLE_TOKEN_URL,
      universe_domain: 'googleapis.com',
    };
  };

  /** Stands in for a person's sign-in to an OAuth client (`gcloud auth print-identity-token`, a desktop app). */
  const userIdToken = async (req: Request, _res: Response, match: RegExpMatchArray) => {
    const { audience } = strictBody(req, userIdTokenRequestSchema);
    const email = match[1].toLowerCase();
    if (!state.users.has(email)) throw notFound(`${match[1]} is not a user of the emulator's world; ID tokens are issued for: ${[...state.users].join(', ')}.`);
    const domain = email.slice(email.lastIndexOf('@') + 1);
    const hostedDomain = domain === state.organization.domain.toLowerCase() ? domain : undefined;
    const now = Math.floor(state.now().getTime() / 1000);
    return { id_token: await env.googleIdTokens.sign(userIdTokenClaims(email, iapUserIdOf(email), audience, hostedDomain, now)) };
  };

  /** The service account that signed the assertion, once its signature, audience and times hold. */
  const verifiedIssuer = (assertion: string): { email: string; claims: Record<string, unknown> } => {
    const parts = assertion.split('.');
    const header = parts.length === 3 ? jsonOf(parts[0]) : undefined;
    const claims = parts.length === 3 ? jsonOf(parts[1]) : undefined;
    if (!header || !claims) throw new OAuthError('invalid_grant', 'Invalid JWT: the assertion is not a signed JWT (header.payload.signature, each base64url-encoded JSON).');
    const iss = typeof claims.iss === 'string' ? claims.iss.toLowerCase() : '';
    if (!state.serviceAccounts.includes(iss)) throw new OAuthError('invalid_grant', 'Invalid grant: account not found');
    // Google verifies against the account's keys: the one named by `kid`, else each (gtoken sends no kid).
    const candidates = (keys.get(iss) ?? []).filter((k) => header.kid === undefined || k.id === header.kid);
    const signingInput = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2], 'base64url');
    if (header.alg !== 'RS256' || !candidates.some((k) => verify('RSA-SHA256', signingInput, k.publicKey, signature))) {
      throw new OAuthError('invalid_grant', 'Invalid JWT Signature.');
    }
    if (claims.aud !== GOOGLE_TOKEN_URL) throw new OAuthError('invalid_grant', `Invalid JWT: Failed audience check. The right audience is ${GOOGLE_TOKEN_URL}`);
    const now = Math.floor(state.now().getTime() / 1000);
    const { iat, exp } = claims;
    if (!Number.isInteger(iat) || !Number.isInteger(exp)) throw new OAuthError('invalid_grant', SHORT_LIVED);
    const [issuedAt, expiresAt] = [iat as number, exp as number];
    if (issuedAt > now || expiresAt <= now || expiresAt <= issuedAt || expiresAt - issuedAt > MAX_ASSERTION_LIFETIME_SECONDS) {
      throw new OAuthError('invalid_grant', SHORT_LIVED);
    }
    // `sub` other than the account itself asks to act as a user: domain-wide delegation, not modelled.
    if (claims.sub !== undefined && String(claims.sub).toLowerCase() !== iss) {
      throw new OAuthError('unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.', 401);
    }
    return { email: iss, claims };
  };

  const token = async (req: Request, res: Response) => {
    state.recordCall('oauth2.token');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    try {
      if (!req.is('application/x-www-form-urlencoded')) {
        throw new OAuthError('invalid_request', 'The token request must be a form (Content-Type: application/x-www-form-urlencoded), as RFC 6749 requires.');
      }
      const form = req.body as Record<string, string | string[]>;
      const param = (name: string): string | undefined => {
        const value = form[name];
        if (Array.isArray(value)) throw new OAuthError('invalid_request', `Parameter ${name} is repeated; send it once.`);
        return value === '' ? undefined : value;
      };
      const grantType = param('grant_type');
      if (grantType === undefined) throw new OAuthError('invalid_request', 'Missing required parameter: grant_type');
      if (grantType !== JWT_BEARER_GRANT) throw new OAuthError('unsupported_grant_type', `Invalid grant_type: ${grantType}`);
      const assertion = param('assertion');
      if (assertion === undefined) throw new OAuthError('invalid_request', 'Missing required parameter: assertion');
      const { email, claims } = verifiedIssuer(assertion);
      const audience = typeof claims.target_audience === 'string' && claims.target_audience !== '' ? claims.target_audience : undefined;
      if (audience === undefined) {
        if (typeof claims.scope !== 'string' || claims.scope.trim() === '') throw new OAuthError('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
        throw new OAuthError(
          'invalid_request',
          "The emulator's token endpoint issues ID tokens only: put target_audience in the assertion. Access tokens for the emulator's APIs are the world's `callers` (docs/emulator.md).",
        );
      }
      const now = Math.floor(state.now().getTime() / 1000);
      res.status(200).json({ id_token: await env.googleIdTokens.sign(serviceAccountIdTokenClaims(email, iapUserIdOf(email), audience, now, true)) });
    } catch (e) {
      if (!(e instanceof OAuthError)) throw e;
      res.status(e.httpCode).json({ error: e.error, error_description: e.description });
    }
  };

  return [
    {
      method: 'POST',
      pattern: /^\/_emulator\/service-accounts\/([^/]+)\/keys$/,
      api: '_emulator',
      name: '_emulator.serviceAccountKeys',
      public: true,
      handler: issueKey,
    },
    {
      method: 'POST',
      pattern: /^\/_emulator\/users\/([^/]+)\/id-token$/,
      api: '_emulator',
      name: '_emulator.userIdToken',
      public: true,
      handler: userIdToken,
    },
    { method: 'POST', pattern: /^\/token$/, api: 'oauth2', name: 'oauth2.token', public: true, handler: token },
  ];
}

function jsonOf(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

