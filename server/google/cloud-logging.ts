// Cloud Logging entries.list: the audit log read back. Google allows 60 calls a minute per project and
// never more, so only the shared audit feed (services/audit-feed.ts) calls this.
import type { logging_v2 } from 'googleapis/build/src/apis/logging/v2';
import { lazyClient, backendError, readOptions, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

/** One entry as the audit feed needs it: its id, time and structured payload. */
export interface LoggedEntry {
  insertId: string;
  timestamp: string;
  payload: Record<string, unknown>;
}

export class CloudLogging {
  private readonly api: () => logging_v2.Logging;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { logging_v2 } = require('googleapis/build/src/apis/logging/v2') as typeof import('googleapis/build/src/apis/logging/v2');
      return new logging_v2.Logging(options);
    });
  }

  /** One page of entries of `projectId` matching `filter`, oldest first. */
  async listEntries(projectId: string, filter: string, pageToken?: string): Promise<{ entries: LoggedEntry[]; nextPageToken?: string }> {
    try {
      const res = await this.api().entries.list(
        { requestBody: { resourceNames: [`projects/${projectId}`], filter, orderBy: 'timestamp asc', pageSize: 1000, pageToken } },
        readOptions(this.timeouts),
      );
      const entries = (res.data.entries ?? []).map((e) => ({ insertId: e.insertId ?? '', timestamp: e.timestamp ?? '', payload: (e.jsonPayload ?? {}) as Record<string, unknown> }));
      return { entries, nextPageToken: res.data.nextPageToken ?? undefined };
    } catch (e) {
      throw backendError(e, 'reading the audit log');
    }
  }
}
