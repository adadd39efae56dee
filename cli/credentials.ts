// How the CLI passes Identity-Aware Proxy. In Google Cloud: an OpenID Connect ID token for IAP's OAuth
// client id (IAP programmatic access), from google-auth-library's application default credentials or given
// as JIT_ID_TOKEN. Against the emulator: a session of its IAP proxy, signed in as a user of its world.
import type { Credentials } from './client';
import { ApiError } from './client';

const ADC_ADVICE =
  'Check that --audience (JIT_IAP_AUDIENCE) is the OAuth client id IAP uses, that your credentials are the ones you mean (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, or the platform\'s service account), and that this principal holds roles/iap.httpsResourceAccessor on the service.';

/** An ID token obtained elsewhere, e.g. `gcloud auth print-identity-token` or a CI's OIDC step. */
export function givenIdToken(token: string): Credentials {
  return {
    headers: async () => ({ authorization: `Bearer ${token}` }),
    authAdvice: `The ID token in JIT_ID_TOKEN was refused: it may have expired (they last an hour) or be for another audience than IAP's OAuth client id. ${ADC_ADVICE}`,
  };
}

/**
 * Application default credentials: a service account key, the metadata server (Cloud Build, GCE, Cloud Run,
 * GKE workload identity), an impersonated service account, or a user's `gcloud auth application-default
 * login` credentials. The library caches the token and renews it before it expires.
 */
export function applicationDefaultIdToken(audience: string): Credentials {
  let client: Promise<{ getRequestHeaders(): Promise<Headers> }> | undefined;
  return {
    headers: async () => {
      // Loaded only here: the emulator path and --help do not need the library.
      client ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth().getIdTokenClient(audience));
      try {
        const headers = await (await client).getRequestHeaders();
        const authorization = headers.get('authorization');
        if (!authorization) throw new Error('no ID token was returned');
        return { authorization };
      } catch (e) {
        client = undefined;
        throw new ApiError(
          401,
          'NO_ID_TOKEN',
          `Could not obtain an ID token for ${audience} from application default credentials: ${(e as Error).message}. Workload identity federation (e.g. GitHub Actions) cannot mint ID tokens through the library: pass one in JIT_ID_TOKEN instead (see docs/cli.md).`,
        );
      }
    },
    authAdvice: ADC_ADVICE,
  };
}

export const EMULATOR_SESSION_COOKIE = 'GCP_IAP_EMULATOR_SESSION';

/** Signs in at the emulator's IAP proxy once, as its browser page does, and sends the session cookie. */
export function emulatorSession(proxyUrl: string, email: string, fetchImpl: typeof fetch = fetch): Credentials {
  let cookie: Promise<string> | undefined;
  const signIn = async (): Promise<string> => {
    let res: Response;
    try {
      res = await fetchImpl(`${proxyUrl}/_gcp_iap/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email }) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause;
      throw new ApiError(0, 'UNREACHABLE', `Could not reach the emulator's IAP proxy at ${proxyUrl} (${cause?.code ?? (e as Error).message}). Is \`npm run demo\` running, and is this the URL it prints under "Open"?`);
    }
    const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!res.ok) throw new ApiError(res.status, 'SIGN_IN_REFUSED', `The emulator's IAP proxy refused to sign in ${email}: ${body.error?.message ?? `HTTP ${res.status}`}`);
    const session = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .find((c) => c.startsWith(`${EMULATOR_SESSION_COOKIE}=`));
    if (!session) throw new ApiError(502, 'SIGN_IN_REFUSED', `The emulator's IAP proxy at ${proxyUrl} signed in ${email} but set no session cookie.`);
    return session;
  };
  return {
    headers: async () => {
      cookie ??= signIn().catch((e) => {
        cookie = undefined;
        throw e;
      });
      return { cookie: await cookie };
    },
    authAdvice: `Sign in with --user as a user or service account of the emulator's world.`,
  };
}
