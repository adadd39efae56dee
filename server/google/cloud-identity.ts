// Cloud Identity groups: which groups a user or group belongs to, and who belongs to a group. The direct
// methods work on every edition; the transitive ones only on premium editions (Cloud Identity Premium,
// Workspace Enterprise), which answer 403 otherwise — as they do when a group of another organization is
// anywhere in the query's graph.
import type { cloudidentity_v1 } from 'googleapis/build/src/apis/cloudidentity/v1';
import { lazyClient, backendError, googleMessageOf, readOptions, statusOf, type GoogleEndpoints, type Timeouts, type GoogleCredentials } from './connection';

const DISCUSSION_FORUM_LABEL = 'cloudidentity.googleapis.com/groups.discussion_forum';

/** Cloud Identity refused a transitive search: `edition` when the customer's edition lacks it, `graph` when a group in it cannot be read. */
export class TransitiveSearchRefused extends Error {
  constructor(
    readonly reason: 'edition' | 'graph',
    message: string,
  ) {
    super(message);
  }
}

/** The service may not read a group's memberships: another organization's group, a deleted one, or no Groups Reader role. */
export class GroupNotReadable extends Error {
  constructor(
    readonly group: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DirectMembers {
  users: string[];
  groups: string[];
}

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

  /**
   * Emails (lower case) of the groups a user or group is a direct member of (every edition). Groups the
   * service may not view are silently left out by Google.
   */
  async directGroupsOf(memberEmail: string): Promise<string[]> {
    const groups: string[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api().groups.memberships.searchDirectGroups(
          { parent: 'groups/-', query: this.memberQuery(memberEmail), pageSize: 1000, pageToken },
          readOptions(this.timeouts),
        );
        for (const m of res.data.memberships ?? []) if (m.groupKey?.id) groups.push(m.groupKey.id.toLowerCase());
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw backendError(e, `looking up the groups of ${memberEmail}`);
    }
    return groups;
  }

  /** The direct members of a group (every edition); GroupNotReadable when the service may not read them. */
  async directMembersOf(groupEmail: string): Promise<DirectMembers> {
    const members: DirectMembers = { users: [], groups: [] };
    const parent = await this.groupName(groupEmail);
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api().groups.memberships.list({ parent, pageSize: 1000, pageToken }, readOptions(this.timeouts));
        for (const m of res.data.memberships ?? []) {
          const email = m.preferredMemberKey?.id?.toLowerCase();
          if (!email) continue;
          if (m.type === 'GROUP') members.groups.push(email);
          else if (m.type === 'USER') members.users.push(email);
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw this.unreadableOr(e, groupEmail, `listing the members of group ${groupEmail}`);
    }
    return members;
  }

  /** Emails (lower case) of every group the user is in, directly or through nested groups (premium editions). */
  async transitiveGroupsOf(userEmail: string): Promise<string[]> {
    const groups: string[] = [];
    let pageToken: string | undefined;
    try {
      do {
        const res = await this.api().groups.memberships.searchTransitiveGroups(
          { parent: 'groups/-', query: this.memberQuery(userEmail), pageSize: 1000, pageToken },
          readOptions(this.timeouts),
        );
        for (const m of res.data.memberships ?? []) if (m.groupKey?.id) groups.push(m.groupKey.id.toLowerCase());
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw this.transitiveRefusalOr(e, `looking up the groups of ${userEmail}`);
    }
    return groups;
  }

  /** Emails (lower case) of the users in a group, through nested groups (premium editions). */
  async transitiveUsersOf(groupEmail: string): Promise<string[]> {
    const parent = await this.groupName(groupEmail);
    const users: string[] = [];
    try {
      let pageToken: string | undefined;
      do {
        const res = await this.api().groups.memberships.searchTransitiveMemberships({ parent, pageSize: 1000, pageToken }, readOptions(this.timeouts));
        for (const m of res.data.memberships ?? []) {
          if (!m.member?.startsWith('users/')) continue;
          for (const key of m.preferredMemberKey ?? []) if (key.id) users.push(key.id.toLowerCase());
        }
        pageToken = res.data.nextPageToken ?? undefined;
      } while (pageToken);
    } catch (e) {
      throw this.transitiveRefusalOr(e, `listing the members of group ${groupEmail}`);
    }
    return users;
  }

  /** `groups/ID` of a group; GroupNotReadable when Google will not say (403) or does not know it (404). */
  private async groupName(groupEmail: string): Promise<string> {
    try {
      const res = await this.api().groups.lookup({ 'groupKey.id': groupEmail }, readOptions(this.timeouts));
      return res.data.name!;
    } catch (e) {
      throw this.unreadableOr(e, groupEmail, `looking up group ${groupEmail}`);
    }
  }

  private memberQuery(memberEmail: string): string {
    const clauses = [`member_key_id == '${quote(memberEmail)}'`, `'${DISCUSSION_FORUM_LABEL}' in labels`];
    if (this.customerId) clauses.push(`parent == 'customers/${this.customerId}'`);
    return clauses.join(' && ');
  }

  private unreadableOr(e: unknown, groupEmail: string, what: string): Error {
    const status = statusOf(e);
    if (status === 403 || status === 404) return new GroupNotReadable(groupEmail, googleMessageOf(e));
    return backendError(e, what);
  }

  private transitiveRefusalOr(e: unknown, what: string): Error {
    if (e instanceof GroupNotReadable) return e;
    if (statusOf(e) !== 403) return backendError(e, what);
    const message = googleMessageOf(e);
    return new TransitiveSearchRefused(isEditionRefusal(message) ? 'edition' : 'graph', message);
  }
}

/**
 * Google's refusal of a transitive search for the customer's edition: "This feature is only available to
 * Google Workspace Enterprise … and Cloud Identity Premium accounts", with Error(3005) or Error(3006).
 */
export function isEditionRefusal(message: string): boolean {
  return /Error\(300[56]\)|only available to|Cloud Identity Premium|Enterprise (Standard|Plus)|subscription/i.test(message);
}

/** Emails never contain quotes, but a value in a query must not be able to end its literal. */
function quote(value: string): string {
  return value.replace(/['\\]/g, '');
}
