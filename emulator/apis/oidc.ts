// Google-signed OIDC ID tokens: IAM Credentials `generateIdToken` (what Cloud Scheduler uses to call an
// HTTP target "with an OIDC token" as a service account), and the keys Google publishes to verify them
// (`https://www.googleapis.com/oauth2/v3/certs`), served on the emulator's host.
import { createHash, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { Request, Response } from 'express';
import type { EmulatorEnv } from '../env';
import { invalidArgument, strictBody, strictQuery, type Route } from '../http';
import { iapUserIdOf } from '../iap';
import { actingServiceAccount } from './iamcredentials';

const generateRsaKeyPair = promisify(generateKeyPair);

export const GOOGLE_ID_TOKEN_ISSUER = 'https://accounts.google.com';
/** Google's ID tokens live one hour. */
const ID_TOKEN_LIFETIME_SECONDS = 3600;
const KEY_CACHE_CONTROL = 'public, max-age=300, must-revalidate, no-transform';

const generateIdTokenBody = z
  .object({
    audience: z.string().optional(),
    includeEmail: z.boolean().optional(),
    delegates: z.array(z.string()).optional(),
  })
  .strict();

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function oidcRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  // Google's own signing key (not the service account's): one per emulator, made on first use.
  let key: Promise<SigningKey> | undefined;
  const signingKey = () => (key ??= createKey());

  const generateIdToken = async (req: Request, res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    const body = strictBody(req, generateIdTokenBody);
    if (!body.audience) throw invalidArgument('Invalid argument: audience is required: the URL or client id the ID token is for.');
    const email = actingServiceAccount(
      state,
      res.locals.principal as string,
      `projects/${match[1]}/serviceAccounts/${match[2]}`,
      body.delegates ?? [],
      'iam.serviceAccounts.getOpenIdToken',
    );

    const now = Math.floor(state.now().getTime() / 1000);
    const uniqueId = iapUserIdOf(email);
    // Claims in the order Google writes them; email only when asked for, as Google does.
    const claims = {
      aud: body.audience,
      azp: uniqueId,
      ...(body.includeEmail ? { email, email_verified: true } : {}),
      exp: now + ID_TOKEN_LIFETIME_SECONDS,
      iat: now,
      iss: GOOGLE_ID_TOKEN_ISSUER,
      sub: uniqueId,
    };
    const k = await signingKey();
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: k.kid, typ: 'JWT' }).sign(k.privateKey);
    return { token };
  };

  return [
    {
      method: 'POST',
      pattern: /^\/v1\/projects\/([^/]+)\/serviceAccounts\/([^/:]+):generateIdToken$/,
      api: 'iamcredentials',
      name: 'iamcredentials.generateIdToken',
      handler: generateIdToken,
    },
    {
      method: 'GET',
      pattern: /^\/oauth2\/v3\/certs$/,
      api: 'oauth2',
      name: 'oauth2.certs',
      public: true,
      handler: async (req, res) => {
        strictQuery(req, []);
        const k = await signingKey();
        const jwk = k.publicKey.export({ format: 'jwk' });
        res.setHeader('Cache-Control', KEY_CACHE_CONTROL);
        return { keys: [{ kty: 'RSA', alg: 'RS256', use: 'sig', kid: k.kid, n: jwk.n, e: jwk.e }] };
      },
    },
  ];
}

async function createKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  // Google's key ids are 40 lower-case hex digits; a digest of the public key gives the same shape.
  const kid = createHash('sha1').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
  return { kid, publicKey, privateKey };
}
