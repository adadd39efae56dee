// Cloud Resource Manager v3: project lookups and the IAM policies of projects.
import { cloudresourcemanager_v3 } from 'googleapis/build/src/apis/cloudresourcemanager/v3';
import type { GoogleAuth, OAuth2Client } from 'google-auth-library';
import type { Policy } from '../domain/iam-policy';
import { backendError, clientOptions, readOptions, writeOptions, type GoogleEndpoints, type Timeouts } from './connection';

export interface ProjectSummary {
  projectId: string;
  parent: string;
  displayName?: string;
}

export class ResourceManager {
  private readonly api: cloudresourcemanager_v3.Cloudresourcemanager;

  constructor(
    auth: GoogleAuth | OAuth2Client,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = new cloudresourcemanager_v3.Cloudresourcemanager(clientOptions(auth, endpoints));
  }

  async getProjectPolicy(projectId: string): Promise<Policy> {
    try {
      const res = await this.api.projects.getIamPolicy(
        { resource: `projects/${projectId}`, requestBody: { options: { requestedPolicyVersion: 3 } } },
        readOptions(this.timeouts),
      );
      return res.data as Policy;
    } catch (e) {
      throw backendError(e, `reading the IAM policy of project ${projectId}`);
    }
  }

  /** Writes a policy; the raw error propagates so the caller can tell an etag conflict from a failure. */
  async setProjectPolicy(projectId: string, policy: Policy, reason: string): Promise<Policy> {
    const res = await this.api.projects.setIamPolicy(
      { resource: `projects/${projectId}`, requestBody: { policy: policy as cloudresourcemanager_v3.Schema$Policy } },
      writeOptions(this.timeouts, { 'x-goog-request-reason': headerSafe(reason) }),
    );
    return res.data as Policy;
  }

  /** Every project matching a Resource Manager search query, all pages. */
  async searchProjects(query: string): Promise<ProjectSummary[]> {
    const projects: ProjectSummary[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api.projects.search({ query, pageSize: 1000, pageToken }, readOptions(this.timeouts));
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
