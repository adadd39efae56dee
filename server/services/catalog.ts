// The eligibility catalog: which projects a user has eligible roles on, which roles, who else holds them.
// Two sources of bindings (Asset Inventory, Policy Analyzer) share the rules in domain/eligible-roles.
import { eligibleRoles, bindingNamesAny, lowerMember, type EligibleRole } from '../domain/eligible-roles';
import type { Entitlement } from '../domain/entitlement';
import type { ActivationType } from '../domain/eligibility';
import { parseEligibleCondition } from '../domain/eligibility';
import { userMember, type Binding } from '../domain/iam-policy';
import type { CloudAsset, ProjectResource } from '../google/cloud-asset';
import type { CloudIdentity } from '../google/cloud-identity';
import type { ResourceManager } from '../google/resource-manager';
import { notFound, type AppError } from '../errors';
import { LookupCache } from './lookup-cache';

export interface ProjectRoles {
  roles: EligibleRole[];
  warnings: string[];
}

/** Where the bindings come from; each catalog setting has one. */
export interface BindingSource {
  /** Project ids in scope where the user holds at least one eligible binding. */
  projectsWithEligibleBindings(userEmail: string): Promise<string[]>;
  /** Bindings on the project and its ancestors that apply to the user, directly or through groups. */
  bindingsForUser(userEmail: string, projectId: string): Promise<{ bindings: Binding[]; warnings: string[] }>;
  /** Users holding an eligible binding that yields this entitlement, through nested groups. */
  holdersOf(entitlement: Entitlement, type: ActivationType): Promise<string[]>;
  /** Ids of the projects in scope that are ACTIVE (not pending deletion); shared by all users, cached. */
  activeProjectIds(): Promise<Set<string>>;
}

/**
 * One answer for a project that does not exist, lies outside RESOURCE_SCOPE, is pending deletion, is not
 * offered (AVAILABLE_PROJECTS_QUERY), or holds nothing the user is eligible for: telling them apart would
 * tell anyone which projects exist.
 */
export function projectNotOffered(userEmail: string, projectId: string): AppError {
  return notFound(`You (${userEmail}) have no eligible role on project '${projectId}', or this service does not offer it. Choose a project from your list.`);
}

export class Catalog {
  private readonly projectsCache: LookupCache<string[]>;
  private readonly rolesCache: LookupCache<ProjectRoles>;

  constructor(
    private readonly source: BindingSource,
    cacheSeconds: number,
    private readonly allowedProjects?: () => Promise<Set<string>>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.projectsCache = new LookupCache(cacheSeconds * 1000);
    this.rolesCache = new LookupCache(cacheSeconds * 1000);
  }

  /** Projects the user can activate something on, sorted; cached briefly per user. */
  listProjects(userEmail: string): Promise<string[]> {
    return this.projectsCache.get(userEmail, userEmail, async () => {
      const [projects, allowed] = await Promise.all([this.source.projectsWithEligibleBindings(userEmail), this.allowedProjects?.()]);
      return [...new Set(projects)].filter((p) => !allowed || allowed.has(p)).sort();
    });
  }

  /** The user's eligible roles on a project, for display; cached briefly per user. */
  listRoles(userEmail: string, projectId: string): Promise<ProjectRoles> {
    return this.rolesCache.get(userEmail, `${userEmail}\n${projectId}`, () => this.freshRoles(userEmail, projectId));
  }

  /** The user's eligible roles read fresh from Google: what every decision that grants access uses. */
  async freshRoles(userEmail: string, projectId: string): Promise<ProjectRoles> {
    await this.requireOffered(userEmail, projectId);
    const { bindings, warnings } = await this.source.bindingsForUser(userEmail, projectId);
    return { roles: eligibleRoles(bindings, userEmail, projectId, this.now()), warnings };
  }

  /** Users other than the requester who hold the same peer-approval entitlement. */
  async reviewersFor(entitlement: Entitlement, requesterEmail: string): Promise<string[]> {
    const holders = await this.source.holdersOf(entitlement, 'peer');
    return [...new Set(holders.map((h) => h.toLowerCase()))].filter((h) => h !== requesterEmail.toLowerCase()).sort();
  }

  /** Forgets what was cached for a user, after their access changed. */
  invalidate(userEmail: string): void {
    this.projectsCache.invalidate(userEmail);
    this.rolesCache.invalidate(userEmail);
  }

  /**
   * Refuses a project outside RESOURCE_SCOPE, pending deletion or not offered, before anything about it is
   * read: the scope's active projects are org-wide data, cached for everyone.
   */
  async requireOffered(userEmail: string, projectId: string): Promise<void> {
    const [active, allowed] = await Promise.all([this.source.activeProjectIds(), this.allowedProjects?.()]);
    if (!active.has(projectId) || (allowed && !allowed.has(projectId))) throw projectNotOffered(userEmail, projectId);
  }
}

/**
 * Asset Inventory: effective IAM policies of a project plus the user's transitive groups from Cloud
 * Identity. The project list is personalised by searching IAM policies for the user's principals.
 */
export class AssetInventorySource implements BindingSource {
  private readonly activeProjects: () => Promise<ProjectResource[]>;

  constructor(
    private readonly asset: CloudAsset,
    private readonly identity: CloudIdentity,
    cacheSeconds: number,
  ) {
    this.activeProjects = activeProjectsOf(asset, cacheSeconds);
  }

  async projectsWithEligibleBindings(userEmail: string): Promise<string[]> {
    const [principals, projects] = await Promise.all([this.principalsOf(userEmail), this.activeProjects()]);
    const query = [...principals].map((p) => `policy:"${p}"`).join(' OR ');
    const hits = await this.asset.searchIamPolicies(query);
    const found = new Set<string>();
    for (const hit of hits) {
      if (!hit.bindings.some((b) => bindingNamesAny(b, principals) && parseEligibleCondition(b.condition))) continue;
      const target = hit.resource.replace('//cloudresourcemanager.googleapis.com/', '');
      if (target.startsWith('projects/')) {
        found.add(target.slice('projects/'.length));
      } else {
        for (const p of projects) if (target.startsWith('organizations/') || p.folders.includes(target)) found.add(p.projectId);
      }
    }
    const active = new Set(projects.map((p) => p.projectId));
    return [...found].filter((p) => active.has(p));
  }

  async activeProjectIds(): Promise<Set<string>> {
    return new Set((await this.activeProjects()).map((p) => p.projectId));
  }

  async bindingsForUser(userEmail: string, projectId: string): Promise<{ bindings: Binding[]; warnings: string[] }> {
    const [attached, principals] = await Promise.all([this.asset.effectiveBindings(projectId), this.principalsOf(userEmail)]);
    return { bindings: attached.map((a) => a.binding).filter((b) => bindingNamesAny(b, principals)), warnings: [] };
  }

  async holdersOf(entitlement: Entitlement, type: ActivationType): Promise<string[]> {
    const attached = await this.asset.effectiveBindings(entitlement.projectId);
    const members = new Set<string>();
    for (const { binding } of attached) {
      if (binding.role !== entitlement.role) continue;
      const eligibility = parseEligibleCondition(binding.condition);
      if (!eligibility || eligibility.type !== type || eligibility.resourceCondition !== entitlement.resourceCondition) continue;
      for (const m of binding.members ?? []) members.add(lowerMember(m));
    }
    const users = [...members].filter((m) => m.startsWith('user:') || m.startsWith('serviceAccount:')).map((m) => m.slice(m.indexOf(':') + 1));
    const groups = [...members].filter((m) => m.startsWith('group:')).map((m) => m.slice(6));
    const nested = await Promise.all(groups.map((g) => this.identity.transitiveUsersOf(g)));
    return [...users, ...nested.flat()];
  }

  private async principalsOf(userEmail: string): Promise<Set<string>> {
    const groups = await this.identity.transitiveGroupsOf(userEmail);
    return new Set([userMember(userEmail), ...groups.map((g) => `group:${g}`)]);
  }
}

/** Policy Analyzer: Google resolves groups and inheritance; needs Security Command Center quota. */
export class PolicyAnalyzerSource implements BindingSource {
  private readonly activeProjects: () => Promise<ProjectResource[]>;

  constructor(
    private readonly asset: CloudAsset,
    cacheSeconds: number,
  ) {
    this.activeProjects = activeProjectsOf(asset, cacheSeconds);
  }

  async projectsWithEligibleBindings(userEmail: string): Promise<string[]> {
    const [{ results }, projects] = await Promise.all([this.asset.analyze({ identity: userMember(userEmail), expandResources: true }), this.activeProjects()]);
    const active = new Set(projects.map((p) => p.projectId));
    return results
      .filter((r) => parseEligibleCondition(r.binding.condition))
      .flatMap((r) => r.projectIds)
      .filter((p) => active.has(p));
  }

  async activeProjectIds(): Promise<Set<string>> {
    return new Set((await this.activeProjects()).map((p) => p.projectId));
  }

  async bindingsForUser(userEmail: string, projectId: string): Promise<{ bindings: Binding[]; warnings: string[] }> {
    const { results, warnings } = await this.asset.analyze({
      identity: userMember(userEmail),
      resource: `//cloudresourcemanager.googleapis.com/projects/${projectId}`,
    });
    return { bindings: results.map((r) => r.binding), warnings };
  }

  async holdersOf(entitlement: Entitlement, type: ActivationType): Promise<string[]> {
    const { results } = await this.asset.analyze({
      resource: `//cloudresourcemanager.googleapis.com/projects/${entitlement.projectId}`,
      roles: [entitlement.role],
      expandGroups: true,
    });
    return results
      .filter((r) => {
        const eligibility = parseEligibleCondition(r.binding.condition);
        return eligibility && eligibility.type === type && eligibility.resourceCondition === entitlement.resourceCondition;
      })
      .flatMap((r) => r.identities)
      .filter((i) => i.startsWith('user:') || i.startsWith('serviceAccount:'))
      .map((i) => i.slice(i.indexOf(':') + 1));
  }
}

/** The active projects in scope, with their folders: the same for every user, so cached for all of them. */
function activeProjectsOf(asset: CloudAsset, cacheSeconds: number): () => Promise<ProjectResource[]> {
  const cache = new LookupCache<ProjectResource[]>(cacheSeconds * 1000);
  return () => cache.get('', 'state:ACTIVE', () => asset.searchProjects('state:ACTIVE'));
}

/** Projects matching AVAILABLE_PROJECTS_QUERY, when the operator narrowed the offer. */
export function projectsMatching(resourceManager: ResourceManager, query: string, cacheSeconds: number): () => Promise<Set<string>> {
  const cache = new LookupCache<Set<string>>(cacheSeconds * 1000);
  return () => cache.get('', query, async () => new Set((await resourceManager.searchProjects(query)).map((p) => p.projectId)));
}
