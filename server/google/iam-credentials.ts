// IAM Service Account Credentials: signs JWTs with the service account's Google-managed key, which is how
// approval requests are signed (the service holds no private key of its own).
import type { iamcredentials_v1 } from 'googleapis/build/src/apis/iamcredentials/v1';
import { AppError } from '../errors';
import { lazyClient, backendError, googleMessageOf, readOptions, statusOf, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

export class IamCredentials {
  private readonly api: () => iamcredentials_v1.Iamcredentials;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { iamcredentials_v1 } = require('googleapis/build/src/apis/iamcredentials/v1') as typeof import('googleapis/build/src/apis/iamcredentials/v1');
      return new iamcredentials_v1.Iamcredentials(options);
    });
  }

  /** A compact RS256 JWT with these claims, signed as the service account. */
  async signJwt(serviceAccount: string, claims: Record<string, unknown>): Promise<string> {
    try {
      const res = await this.api().projects.serviceAccounts.signJwt(
        { name: `projects/-/serviceAccounts/${serviceAccount}`, requestBody: { payload: JSON.stringify(claims) } },
        // Signing has no side effect, so it may be retried like a read.
        readOptions(this.timeouts),
      );
      if (!res.data.signedJwt) throw new Error('the response carries no signedJwt');
      return res.data.signedJwt;
    } catch (e) {
      if (statusOf(e) === 403) {
        throw new AppError(
          502,
          'BACKEND_PERMISSION_DENIED',
          `The service account ${serviceAccount} is not allowed to sign approval requests: it needs the permission iam.serviceAccounts.signJwt on itself (grant it roles/iam.serviceAccountTokenCreator on ${serviceAccount}). Google said: ${googleMessageOf(e)}`,
        );
      }
      throw backendError(e, `signing an approval request as ${serviceAccount}`);
    }
  }
}
