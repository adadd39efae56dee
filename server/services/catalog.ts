// The eligibility catalog: which projects a user has eligible roles on, which roles, who else holds them.
// Two sources of bindings (Asset Inventory, Policy Analyzer) share the rules in domain/eligible-roles.
// What is the same for every user is cached for all of them: the scope's active projects (refreshed in
// the background), each project's effective policy, each group's members, each project's grantable
// roles. Decisions that grant access read eligibility fresh.
import { eligibleRoles, eligibilitySettled, bindingNamesAny, lowerMember, type EligibleRole } from '../domain/eligible-roles';
import type { Entitlement } from '../domain/entitlement';
import type { ActivationType } from '../domain/eligibility';
import { parseEligibleCondition } from '../domain/eligibility';
import { principalMember, type Binding } from '../domain/iam-policy';
import { PROJECT_RESOURCE_PREFIX, type AttachedBinding, type CloudAsset, type PolicySearchResult, type ProjectResource } from '../google/cloud-asset';
import type { IamRoles, RoleInfo } from '../google/iam-roles';
import type { ResourceManager } from '../google/resource-manager';
import { notFound, type AppError } from '../errors';
import type { GroupMemberships } from './group-memberships';
import { LookupCache, RefreshingValue } from './lookup-cache';

/** An eligible role as the UI shows it: with its title and description when IAM gives them. */
export type DescribedRole = EligibleRole & { title?: string; description?: string };

export interface ProjectRoles {
  roles: DescribedRole[];
  /** Eligible roles that IAM cannot grant on a project (folder- or organization-level roles): never offered. */
  notGrantable: EligibleRole[];
  warnings: string[];
}

export interface ProjectEntry {
  id: string;
  displayName?: string;
}

export interface ProjectList {
  projects: ProjectEntry[];
  warnings: string[];
}

export interface Reviewers {
  reviewers: string[];
  warnings: string[];
}

/** The users holding an entitlement's eligible bindings of one type, and what could not be read on the way. */
export type HoldersOfType = (type: ActivationType) => Promise<{ users: string[]; warnings: string[] }>;

/** Where the bindings come from; each catalog setting has one. */
export interface BindingSource {
  /** Project ids in scope where the user holds at least one eligible binding. */
  projectsWithEligibleBindings(userEmail: string): Promise<{ projectIds: string[]; warnings: string[] }>;
  /**
   * Bindings on the project and its ancestors that apply to the user, directly or through groups. With
   * `requested` (entitlement ids; only when fresh), complete for those entitlements only: a decision about them.
   */
  bindingsForUser(userEmail: string, projectId: string, fresh: boolean, requested?: readonly string[]): Promise<{ bindings: Binding[]; warnings: string[] }>;
  /**
   * Users holding an eligible binding that yields this entitlement, through nested groups: the bindings are
   * read once, and each type's holders listed when asked (a request learns its type from a read in parallel).
   */
  holdersOf(entitlement: Entitlement, fresh: boolean): Promise<HoldersOfType>;
  /** Forgets what was cached about a project's policies, after the service changed them. */
  forgetProject?(projectId: string): void;
}

/**
 * One answer for a project that does not exist, lies outside RESOURCE_SCOPE, is pending deletion, is not
 * offered (AVAILABLE_PROJECTS_QUERY), or holds nothing the user is eligible for: telling them apart would
 * tell anyone which projects exist.
 */
export function projectNotOffered(userEmail: string, projectId: string): AppError {
  return notFound(`You (${userEmail}) have no eligible role on project '${projectId}', or this service does not offer it. Choose a project from your list.`);
}

/** Roles change rarely: what they are called, and where they can be granted, is kept for hours. */
const ROLE_INFO_TTL_MS = 24 * 3600_000;
const GRANTABLE_ROLES_TTL_MS = 3600_000;

export class Catalog {
  private readonly projectsCache: LookupCache<ProjectList>;
  private readonly rolesCache: LookupCache<ProjectRoles>;
  private readonly grantable = new LookupCache<Map<string, RoleInfo> | undefined>(GRANTABLE_ROLES_TTL_MS);
  private readonly roleInfo = new LookupCache<RoleInfo | undefined>(ROLE_INFO_TTL_MS);

  constructor(
    private readonly source: BindingSource,
    cacheSeconds: number,
    private readonly activeProjects: () => Promise<ProjectResource[]>,
    private readonly iamRoles?: IamRoles,
    private readonly allowedProjects?: () => Promise<Set<string>>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.projectsCache = new LookupCache(cacheSeconds * 1000);
    this.rolesCache = new LookupCache(cacheSeconds * 1000);
  }

  /** Project ids the user can activate something on, sorted; cached briefly per user. */
  async listProjects(userEmail: string): Promise<string[]> {
    return (await this.projectList(userEmail)).projects.map((p) => p.id);
  }

  /** Projects the user can activate something on, sorted, with names and what could not be read. */
  projectList(userEmail: string): Promise<ProjectList> {
    return this.projectsCache.get(userEmail, userEmail, async () => {
      const [found, active, allowed] = await Promise.all([this.source.projectsWithEligibleBindings(userEmail), this.activeProjects(), this.allowedProjects?.()]);
      const byId = new Map(active.map((p) => [p.projectId, p]));
      const projects = [...new Set(found.projectIds)]
        .filter((id) => byId.has(id) && (!allowed || allowed.has(id)))
        .sort()
        .map((id) => ({ id, ...(byId.get(id)!.displayName ? { displayName: byId.get(id)!.displayName } : {}) }));
      return { projects, warnings: found.warnings };
    });
  }

  /** The user's eligible roles on a project, for display; cached briefly per user. */
  listRoles(userEmail: string, projectId: string): Promise<ProjectRoles> {
    return this.rolesCache.get(userEmail, `${userEmail}\n${projectId}`, () => this.roles(userEmail, projectId, false));
  }

  /**
   * The user's eligible roles read fresh from Google: what every decision that grants access uses. With
   * `requested` (entitlement ids), exact for those roles; others may be missing, as the user's groups are
   * read only as far as they can change the answer for the requested ones.
   */
  freshRoles(userEmail: string, projectId: string, requested?: readonly string[]): Promise<ProjectRoles> {
    return this.roles(userEmail, projectId, true, requested);
  }

  /**
   * Users other than the requester who hold the same entitlement, by the type of eligible binding they hold
   * it through: peers of a requester are the holders of the same type. `fresh` (the default) for decisions;
   * lists may use what was read for other users.
   */
  async reviewersFor(entitlement: Entitlement, requesterEmail: string, fresh = true): Promise<(type: ActivationType) => Promise<Reviewers>> {
    const holders = await this.source.holdersOf(entitlement, fresh);
    return async (type) => {
      const { users, warnings } = await holders(type);
      const reviewers = [...new Set(users.map((h) => h.toLowerCase()))].filter((h) => h !== requesterEmail.toLowerCase()).sort();
      return { reviewers, warnings };
    };
  }

  /** Forgets what was cached for a user, and about the project's policies, after the service changed them. */
  invalidate(userEmail: string, projectId?: string): void {
    this.projectsCache.invalidate(userEmail);
    this.rolesCache.invalidate(userEmail);
    if (projectId) this.source.forgetProject?.(projectId);
  }

  private async roles(userEmail: string, projectId: string, fresh: boolean, requested?: readonly string[]): Promise<ProjectRoles> {
    await this.requireOffered(userEmail, projectId);
    const [{ bindings, warnings }, grantable] = await Promise.all([this.source.bindingsForUser(userEmail, projectId, fresh, requested), this.grantableOn(projectId)]);
    const eligible = eligibleRoles(bindings, userEmail, projectId, this.now());
    const notGrantable = grantable ? eligible.filter((r) => !grantable.has(r.role)) : [];
    const offered = eligible.filter((r) => !notGrantable.includes(r));
    const roles = await Promise.all(offered.map(async (r) => ({ ...r, ...describe(grantable?.get(r.role) ?? (await this.describeRole(r.role))) })));
    const refusals = [...new Set(notGrantable.map((r) => r.role))].map(
      (role) => `You are eligible for ${role}, but it cannot be granted on a project (only on a folder or the organization), so it is not offered here.`,
    );
    // Someone eligible for nothing here learns nothing about the project, not even what could not be read.
    return { roles, notGrantable, warnings: eligible.length > 0 ? [...new Set([...warnings, ...refusals])] : [] };
  }

  /**
   * The roles IAM can grant on the project, with their titles; undefined when IAM would not say, in
   * which case every role is offered and setIamPolicy has the last word.
   */
  private grantableOn(projectId: string): Promise<Map<string, RoleInfo> | undefined> {
    const iamRoles = this.iamRoles;
    if (!iamRoles) return Promise.resolve(undefined);
    return this.grantable.get('', projectId, async () => {
      try {
        const roles = await iamRoles.grantableRoles(`${PROJECT_RESOURCE_PREFIX}${projectId}`);
        return new Map(roles.map((r) => [r.name, r]));
      } catch {
        return undefined;
      }
    });
  }

  /** A role's title and description (predefined or custom), or nothing when IAM would not say. */
  private async describeRole(role: string): Promise<RoleInfo | undefined> {
    const iamRoles = this.iamRoles;
    if (!iamRoles) return undefined;
    return this.roleInfo.get('', role, () => iamRoles.role(role)).catch(() => undefined);
  }

  /**
   * Refuses a project outside RESOURCE_SCOPE, pending deletion or not offered, before anything about it is
   * read: the scope's active projects are org-wide data, shared by everyone.
   */
  async requireOffered(userEmail: string, projectId: string): Promise<void> {
    const [active, allowed] = await Promise.all([this.activeProjects(), this.allowedProjects?.()]);
    if (!active.some((p) => p.projectId === projectId) || (allowed && !allowed.has(projectId))) throw projectNotOffered(userEmail, projectId);
  }
}

function describe(info: RoleInfo | undefined): { title?: string; description?: string } {
  return { ...(info?.title ? { title: info.title } : {}), ...(info?.description ? { description: info.description } : {}) };
}

/**
 * Asset Inventory: effective IAM policies of a project plus the user's groups from Cloud Identity. The
 * project list is personalised by searching IAM policies for the user's principals.
 */
/** Projects whose last-read policy is kept for guesses (AssetInventorySource.lastRead). */
const LAST_READ_PROJECTS = 1000;

export class AssetInventorySource implements BindingSource {
  private readonly effective: LookupCache<AttachedBinding[]>;
  /**
   * Each project's effective policy as last read, kept past its cache life and its changes (oldest
   * dropped first): only to guess which of a user's groups a decision will need, never to decide.
   */
  private readonly lastRead = new Map<string, AttachedBinding[]>();
  /** Principal (`user:…`, `group:…`) → where eligible bindings name it; shared by every user. */
  private readonly eligibleTargets: LookupCache<string[]>;

  constructor(
    private readonly asset: CloudAsset,
    private readonly groups: GroupMemberships,
    private readonly activeProjects: () => Promise<ProjectResource[]>,
    cacheSeconds: number,
  ) {
    this.effective = new LookupCache(cacheSeconds * 1000);
    this.eligibleTargets = new LookupCache(cacheSeconds * 1000);
  }

  async projectsWithEligibleBindings(userEmail: string): Promise<{ projectIds: string[]; warnings: string[] }> {
    const [{ emails: groups, warnings }, projects] = await Promise.all([this.groups.groupsOf(userEmail), this.activeProjects()]);
    const targets = new Set((await this.eligibleTargetsOf([...principalsOf(userEmail, groups)])).flat());
    const found = new Set<string>();
    for (const target of targets) {
      if (target.startsWith('projects/')) {
        found.add(target.slice('projects/'.length));
      } else {
        for (const p of projects) if (target.startsWith('organizations/') || p.folders.includes(target)) found.add(p.projectId);
      }
    }
    return { projectIds: [...found], warnings };
  }

  /**
   * For each principal, the projects, folders and organization where an eligible binding names it. What
   * a principal is eligible for is the same whoever asks, and most users share most of their groups:
   * each principal's answer is cached for every user, and only the principals not cached are searched,
   * together (as few queries as Google's limits allow). A new user whose groups others already brought
   * costs one search, for their own address.
   */
  private eligibleTargetsOf(principals: string[]): Promise<string[][]> {
    const missing = principals.filter((p) => !this.eligibleTargets.has(p));
    let search: Promise<Map<string, string[]>> | undefined;
    const searchMissing = () => (search ??= this.asset.searchPoliciesNaming(missing).then((hits) => targetsByPrincipal(hits, new Set(missing))));
    return Promise.all(principals.map((p) => this.eligibleTargets.get(p, p, async () => (await searchMissing()).get(p) ?? [])));
  }

  async bindingsForUser(userEmail: string, projectId: string, fresh: boolean, requested?: readonly string[]): Promise<{ bindings: Binding[]; warnings: string[] }> {
    if (fresh && requested) return this.bindingsForDecision(userEmail, projectId, requested);
    const [attached, groups] = await Promise.all([this.effectiveBindings(projectId, fresh), this.groups.groupsOf(userEmail, fresh)]);
    const principals = principalsOf(userEmail, groups.emails);
    const bindings = attached.map((a) => a.binding);
    // Groups of eligible bindings the user was not found in: if one cannot be read, say so rather than
    // silently leaving out what it might grant (Google leaves unreadable groups out of a user's groups).
    const others = new Set(
      bindings
        .filter((b) => parseEligibleCondition(b.condition))
        .flatMap((b) => (b.members ?? []).map(lowerMember))
        .filter((m) => m.startsWith('group:') && !principals.has(m))
        .map((m) => m.slice('group:'.length)),
    );
    const expansions = await Promise.all([...others].map((g) => this.groups.usersOf(g)));
    const warnings = [...groups.warnings, ...expansions.flatMap((e) => e.warnings)];
    return { bindings: bindings.filter((b) => bindingNamesAny(b, principals)), warnings: [...new Set(warnings)] };
  }

  /**
   * The policy read now, and the user's groups read now only as far as they can change the user's eligibility
   * for the requested entitlements (usually the user's own groups: one call instead of one per group reached).
   * Whether to read the levels above early is guessed from the policy as last read.
   */
  private async bindingsForDecision(userEmail: string, projectId: string, requested: readonly string[]): Promise<{ bindings: Binding[]; warnings: string[] }> {
    const settledOn = (attached: AttachedBinding[]) =>
      eligibilitySettled(
        attached.map((a) => a.binding),
        userEmail,
        projectId,
        requested,
      );
    const before = this.lastRead.get(projectId);
    const likelyEnough = before && settledOn(before);
    const reading = this.effectiveBindings(projectId, true);
    const [attached, groups] = await Promise.all([reading, this.groups.freshGroupsUntil(userEmail, reading.then(settledOn), likelyEnough)]);
    const principals = principalsOf(userEmail, groups.emails);
    return { bindings: attached.map((a) => a.binding).filter((b) => bindingNamesAny(b, principals)), warnings: groups.warnings };
  }

  async holdersOf(entitlement: Entitlement, fresh: boolean): Promise<HoldersOfType> {
    const attached = await this.effectiveBindings(entitlement.projectId, fresh);
    return async (type) => {
      const members = new Set<string>();
      for (const { binding } of attached) {
        if (binding.role !== entitlement.role) continue;
        const eligibility = parseEligibleCondition(binding.condition);
        if (!eligibility || eligibility.type !== type || eligibility.resourceCondition !== entitlement.resourceCondition) continue;
        for (const m of binding.members ?? []) members.add(lowerMember(m));
      }
      const users = [...members].filter((m) => m.startsWith('user:') || m.startsWith('serviceAccount:')).map((m) => m.slice(m.indexOf(':') + 1));
      const groups = [...members].filter((m) => m.startsWith('group:')).map((m) => m.slice(6));
      const nested = await Promise.all(groups.map((g) => this.groups.usersOf(g, fresh)));
      return { users: [...users, ...nested.flatMap((n) => n.emails)], warnings: [...new Set(nested.flatMap((n) => n.warnings))] };
    };
  }

  forgetProject(projectId: string): void {
    this.effective.invalidate(projectId);
  }

  /** A project's effective policy, shared by every user: cached for lists, read now for decisions. */
  private effectiveBindings(projectId: string, fresh: boolean): Promise<AttachedBinding[]> {
    const load = async () => {
      const attached = await this.asset.effectiveBindings(projectId);
      this.lastRead.delete(projectId);
      this.lastRead.set(projectId, attached);
      if (this.lastRead.size > LAST_READ_PROJECTS) this.lastRead.delete(this.lastRead.keys().next().value!);
      return attached;
    };
    return fresh ? this.effective.fresh(projectId, projectId, load) : this.effective.get(projectId, projectId, load);
  }
}

/** `projects/ID`, `folders/N` or `organizations/N` of each search hit with an eligible binding naming the principal. */
function targetsByPrincipal(hits: readonly PolicySearchResult[], principals: ReadonlySet<string>): Map<string, string[]> {
  const targets = new Map<string, Set<string>>();
  for (const hit of hits) {
    const target = hit.resource.replace('//cloudresourcemanager.googleapis.com/', '');
    for (const binding of hit.bindings) {
      if (!parseEligibleCondition(binding.condition)) continue;
      for (const member of (binding.members ?? []).map(lowerMember)) {
        if (!principals.has(member)) continue;
        const set = targets.get(member) ?? new Set<string>();
        set.add(target);
        targets.set(member, set);
      }
    }
  }
  return new Map([...targets].map(([p, set]) => [p, [...set]]));
}

function principalsOf(userEmail: string, groups: readonly string[]): Set<string> {
  return new Set([principalMember(userEmail), ...groups.map((g) => `group:${g}`)]);
}

/**
 * Policy Analyzer: Google resolves groups and inheritance; limited to 20 analyses per organization and
 * day without Security Command Center Premium.
 */
export class PolicyAnalyzerSource implements BindingSource {
  constructor(private readonly asset: CloudAsset) {}

  async projectsWithEligibleBindings(userEmail: string): Promise<{ projectIds: string[]; warnings: string[] }> {
    // As jit-access 1.x: only bindings whose role lets the user see the project. The analyzer expands at
    // most 1,000 resources per binding, and this keeps bindings that cannot matter out of that budget.
    const { results, warnings } = await this.asset.analyze({
      identity: principalMember(userEmail),
      permissions: ['resourcemanager.projects.get'],
      expandResources: true,
    });
    return { projectIds: results.filter((r) => parseEligibleCondition(r.binding.condition)).flatMap((r) => r.projectIds), warnings };
  }

  async bindingsForUser(userEmail: string, projectId: string): Promise<{ bindings: Binding[]; warnings: string[] }> {
    const { results, warnings } = await this.asset.analyze({
      identity: principalMember(userEmail),
      resource: `${PROJECT_RESOURCE_PREFIX}${projectId}`,
    });
    return { bindings: results.map((r) => r.binding), warnings };
  }

  async holdersOf(entitlement: Entitlement): Promise<HoldersOfType> {
    const { results, warnings } = await this.asset.analyze({
      resource: `${PROJECT_RESOURCE_PREFIX}${entitlement.projectId}`,
      roles: [entitlement.role],
      expandGroups: true,
    });
    return async (type) => {
      const users = results
        .filter((r) => {
          const eligibility = parseEligibleCondition(r.binding.condition);
          return eligibility && eligibility.type === type && eligibility.resourceCondition === entitlement.resourceCondition;
        })
        .flatMap((r) => r.identities)
        .filter((i) => i.startsWith('user:') || i.startsWith('serviceAccount:'))
        .map((i) => i.slice(i.indexOf(':') + 1));
      return { users, warnings };
    };
  }
}

/**
 * The active projects in scope, with their folders and names: the same for every user, so loaded once
 * and refreshed in the background (at 20,000 projects a full listing takes longer than a user should wait).
 */
export function activeProjectsOf(asset: CloudAsset, refreshSeconds: number, onRefreshFailure: (e: unknown) => void): () => Promise<ProjectResource[]> {
  const value = new RefreshingValue(() => asset.searchProjects('state:ACTIVE'), refreshSeconds * 1000, onRefreshFailure);
  return () => value.get();
}

/** Projects matching AVAILABLE_PROJECTS_QUERY, when the operator narrowed the offer. */
export function projectsMatching(resourceManager: ResourceManager, query: string, cacheSeconds: number): () => Promise<Set<string>> {
  const cache = new LookupCache<Set<string>>(cacheSeconds * 1000);
  return () => cache.get('', query, async () => new Set((await resourceManager.searchProjects(query)).map((p) => p.projectId)));
}
