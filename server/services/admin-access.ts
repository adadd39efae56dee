// Authorization of the Admin area: the caller's role decided on every request from the roster in force
// and the groups they are in now, read fresh (never from a cache), so that someone removed from an admin
// group loses the Admin area at once.
import { adminRoleOf, rosterNamesGroups, type AdminRole, type AdminRoster } from '../domain/admin-roster';
import { AppError, forbidden } from '../errors';

/** The groups (emails) a user is in, directly or through nesting, read fresh from Cloud Identity. */
export type FreshGroupsOf = (userEmail: string) => Promise<string[]>;

/** The groups a user is in, from the shared group cache (minutes old at most). */
export type CachedGroupsOf = (userEmail: string) => Promise<string[]>;

export class AdminAccess {
  constructor(
    private readonly roster: () => AdminRoster,
    private readonly groupsOf: FreshGroupsOf,
    private readonly cachedGroupsOf: CachedGroupsOf = groupsOf,
  ) {}

  /**
   * The role to show the Admin link for, decided on cached groups: it costs nothing on most page loads and
   * authorizes nothing (every admin route still calls `require`). Null when the groups cannot be read.
   */
  async shownRole(userEmail: string): Promise<AdminRole | null> {
    const roster = this.roster();
    const named = adminRoleOf(roster, userEmail, []);
    if (named !== null || !rosterNamesGroups(roster)) return named;
    try {
      return adminRoleOf(roster, userEmail, await this.cachedGroupsOf(userEmail));
    } catch {
      return null;
    }
  }

  /** The caller's role, or 403 naming who may use the Admin area; 503 when their groups cannot be read. */
  async require(userEmail: string, needed: AdminRole): Promise<AdminRole> {
    const roster = this.roster();
    let groups: string[] = [];
    // Listed by name: no lookup needed. Otherwise the groups decide, and a failed lookup decides nothing.
    if (adminRoleOf(roster, userEmail, []) === null && rosterNamesGroups(roster)) {
      try {
        groups = await this.groupsOf(userEmail);
      } catch (e) {
        throw new AppError(503, 'GROUPS_UNAVAILABLE', `Your group memberships could not be read to decide whether you may use the Admin area (${(e as Error).message}). Try again in a minute.`);
      }
    }
    const role = adminRoleOf(roster, userEmail, groups);
    if (role === null) {
      throw forbidden('NOT_ADMIN', `You (${userEmail}) are not an admin or auditor of this service. Admins and auditors are listed in the access policy (admins, auditors) or, without one, in ADMIN_GROUPS and AUDITOR_GROUPS.`);
    }
    if (needed === 'admin' && role !== 'admin') {
      throw forbidden('NOT_ADMIN', `You (${userEmail}) are an auditor: the Admin area is read-only for you. Ask an admin to do this.`);
    }
    return role;
  }
}
