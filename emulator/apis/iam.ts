// IAM v1 roles: roles.get for predefined roles (and the custom-role paths, which hold nothing: worlds define no
// custom roles) and roles.queryGrantableRoles, over the catalogue in emulator/roles.ts.
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { EmulatorEnv } from '../env';
import { iamPermissionDenied, invalidArgument, notFound, strictBody, strictQuery, type Route } from '../http';
import { grantableOn, predefinedRole, predefinedRoles, type PredefinedRole } from '../roles';
import { permissionsOf } from '../permissions';
import { pageOf } from './paging';

const CRM_PREFIX = '//cloudresourcemanager.googleapis.com/';
/** "The default is 300, and the maximum is 2,000." (QueryGrantableRolesRequest.pageSize) */
const DEFAULT_PAGE_SIZE = 300;
const MAX_PAGE_SIZE = 2000;

const queryGrantableRolesBody = z
  .object({
    fullResourceName: z.string().optional(),
    view: z.enum(['BASIC', 'FULL']).optional(),
    pageSize: z.number().int().optional(),
    pageToken: z.string().optional(),
  })
  .strict();

/** A role as IAM answers it; the full view adds the permissions emulator/permissions.ts knows for it. */
function roleJson(role: PredefinedRole, full: boolean) {
  const permissions = full ? permissionsOf(role.name).filter((p) => p !== '*') : [];
  return {
    name: role.name,
    title: role.title,
    description: role.description,
    ...(permissions.length ? { includedPermissions: [...permissions] } : {}),
    stage: role.stage,
    etag: 'AA==',
  };
}

export function iamRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;

  const getRole = (req: Request, _res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    const name = match[1];
    if (!/^roles\/[A-Za-z0-9_.]+$/.test(name)) throw invalidArgument(`The role name ${name} is not valid: predefined roles look like roles/NAME.`);
    const role = predefinedRole(name);
    if (!role) throw notFound(`The role named ${name} was not found.`);
    return roleJson(role, true);
  };

  /** Custom roles: the worlds define none, so every name is unknown once it is well formed. */
  const getCustomRole = (req: Request, _res: Response, match: RegExpMatchArray) => {
    strictQuery(req, []);
    throw notFound(`The role named ${match[1]} was not found.`);
  };

  const queryGrantableRoles = (req: Request, res: Response) => {
    strictQuery(req, []);
    const body = strictBody(req, queryGrantableRolesBody);
    const fullName = body.fullResourceName ?? '';
    if (!fullName) throw invalidArgument('fullResourceName is required, such as //cloudresourcemanager.googleapis.com/projects/my-project.');
    const relative = fullName.startsWith(CRM_PREFIX) ? fullName.slice(CRM_PREFIX.length) : '';
    const m = /^(projects|folders|organizations)\/([^/]+)$/.exec(relative);
    if (!m) throw invalidArgument(`fullResourceName "${fullName}" is not a Resource Manager resource such as ${CRM_PREFIX}projects/my-project.`);
    const kind = m[1] as 'projects' | 'folders' | 'organizations';
    const pageSize = body.pageSize ?? 0;
    if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) throw invalidArgument(`pageSize ${pageSize} is out of range: use 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE}).`);
    // Stricter than documented: the caller must be able to read the resource's policy, which names it too.
    const permission = `resourcemanager.${kind}.getIamPolicy`;
    const resource = state.canonicalName(relative);
    if (!resource || !state.hasPermission(res.locals.principal as string, permission, resource)) throw iamPermissionDenied(permission, fullName);
    const roles = predefinedRoles()
      .filter((r) => grantableOn(r.name, kind))
      .map((r) => roleJson(r, body.view === 'FULL'))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = pageOf(roles, pageSize || DEFAULT_PAGE_SIZE, body.pageToken || undefined, `grantable|${resource}|${body.view ?? 'BASIC'}`);
    return { ...(page.items.length ? { roles: page.items } : {}), ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
  };

  const route = (method: Route['method'], pattern: RegExp, name: string, handler: Route['handler']): Route => ({ method, pattern, api: 'iam', name: `iam.${name}`, handler });
  return [
    route('POST', /^\/v1\/roles:queryGrantableRoles$/, 'roles.queryGrantableRoles', queryGrantableRoles),
    route('GET', /^\/v1\/(roles\/[^/:]+)$/, 'roles.get', getRole),
    route('GET', /^\/v1\/((?:projects\/[^/]+|organizations\/[0-9]+)\/roles\/[^/:]+)$/, 'roles.get', getCustomRole),
  ];
}
