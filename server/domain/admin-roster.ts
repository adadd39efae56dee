// Who may use the Admin area: admins (read and act) and auditors (read only), named as principals
// (`user:EMAIL`, `group:EMAIL`) by the access policy, or by the ADMIN_GROUPS / AUDITOR_GROUPS settings
// when the service runs without a policy.

/** `admin` may read and revoke; `auditor` may only read. */
export type AdminRole = 'admin' | 'auditor';

export interface AdminRoster {
  readonly admins: readonly string[];
  readonly auditors: readonly string[];
}

/** The roster in force: the policy's when there is one (even if it names nobody), else the settings'. */
export function adminRosterOf(policy: { admins?: readonly string[]; auditors?: readonly string[] } | null, settings: { adminGroups: readonly string[]; auditorGroups: readonly string[] }): AdminRoster {
  if (policy) return { admins: lower(policy.admins ?? []), auditors: lower(policy.auditors ?? []) };
  return { admins: settings.adminGroups.map((g) => `group:${g.toLowerCase()}`), auditors: settings.auditorGroups.map((g) => `group:${g.toLowerCase()}`) };
}

/** Whether deciding needs the user's groups: only when a group is listed at all. */
export function rosterNamesGroups(roster: AdminRoster): boolean {
  return [...roster.admins, ...roster.auditors].some((p) => p.startsWith('group:'));
}

/** The user's role in the Admin area given the groups they are in now, or null: no access. */
export function adminRoleOf(roster: AdminRoster, userEmail: string, groups: readonly string[]): AdminRole | null {
  const principals = new Set([`user:${userEmail.toLowerCase()}`, ...groups.map((g) => `group:${g.toLowerCase()}`)]);
  if (roster.admins.some((p) => principals.has(p))) return 'admin';
  if (roster.auditors.some((p) => principals.has(p))) return 'auditor';
  return null;
}

function lower(principals: readonly string[]): string[] {
  return principals.map((p) => p.toLowerCase());
}
