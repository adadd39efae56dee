// From the IAM bindings that apply to a user on a project to the roles the user may activate, and which of
// them are active now. Both catalogs feed this one function, so they cannot disagree on the rules.
import { parseEligibleCondition, type ActivationType } from './eligibility';
import { parseActivationBinding } from './activation-binding';
import { entitlementId, type Entitlement } from './entitlement';
import { principalMember, type Binding } from './iam-policy';

/** An entitlement the user holds, how it is activated, and its activation in force if any. */
export interface EligibleRole extends Entitlement {
  readonly id: string;
  readonly type: ActivationType;
  active?: { start: Date; end: Date };
}

/**
 * Eligible roles from bindings already known to apply to the user (directly or through groups), and
 * activations from bindings naming the user. Self-approval wins when a role is eligible both ways.
 */
export function eligibleRoles(bindings: readonly Binding[], userEmail: string, projectId: string, now: Date): EligibleRole[] {
  const byId = new Map<string, EligibleRole>();
  for (const binding of bindings) {
    const eligibility = parseEligibleCondition(binding.condition);
    if (!eligibility || !binding.role) continue;
    const entitlement = { projectId, role: binding.role, resourceCondition: eligibility.resourceCondition };
    const id = entitlementId(entitlement);
    const known = byId.get(id);
    if (known && known.type === 'self') continue;
    byId.set(id, { ...entitlement, id, type: eligibility.type });
  }
  const member = principalMember(userEmail);
  for (const binding of bindings) {
    const activation = parseActivationBinding(binding);
    if (!activation || !activation.members.some((m) => m.toLowerCase() === member)) continue;
    if (activation.start.getTime() > now.getTime() || activation.end.getTime() <= now.getTime()) continue;
    const role = byId.get(entitlementId({ projectId, role: activation.role, resourceCondition: activation.resourceCondition }));
    if (role && (!role.active || role.active.end < activation.end)) role.active = { start: activation.start, end: activation.end };
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * For a decision about `requestedIds` only: whether the user's groups found so far settle their eligibility
 * for each of them on these bindings, so that finding more groups could change nothing. An entitlement is
 * settled once a self-approval binding of it names the user or a group found (self-approval wins), or
 * once no binding of it that could still change its type names a group not found yet.
 */
export function eligibilitySettled(bindings: readonly Binding[], userEmail: string, projectId: string, requestedIds: readonly string[]): (groups: ReadonlySet<string>) => boolean {
  const user = principalMember(userEmail);
  const wanted = new Set(requestedIds);
  const relevant = bindings.flatMap((binding) => {
    const eligibility = parseEligibleCondition(binding.condition);
    if (!eligibility || !binding.role) return [];
    const id = entitlementId({ projectId, role: binding.role, resourceCondition: eligibility.resourceCondition });
    return wanted.has(id) ? [{ id, type: eligibility.type, members: (binding.members ?? []).map(lowerMember) }] : [];
  });
  return (groups) => {
    const names = (m: string) => m === user || (m.startsWith('group:') && groups.has(m.slice('group:'.length)));
    const mayYetName = (m: string) => m.startsWith('group:') && !groups.has(m.slice('group:'.length));
    return [...wanted].every((id) => {
      const own = relevant.filter((r) => r.id === id);
      if (own.some((r) => r.type === 'self' && r.members.some(names))) return true;
      const peer = own.some((r) => r.type === 'peer' && r.members.some(names));
      return !own.some((r) => (r.type === 'self' || !peer) && r.members.some(mayYetName));
    });
  };
}

/** Whether a binding lists one of the principals (`user:…`, `group:…`), compared case-insensitively. */
export function bindingNamesAny(binding: Binding, principals: ReadonlySet<string>): boolean {
  return (binding.members ?? []).some((m) => principals.has(lowerMember(m)));
}

export function lowerMember(member: string): string {
  const i = member.indexOf(':');
  return i < 0 ? member : member.slice(0, i + 1) + member.slice(i + 1).toLowerCase();
}
