// Active elevations as the Admin area shows them: every user's activation binding in force on a project,
// read from Asset search results, and the filters an admin narrows them with.
import { isBreakGlassDescription, parseActivationBinding } from './activation-binding';
import { grantId, parseApproval, type ActiveGrant } from './grant';
import type { Binding } from './iam-policy';

/** One user's grant in force; `id` is the grant id of GET /api/v1/me/grants (it carries no user). */
export interface Elevation extends ActiveGrant {
  readonly user: string;
  /** Activated through break-glass (its binding's description carries the break-glass mark). */
  readonly breakGlass: boolean;
}

export interface ElevationFilter {
  user?: string;
  projectId?: string;
  /** A substring of the role, e.g. `storage` or `roles/owner`. */
  role?: string;
  breakGlass?: boolean;
}

/**
 * The elevations in force at `now` among one project's bindings: every `user:` and `serviceAccount:` member
 * (a pipeline activates as its service account) of every activation binding — Google merges identical ones,
 * so one binding may carry several grants. Groups are never activated by this service, so they are not
 * elevations.
 */
export function elevationsOf(projectId: string, bindings: readonly Binding[], now: Date): Elevation[] {
  const found: Elevation[] = [];
  for (const binding of bindings) {
    const activation = parseActivationBinding(binding);
    if (!activation || activation.start.getTime() > now.getTime() || activation.end.getTime() <= now.getTime()) continue;
    const key = { projectId, role: activation.role, resourceCondition: activation.resourceCondition, start: activation.start, end: activation.end };
    const approval = parseApproval(binding.condition?.description);
    const breakGlass = isBreakGlassDescription(binding.condition?.description);
    for (const member of activation.members) {
      const principal = /^(user|serviceaccount):(.+)$/i.exec(member);
      if (!principal) continue;
      found.push({ ...key, id: grantId(key), user: principal[2].toLowerCase(), approval, breakGlass });
    }
  }
  return found;
}

export function matchesFilter(elevation: Elevation, filter: ElevationFilter): boolean {
  if (filter.user && elevation.user !== filter.user.toLowerCase()) return false;
  if (filter.projectId && elevation.projectId !== filter.projectId) return false;
  if (filter.role && !elevation.role.toLowerCase().includes(filter.role.toLowerCase())) return false;
  if (filter.breakGlass !== undefined && elevation.breakGlass !== filter.breakGlass) return false;
  return true;
}

/** Ending soonest first: what an admin most likely acts on is what is still running. */
export function byEnd(a: Elevation, b: Elevation): number {
  return a.end.getTime() - b.end.getTime() || a.projectId.localeCompare(b.projectId) || a.user.localeCompare(b.user) || a.role.localeCompare(b.role);
}
