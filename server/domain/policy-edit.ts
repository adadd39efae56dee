import { activationBindingOf, parseActivationBinding, type ActivationGrant } from './activation-binding';
import { canonicalCondition, splitTopLevelClauses } from './condition';
import { hasExactlyMembers, userMember, type Binding, type Policy } from './iam-policy';
import { parseTemporaryClause } from './temporary-condition';
import { isExpired } from './validity';

/** The caller's policy type, after an edit: always version 3 and with a bindings array. */
export type EditedPolicy<P extends Policy> = P & { version: 3; bindings: Binding[] };

/** A policy after an edit, and the bindings the edit took out of it. */
export interface PolicyEdit<P extends Policy> {
  readonly policy: EditedPolicy<P>;
  readonly removed: Binding[];
}

/** Conditional bindings require version 3; Resource Manager may hand out a policy marked version 1. */
function withBindings<P extends Policy>(policy: P, bindings: Binding[]): EditedPolicy<P> {
  return { ...policy, version: 3, bindings };
}

/** Keeps the bindings `keep` accepts, in a copy: the input is never mutated. */
function editBindings<P extends Policy>(policy: P, keep: (binding: Binding) => boolean): PolicyEdit<P> {
  const copy = structuredClone(policy);
  const kept: Binding[] = [];
  const removed: Binding[] = [];
  for (const binding of copy.bindings ?? []) (keep(binding) ? kept : removed).push(binding);
  return { policy: withBindings(copy, kept), removed };
}

function canonicalOrNull(resourceCondition: string | null): string | null {
  return resourceCondition === null ? null : canonicalCondition(resourceCondition);
}

function hasTemporaryClause(binding: Binding): boolean {
  const expression = binding.condition?.expression;
  return !!expression && splitTopLevelClauses(expression).some((clause) => parseTemporaryClause(clause) !== null);
}

/**
 * Whether adding `grant` makes `binding` obsolete. As in jit-access 1.x: the same role, exactly the
 * grant's user as members, and a temporary top-level clause, whatever the title, resource condition or
 * validity. Unlike 1.x, a not yet expired activation of the same role on a *different* resource
 * condition is kept: it is a separate entitlement the user still holds, and dropping it would silently
 * revoke access that was reported as granted (also when concurrent activations are written together).
 */
function isObsoletedBy(grant: ActivationGrant, resourceCondition: string | null, binding: Binding): boolean {
  if (binding.role !== grant.role || !hasExactlyMembers(binding, [userMember(grant.user)])) return false;
  if (!hasTemporaryClause(binding)) return false;
  const activation = parseActivationBinding(binding);
  const isOtherLiveEntitlement =
    activation !== null && activation.resourceCondition !== resourceCondition && !isExpired(activation, grant.start);
  return !isOtherLiveEntitlement;
}

function withGrant(bindings: Binding[], grant: ActivationGrant): Binding[] {
  const resourceCondition = canonicalOrNull(grant.resourceCondition);
  const kept = bindings.filter((binding) => !isObsoletedBy(grant, resourceCondition, binding));
  return [...kept, activationBindingOf(grant)];
}

/**
 * The modify step of an activation's read-modify-write: for each grant, in order, remove the bindings
 * it makes obsolete and append its activation binding. Grants for different users, roles or resource
 * conditions all land, so concurrent activations can be coalesced into one `setIamPolicy`. Returns a
 * copy with version 3 and the etag kept, so that the write fails if the policy changed meanwhile.
 */
export function addActivations<P extends Policy>(policy: P, grants: readonly ActivationGrant[]): EditedPolicy<P> {
  const copy = structuredClone(policy);
  return withBindings(copy, grants.reduce(withGrant, copy.bindings ?? []));
}

/** What an early end of an activation targets: one user's activation of one entitlement. */
export interface ActivationTarget {
  readonly user: string;
  readonly role: string;
  readonly resourceCondition: string | null;
}

/**
 * Ends a user's activation early: removes the activation bindings (see parseActivationBinding) of that
 * role and resource condition whose only member is the user. Other bindings are left alone.
 */
export function removeActivation<P extends Policy>(policy: P, target: ActivationTarget): PolicyEdit<P> {
  const resourceCondition = canonicalOrNull(target.resourceCondition);
  const member = userMember(target.user);
  return editBindings(policy, (binding) => {
    const activation = parseActivationBinding(binding);
    const isTarget =
      activation !== null &&
      activation.role === target.role &&
      activation.resourceCondition === resourceCondition &&
      hasExactlyMembers(binding, [member]);
    return !isTarget;
  });
}

/** Removes activation bindings (see parseActivationBinding) whose validity ended before `now`; nothing else. */
export function removeExpiredActivations<P extends Policy>(policy: P, now: Date): PolicyEdit<P> {
  return editBindings(policy, (binding) => {
    const activation = parseActivationBinding(binding);
    return activation === null || !isExpired(activation, now);
  });
}
