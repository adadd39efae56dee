// A user's grant in force: one activation binding on a project's policy, named by an id that the same
// binding always gets, and read back with how it was approved.
import { z } from 'zod';
import { BREAK_GLASS_MARK, isBreakGlassDescription, parseActivationBinding, type Approval } from './activation-binding';
import { canonicalCondition, InvalidConditionError } from './condition';
import { isProjectId, isRole } from './entitlement';
import { hasMember, principalMember, type Binding } from './iam-policy';
import { InvalidInputError } from './invalid-input-error';

/** What identifies a grant: the entitlement and the time window of its binding. */
export interface GrantKey {
  readonly projectId: string;
  readonly role: string;
  /** Canonical CEL, or null for the whole project. */
  readonly resourceCondition: string | null;
  readonly start: Date;
  readonly end: Date;
}

/** How a grant was approved, read from its condition description; `unknown` for text we did not write. */
export type GrantApproval = Approval | { readonly type: 'unknown'; readonly description: string | null };

export interface ActiveGrant extends GrantKey {
  readonly id: string;
  readonly approval: GrantApproval;
}

export class InvalidGrantIdError extends InvalidInputError {}

/** Ids travel in URL paths; a long resource condition makes a long id, but not this long. */
const MAX_GRANT_ID_LENGTH = 4000;

const grantIdTuple = z.tuple([z.string(), z.string(), z.string().nullable(), z.iso.datetime(), z.iso.datetime()]);

/**
 * The id of a grant: base64url of the JSON array `[project, role, resourceCondition, start, end]`. It
 * carries no user: whoever presents it is matched against their own member only, so an id of someone
 * else's grant names nothing of the caller's.
 */
export function grantId(key: GrantKey): string {
  const resourceCondition = key.resourceCondition === null ? null : canonicalCondition(key.resourceCondition);
  const tuple = [key.projectId, key.role, resourceCondition, key.start.toISOString(), key.end.toISOString()];
  return Buffer.from(JSON.stringify(tuple), 'utf8').toString('base64url');
}

/** Parses an id made by {@link grantId}; strict, so one grant has exactly one id. */
export function parseGrantId(id: string): GrantKey {
  const invalid = (why: string) => new InvalidGrantIdError(`The grant id is invalid: ${why}. Use an id from GET /api/v1/me/grants.`);
  if (id.length > MAX_GRANT_ID_LENGTH) throw invalid(`it is longer than ${MAX_GRANT_ID_LENGTH} characters`);
  const bytes = Buffer.from(id, 'base64url');
  if (!/^[A-Za-z0-9_-]+$/.test(id) || bytes.toString('base64url') !== id) throw invalid('it is not base64url');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('it does not decode to JSON');
  }
  const parsed = grantIdTuple.safeParse(json);
  if (!parsed.success) throw invalid('it does not decode to [project, role, condition, start, end]');
  const [projectId, role, resourceCondition, start, end] = parsed.data;
  if (!isProjectId(projectId)) throw invalid(`${JSON.stringify(projectId)} is not a project id`);
  if (!isRole(role)) throw invalid(`${JSON.stringify(role)} is not a role`);
  if (resourceCondition !== null && !isCanonical(resourceCondition)) throw invalid('its resource condition is not in canonical form');
  const key = { projectId, role, resourceCondition, start: new Date(start), end: new Date(end) };
  if (grantId(key) !== id) throw invalid('it is not in canonical form');
  return key;
}

function isCanonical(expression: string): boolean {
  try {
    return canonicalCondition(expression) === expression;
  } catch (e) {
    if (e instanceof InvalidConditionError) return false;
    throw e;
  }
}

const SELF_APPROVED = /^Self-approved, justification: ([\s\S]*)$/;
const PEER_APPROVED = /^Approved by ([^\s,]+), justification: ([\s\S]*)$/;

/** Reads a description written by activationDescription (here or in jit-access 1.x). */
export function parseApproval(description: string | null | undefined): GrantApproval {
  const self = SELF_APPROVED.exec(description ?? '');
  if (self) return { type: 'self', justification: self[1] };
  const peer = PEER_APPROVED.exec(description ?? '');
  if (peer) return { type: 'peer', approver: peer[1], justification: peer[2] };
  if (isBreakGlassDescription(description)) return { type: 'break-glass', justification: description!.slice(BREAK_GLASS_MARK.length) };
  return { type: 'unknown', description: description ?? null };
}

/**
 * The user's grants in force at `now` among a project's bindings: activation bindings (see
 * parseActivationBinding) the user is a member of. Every activation is written for one user, but Google
 * merges bindings with the same role and identical condition, so two users who activated the same role in
 * the same second share one binding: each of them holds the grant (and ends only their own, see
 * removeActivation).
 */
export function activeGrantsOf(bindings: readonly Binding[], userEmail: string, projectId: string, now: Date): ActiveGrant[] {
  const member = principalMember(userEmail);
  const grants: ActiveGrant[] = [];
  for (const binding of bindings) {
    const activation = parseActivationBinding(binding);
    if (!activation || !hasMember(binding, member)) continue;
    if (activation.start.getTime() > now.getTime() || activation.end.getTime() <= now.getTime()) continue;
    const key = { projectId, role: activation.role, resourceCondition: activation.resourceCondition, start: activation.start, end: activation.end };
    grants.push({ ...key, id: grantId(key), approval: parseApproval(binding.condition?.description) });
  }
  return grants;
}

/** The user's grant in force that the id names, or null when there is none (ended, replaced, or not theirs). */
export function findActiveGrant(bindings: readonly Binding[], userEmail: string, key: GrantKey, now: Date): ActiveGrant | null {
  const id = grantId(key);
  return activeGrantsOf(bindings, userEmail, key.projectId, now).find((g) => g.id === id) ?? null;
}

/**
 * Where the grant a key names stands among a project's bindings at `now`: still `in-force`; `replaced` by
 * another grant of the user on the same entitlement (extended, or activated again); or `gone` (ended or
 * expired). Ending and extending check this inside their read-modify-write, so that of two changes of one
 * grant racing each other, the second finds the grant replaced or gone and changes nothing.
 */
export function grantStateOf(bindings: readonly Binding[], userEmail: string, key: GrantKey, now: Date): 'in-force' | 'replaced' | 'gone' {
  if (findActiveGrant(bindings, userEmail, key, now)) return 'in-force';
  const others = activeGrantsOf(bindings, userEmail, key.projectId, now);
  const sameEntitlement = others.some((g) => g.role === key.role && g.resourceCondition === key.resourceCondition);
  return sameEntitlement ? 'replaced' : 'gone';
}
