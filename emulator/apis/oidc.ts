// Google-signed OIDC ID tokens: IAM Credentials `generateIdToken` (what Cloud Scheduler uses to call an
// HTTP target "with an OIDC token" as a service account), and the keys Google publishes to verify them
// (`https://www.googleapis.com/oauth2/v3/certs`), served on the emulator's host.
import { z } from 'zod';
import type { Request, Response } from 'express';
import type { EmulatorEnv } from '../env';
import { invalidArgument, strictBody, strictQuery, type Route } from '../http';
import { iapUserIdOf } from '../iap';
import { serviceAccountIdTokenClaims } from '../google-id-token-signer';
import { actingServiceAccount } from './iamcredentials';

const KEY_CACHE_CONTROL = 'public, max-age=300, must-revalidate, no-transform';

const generateIdTokenBody = z
  .object({
    audience: z.string().optional(),
    includeEmail: z.boolean().optional(),
    delegates: z.array(z.string()).optional(),
  })
  .strict();

export function oidcRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;

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
    const token = await env.googleIdTokens.sign(serviceAccountIdTokenClaims(email, iapUserIdOf(email), body.audience, now, body.includeEmail === true));
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
        res.setHeader('Cache-Control', KEY_CACHE_CONTROL);
        return env.googleIdTokens.jwks();
      },
    },
  ];
}
