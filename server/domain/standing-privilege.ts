// Standing privileges: permanent bindings that defeat just-in-time access. A user who holds a role
// without a condition where they are also eligible for it never needs to activate; and owner, editor and
// *Admin roles held permanently are what an organization most wants to make just-in-time.
import { parseEligibleCondition } from './eligibility';
import type { Binding } from './iam-policy';

/** One IAM policy in scope: `resource` is `projects/ID`, `folders/N` or `organizations/N`. */
export interface ScopedPolicy {
  resource: string;
  /** The resource's ancestors (`folders/N`, nearest first, then `organizations/N`). */
  ancestors: readonly string[];
  bindings: readonly Binding[];
}

/** A binding that grants a role to a user, with where it sits and which principal names the user. */
export interface HeldBinding {
  user: string;
  role: string;
  /** Where the binding sits: remove it there. */
  resource: string;
  /** `user:…` or the `group:…` through which the user holds it. */
  via: string;
}

export interface StandingWhileEligible {
  standing: HeldBinding;
  eligible: HeldBinding & { activationType: 'self' | 'peer' };
}

export interface StandingReport {
  standingWhileEligible: StandingWhileEligible[];
  privileged: HeldBinding[];
}

/** owner, editor, and every role whose name ends in Admin (`roles/compute.admin`, `roles/iam.securityAdmin`). */
export function isPrivilegedRole(role: string): boolean {
  return role === 'roles/owner' || role === 'roles/editor' || /admin$/i.test(role.split('/').pop() ?? '');
}

/** The groups named in these policies' bindings (lower case), whose members the report needs. */
export function groupsNamedIn(policies: readonly ScopedPolicy[]): string[] {
  const groups = new Set<string>();
  for (const p of policies) for (const b of p.bindings) for (const m of b.members ?? []) if (m.toLowerCase().startsWith('group:')) groups.add(m.slice('group:'.length).toLowerCase());
  return [...groups].sort();
}

/**
 * The report. `usersOf` gives a group's users through nesting (absent: the group could not be read, and its
 * members are not in the report; the caller says so). A permanent binding and an eligible one meet when one
 * sits on the resource of the other or on one of its ancestors.
 */
export function standingReport(policies: readonly ScopedPolicy[], usersOf: (group: string) => readonly string[] | undefined): StandingReport {
  const ancestry = new Map(policies.map((p) => [p.resource, p.ancestors]));
  const holders = (member: string): string[] => {
    const lower = member.toLowerCase();
    if (lower.startsWith('user:')) return [lower.slice('user:'.length)];
    if (lower.startsWith('group:')) return [...(usersOf(lower.slice('group:'.length)) ?? [])].map((u) => u.toLowerCase());
    return [];
  };
  const permanent: HeldBinding[] = [];
  const eligible: (HeldBinding & { activationType: 'self' | 'peer' })[] = [];
  for (const policy of policies) {
    for (const binding of policy.bindings) {
      const role = binding.role;
      if (!role) continue;
      const condition = binding.condition;
      const eligibility = condition ? parseEligibleCondition(condition) : null;
      if (condition && !eligibility) continue;
      for (const member of binding.members ?? []) {
        for (const user of holders(member)) {
          const held = { user, role, resource: policy.resource, via: member.toLowerCase() };
          if (eligibility) eligible.push({ ...held, activationType: eligibility.type });
          else permanent.push(held);
        }
      }
    }
  }
  const covers = (outer: string, inner: string) => outer === inner || (ancestry.get(inner) ?? []).includes(outer);
  const standingWhileEligible: StandingWhileEligible[] = [];
  for (const standing of permanent) {
    for (const e of eligible) {
      if (e.user === standing.user && e.role === standing.role && (covers(standing.resource, e.resource) || covers(e.resource, standing.resource))) {
        standingWhileEligible.push({ standing, eligible: e });
      }
    }
  }
  const order = (a: HeldBinding, b: HeldBinding) => a.user.localeCompare(b.user) || a.role.localeCompare(b.role) || a.resource.localeCompare(b.resource) || a.via.localeCompare(b.via);
  return {
    standingWhileEligible: standingWhileEligible.sort((a, b) => order(a.standing, b.standing) || order(a.eligible, b.eligible)),
    privileged: permanent.filter((p) => isPrivilegedRole(p.role)).sort(order),
  };
}
