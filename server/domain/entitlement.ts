import { canonicalCondition, InvalidConditionError } from './condition';
import { InvalidInputError } from './invalid-input-error';

/** The right to activate one role on one project, optionally limited to resources by a condition. */
export interface Entitlement {
  readonly projectId: string;
  readonly role: string;
  /** Canonical CEL (see canonicalCondition), or null for the whole project. */
  readonly resourceCondition: string | null;
}

/** An entitlement id that is malformed or does not describe an entitlement. */
export class InvalidEntitlementIdError extends InvalidInputError {}

/** Project ids as Google allows them: 6–30 of a-z, 0-9 and `-`, starting with a letter, not ending in `-`. */
const PROJECT_ID = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** Predefined roles, and custom roles of a project or organisation (role ids: 3–64 of A-Z a-z 0-9 _ .). */
const ROLE = new RegExp(
  `^(?:roles/[A-Za-z0-9_.-]{1,128}|(?:projects/${PROJECT_ID.source.slice(1, -1)}|organizations/[0-9]{1,32})/roles/[A-Za-z0-9_.]{3,64})$`,
);
/** Standard base64 with padding, as jit-access 1.x encodes the resource condition. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function isProjectId(text: string): boolean {
  return PROJECT_ID.test(text);
}

export function isRole(text: string): boolean {
  return ROLE.test(text);
}

function assertProjectAndRole(projectId: string, role: string): void {
  if (!isProjectId(projectId)) {
    throw new InvalidEntitlementIdError(`${JSON.stringify(projectId)} is not a valid project id`);
  }
  if (!isRole(role)) {
    throw new InvalidEntitlementIdError(
      `${JSON.stringify(role)} is not a valid role name (expected roles/…, projects/…/roles/… or organizations/…/roles/…)`,
    );
  }
}

/**
 * The id of an entitlement, as jit-access 1.x forms it: `<projectId>:<role>`, or
 * `<projectId>:<role>:<standard base64 with padding of the UTF-8 resource condition>`. The condition is
 * canonicalised first, so the same entitlement always gets the same id.
 */
export function entitlementId(entitlement: Entitlement): string {
  const { projectId, role, resourceCondition } = entitlement;
  assertProjectAndRole(projectId, role);
  if (resourceCondition === null) return `${projectId}:${role}`;
  const encoded = Buffer.from(canonicalCondition(resourceCondition), 'utf8').toString('base64');
  return `${projectId}:${role}:${encoded}`;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeResourceCondition(encoded: string): string {
  const bytes = Buffer.from(encoded, 'base64');
  if (!BASE64.test(encoded) || bytes.toString('base64') !== encoded) {
    throw new InvalidEntitlementIdError('The resource condition in the entitlement id is not padded standard base64');
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new InvalidEntitlementIdError('The resource condition in the entitlement id is not UTF-8 text');
  }
}

/**
 * The canonical form is the only form an id may carry: otherwise two ids would name one entitlement,
 * and text that only looks like the condition (comments, odd spacing) could travel in an approval.
 */
function parseResourceCondition(encoded: string): string {
  const condition = decodeResourceCondition(encoded);
  let canonical: string;
  try {
    canonical = canonicalCondition(condition);
  } catch (e) {
    if (e instanceof InvalidConditionError) {
      throw new InvalidEntitlementIdError(`The resource condition in the entitlement id is invalid: ${e.message}`);
    }
    throw e;
  }
  if (canonical !== condition) {
    throw new InvalidEntitlementIdError(
      `The resource condition in the entitlement id is not in canonical form (expected ${JSON.stringify(canonical)})`,
    );
  }
  return condition;
}

/**
 * Parses an id made by {@link entitlementId}. Strict: the project id and role must be well-formed and
 * the condition canonical. An empty third part means no resource condition, as in jit-access 1.x.
 */
export function parseEntitlementId(id: string): Entitlement {
  const parts = id.split(':');
  if (parts.length < 2 || parts.length > 3) {
    throw new InvalidEntitlementIdError(
      `${JSON.stringify(id)} is not an entitlement id (expected <project>:<role> or <project>:<role>:<condition>)`,
    );
  }
  const [projectId, role, encoded = ''] = parts;
  assertProjectAndRole(projectId, role);
  return { projectId, role, resourceCondition: encoded === '' ? null : parseResourceCondition(encoded) };
}

/** How logs and messages name an entitlement, as jit-access 1.x does. */
export function describeEntitlement(entitlement: Entitlement): string {
  const base = `[iam] ${entitlement.role} on ${entitlement.projectId}`;
  return entitlement.resourceCondition === null ? base : `${base} (condition: ${entitlement.resourceCondition})`;
}
