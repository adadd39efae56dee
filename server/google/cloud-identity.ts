// Cloud Identity groups: which groups a user belongs to, and who belongs to a group, through nesting.
import type { cloudidentity_v1 } from 'googleapis/build/src/apis/cloudidentity/v1';
import { lazyClient, backendError, readOptions, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

const DISCUSSION_FORUM_LABEL = 'cloudidentity.googleapis.com/groups.discussion_forum';

export class CloudIdentity {
  private readonly api: () => cloudidentity_v1.Cloudidentity;

  constructor(
    auth: GoogleCredentials,
    endpoints: GoogleEndpoints,
    private readonly timeouts: Timeouts,
    private readonly customerId?: string,
  ) {
    this.api = lazyClient(auth, endpoints, (options) => {
      const { cloudidentity_v1 } = require('googleapis/build/src/apis/cloudidentity/v1') as typeof import('googleapis/build/src/apis/cloudidentity/v1');
      return new cloudidentity_v1.Cloudidentity(options);
    });
  }

  /** Emails (lower case) of every group the user is in, directly or through nested groups. */
  async transitiveGroupsOf(userEmail: string): Promise<string[]> {
    const clauses = [`member_key_id == '${quote(userEmail)}'`, `'${DISCUSSION_FORUM_LABEL}' in labels`];
    if (this.customerId) clauses.push(`parent == 'customers/${this.customerId}'`);
    const groups: string[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api().groups.memberships.searchTransitiveGroups(
          { parent: 'groups/-', query: clauses.join(' && '), pageSize: 1000, pageToken },
          readOptions(this.timeouts),
        );
        for (const m of res.data.memberships ?? []) if (m.groupKey?.id) groups.push(m.groupKey.id.toLowerCase());
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw backendError(e, `looking up the groups of ${userEmail}`);
    }
    return groups;
  }

  /** Emails (lower case) of the users in a group, through nested groups. */
  async transitiveUsersOf(groupEmail: string): Promise<string[]> {
    const users: string[] = [];
    try {
      const lookup = await this.api().groups.lookup({ 'groupKey.id': groupEmail }, readOptions(this.timeouts));
      let pageToken: string | undefined;
      do {
        const res = await this.api().groups.memberships.searchTransitiveMemberships(
          { parent: lookup.data.name!, pageSize: 1000, pageToken },
          readOptions(this.timeouts),
        );
        for (const m of res.data.memberships ?? []) {
          if (!m.member?.startsWith('users/')) continue;
          for (const key of m.preferredMemberKey ?? []) if (key.id) users.push(key.id.toLowerCase());
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw backendError(e, `listing the members of group ${groupEmail}`);
    }
    return users;
  }
}

/** Emails never contain quotes, but a value in a query must not be able to end its literal. */
function quote(value: string): string {
  return value.replace(/['\\]/g, '');
}
