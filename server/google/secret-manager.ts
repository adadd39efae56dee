// Secret Manager: reads a secret version, e.g. the SMTP password named by SMTP_SECRET.
import { secretmanager_v1 } from 'googleapis/build/src/apis/secretmanager/v1';
import type { GoogleAuth, OAuth2Client } from 'google-auth-library';
import { backendError, clientOptions, readOptions, type GoogleEndpoints, type Timeouts } from './connection';

export class SecretManager {
  private readonly api: secretmanager_v1.Secretmanager;

  constructor(
    auth: GoogleAuth | OAuth2Client,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = new secretmanager_v1.Secretmanager(clientOptions(auth, endpoints));
  }

  /** The payload of `projects/P/secrets/S/versions/V` as UTF-8 text. */
  async accessText(versionName: string): Promise<string> {
    try {
      const res = await this.api.projects.secrets.versions.access({ name: versionName }, readOptions(this.timeouts));
      return Buffer.from(res.data.payload?.data ?? '', 'base64').toString('utf8');
    } catch (e) {
      throw backendError(e, `reading the secret ${versionName}`);
    }
  }
}
