// Cloud Asset API v1 over the emulator's world: the Policy Analyzer (analyzeIamPolicy), effective IAM
// policies (effectiveIamPolicies.batchGet) and the IAM policy and resource searches. Only Resource
// Manager resources exist here (organization, folders, projects); see docs/emulator.md for the query
// subset and where this differs from Google.
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { EmulatorEnv } from '../env';
import { GoogleApiError, invalidArgument, notFound, queryBool, queryInt, single, strictBody, strictQuery, type Route } from '../http';
import type { Binding, EmulatorState } from '../state';
import { lowerMember } from '../state';
import { evaluateCondition } from '../cel';
import { permissionsOf, roleGrants } from '../permissions';
import { pageOf } from './paging';

const CRM_PREFIX = '//cloudresourcemanager.googleapis.com/';
const ASSET_TYPES = {
  organizations: 'cloudresourcemanager.googleapis.com/Organization',
  folders: 'cloudresourcemanager.googleapis.com/Folder',
  projects: 'cloudresourcemanager.googleapis.com/Project',
} as const;
const SUPPORTED_ASSET_TYPES: readonly string[] = Object.values(ASSET_TYPES);

/** jit-access sends `accessTime = now`; the request may take a moment to arrive. */
const ACCESS_TIME_SKEW_MS = 10_000;
const MAX_BATCH_NAMES = 20;
/** `expandResources`: "the default max expansion per resource is 1000 for AssetService.AnalyzeIamPolicy". */
const MAX_RESOURCE_EXPANSION = 1000;
/** `expandGroups`: the same cap, "1000 per group" (google-limits.md): members beyond it are not listed. */
const MAX_GROUP_EXPANSION = 1000;
/** "Up to 10 comparisons can be made in a query, with a maximum of 2048 characters." (query syntax page) */
const MAX_QUERY_COMPARISONS = 10;
const MAX_QUERY_LENGTH = 2048;
const MAX_PAGE_SIZE = 500;
const DEFAULT_PAGE_SIZE = 100;

const PERMISSION = {
  analyze: 'cloudasset.assets.analyzeIamPolicy',
  searchPolicies: 'cloudasset.assets.searchAllIamPolicies',
  searchResources: 'cloudasset.assets.searchAllResources',
} as const;

export function assetRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  const route = (method: Route['method'], pattern: RegExp, name: string, handler: Route['handler']): Route => ({
    method,
    pattern,
    api: 'cloudasset',
    name: `cloudasset.${name}`,
    handler,
  });
  const analyzePattern = /^\/v1\/([^:]+):analyzeIamPolicy$/;
  return [
    route('GET', analyzePattern, 'analyzeIamPolicy', (req, res, m) => analyzeIamPolicy(state, res, m[1], analysisFromQuery(req))),
    // Not in the discovery document, but the Policy Analyzer how-to posts the same request as JSON.
    route('POST', analyzePattern, 'analyzeIamPolicy', (req, res, m) => {
      strictQuery(req, []);
      return analyzeIamPolicy(state, res, m[1], strictBody(req, analyzeBodySchema));
    }),
    route('GET', /^\/v1\/([^:]+)\/effectiveIamPolicies:batchGet$/, 'effectiveIamPolicies.batchGet', (req, res, m) => batchGetEffectiveIamPolicies(state, req, res, m[1])),
    route('GET', /^\/v1\/([^:]+):searchAllIamPolicies$/, 'searchAllIamPolicies', (req, res, m) => searchAllIamPolicies(state, req, res, m[1])),
    route('GET', /^\/v1\/([^:]+):searchAllResources$/, 'searchAllResources', (req, res, m) => searchAllResources(state, req, res, m[1])),
  ];
}

// --- shared: scopes, permissions, names ------------------------------------------------------------

/** Checks the scope's form; whether it exists is left to the permission check (403, as Google answers). */
function checkScope(scope: string): void {
  if (!/^(organizations\/[0-9]+|folders\/[0-9]+|projects\/[a-z0-9][-a-z0-9]*)$/.test(scope)) {
    throw invalidArgument(`Invalid scope "${scope}": use organizations/NUMBER, folders/NUMBER, projects/PROJECT_ID or projects/PROJECT_NUMBER.`);
  }
}

/** Denies like IAM does, naming the permission; returns the scope's canonical name. */
function authorize(state: EmulatorState, res: Response, permission: string, scope: string): string {
  const canonical = state.canonicalName(scope);
  if (!canonical || !state.hasPermission(res.locals.principal as string, permission, canonical)) {
    throw new GoogleApiError('PERMISSION_DENIED', `Permission '${permission}' denied on resource '${scope}' (or it may not exist).`, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'IAM_PERMISSION_DENIED',
        domain: 'cloudasset.googleapis.com',
        metadata: { permission, resource: scope },
      },
    ]);
  }
  return canonical;
}

/**
 * The canonical name (`projects/ID`, `folders/N`, `organizations/N`) of a full resource name, or
 * `undefined` when it is well formed but names nothing the emulator holds.
 */
function resourceOfFullName(state: EmulatorState, fullName: string, field: string): string | undefined {
  if (fullName.startsWith(CRM_PREFIX)) {
    const relative = fullName.slice(CRM_PREFIX.length);
    if (!/^(projects|folders|organizations)\/[^/]+$/.test(relative)) {
      throw invalidArgument(`${field}: "${fullName}" is not a Resource Manager resource name such as ${CRM_PREFIX}projects/my-project.`);
    }
    return state.canonicalName(relative);
  }
  if (/^\/\/[a-z0-9.-]+\.googleapis\.com\/\S+$/.test(fullName)) return undefined;
  throw invalidArgument(`${field}: "${fullName}" is not a full resource name; use the form ${CRM_PREFIX}projects/my-project.`);
}

/** The scope itself, then everything below it, depth first (folders before projects at each level). */
function resourcesUnder(state: EmulatorState, root: string): string[] {
  // Children by parent, built once per call: scanning every project for every node made a search of a
  // 5,000-project organization take minutes.
  const children = new Map<string, string[]>();
  const add = (parent: string, child: string) => {
    const list = children.get(parent);
    if (list) list.push(child);
    else children.set(parent, [child]);
  };
  for (const f of state.folders.values()) add(f.parent, `folders/${f.id}`);
  for (const p of state.allProjects()) add(p.parent, `projects/${p.id}`);
  const out: string[] = [];
  const visit = (name: string) => {
    out.push(name);
    for (const child of children.get(name) ?? []) visit(child);
  };
  visit(root);
  return out;
}

/** The resource, then its ancestors up to and including the scope; undefined when outside the scope. */
function chainToScope(state: EmulatorState, resource: string, scope: string): string[] | undefined {
  const chain = state.ancestry(resource);
  const i = chain.indexOf(scope);
  return i < 0 ? undefined : chain.slice(0, i + 1);
}

function assetTypeOf(name: string): string {
  return ASSET_TYPES[name.split('/')[0] as keyof typeof ASSET_TYPES];
}

/** Where an asset sits: what search results report and what `resource:`/`folders:`/`organization:` match. */
function placeOf(state: EmulatorState, name: string) {
  const chain = state.ancestry(name);
  const [kind, id] = name.split('/');
  const project = kind === 'projects' ? state.project(id) : undefined;
  const parent = state.parentOf(name);
  return {
    fullName: state.fullResourceName(name),
    /** Projects answer to their number as well as their id. */
    names: project ? [state.fullResourceName(name), `${CRM_PREFIX}projects/${project.number}`] : [state.fullResourceName(name)],
    assetType: assetTypeOf(name),
    project: project ? `projects/${project.number}` : undefined,
    folders: chain.filter((n) => n.startsWith('folders/')),
    organization: chain.find((n) => n.startsWith('organizations/')),
    parent,
  };
}

function bindingJson(b: Binding) {
  return {
    role: b.role,
    members: [...b.members],
    ...(b.condition
      ? {
          condition: {
            ...(b.condition.title ? { title: b.condition.title } : {}),
            ...(b.condition.description ? { description: b.condition.description } : {}),
            expression: b.condition.expression,
          },
        }
      : {}),
  };
}

/** RFC 3339 with the fractional digits proto3 JSON would print (none for whole seconds). */
function timestampJson(d: Date): string {
  return d.toISOString().replace('.000Z', 'Z');
}

function pageSizeOf(requested: number | undefined): number {
  if (requested === undefined || requested <= 0) return DEFAULT_PAGE_SIZE;
  return Math.min(requested, MAX_PAGE_SIZE);
}

/** `assetTypes` are RE2 patterns matched against the whole type; one that matches nothing known is a 400. */
function assetTypeFilter(patterns: string[]): (type: string) => boolean {
  if (patterns.length === 0) return () => true;
  const regexes = patterns.map((p) => {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${p})$`);
    } catch {
      throw invalidArgument(`assetTypes: "${p}" is not a valid regular expression.`);
    }
    if (!SUPPORTED_ASSET_TYPES.some((t) => re.test(t))) {
      throw invalidArgument(`assetTypes: "${p}" matches no supported asset type; the emulator holds ${SUPPORTED_ASSET_TYPES.join(', ')}.`);
    }
    return re;
  });
  return (type) => regexes.some((re) => re.test(type));
}

type Row = Record<string, unknown>;

/** `orderBy` such as `"assetType DESC, resource"`; only the listed fields are sortable. */
function orderByComparator(orderBy: string | undefined, sortable: readonly string[]): ((a: Row, b: Row) => number) | undefined {
  if (orderBy === undefined || orderBy.trim() === '') return undefined;
  const keys = orderBy.split(',').map((part) => {
    const m = /^\s*([A-Za-z]+)(?:\s+(DESC|ASC))?\s*$/i.exec(part);
    if (!m || !sortable.includes(m[1])) {
      throw invalidArgument(`orderBy: "${part.trim()}" is not sortable; use a comma-separated list of ${sortable.join(', ')}, each optionally followed by " DESC".`);
    }
    return { field: m[1], sign: m[2]?.toUpperCase() === 'DESC' ? -1 : 1 };
  });
  return (a, b) => {
    for (const { field, sign } of keys) {
      const c = String(a[field] ?? '').localeCompare(String(b[field] ?? ''));
      if (c !== 0) return c * sign;
    }
    return 0;
  };
}

// --- analyzeIamPolicy ------------------------------------------------------------------------------

const Q = 'analysisQuery.';
const ANALYZE_QUERY_PARAMS = [
  `${Q}resourceSelector.fullResourceName`,
  `${Q}identitySelector.identity`,
  `${Q}accessSelector.roles`,
  `${Q}accessSelector.permissions`,
  `${Q}options.expandGroups`,
  `${Q}options.expandRoles`,
  `${Q}options.expandResources`,
  `${Q}options.outputResourceEdges`,
  `${Q}options.outputGroupEdges`,
  `${Q}options.analyzeServiceAccountImpersonation`,
  `${Q}conditionContext.accessTime`,
  'executionTimeout',
  'savedAnalysisQuery',
] as const;

const optionsSchema = z
  .object({
    expandGroups: z.boolean().optional(),
    expandRoles: z.boolean().optional(),
    expandResources: z.boolean().optional(),
    outputResourceEdges: z.boolean().optional(),
    outputGroupEdges: z.boolean().optional(),
    analyzeServiceAccountImpersonation: z.boolean().optional(),
  })
  .strict();

const analyzeBodySchema = z
  .object({
    analysisQuery: z
      .object({
        scope: z.string().optional(),
        resourceSelector: z.object({ fullResourceName: z.string() }).strict().optional(),
        identitySelector: z.object({ identity: z.string() }).strict().optional(),
        accessSelector: z.object({ roles: z.array(z.string()).optional(), permissions: z.array(z.string()).optional() }).strict().optional(),
        options: optionsSchema.optional(),
        conditionContext: z.object({ accessTime: z.string().optional() }).strict().optional(),
      })
      .strict()
      .optional(),
    executionTimeout: z.string().optional(),
    savedAnalysisQuery: z.string().optional(),
  })
  .strict();
type AnalyzeRequest = z.infer<typeof analyzeBodySchema>;
type Options = z.infer<typeof optionsSchema>;

/** The GET form, mapped onto the JSON request; the `analysisQuery.` prefix is required, as on Google. */
function analysisFromQuery(req: Request): AnalyzeRequest {
  const q = strictQuery(req, ANALYZE_QUERY_PARAMS);
  const options: Options = {};
  for (const name of ['expandGroups', 'expandRoles', 'expandResources', 'outputResourceEdges', 'outputGroupEdges', 'analyzeServiceAccountImpersonation'] as const) {
    const v = queryBool(q, `${Q}options.${name}`);
    if (v !== undefined) options[name] = v;
  }
  const fullResourceName = single(q, `${Q}resourceSelector.fullResourceName`);
  const identity = single(q, `${Q}identitySelector.identity`);
  const roles = q.get(`${Q}accessSelector.roles`);
  const permissions = q.get(`${Q}accessSelector.permissions`);
  const accessTime = single(q, `${Q}conditionContext.accessTime`);
  return {
    analysisQuery: {
      ...(fullResourceName !== undefined ? { resourceSelector: { fullResourceName } } : {}),
      ...(identity !== undefined ? { identitySelector: { identity } } : {}),
      ...(roles || permissions ? { accessSelector: { roles, permissions } } : {}),
      options,
      ...(accessTime !== undefined ? { conditionContext: { accessTime } } : {}),
    },
    executionTimeout: single(q, 'executionTimeout'),
    savedAnalysisQuery: single(q, 'savedAnalysisQuery'),
  };
}

interface Analysis {
  /** Canonical name of the selected resource. */
  resource?: string;
  identity?: string;
  roles: string[];
  permissions: string[];
  options: Options;
  accessTime?: Date;
}

interface AnalysisState {
  code: string;
  cause: string;
}
interface Edge {
  sourceNode: string;
  targetNode: string;
}
interface Identity {
  name: string;
  analysisState?: AnalysisState;
}

const IDENTITY = /^(?:(?:user|group|serviceAccount):[^\s@*?]+@[^\s@*?]+|domain:[^\s@*?]+)$/;
const ROLE = /^(roles|projects\/[^/]+\/roles|organizations\/[0-9]+\/roles)\/[A-Za-z0-9_.]+$/;
const PERMISSION_NAME = /^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+){2,}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DURATION = /^\d+(\.\d{1,9})?s$/;

function analyzeIamPolicy(state: EmulatorState, res: Response, scope: string, request: AnalyzeRequest) {
  checkScope(scope);
  const query = request.analysisQuery ?? {};
  if (query.scope !== undefined && query.scope !== scope) {
    throw invalidArgument(`analysisQuery.scope "${query.scope}" differs from the scope in the URL "${scope}"; leave it out or make them equal.`);
  }
  const identity = query.identitySelector?.identity;
  if (identity !== undefined && !IDENTITY.test(identity)) {
    throw invalidArgument(
      `${Q}identitySelector.identity: "${identity}" is not a principal; use user:EMAIL, group:EMAIL, serviceAccount:EMAIL or domain:DOMAIN (wildcards are not supported).`,
    );
  }
  const roles = query.accessSelector?.roles ?? [];
  const permissions = query.accessSelector?.permissions ?? [];
  for (const r of roles) if (!ROLE.test(r)) throw invalidArgument(`${Q}accessSelector.roles: "${r}" is not a role name such as roles/compute.admin.`);
  for (const p of permissions) {
    if (!PERMISSION_NAME.test(p)) throw invalidArgument(`${Q}accessSelector.permissions: "${p}" is not a permission name such as compute.instances.get.`);
  }
  const rawTime = query.conditionContext?.accessTime;
  let accessTime: Date | undefined;
  if (rawTime !== undefined) {
    accessTime = new Date(rawTime);
    if (!TIMESTAMP.test(rawTime) || Number.isNaN(accessTime.getTime())) {
      throw invalidArgument(`${Q}conditionContext.accessTime: "${rawTime}" is not an RFC 3339 timestamp such as 2024-05-01T10:30:00Z.`);
    }
  }
  if (request.executionTimeout !== undefined && !DURATION.test(request.executionTimeout)) {
    throw invalidArgument(`executionTimeout: "${request.executionTimeout}" is not a duration such as "30s".`);
  }
  const options = query.options ?? {};
  const fullResourceName = query.resourceSelector?.fullResourceName;

  const scopeName = authorize(state, res, PERMISSION.analyze, scope);

  // Checks that depend on the world come after the permission check: a caller without access to the
  // scope learns nothing about what it holds.
  if (request.savedAnalysisQuery !== undefined) {
    throw notFound(`Saved query ${request.savedAnalysisQuery} was not found: the emulator holds no saved queries; send the analysisQuery itself.`);
  }
  if (options.analyzeServiceAccountImpersonation) {
    throw new GoogleApiError('UNIMPLEMENTED', `${Q}options.analyzeServiceAccountImpersonation is not implemented by the emulator.`);
  }
  if (options.expandGroups && identity !== undefined) {
    throw invalidArgument(`${Q}options.expandGroups cannot be set together with ${Q}identitySelector: the selected identity decides the identities of the result.`);
  }
  if (options.expandRoles && roles.length + permissions.length > 0) {
    throw invalidArgument(`${Q}options.expandRoles cannot be set together with ${Q}accessSelector: the selector decides the accesses of the result.`);
  }
  if (identity === undefined && fullResourceName === undefined) {
    throw invalidArgument(`The analysis query needs ${Q}identitySelector.identity or ${Q}resourceSelector.fullResourceName (or both).`);
  }
  if (accessTime && accessTime.getTime() < state.now().getTime() - ACCESS_TIME_SKEW_MS) {
    throw invalidArgument(
      `${Q}conditionContext.accessTime ${rawTime} is in the past; it must not be earlier than the current time (${timestampJson(state.now())}).`,
    );
  }
  let resource: string | undefined;
  if (fullResourceName !== undefined) {
    const field = `${Q}resourceSelector.fullResourceName`;
    resource = resourceOfFullName(state, fullResourceName, field);
    if (!resource) throw invalidArgument(`${field}: the resource ${fullResourceName} does not exist.`);
    if (!chainToScope(state, resource, scopeName)) throw invalidArgument(`${field}: ${fullResourceName} is not within the scope ${scope}.`);
    if (options.expandResources && !resource.startsWith('projects/')) {
      throw invalidArgument(`${Q}options.expandResources supports only project or lower resources in the resource selector, not ${fullResourceName}.`);
    }
  }

  const analysis = analyze(state, scopeName, { resource, identity, roles, permissions, options, accessTime });
  const echo = {
    scope,
    ...(fullResourceName !== undefined ? { resourceSelector: { fullResourceName } } : {}),
    ...(identity !== undefined ? { identitySelector: { identity } } : {}),
    ...(roles.length + permissions.length > 0
      ? { accessSelector: { ...(roles.length ? { roles } : {}), ...(permissions.length ? { permissions } : {}) } }
      : {}),
    ...(Object.values(options).some(Boolean) ? { options: Object.fromEntries(Object.entries(options).filter(([, v]) => v)) } : {}),
    ...(accessTime ? { conditionContext: { accessTime: timestampJson(accessTime) } } : {}),
  };
  return {
    mainAnalysis: { analysisQuery: echo, ...analysis },
    ...(analysis.fullyExplored ? { fullyExplored: true } : {}),
  };
}

/**
 * One result per relevant binding of each policy within the scope: the policies of the selected resource
 * and its ancestors up to the scope, or every policy at or below the scope.
 */
function analyze(state: EmulatorState, scope: string, q: Analysis) {
  const errors = new Map<string, AnalysisState>();
  const attached = q.resource ? chainToScope(state, q.resource, scope)! : resourcesUnder(state, scope);
  // The analyzer expands groups through the directory, so it cannot see members of external groups.
  const identityMembers = q.identity ? state.identitiesOf(q.identity, true) : undefined;
  const results: object[] = [];
  for (const name of attached) {
    const policy = state.assetPolicyOf(name);
    if (!policy) continue;
    for (const binding of policy.bindings) {
      if (identityMembers && !binding.members.some((m) => identityMembers.has(lowerMember(m)))) continue;
      const access = accessesOf(binding.role, q);
      if (!access) continue;
      const identities = identitiesOf(state, binding, q);
      const expansion = q.resource ? { resources: [q.resource], problems: [] } : q.options.expandResources ? expandResources(state, name) : { resources: [name], problems: [] };
      const resources = expansion.resources;
      const resourceEdges = q.options.outputResourceEdges ? resourceEdgesOf(state, resources, name) : [];
      const problems = [...access.problems, ...identities.problems, ...expansion.problems];
      for (const p of problems) errors.set(p.cause, p);
      results.push({
        attachedResourceFullName: state.fullResourceName(name),
        iamBinding: bindingJson(binding),
        accessControlLists: [
          {
            resources: resources.map((r) => ({ fullResourceName: state.fullResourceName(r) })),
            accesses: access.accesses,
            ...(resourceEdges.length ? { resourceEdges } : {}),
            ...(binding.condition
              ? { conditionEvaluation: { evaluationValue: evaluateCondition(binding.condition.expression, { requestTime: q.accessTime }) } }
              : {}),
          },
        ],
        identityList: { identities: identities.identities, ...(identities.edges.length ? { groupEdges: identities.edges } : {}) },
        ...(problems.length === 0 ? { fullyExplored: true } : {}),
      });
    }
  }
  return {
    ...(results.length ? { analysisResults: results } : {}),
    ...(errors.size === 0 ? { fullyExplored: true } : {}),
    ...(errors.size ? { nonCriticalErrors: [...errors.values()] } : {}),
  };
}

/**
 * The resources at and below an attached resource, at most 1,000 (Google's expansion cap for
 * AnalyzeIamPolicy, "1000 per resource"); beyond that the result is cut and says so.
 */
function expandResources(state: EmulatorState, attached: string): { resources: string[]; problems: AnalysisState[] } {
  const all = resourcesUnder(state, attached);
  if (all.length <= MAX_RESOURCE_EXPANSION) return { resources: all, problems: [] };
  const cause = `Resource expansion of ${state.fullResourceName(attached)} stopped at ${MAX_RESOURCE_EXPANSION} of ${all.length} resources, the maximum per resource for AnalyzeIamPolicy; narrow the query (for example with an access selector) or use AnalyzeIamPolicyLongrunning.`;
  return { resources: all.slice(0, MAX_RESOURCE_EXPANSION), problems: [{ code: 'RESOURCE_EXHAUSTED', cause }] };
}

/**
 * The accesses a binding contributes, or undefined when the access selector excludes it. A role matches a
 * permission query only if emulator/permissions.ts lists that permission for it (roles/owner grants all):
 * the emulator does not guess the permissions of roles it does not know.
 */
function accessesOf(role: string, q: Analysis): { accesses: object[]; problems: AnalysisState[] } | undefined {
  if (q.roles.length + q.permissions.length > 0) {
    const accesses: object[] = [];
    if (q.roles.includes(role)) accesses.push({ role });
    for (const p of q.permissions) if (roleGrants(role, p)) accesses.push({ permission: p });
    return accesses.length ? { accesses, problems: [] } : undefined;
  }
  if (!q.options.expandRoles) return { accesses: [{ role }], problems: [] };
  const permissions = permissionsOf(role);
  if (permissions.length > 0 && !permissions.includes('*')) return { accesses: permissions.map((permission) => ({ permission })), problems: [] };
  const problem = { code: 'UNIMPLEMENTED', cause: `Cannot expand role ${role}: the emulator does not know all of its permissions (see emulator/permissions.ts).` };
  return { accesses: [{ role, analysisState: problem }], problems: [problem] };
}

/**
 * With an identity selector, only that identity (and, on request, the group path that led to it);
 * otherwise the binding's members, with groups expanded through nested groups when asked.
 */
function identitiesOf(state: EmulatorState, binding: Binding, q: Analysis): { identities: Identity[]; edges: Edge[]; problems: AnalysisState[] } {
  if (q.identity) {
    return { identities: [{ name: q.identity }], edges: q.options.outputGroupEdges ? membershipPath(state, binding.members, q.identity) : [], problems: [] };
  }
  if (!q.options.expandGroups) return { identities: binding.members.map((name) => ({ name })), edges: [], problems: [] };
  const identities = new Map<string, Identity>();
  const edges: Edge[] = [];
  const problems: AnalysisState[] = [];
  const visit = (member: string) => {
    const key = lowerMember(member);
    if (identities.has(key)) return;
    const identity: Identity = { name: member };
    identities.set(key, identity);
    if (!key.startsWith('group:')) return;
    const email = key.slice('group:'.length);
    const group = state.groups.get(email);
    if (!group || group.external) {
      identity.analysisState = unexpandableGroup(state, email);
      problems.push(identity.analysisState);
      return;
    }
    if (group.members.length > MAX_GROUP_EXPANSION) {
      identity.analysisState = {
        code: 'RESOURCE_EXHAUSTED',
        cause: `Group expansion of ${key} stopped at ${MAX_GROUP_EXPANSION} of ${group.members.length} members, the maximum per group for AnalyzeIamPolicy; use AnalyzeIamPolicyLongrunning or the Cloud Identity API for the rest.`,
      };
      problems.push(identity.analysisState);
    }
    for (const m of group.members.slice(0, MAX_GROUP_EXPANSION)) {
      if (q.options.outputGroupEdges) edges.push({ sourceNode: key, targetNode: m });
      visit(m);
    }
  };
  for (const m of binding.members) visit(m);
  return { identities: [...identities.values()], edges, problems };
}

function unexpandableGroup(state: EmulatorState, email: string): AnalysisState {
  const domain = email.slice(email.indexOf('@') + 1);
  const orgDomain = state.organization.domain.toLowerCase();
  if (state.groups.get(email)?.external) {
    return { code: 'PERMISSION_DENIED', cause: `Cannot expand group group:${email}: it belongs to another organization, whose memberships cannot be read.` };
  }
  if (domain === orgDomain || domain.endsWith(`.${orgDomain}`)) {
    return { code: 'NOT_FOUND', cause: `Cannot expand group group:${email}: it does not exist in the directory of ${orgDomain}.` };
  }
  return { code: 'PERMISSION_DENIED', cause: `Cannot expand group group:${email}: it belongs to ${domain}, outside the directory of ${orgDomain}.` };
}

/** Membership edges from the binding's groups down to the selected identity. */
function membershipPath(state: EmulatorState, members: string[], identity: string): Edge[] {
  const target = lowerMember(identity);
  const groupsOfIdentity = state.transitiveGroupsOf(identity, true);
  const leadsToIdentity = (m: string) => m === target || (m.startsWith('group:') && groupsOfIdentity.has(m.slice('group:'.length)));
  const edges: Edge[] = [];
  const seen = new Set<string>();
  const queue = members.map(lowerMember).filter((m) => m !== target && leadsToIdentity(m));
  while (queue.length > 0) {
    const group = queue.shift()!;
    if (seen.has(group)) continue;
    seen.add(group);
    for (const m of state.groups.get(group.slice('group:'.length))?.members ?? []) {
      if (!leadsToIdentity(m)) continue;
      edges.push({ sourceNode: group, targetNode: m });
      if (m !== target) queue.push(m);
    }
  }
  return edges;
}

/** Parent → child edges from the attached resource down to each listed resource. */
function resourceEdgesOf(state: EmulatorState, resources: string[], attached: string): Edge[] {
  const edges = new Map<string, Edge>();
  for (const r of resources) {
    const chain = state.ancestry(r);
    for (let i = 0; i < chain.length - 1 && chain[i] !== attached; i++) {
      const edge = { sourceNode: state.fullResourceName(chain[i + 1]), targetNode: state.fullResourceName(chain[i]) };
      edges.set(`${edge.sourceNode} ${edge.targetNode}`, edge);
    }
  }
  return [...edges.values()];
}

// --- effectiveIamPolicies.batchGet -----------------------------------------------------------------

function batchGetEffectiveIamPolicies(state: EmulatorState, req: Request, res: Response, scope: string) {
  checkScope(scope);
  const names = strictQuery(req, ['names']).get('names') ?? [];
  if (names.length === 0) throw invalidArgument(`names: give at least one full resource name, such as ${CRM_PREFIX}projects/my-project.`);
  if (names.length > MAX_BATCH_NAMES) throw invalidArgument(`names: at most ${MAX_BATCH_NAMES} resources per request, got ${names.length}.`);
  // Google documents no permission of its own for this method; the Policy Analyzer's is the closest.
  const scopeName = authorize(state, res, PERMISSION.analyze, scope);
  const policyResults = names.map((fullName) => {
    const resource = resourceOfFullName(state, fullName, 'names');
    if (!resource) throw notFound(`names: the resource ${fullName} does not exist.`);
    const chain = chainToScope(state, resource, scopeName);
    if (!chain) throw invalidArgument(`names: ${fullName} is not within the scope ${scope}.`);
    const policies = chain.flatMap((name) => {
      const policy = state.assetPolicyOf(name);
      if (!policy || policy.bindings.length === 0) return [];
      return [
        {
          attachedResource: state.fullResourceName(name),
          policy: {
            version: policy.version,
            etag: policy.etag,
            bindings: policy.bindings.map(bindingJson),
            ...(policy.auditConfigs?.length ? { auditConfigs: policy.auditConfigs } : {}),
          },
        },
      ];
    });
    return { fullResourceName: fullName, ...(policies.length ? { policies } : {}) };
  });
  return { policyResults };
}

// --- search query language -------------------------------------------------------------------------

type QueryExpr =
  | { kind: 'and' | 'or'; items: QueryExpr[] }
  | { kind: 'not'; item: QueryExpr }
  /** `field` is empty for free text. */
  | { kind: 'term'; field: string; op: ':' | '='; value: string };

type Token = { type: '(' } | { type: ')' } | { type: 'field'; name: string; op: ':' | '=' } | { type: 'value'; text: string; quoted: boolean };

function badQuery(query: string, problem: string): GoogleApiError {
  return invalidArgument(`Invalid query "${query}": ${problem}.`);
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push(c === '(' ? { type: '(' } : { type: ')' });
      i++;
    } else if (c === '"') {
      let text = '';
      for (i++; i < query.length && query[i] !== '"'; i++) {
        if (query[i] === '\\' && i + 1 < query.length) i++;
        text += query[i];
      }
      if (i >= query.length) throw badQuery(query, 'a quoted value is not closed');
      i++;
      tokens.push({ type: 'value', text, quoted: true });
    } else {
      let run = '';
      while (i < query.length && !/[\s()"]/.test(query[i])) run += query[i++];
      const field = /^([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)([:=])(.*)$/.exec(run);
      if (field) {
        tokens.push({ type: 'field', name: field[1], op: field[2] as ':' | '=' });
        if (field[3]) tokens.push({ type: 'value', text: field[3], quoted: false });
      } else if (/^[A-Za-z][\w.]*[<>]/.test(run)) {
        throw badQuery(query, `comparisons such as "${run}" are not supported by the emulator`);
      } else {
        tokens.push({ type: 'value', text: run, quoted: false });
      }
    }
  }
  return tokens;
}

/**
 * Google's search query subset: `field:value` (word match, `*` suffix for a word prefix), `field=value`
 * (exact), free text, quoted phrases, juxtaposition or `AND`, `OR`, `NOT`, parentheses, and value
 * lists such as `policy:(a OR b)`.
 */
function parseQuery(query: string, isField: (name: string) => boolean): QueryExpr | undefined {
  if (query.length > MAX_QUERY_LENGTH) {
    throw badQuery(`${query.slice(0, 60)}…`, `it is ${query.length} characters long; up to ${MAX_QUERY_COMPARISONS} comparisons can be made in a query, with a maximum of ${MAX_QUERY_LENGTH} characters`);
  }
  const tokens = tokenize(query);
  let pos = 0;
  const peek = () => tokens[pos];
  const isKeyword = (t: Token | undefined, word: string) => t?.type === 'value' && !t.quoted && t.text === word;
  const keyword = (word: string) => (isKeyword(peek(), word) ? (pos++, true) : false);
  const expectClose = () => {
    if (peek()?.type !== ')') throw badQuery(query, 'a parenthesis is not closed');
    pos++;
  };
  type FieldContext = { name: string; op: ':' | '=' } | undefined;
  const term = (field: string, op: ':' | '=', value: string): QueryExpr => {
    const stem = value.endsWith('*') ? value.slice(0, -1) : value;
    if (value !== '*' && (stem.includes('*') || (op === '=' && value.endsWith('*')))) {
      throw badQuery(query, `"${value}": a wildcard is supported only as the suffix of a word, with ":"`);
    }
    if (value !== '*' && op === ':' && wordsOf(stem).length === 0) throw badQuery(query, `"${value}" contains no word to search for`);
    return { kind: 'term', field, op, value };
  };
  const or = (field: FieldContext): QueryExpr => {
    const items = [and(field)];
    while (keyword('OR')) items.push(and(field));
    return items.length === 1 ? items[0] : { kind: 'or', items };
  };
  const and = (field: FieldContext): QueryExpr => {
    const items: QueryExpr[] = [];
    for (;;) {
      const t = peek();
      if (!t || t.type === ')' || isKeyword(t, 'OR')) break;
      if (keyword('AND')) continue;
      items.push(unary(field));
    }
    if (items.length === 0) throw badQuery(query, 'an operator or a parenthesis has nothing to apply to');
    return items.length === 1 ? items[0] : { kind: 'and', items };
  };
  const unary = (field: FieldContext): QueryExpr => {
    if (keyword('NOT')) return { kind: 'not', item: unary(field) };
    const t = tokens[pos++];
    if (!t) throw badQuery(query, 'NOT has nothing to apply to');
    if (t.type === '(') {
      const e = or(field);
      expectClose();
      return e;
    }
    if (t.type === ')') throw badQuery(query, 'unexpected ")"');
    if (t.type === 'field') {
      if (field) throw badQuery(query, `field "${t.name}" cannot appear inside the values of "${field.name}"`);
      if (!isField(t.name)) throw badQuery(query, `"${t.name}" is not a searchable field here`);
      const next = peek();
      if (next?.type === '(') {
        pos++;
        const e = or({ name: t.name, op: t.op });
        expectClose();
        return e;
      }
      if (next?.type !== 'value') throw badQuery(query, `field "${t.name}" has no value`);
      pos++;
      return term(t.name, t.op, next.text);
    }
    if (!t.quoted && t.text.startsWith('-')) throw badQuery(query, `negation with "-" ("${t.text}") is not supported by the emulator; use NOT`);
    return term(field?.name ?? '', field?.op ?? ':', t.text);
  };
  if (tokens.length === 0) return undefined;
  const expr = or(undefined);
  if (pos < tokens.length) throw badQuery(query, 'unexpected ")"');
  const comparisons = comparisonsIn(expr);
  if (comparisons > MAX_QUERY_COMPARISONS) {
    throw badQuery(query, `it makes ${comparisons} comparisons; up to ${MAX_QUERY_COMPARISONS} comparisons can be made in a query, with a maximum of ${MAX_QUERY_LENGTH} characters`);
  }
  return expr;
}

/**
 * Each term is a comparison, free text included, and so is each value of a list such as `policy:(a OR b)`:
 * how Google counts those is not documented, and counting each is the stricter reading.
 */
function comparisonsIn(expr: QueryExpr): number {
  switch (expr.kind) {
    case 'and':
    case 'or':
      return expr.items.reduce((n, e) => n + comparisonsIn(e), 0);
    case 'not':
      return comparisonsIn(expr.item);
    case 'term':
      return 1;
  }
}

function wordsOf(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Whether the value's words occur in order in one of the texts (the last one as a prefix with `*`). */
function textMatches(texts: string[], op: ':' | '=', value: string): boolean {
  if (value === '*') return texts.length > 0;
  if (op === '=') return texts.some((t) => t.toLowerCase() === value.toLowerCase());
  const prefix = value.endsWith('*');
  const want = wordsOf(prefix ? value.slice(0, -1) : value);
  return texts.some((text) => {
    const words = wordsOf(text);
    for (let i = 0; i + want.length <= words.length; i++) {
      if (want.every((w, j) => (prefix && j === want.length - 1 ? words[i + j].startsWith(w) : words[i + j] === w))) return true;
    }
    return false;
  });
}

/** `fieldTexts('')` gives the free-text fields. */
function matches(expr: QueryExpr | undefined, fieldTexts: (field: string) => string[]): boolean {
  if (!expr) return true;
  switch (expr.kind) {
    case 'and':
      return expr.items.every((e) => matches(e, fieldTexts));
    case 'or':
      return expr.items.some((e) => matches(e, fieldTexts));
    case 'not':
      return !matches(expr.item, fieldTexts);
    case 'term':
      return textMatches(fieldTexts(expr.field), expr.op, expr.value);
  }
}

// --- searchAllIamPolicies --------------------------------------------------------------------------

/**
 * What `policy:` and free text see of a condition. Google documents that `policy:` matches "IAM conditions",
 * not that their titles and descriptions are indexed: by default only the expression is (the stricter
 * reading); a world can index titles and descriptions too (`assetInventory.conditionTitlesIndexed`).
 */
function conditionTexts(state: EmulatorState, b: Binding): string[] {
  if (!b.condition) return [];
  const described = state.assetInventory.conditionTitlesIndexed ? [b.condition.title, b.condition.description ?? ''] : [];
  return [...described, b.condition.expression].filter(Boolean);
}

const IAM_SEARCH_FIELDS = new Set(['policy', 'roles', 'memberTypes', 'resource', 'folders', 'organization']);

function searchAllIamPolicies(state: EmulatorState, req: Request, res: Response, scope: string) {
  checkScope(scope);
  const q = strictQuery(req, ['query', 'assetTypes', 'orderBy', 'pageSize', 'pageToken']);
  const queryText = single(q, 'query') ?? '';
  const expr = parseQuery(queryText, (name) => IAM_SEARCH_FIELDS.has(name));
  const assetTypes = q.get('assetTypes') ?? [];
  const typeAllowed = assetTypeFilter(assetTypes);
  const orderBy = single(q, 'orderBy');
  const compare = orderByComparator(orderBy, ['resource', 'assetType', 'project']);
  const pageSize = pageSizeOf(queryInt(q, 'pageSize'));
  const pageToken = single(q, 'pageToken');
  const scopeName = authorize(state, res, PERMISSION.searchPolicies, scope);

  const results: Row[] = [];
  for (const name of resourcesUnder(state, scopeName)) {
    const policy = state.assetPolicyOf(name);
    const place = placeOf(state, name);
    if (!policy || !typeAllowed(place.assetType)) continue;
    const bindings = policy.bindings.filter((b) => {
      const policyTexts = [b.role, ...b.members, ...conditionTexts(state, b)];
      const placeTexts = [...place.names, ...place.folders, ...(place.organization ? [place.organization] : [])];
      return matches(expr, (field) => {
        switch (field) {
          case 'policy':
            return policyTexts;
          case 'roles':
            return [b.role];
          case 'memberTypes':
            return b.members.map((m) => (m.includes(':') ? m.slice(0, m.indexOf(':')) : m));
          case 'resource':
            return place.names;
          case 'folders':
            return place.folders;
          case 'organization':
            return place.organization ? [place.organization] : [];
          default:
            return [...policyTexts, ...placeTexts];
        }
      });
    });
    if (bindings.length === 0) continue;
    results.push({
      resource: place.fullName,
      assetType: place.assetType,
      ...(place.project ? { project: place.project } : {}),
      ...(place.folders.length ? { folders: place.folders } : {}),
      ...(place.organization ? { organization: place.organization } : {}),
      policy: { bindings: bindings.map(bindingJson) },
    });
  }
  if (compare) results.sort(compare);
  const page = pageOf(results, pageSize, pageToken, JSON.stringify(['searchAllIamPolicies', scope, queryText, assetTypes, orderBy ?? '', pageSize]));
  return { ...(page.items.length ? { results: page.items } : {}), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
}

// --- searchAllResources ----------------------------------------------------------------------------

const RESOURCE_FIELDS = [
  'name',
  'assetType',
  'project',
  'folders',
  'organization',
  'displayName',
  'location',
  'labels',
  'state',
  'parentFullResourceName',
  'parentAssetType',
  'additionalAttributes',
] as const;
const RESOURCE_SEARCH_FIELDS = new Set(['name', 'displayName', 'location', 'labels', 'state', 'project', 'folders', 'organization', 'parentFullResourceName', 'parentAssetType']);

function resourceResult(state: EmulatorState, name: string): Row {
  const place = placeOf(state, name);
  const [kind, id] = name.split('/');
  const project = kind === 'projects' ? state.project(id) : undefined;
  const displayName = project ? (project.displayName ?? project.id) : kind === 'folders' ? state.folders.get(id)?.displayName : (state.organization.displayName ?? state.organization.domain);
  return {
    name: place.fullName,
    assetType: place.assetType,
    ...(place.project ? { project: place.project } : {}),
    ...(place.folders.length ? { folders: place.folders } : {}),
    ...(place.organization ? { organization: place.organization } : {}),
    ...(displayName ? { displayName } : {}),
    location: 'global',
    ...(project?.labels && Object.keys(project.labels).length ? { labels: { ...project.labels } } : {}),
    state: project?.state ?? 'ACTIVE',
    ...(place.parent ? { parentFullResourceName: state.fullResourceName(place.parent), parentAssetType: assetTypeOf(place.parent) } : {}),
    ...(project ? { additionalAttributes: { projectId: project.id } } : {}),
  };
}

function searchAllResources(state: EmulatorState, req: Request, res: Response, scope: string) {
  checkScope(scope);
  const q = strictQuery(req, ['query', 'assetTypes', 'orderBy', 'pageSize', 'pageToken', 'readMask']);
  const queryText = single(q, 'query') ?? '';
  const expr = parseQuery(queryText, (name) => RESOURCE_SEARCH_FIELDS.has(name) || /^labels\.[A-Za-z0-9_-]+$/.test(name));
  const assetTypes = q.get('assetTypes') ?? [];
  const typeAllowed = assetTypeFilter(assetTypes);
  const orderBy = single(q, 'orderBy');
  const compare = orderByComparator(orderBy, ['name', 'assetType', 'project', 'displayName', 'location', 'state', 'parentFullResourceName', 'parentAssetType']);
  const pageSize = pageSizeOf(queryInt(q, 'pageSize'));
  const pageToken = single(q, 'pageToken');
  const readMask = single(q, 'readMask');
  const fields = readMask === undefined || readMask.trim() === '*' ? undefined : readMask.split(',').map((f) => f.trim());
  for (const f of fields ?? []) {
    if (!(RESOURCE_FIELDS as readonly string[]).includes(f)) throw invalidArgument(`readMask: "${f}" is not a field the emulator returns; use "*" or some of ${RESOURCE_FIELDS.join(', ')}.`);
  }
  const scopeName = authorize(state, res, PERMISSION.searchResources, scope);

  const results: Row[] = [];
  for (const name of resourcesUnder(state, scopeName)) {
    const row = resourceResult(state, name);
    if (!typeAllowed(row.assetType as string)) continue;
    const labels = (row.labels ?? {}) as Record<string, string>;
    const names = placeOf(state, name).names;
    const texts = (field: string): string[] => {
      if (field.startsWith('labels.')) {
        const value = labels[field.slice('labels.'.length)];
        return value === undefined ? [] : [value];
      }
      if (field === 'labels') return Object.entries(labels).flat();
      if (field === 'name') return names;
      if (field === '') return [...names, ...['displayName', 'location', 'state'].map((f) => String(row[f] ?? '')), ...Object.entries(labels).flat()];
      const v = row[field];
      return v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)];
    };
    if (matches(expr, texts)) results.push(row);
  }
  if (compare) results.sort(compare);
  const page = pageOf(results, pageSize, pageToken, JSON.stringify(['searchAllResources', scope, queryText, assetTypes, orderBy ?? '', pageSize, readMask ?? '']));
  const items = fields ? page.items.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => fields.includes(k)))) : page.items;
  return { ...(items.length ? { results: items } : {}), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
}
