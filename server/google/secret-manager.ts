// Secret Manager: reads a secret version, e.g. the SMTP password named by SMTP_SECRET.
import type { secretmanager_v1 } from 'googleapis/build/src/apis/secretmanager/v1';
import { lazyClient, backendError, readOptions, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

export class SecretManager {
  private readonly api: () => secretmanager_v1.Secretmanager;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { secretmanager_v1 } = require('googleapis/build/src/apis/secretmanager/v1') as typeof import('googleapis/build/src/apis/secretmanager/v1');
      return new secretmanager_v1.Secretmanager(options);
    });
  }

  /** The payload of `projects/P/secrets/S/versions/V` as UTF-8 text. */
  async accessText(versionName: string): Promise<string> {
    try {
      const res = await this.api().projects.secrets.versions.access({ name: versionName }, readOptions(this.timeouts));
      return Buffer.from(res.data.payload?.data ?? '', 'base64').toString('utf8');
    } catch (e) {
      throw backendError(e, `reading the secret ${versionName}`);
    }
  }
}
