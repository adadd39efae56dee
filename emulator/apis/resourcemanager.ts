// Cloud Resource Manager v3: projects, folders and organizations (get, search) and their IAM policies
// (getIamPolicy / setIamPolicy / testIamPermissions), with Google's validation, limits and etag rules.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { EmulatorEnv } from '../env';
import { GoogleApiError, invalidArgument, queryInt, single, strictBody, strictQuery, type Route } from '../http';
import { lowerMember, type Binding, type EmulatorState, type Folder, type Policy, type Project } from '../state';
import { validateCondition } from '../cel';
import { grantableOn } from '../roles';

const API = 'cloudresourcemanager';
const SERVICE = 'cloudresourcemanager.googleapis.com';

type Kind = 'projects' | 'folders' | 'organizations';
const KINDS: readonly Kind[] = ['projects', 'folders', 'organizations'];

// Limits IAM documents for allow policies.
const MAX_PRINCIPALS = 1_500;
const MAX_GROUP_PRINCIPALS = 250;
const MAX_CONDITIONS_PER_ROLE_AND_PRINCIPAL = 20;
// Google publishes no length limits for condition fields; these are the emulator's choices.
const MAX_TITLE_LENGTH = 100;
const MAX_DESCRIPTION_LENGTH = 256;
const MAX_EXPRESSION_LENGTH = 12_800;

const BASIC_ROLES = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);
const VALID_POLICY_VERSIONS = [0, 1, 3];

// Search paging: Google picks its own default and maximum; these are the emulator's.
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

// --- request schemas (strict at every level: Google rejects unknown fields) -------------------------

const conditionInput = z
  .object({ expression: z.string().optional(), title: z.string().optional(), description: z.string().optional(), location: z.string().optional() })
  .strict();
const bindingInput = z.object({ role: z.string().optional(), members: z.array(z.string()).optional(), condition: conditionInput.optional() }).strict();
const auditConfigInput = z
  .object({
    service: z.string().optional(),
    auditLogConfigs: z
      .array(z.object({ logType: z.enum(['LOG_TYPE_UNSPECIFIED', 'ADMIN_READ', 'DATA_WRITE', 'DATA_READ']).optional(), exemptedMembers: z.array(z.string()).optional() }).strict())
      .optional(),
  })
  .strict();
const policyInput = z
  .object({ version: z.number().int().optional(), etag: z.string().optional(), bindings: z.array(bindingInput).optional(), auditConfigs: z.array(auditConfigInput).optional() })
  .strict();
const setIamPolicyRequest = z.object({ policy: policyInput.optional(), updateMask: z.string().optional() }).strict();
const getIamPolicyRequest = z.object({ options: z.object({ requestedPolicyVersion: z.number().int().optional() }).strict().optional() }).strict();
const testIamPermissionsRequest = z.object({ permissions: z.array(z.string()).optional() }).strict();

type BindingInput = z.infer<typeof bindingInput>;
type AuditConfig = z.infer<typeof auditConfigInput>;
/** A stored condition; `location` is kept when a client sends it so the policy round-trips. */
type StoredCondition = NonNullable<Binding['condition']> & { location?: string };

export function resourceManagerRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  const principalOf = (res: Response): string => res.locals.principal;

  const routes: Route[] = [
    {
      method: 'GET',
      pattern: /^\/v3\/projects\/([^/:]+)$/,
      api: API,
      name: 'cloudresourcemanager.projects.get',
      handler: (req, res, [, id]) => {
        strictQuery(req, []);
        const name = authorize(state, principalOf(res), 'projects', id, 'resourcemanager.projects.get');
        return projectJson(state.project(name.slice('projects/'.length))!);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v3\/projects:search$/,
      api: API,
      name: 'cloudresourcemanager.projects.search',
      handler: (req, res) => {
        const query = strictQuery(req, ['query', 'pageSize', 'pageToken']);
        const text = single(query, 'query') ?? '';
        const filter = parseSearchQuery(text, projectFields);
        const visible = state
          .allProjects()
          .filter((p) => state.hasPermission(principalOf(res), 'resourcemanager.projects.get', `projects/${p.id}`))
          .filter(filter)
          .sort((a, b) => a.id.localeCompare(b.id));
        return pageJson('projects', paginate(visible, query, `projects.search\n${text}`), projectJson);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v3\/folders\/([^/:]+)$/,
      api: API,
      name: 'cloudresourcemanager.folders.get',
      handler: (req, res, [, id]) => {
        strictQuery(req, []);
        authorize(state, principalOf(res), 'folders', id, 'resourcemanager.folders.get');
        return folderJson(state.folders.get(id)!);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v3\/organizations\/([^/:]+)$/,
      api: API,
      name: 'cloudresourcemanager.organizations.get',
      handler: (req, res, [, id]) => {
        strictQuery(req, []);
        authorize(state, principalOf(res), 'organizations', id, 'resourcemanager.organizations.get');
        return organizationJson(state.organization);
      },
    },
    {
      method: 'GET',
      pattern: /^\/v3\/organizations:search$/,
      api: API,
      name: 'cloudresourcemanager.organizations.search',
      handler: (req, res) => {
        const query = strictQuery(req, ['query', 'pageSize', 'pageToken']);
        const text = single(query, 'query') ?? '';
        const filter = parseSearchQuery(text, organizationFields);
        const visible = [state.organization].filter((o) => state.hasPermission(principalOf(res), 'resourcemanager.organizations.get', `organizations/${o.id}`)).filter(filter);
        return pageJson('organizations', paginate(visible, query, `organizations.search\n${text}`), organizationJson);
      },
    },
  ];

  for (const kind of KINDS) {
    routes.push(
      {
        method: 'POST',
        pattern: new RegExp(`^/v3/${kind}/([^/:]+):getIamPolicy$`),
        api: API,
        name: `cloudresourcemanager.${kind}.getIamPolicy`,
        handler: (req, res, [, id]) => {
          strictQuery(req, []);
          const body = strictBody(req, getIamPolicyRequest);
          const requested = body.options?.requestedPolicyVersion ?? 0;
          if (!VALID_POLICY_VERSIONS.includes(requested)) {
            throw invalidArgument(`Invalid requested policy version ${requested}: options.requestedPolicyVersion must be 0, 1 or 3.`);
          }
          const name = authorize(state, principalOf(res), kind, id, `resourcemanager.${kind}.getIamPolicy`);
          return policyJson(state.policyOf(name), requested);
        },
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v3/${kind}/([^/:]+):setIamPolicy$`),
        api: API,
        name: `cloudresourcemanager.${kind}.setIamPolicy`,
        handler: (req, res, [, id]) => setIamPolicy(state, req, principalOf(res), kind, id),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/v3/${kind}/([^/:]+):testIamPermissions$`),
        api: API,
        name: `cloudresourcemanager.${kind}.testIamPermissions`,
        handler: (req, res, [, id]) => {
          strictQuery(req, []);
          const permissions = strictBody(req, testIamPermissionsRequest).permissions ?? [];
          for (const permission of permissions) {
            if (permission.includes('*')) throw invalidArgument(`Permissions with wildcards (such as * or storage.*) are not allowed in testIamPermissions: '${permission}'.`);
            if (!/^[a-z][a-zA-Z0-9]*(\.[a-zA-Z0-9]+){2}$/.test(permission)) {
              throw invalidArgument(`'${permission}' is not a permission name; permissions look like resourcemanager.projects.get.`);
            }
          }
          const given = `${kind}/${checkedId(kind, id)}`;
          const name = state.canonicalName(given);
          if (!name) throw new GoogleApiError('PERMISSION_DENIED', `The caller does not have permission on resource '//${SERVICE}/${given}' (or it may not exist).`);
          const held = [...new Set(permissions)].filter((p) => state.hasPermission(principalOf(res), p, name));
          return held.length > 0 ? { permissions: held } : {};
        },
      },
    );
  }
  return routes;
}

// --- access ----------------------------------------------------------------------------------------

/** The canonical name of a resource the principal holds `permission` on; 403 otherwise, missing or not. */
function authorize(state: EmulatorState, principal: string, kind: Kind, id: string, permission: string): string {
  const given = `${kind}/${checkedId(kind, id)}`;
  const name = state.canonicalName(given);
  if (!name || !state.hasPermission(principal, permission, name)) throw permissionDenied(permission, given);
  return name;
}

/** Google's denial never says whether the resource exists, and names the permission that is missing. */
function permissionDenied(permission: string, resource: string): GoogleApiError {
  return new GoogleApiError('PERMISSION_DENIED', `Permission '${permission}' denied on resource '//${SERVICE}/${resource}' (or it may not exist).`, [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'IAM_PERMISSION_DENIED',
      domain: SERVICE,
      metadata: { permission, resource: `//${SERVICE}/${resource}` },
    },
  ]);
}

/** Malformed ids are a 400 (not a 403): the request could never name a resource. */
function checkedId(kind: Kind, id: string): string {
  const valid = kind === 'projects' ? /^[a-z][-a-z0-9]{4,28}[a-z0-9]$|^[0-9]+$/ : /^[0-9]+$/;
  if (!valid.test(id)) {
    const expected = kind === 'projects' ? 'a project ID (6-30 lower-case letters, digits, hyphens) or a project number' : 'a number';
    throw invalidArgument(`Invalid resource name '${kind}/${id}': the id must be ${expected}.`);
  }
  return id;
}

// --- resource JSON ---------------------------------------------------------------------------------

function projectJson(project: Project) {
  return {
    name: `projects/${project.number}`,
    parent: project.parent,
    projectId: project.id,
    state: project.state,
    ...(project.displayName ? { displayName: project.displayName } : {}),
    ...(project.labels && Object.keys(project.labels).length > 0 ? { labels: project.labels } : {}),
  };
}

function folderJson(folder: Folder) {
  return { name: `folders/${folder.id}`, parent: folder.parent, displayName: folder.displayName, state: 'ACTIVE' };
}

function organizationJson(organization: EmulatorState['organization']) {
  return {
    name: `organizations/${organization.id}`,
    displayName: organization.displayName ?? organization.domain,
    ...(organization.directoryCustomerId ? { directoryCustomerId: organization.directoryCustomerId } : {}),
    state: 'ACTIVE',
  };
}

// --- search queries --------------------------------------------------------------------------------

/**
 * A search value: compared case-insensitively, as a prefix when it ends in `*` (so `labels.env:*` means
 * "has the label").
 */
interface ValuePattern {
  text: string;
  prefix: boolean;
}

function matchesPattern(value: string | undefined, pattern: ValuePattern): boolean {
  if (value === undefined) return false;
  const v = value.toLowerCase();
  return pattern.prefix ? v.startsWith(pattern.text) : v === pattern.text;
}

/** The searchable fields of a resource type: a (lower-cased) key resolves to a predicate, unknown keys to undefined. */
interface SearchFields<T> {
  names: string;
  resolve(key: string, pattern: ValuePattern): ((item: T) => boolean) | undefined;
}

const projectFields: SearchFields<Project> = {
  names: 'displayName (or name), parent, parent.type, parent.id, id (or projectId), state (or lifecycleState), labels, labels.KEY',
  resolve: (key, pattern) => {
    switch (key) {
      case 'displayname':
      case 'name':
        return (p) => matchesPattern(p.displayName, pattern);
      case 'parent':
        return (p) => matchesPattern(p.parent, pattern);
      case 'parent.type':
        return (p) => matchesPattern(p.parent.startsWith('folders/') ? 'folder' : 'organization', pattern);
      case 'parent.id':
        return (p) => matchesPattern(p.parent.split('/')[1], pattern);
      case 'id':
      case 'projectid':
        return (p) => matchesPattern(p.id, pattern);
      case 'state':
      case 'lifecyclestate':
        return (p) => matchesPattern(p.state, pattern);
      case 'labels':
        return (p) => Object.entries(p.labels ?? {}).some(([k, v]) => matchesPattern(k, pattern) || matchesPattern(v, pattern));
      default:
        if (key.startsWith('labels.') && key.length > 7) {
          const label = key.slice(7);
          return (p) => Object.entries(p.labels ?? {}).some(([k, v]) => k.toLowerCase() === label && matchesPattern(v, pattern));
        }
        return undefined;
    }
  },
};

const organizationFields: SearchFields<EmulatorState['organization']> = {
  names: 'directoryCustomerId (or owner.directoryCustomerId), domain',
  resolve: (key, pattern) => {
    switch (key) {
      case 'directorycustomerid':
      case 'owner.directorycustomerid':
        return (o) => matchesPattern(o.directoryCustomerId, pattern);
      case 'domain':
        return (o) => matchesPattern(o.domain, pattern);
      default:
        return undefined;
    }
  },
};

type Token = { kind: 'open' | 'close' | 'and' | 'or' | 'not'; at: number } | { kind: 'term'; key: string; pattern: ValuePattern; at: number };

/**
 * Parses a search query into a predicate. Grammar (our reading of the v3 reference):
 *   query := conjunction ( ["OR"] conjunction )*     juxtaposition means OR, as the v3 reference states
 *   conjunction := unary ( "AND" unary )*           so AND binds tighter than OR / juxtaposition
 *   unary := "NOT" unary | "(" query ")" | KEY (":" | "=") VALUE
 * Keys and values are case-insensitive; a value may be quoted, and a trailing `*` makes it a prefix.
 */
function parseSearchQuery<T>(query: string, fields: SearchFields<T>): (item: T) => boolean {
  const tokens = tokenize(query);
  let position = 0;
  const fail = (message: string): never => {
    throw invalidArgument(`Invalid query '${query}': ${message}`);
  };
  const describeNext = (): string => {
    const next = tokens[position];
    return next ? `at position ${next.at + 1}` : 'at the end';
  };

  const parseDisjunction = (): ((item: T) => boolean) => {
    const parts = [parseConjunction()];
    while (position < tokens.length && tokens[position].kind !== 'close') {
      if (tokens[position].kind === 'or') position += 1;
      parts.push(parseConjunction());
    }
    return parts.length === 1 ? parts[0] : (item) => parts.some((p) => p(item));
  };
  const parseConjunction = (): ((item: T) => boolean) => {
    const parts = [parseUnary()];
    while (tokens[position]?.kind === 'and') {
      position += 1;
      parts.push(parseUnary());
    }
    return parts.length === 1 ? parts[0] : (item) => parts.every((p) => p(item));
  };
  const parseUnary = (): ((item: T) => boolean) => {
    const token = tokens[position];
    if (!token) return fail('a search term is missing at the end');
    position += 1;
    if (token.kind === 'not') {
      const operand = parseUnary();
      return (item) => !operand(item);
    }
    if (token.kind === 'open') {
      const inner = parseDisjunction();
      if (tokens[position]?.kind !== 'close') fail(`a ')' is missing ${describeNext()}`);
      position += 1;
      return inner;
    }
    if (token.kind === 'term') {
      const predicate = fields.resolve(token.key, token.pattern);
      if (!predicate) return fail(`unknown field '${token.key}' at position ${token.at + 1}; searchable fields are ${fields.names}`);
      return predicate;
    }
    return fail(`expected a search term at position ${token.at + 1}`);
  };

  if (tokens.length === 0) return () => true;
  const predicate = parseDisjunction();
  if (position < tokens.length) fail(`unexpected ')' at position ${tokens[position].at + 1}`);
  return predicate;
}

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  const fail = (message: string): never => {
    throw invalidArgument(`Invalid query '${query}': ${message}`);
  };
  let i = 0;
  while (i < query.length) {
    const c = query[i];
    if (/\s/.test(c)) {
      i += 1;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'open' : 'close', at: i });
      i += 1;
    } else {
      const at = i;
      const word = /^[A-Za-z][A-Za-z0-9_.]*/.exec(query.slice(i))?.[0] ?? '';
      i += word.length;
      if ((word === 'AND' || word === 'OR' || word === 'NOT') && (i >= query.length || /[\s(]/.test(query[i]))) {
        tokens.push({ kind: word.toLowerCase() as 'and' | 'or' | 'not', at });
        continue;
      }
      if (!word || (query[i] !== ':' && query[i] !== '=')) fail(`expected FIELD:VALUE at position ${at + 1}`);
      i += 1;
      let value = '';
      if (query[i] === '"') {
        i += 1;
        while (i < query.length && query[i] !== '"') {
          if (query[i] === '\\' && i + 1 < query.length) i += 1;
          value += query[i];
          i += 1;
        }
        if (i >= query.length) fail(`the quoted value that starts at position ${at + 1} is not closed`);
        i += 1;
      } else {
        while (i < query.length && !/[\s()]/.test(query[i])) value += query[i++];
      }
      if (value === '') fail(`the field '${word}' at position ${at + 1} has no value`);
      const prefix = value.endsWith('*');
      const text = prefix ? value.slice(0, -1) : value;
      if (text.includes('*')) fail(`'*' is only supported at the end of a value (position ${at + 1})`);
      tokens.push({ kind: 'term', key: word.toLowerCase(), pattern: { text: text.toLowerCase(), prefix }, at });
    }
  }
  return tokens;
}

// --- paging ----------------------------------------------------------------------------------------

const pageTokenSchema = z.object({ q: z.string(), o: z.number().int().min(0) }).strict();

/** One page of results; the token carries the offset and a fingerprint of the query it belongs to. */
function paginate<T>(items: T[], query: Map<string, string[]>, request: string): { items: T[]; nextPageToken?: string } {
  const pageSize = queryInt(query, 'pageSize') ?? 0;
  if (pageSize < 0) throw invalidArgument(`Invalid pageSize ${pageSize}: it must not be negative.`);
  const size = Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const fingerprint = createHash('sha256').update(request).digest('hex').slice(0, 16);
  const token = single(query, 'pageToken');
  let offset = 0;
  if (token) {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const parsed = pageTokenSchema.safeParse(decoded);
    if (!parsed.success) throw invalidArgument(`Invalid page token '${token}': pass the nextPageToken of the previous response unchanged.`);
    if (parsed.data.q !== fingerprint) throw invalidArgument('The page token belongs to a different query: repeat the query of the previous page, or start again without a page token.');
    offset = parsed.data.o;
  }
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextPageToken: Buffer.from(JSON.stringify({ q: fingerprint, o: end })).toString('base64url') } : {}),
  };
}

/** A search response; empty lists and the last page's token are omitted, as in Google's JSON. */
function pageJson<T>(field: string, page: { items: T[]; nextPageToken?: string }, toJson: (item: T) => object) {
  return {
    ...(page.items.length > 0 ? { [field]: page.items.map(toJson) } : {}),
    ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
  };
}

// --- IAM policies ----------------------------------------------------------------------------------

/**
 * A policy as getIamPolicy answers it. Without conditions it is version 1. With conditions and a request
 * for version 3 it is complete; a client asking for less gets version 1 with each conditional binding's
 * condition removed and its role renamed `<role>_withcond_<hash>`, so it cannot mistake them for grants.
 */
function policyJson(policy: Policy, requestedVersion: number) {
  const conditional = policy.bindings.some((b) => b.condition);
  const full = !conditional || requestedVersion === 3;
  const bindings = policy.bindings.map((b) => (full || !b.condition ? bindingJson(b) : { role: `${b.role}_withcond_${conditionHash(b.condition)}`, members: [...b.members] }));
  return {
    version: conditional && full ? 3 : 1,
    etag: policy.etag,
    ...(bindings.length > 0 ? { bindings } : {}),
    ...(policy.auditConfigs && policy.auditConfigs.length > 0 ? { auditConfigs: policy.auditConfigs } : {}),
  };
}

function bindingJson(binding: Binding) {
  const condition = binding.condition as StoredCondition | undefined;
  return {
    role: binding.role,
    members: [...binding.members],
    ...(condition
      ? {
          condition: {
            expression: condition.expression,
            title: condition.title,
            ...(condition.description ? { description: condition.description } : {}),
            ...(condition.location ? { location: condition.location } : {}),
          },
        }
      : {}),
  };
}

function conditionHash(condition: StoredCondition): string {
  return createHash('sha1')
    .update(JSON.stringify([condition.title, condition.description ?? '', condition.expression]))
    .digest('hex')
    .slice(0, 20);
}

const MASK_PATHS = new Set(['bindings', 'etag', 'auditConfigs']);

function setIamPolicy(state: EmulatorState, req: Request, principal: string, kind: Kind, id: string) {
  const given = `${kind}/${id}`;
  // Every request received is recorded, as Cloud Audit Logs would show each attempt with its reason.
  const reason = req.get('x-goog-request-reason');
  if (reason !== undefined) state.requestReasons.push({ resource: state.canonicalName(given) ?? given, reason });

  strictQuery(req, []);
  const body = strictBody(req, setIamPolicyRequest);
  const mask = parseUpdateMask(body.updateMask);
  const name = authorize(state, principal, kind, id, `resourcemanager.${kind}.setIamPolicy`);

  if (state.faults.etagConflicts > 0) {
    state.faults.etagConflicts -= 1;
    throw etagConflict(state, '');
  }

  // An absent policy would store an empty one and silently remove every grant.
  if (!body.policy) throw invalidArgument('The request has no policy: setIamPolicy needs the complete policy to store (read it with getIamPolicy first).');
  const policy = body.policy;
  const version = policy.version ?? 0;
  if (!VALID_POLICY_VERSIONS.includes(version)) throw invalidArgument(`Invalid policy version ${version}: policy.version must be 1, or 3 for a policy with conditional role bindings.`);

  const current = state.policyOf(name);
  const etag = policy.etag ?? '';
  if (etag !== '') {
    const requested = decodeEtag(etag);
    if (!requested) throw invalidArgument(`Invalid value at 'policy.etag' (TYPE_BYTES), "${etag}": an etag is the base64 value getIamPolicy returned.`);
    if (!requested.equals(decodeEtag(current.etag)!)) {
      throw etagConflict(state, ` The request's ETag '${etag}' did not match the current policy's ETag '${current.etag}'.`);
    }
    if (current.version === 3 && version < 3) {
      throw invalidArgument(
        `Specified policy version (${version || 1}) cannot be less than the existing policy version (3). For more information, please refer to https://cloud.google.com/iam/docs/policies#versions`,
      );
    }
  }

  const bindings = mask.has('bindings') ? checkedBindings(state, policy.bindings ?? [], version, name, current) : current.bindings;
  const auditConfigs = mask.has('auditConfigs') ? checkedAuditConfigs(policy.auditConfigs ?? []) : current.auditConfigs;
  const stored = state.storePolicy(name, bindings, auditConfigs && auditConfigs.length > 0 ? auditConfigs : undefined);
  return policyJson(stored, 3);
}

/**
 * Google answers an etag conflict with 409 ABORTED. The faults can make it 412 FAILED_PRECONDITION, the
 * status jit-access 1.x retries on, for forced and real conflicts alike.
 */
function etagConflict(state: EmulatorState, detail: string): GoogleApiError {
  const message = `There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.${detail}`;
  return state.faults.etagConflictStatus === 412 ? new GoogleApiError('FAILED_PRECONDITION', message, [], 412) : new GoogleApiError('ABORTED', message);
}

function parseUpdateMask(mask: string | undefined): Set<string> {
  if (!mask) return new Set(['bindings', 'etag']);
  const paths = mask.split(',').map((p) => p.trim());
  for (const path of paths) {
    if (!MASK_PATHS.has(path)) throw invalidArgument(`Invalid updateMask path '${path}': setIamPolicy can update bindings, etag and auditConfigs.`);
  }
  return new Set(paths);
}

/** The bytes of a base64 (standard or URL-safe) etag, or undefined when it is not base64. */
function decodeEtag(etag: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(etag) || etag.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(etag, 'base64');
}

/** Validates the requested bindings and returns them normalised as IAM stores them. */
function checkedBindings(state: EmulatorState, input: BindingInput[], version: number, name: string, current: Policy): Binding[] {
  const requested = input.map((b, i) => checkedBinding(state, b, i, name));
  if (requested.some((b) => b.condition) && version !== 3) {
    throw invalidArgument(
      `Conditional role bindings require policy version 3, but the policy has version ${version}. Set policy.version to 3, and read policies with options.requestedPolicyVersion 3.`,
    );
  }
  const bindings = normalize(requested);
  checkLimits(bindings);
  for (const binding of bindings) {
    for (const member of binding.members) {
      if (member.startsWith('deleted:')) {
        const kept = current.bindings.some((b) => b.role === binding.role && b.members.some((m) => lowerMember(m) === lowerMember(member)));
        if (!kept) throw invalidArgument(`Member ${member} cannot be added to role ${binding.role}: a deleted principal can stay in a policy, but cannot be granted a role.`);
      } else if (!state.principalExists(member)) {
        const [type, email] = [member.slice(0, member.indexOf(':')), member.slice(member.indexOf(':') + 1)];
        const noun = type === 'user' ? 'User' : type === 'group' ? 'Group' : 'Service account';
        throw invalidArgument(`${noun} ${email} does not exist.`);
      }
    }
  }
  if (name.startsWith('projects/')) checkOwnerInvitations(state, bindings, current);
  return bindings;
}

/**
 * A project's owner role can be given through setIamPolicy only to users of the organization's domain;
 * an outside user must be invited and accept. Google answers with a generic message and says why in
 * the details, one entry per member.
 */
function checkOwnerInvitations(state: EmulatorState, bindings: Binding[], current: Policy): void {
  const domain = state.organization.domain.toLowerCase();
  const owners = new Set(current.bindings.filter((b) => b.role === 'roles/owner' && !b.condition).flatMap((b) => b.members.map(lowerMember)));
  const uninvited = bindings
    .filter((b) => b.role === 'roles/owner')
    .flatMap((b) => b.members)
    .filter((m) => m.startsWith('user:') && !owners.has(lowerMember(m)) && m.slice(m.lastIndexOf('@') + 1).toLowerCase() !== domain);
  if (uninvited.length === 0) return;
  throw new GoogleApiError(
    'INVALID_ARGUMENT',
    'Request contains an invalid argument.',
    uninvited.map((member) => ({ '@type': 'type.googleapis.com/google.cloudresourcemanager.v1.ProjectIamPolicyError', type: 'ORG_MUST_INVITE_EXTERNAL_OWNERS', member, role: 'roles/owner' })),
  );
}

const EMAIL = '[^\\s@:?/]+@[^\\s@:?/]+\\.[^\\s@:?/]+';
const MEMBER_FORMS = new RegExp(
  [`^(user|group|serviceAccount):${EMAIL}$`, '^domain:[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$', '^principal(Set)?://\\S+$', `^deleted:(user|group|serviceAccount):${EMAIL}\\?uid=[0-9]+$`, '^deleted:principal://\\S+$'].join('|'),
);

function checkedBinding(state: EmulatorState, input: BindingInput, index: number, name: string): Binding {
  const role = input.role ?? '';
  if (role === '') throw invalidArgument(`Binding #${index + 1} has no role; every binding needs a role such as roles/viewer.`);
  if (role.includes('_withcond_')) {
    throw invalidArgument(
      `Role ${role} is a placeholder that getIamPolicy returns for a conditional binding when the policy is read with version 1; read the policy with options.requestedPolicyVersion 3 and write that instead.`,
    );
  }
  const custom = /^(projects|organizations)\/([^/]+)\/roles\/[A-Za-z0-9_.]+$/.exec(role);
  if (!/^roles\/[A-Za-z0-9_.]+$/.test(role) && !custom) {
    throw invalidArgument(`Role ${role} does not exist: role names look like roles/NAME, projects/PROJECT_ID/roles/NAME or organizations/ORGANIZATION_ID/roles/NAME.`);
  }
  // Folder- and organization-level roles (emulator/roles.ts) cannot be bound lower down.
  if (!custom && !grantableOn(role, name.split('/')[0] as Kind)) throw invalidArgument(`Role ${role} is not supported for this resource.`);
  if (custom) {
    // A project's custom role can be granted only on that project; an organization's anywhere in it.
    const definedIn = state.canonicalName(`${custom[1]}/${custom[2]}`);
    const grantableIn = custom[1] === 'projects' ? name : `organizations/${state.organization.id}`;
    if (definedIn !== grantableIn) throw invalidArgument(`Role ${role} is not supported for this resource.`);
  }

  const members = input.members ?? [];
  if (members.length === 0) throw invalidArgument(`The binding for role ${role} has no members; remove the binding or add at least one member.`);
  for (const member of members) {
    if (member === 'allUsers' || member === 'allAuthenticatedUsers') {
      throw invalidArgument(`${member} cannot be granted roles on ${name.split('/')[0]}: public access is not supported on Resource Manager resources (role ${role}).`);
    }
    if (!MEMBER_FORMS.test(member)) {
      throw invalidArgument(
        `Invalid member '${member}' in the binding for role ${role}: members look like user:EMAIL, group:EMAIL, serviceAccount:EMAIL, domain:DOMAIN, principal://…, principalSet://… or deleted:user:EMAIL?uid=N.`,
      );
    }
  }

  if (!input.condition) return { role, members };
  return { role, members, condition: checkedCondition(input.condition, role) };
}

function checkedCondition(input: z.infer<typeof conditionInput>, role: string): StoredCondition {
  if (BASIC_ROLES.has(role)) {
    throw invalidArgument(`Conditions are not supported for the basic role ${role}; grant a predefined or custom role to use a condition.`);
  }
  const title = input.title ?? '';
  const expression = input.expression ?? '';
  if (title === '') throw invalidArgument(`The condition of the binding for role ${role} has no title; conditions need a title.`);
  if (expression === '') throw invalidArgument(`The condition "${title}" of the binding for role ${role} has no expression.`);
  const tooLong = (field: string, length: number, max: number) =>
    invalidArgument(`The condition ${field} of the binding for role ${role} is ${length} characters long; at most ${max} are allowed.`);
  if (title.length > MAX_TITLE_LENGTH) throw tooLong('title', title.length, MAX_TITLE_LENGTH);
  if ((input.description ?? '').length > MAX_DESCRIPTION_LENGTH) throw tooLong('description', input.description!.length, MAX_DESCRIPTION_LENGTH);
  if (expression.length > MAX_EXPRESSION_LENGTH) throw tooLong('expression', expression.length, MAX_EXPRESSION_LENGTH);
  const problem = validateCondition(expression);
  if (problem) throw invalidArgument(`Invalid condition "${title}" on role ${role}: ${problem}`);
  return {
    title,
    expression,
    ...(input.description ? { description: input.description } : {}),
    ...(input.location ? { location: input.location } : {}),
  };
}

/**
 * IAM's normal form: bindings with the same role and identical condition merged, duplicate members
 * removed, members sorted, bindings grouped by role. Condition text is kept byte for byte.
 */
function normalize(bindings: Binding[]): Binding[] {
  const merged = new Map<string, Binding>();
  for (const binding of bindings) {
    const condition = binding.condition as StoredCondition | undefined;
    const key = JSON.stringify([binding.role, condition?.title, condition?.description, condition?.expression, condition?.location]);
    const existing = merged.get(key);
    if (existing) existing.members.push(...binding.members);
    else merged.set(key, { ...binding, members: [...binding.members] });
  }
  const result = [...merged.values()].map((b) => {
    const unique = new Map<string, string>();
    for (const member of b.members) if (!unique.has(lowerMember(member))) unique.set(lowerMember(member), member);
    return { ...b, members: [...unique.values()].sort() };
  });
  return result.sort((a, b) => (a.role < b.role ? -1 : a.role > b.role ? 1 : 0));
}

function checkLimits(bindings: Binding[]): void {
  const members = bindings.flatMap((b) => b.members);
  if (members.length > MAX_PRINCIPALS) {
    throw invalidArgument(`The number of members in the policy (${members.length.toLocaleString('en-US')}) is larger than the maximum allowed size ${MAX_PRINCIPALS.toLocaleString('en-US')}.`);
  }
  const groups = members.filter((m) => m.startsWith('group:')).length;
  if (groups > MAX_GROUP_PRINCIPALS) {
    throw invalidArgument(`The number of group members in the policy (${groups}) is larger than the maximum allowed size ${MAX_GROUP_PRINCIPALS}.`);
  }
  const conditionalGrants = new Map<string, number>();
  for (const binding of bindings.filter((b) => b.condition)) {
    for (const member of binding.members) {
      const key = `${binding.role} ${lowerMember(member)}`;
      const count = (conditionalGrants.get(key) ?? 0) + 1;
      conditionalGrants.set(key, count);
      if (count > MAX_CONDITIONS_PER_ROLE_AND_PRINCIPAL) {
        throw invalidArgument(
          `Member ${member} has more than ${MAX_CONDITIONS_PER_ROLE_AND_PRINCIPAL} conditional bindings for role ${binding.role}; a policy allows at most ${MAX_CONDITIONS_PER_ROLE_AND_PRINCIPAL} bindings with the same role and member but different conditions.`,
        );
      }
    }
  }
}

function checkedAuditConfigs(configs: AuditConfig[]): AuditConfig[] {
  for (const config of configs) {
    if (!config.service) throw invalidArgument('Every auditConfigs entry needs a service, such as allServices or storage.googleapis.com.');
    for (const log of config.auditLogConfigs ?? []) {
      for (const member of log.exemptedMembers ?? []) {
        if (!MEMBER_FORMS.test(member)) throw invalidArgument(`Invalid exempted member '${member}' in the audit config for ${config.service}.`);
      }
    }
  }
  return configs;
}
