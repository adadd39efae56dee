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

/** Whether a binding lists one of the principals (`user:…`, `group:…`), compared case-insensitively. */
export function bindingNamesAny(binding: Binding, principals: ReadonlySet<string>): boolean {
  return (binding.members ?? []).some((m) => principals.has(lowerMember(m)));
}

export function lowerMember(member: string): string {
  const i = member.indexOf(':');
  return i < 0 ? member : member.slice(0, i + 1) + member.slice(i + 1).toLowerCase();
}
