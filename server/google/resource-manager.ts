// Cloud Resource Manager v3: project lookups and the IAM policies of projects.
import type { cloudresourcemanager_v3 } from 'googleapis/build/src/apis/cloudresourcemanager/v3';
import type { Policy } from '../domain/iam-policy';
import { AppError } from '../errors';
import { lazyClient, backendError, isTimeout, readOptions, statusOf, writeOptions, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

export interface ProjectSummary {
  projectId: string;
  parent: string;
  displayName?: string;
}

export class ResourceManager {
  private readonly api: () => cloudresourcemanager_v3.Cloudresourcemanager;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
    /** Told of every policy this process wrote, as Google stored it. */
    private readonly onWritten: (projectId: string, policy: Policy) => void = () => {},
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { cloudresourcemanager_v3 } = require('googleapis/build/src/apis/cloudresourcemanager/v3') as typeof import('googleapis/build/src/apis/cloudresourcemanager/v3');
      return new cloudresourcemanager_v3.Cloudresourcemanager(options);
    });
  }

  async getProjectPolicy(projectId: string): Promise<Policy> {
    try {
      const res = await this.api().projects.getIamPolicy(
        { resource: `projects/${projectId}`, requestBody: { options: { requestedPolicyVersion: 3 } } },
        readOptions(this.timeouts),
      );
      return res.data as Policy;
    } catch (e) {
      throw backendError(e, `reading the IAM policy of project ${projectId}`);
    }
  }

  /**
   * Writes a policy; the raw error propagates so the caller can tell an etag conflict from a failure.
   * A write that timed out is the exception: Google may still apply it, and the user must hear that.
   */
  async setProjectPolicy(projectId: string, policy: Policy, reason: string): Promise<Policy> {
    let written: Policy;
    try {
      const res = await this.api().projects.setIamPolicy(
        { resource: `projects/${projectId}`, requestBody: { policy: policy as cloudresourcemanager_v3.Schema$Policy } },
        writeOptions(this.timeouts, { 'x-goog-request-reason': headerSafe(reason) }),
      );
      written = res.data as Policy;
    } catch (e) {
      if (statusOf(e) !== undefined || !isTimeout(e)) throw e;
      throw new AppError(
        504,
        'BACKEND_TIMEOUT',
        `Google did not confirm in time that it updated the IAM policy of project ${projectId}, so the change may still take effect. Reload to see what is active before you try again.`,
      );
    }
    this.onWritten(projectId, written);
    return written;
  }

  /** Every project matching a Resource Manager search query, all pages. */
  async searchProjects(query: string): Promise<ProjectSummary[]> {
    const projects: ProjectSummary[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api().projects.search({ query, pageSize: 1000, pageToken }, readOptions(this.timeouts));
        for (const p of res.data.projects ?? []) {
          if (p.projectId && p.parent) projects.push({ projectId: p.projectId, parent: p.parent, displayName: p.displayName ?? undefined });
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw backendError(e, `searching projects (query "${query}")`);
    }
    return projects;
  }
}

/** Header values cannot carry line breaks or non-Latin-1 text; the reason is informational only. */
function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 500);
}
