// IAM v1 roles: what a role is called and means (roles.get, for predefined and custom roles), and which
// roles can be granted on a resource at all (roles.queryGrantableRoles): folder- and organization-level
// roles cannot be granted on a project, and setIamPolicy refuses them with a 400.
import type { iam_v1 } from 'googleapis/build/src/apis/iam/v1';
import { lazyClient, backendError, readOptions, statusOf, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

export interface RoleInfo {
  /** `roles/…`, `projects/P/roles/…` or `organizations/O/roles/…`. */
  name: string;
  title?: string;
  description?: string;
}

export class IamRoles {
  private readonly api: () => iam_v1.Iam;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { iam_v1 } = require('googleapis/build/src/apis/iam/v1') as typeof import('googleapis/build/src/apis/iam/v1');
      return new iam_v1.Iam(options);
    });
  }

  /** Every role that can be granted on the resource (e.g. `//cloudresourcemanager.googleapis.com/projects/P`), all pages. */
  async grantableRoles(fullResourceName: string): Promise<RoleInfo[]> {
    const roles: RoleInfo[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api().roles.queryGrantableRoles(
          { requestBody: { fullResourceName, view: 'BASIC', pageSize: 2000, ...(pageToken ? { pageToken } : {}) } },
          readOptions(this.timeouts),
        );
        for (const r of res.data.roles ?? []) if (r.name) roles.push(infoOf(r));
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw backendError(e, `listing the roles grantable on ${fullResourceName}`);
    }
    return roles;
  }

  /** A role's title and description; undefined when Google does not know the role (deleted, mistyped). */
  async role(name: string): Promise<RoleInfo | undefined> {
    try {
      const options = readOptions(this.timeouts);
      const res = name.startsWith('projects/')
        ? await this.api().projects.roles.get({ name }, options)
        : name.startsWith('organizations/')
          ? await this.api().organizations.roles.get({ name }, options)
          : await this.api().roles.get({ name }, options);
      return infoOf(res.data);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw backendError(e, `reading the role ${name}`);
    }
  }
}

function infoOf(role: iam_v1.Schema$Role): RoleInfo {
  return { name: role.name ?? '', title: role.title || undefined, description: role.description || undefined };
}
