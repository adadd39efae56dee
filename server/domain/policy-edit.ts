import { activationBindingOf, parseActivationBinding, type ActivationBinding, type ActivationGrant } from './activation-binding';
import { canonicalCondition } from './condition';
import { hasMember, principalMember, withoutMember, type Binding, type Policy } from './iam-policy';
import { isExpired, type Validity } from './validity';

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

/**
 * Bindings the user is a member of that this service recognises as activations (see
 * parseActivationBinding) of the role. Google merges bindings with the same role and identical condition,
 * so two users who activated the same role in the same second share one binding: each member of it
 * holds the grant, and only that member is ever taken out of it.
 */
function isUsersActivation(binding: Binding, member: string, role: string): ActivationBinding | null {
  if (binding.role !== role || !hasMember(binding, member)) return null;
  return parseActivationBinding(binding);
}

/**
 * Whether adding `grant` makes the user's membership of `binding` obsolete: an activation of the same
 * role, whatever its validity, with the same resource condition or one that has expired. Unlike 1.x, a
 * binding is replaced only when its title and condition say it is an activation (an administrator's own
 * time-bound binding is never touched), and a not yet expired activation of the same role on a
 * *different* resource condition is kept: it is a separate entitlement the user still holds.
 */
function isObsoletedBy(grant: ActivationGrant, member: string, resourceCondition: string | null, binding: Binding): boolean {
  const activation = isUsersActivation(binding, member, grant.role);
  if (activation === null) return false;
  return activation.resourceCondition === resourceCondition || isExpired(activation, grant.start);
}

/** What adding a grant found and did to the user's grant of that entitlement. */
export type GrantOutcome =
  /** The user held no grant of the entitlement in force: the grant was added. */
  | { readonly type: 'granted' }
  /** A grant in force ended earlier: it was replaced by the new one. */
  | { readonly type: 'extended'; readonly previous: Validity }
  /** A grant in force ends as late or later: it was left as it is, never shortened; nothing was added. */
  | { readonly type: 'kept'; readonly current: Validity };

/** The user's grant of the entitlement in force at `instant`; the one that ends last when there are several. */
function grantInForce(bindings: readonly Binding[], member: string, role: string, resourceCondition: string | null, instant: Date): Validity | null {
  let latest: Validity | null = null;
  for (const binding of bindings) {
    const activation = isUsersActivation(binding, member, role);
    if (activation === null || activation.resourceCondition !== resourceCondition) continue;
    const inForce = activation.start.getTime() <= instant.getTime() && instant.getTime() < activation.end.getTime();
    if (inForce && (latest === null || activation.end.getTime() > latest.end.getTime())) latest = { start: activation.start, end: activation.end };
  }
  return latest;
}

function withGrant(bindings: Binding[], grant: ActivationGrant): { bindings: Binding[]; outcome: GrantOutcome } {
  const member = principalMember(grant.user);
  const resourceCondition = canonicalOrNull(grant.resourceCondition);
  const current = grantInForce(bindings, member, grant.role, resourceCondition, grant.start);
  if (current !== null && current.end.getTime() >= grant.end.getTime()) return { bindings, outcome: { type: 'kept', current } };
  const kept = bindings.flatMap((binding) => {
    if (!isObsoletedBy(grant, member, resourceCondition, binding)) return [binding];
    const others = withoutMember(binding, member);
    return others === null ? [] : [others];
  });
  return { bindings: [...kept, activationBindingOf(grant)], outcome: current === null ? { type: 'granted' } : { type: 'extended', previous: current } };
}

/** A policy after adding activations, and what each grant did, in the order given. */
export interface ActivationsAdded<P extends Policy> {
  /** The caller's very policy object when every grant was kept: there is nothing to write. */
  readonly policy: P | EditedPolicy<P>;
  readonly outcomes: GrantOutcome[];
}

/**
 * The modify step of an activation's read-modify-write: for each grant, in order, take the user out of
 * the bindings it makes obsolete and append its activation binding — unless the user's grant of that
 * entitlement in force already lasts as long or longer, which is kept as it is (re-activating never
 * shortens a grant; ending one is a separate, explicit step). Grants for different users, roles or
 * resource conditions all land, so concurrent activations can be coalesced into one `setIamPolicy`.
 * Returns a copy with version 3 and the etag kept, so that the write fails if the policy changed meanwhile.
 */
export function addActivations<P extends Policy>(policy: P, grants: readonly ActivationGrant[]): ActivationsAdded<P> {
  const copy = structuredClone(policy);
  let bindings = copy.bindings ?? [];
  const outcomes: GrantOutcome[] = [];
  for (const grant of grants) {
    const added = withGrant(bindings, grant);
    bindings = added.bindings;
    outcomes.push(added.outcome);
  }
  if (outcomes.every((o) => o.type === 'kept')) return { policy, outcomes };
  return { policy: withBindings(copy, bindings), outcomes };
}

/** What an early end of an activation targets: one user's activation of one entitlement. */
export interface ActivationTarget {
  readonly user: string;
  readonly role: string;
  readonly resourceCondition: string | null;
}

/**
 * Ends a user's activation early: takes the user out of every activation binding (see
 * parseActivationBinding) of that role and resource condition. A binding shared with others (see
 * isUsersActivation) keeps its other members; other bindings are left alone. `removed` lists the
 * bindings the user was taken out of, as they were.
 */
export function removeActivation<P extends Policy>(policy: P, target: ActivationTarget): PolicyEdit<P> {
  const resourceCondition = canonicalOrNull(target.resourceCondition);
  const member = principalMember(target.user);
  const copy = structuredClone(policy);
  const kept: Binding[] = [];
  const removed: Binding[] = [];
  for (const binding of copy.bindings ?? []) {
    const activation = isUsersActivation(binding, member, target.role);
    if (activation === null || activation.resourceCondition !== resourceCondition) {
      kept.push(binding);
      continue;
    }
    removed.push(binding);
    const others = withoutMember(binding, member);
    if (others !== null) kept.push(others);
  }
  return { policy: withBindings(copy, kept), removed };
}

/** Removes activation bindings (see parseActivationBinding) whose validity ended before `now`; nothing else. */
export function removeExpiredActivations<P extends Policy>(policy: P, now: Date): PolicyEdit<P> {
  return editBindings(policy, (binding) => {
    const activation = parseActivationBinding(binding);
    return activation === null || !isExpired(activation, now);
  });
}
