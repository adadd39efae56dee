// A grant that starts later, recorded in the project's IAM policy until its start as a binding that grants
// nothing — the pattern of the decision records (domain/request-decision): role DECISION_ROLE, the user as its
// only member, a condition that is never true, the title SCHEDULED_TITLE and the details in the description.
// At the start the task pass reads it, checks eligibility and the rule again, and replaces it by the grant in
// one etag-guarded read-modify-write, so that two instances never grant it twice and a cancellation that wins
// the race leaves nothing to grant.
//
// Description: `jit-… roles/x rc:0123456789abcdef from 2040-01-01T10:00:00Z until 2040-01-01T11:00:00Z:
// Self-approved, justification: …` — the activation id, the role, the resource condition's fingerprint (`-` for
// none: a CEL condition does not fit the description, and the fresh eligible role it must match carries it),
// the window, and the description the grant will carry (shortened, ending in …, to Google's limit).
import { canonicalCondition } from './condition';
import type { Binding, Policy } from './iam-policy';
import { principalMember } from './iam-policy';
import { DECISION_ROLE, MAX_DESCRIPTION_LENGTH, NEVER_TRUE, decisionsIn } from './request-decision';

export const SCHEDULED_TITLE = 'JIT access scheduled activation';

/**
 * Scheduled grants one project's policy may hold at a time. Each costs one of the policy's 1,500 principals and
 * about 300 bytes, next to the decision records (at most 100): 50 keep the policy well inside Google's limits.
 */
export const MAX_SCHEDULED_PER_PROJECT = 50;

/**
 * Google allows 20 conditional bindings per role and principal. Scheduled grants and decision records share the
 * role, so together one user may hold at most this many on one project.
 */
export const MAX_RECORDS_PER_USER = 20;

export interface ScheduledActivation {
  /** `jit-…` for a self-activation, `mpa-…` for an approved peer request. */
  readonly activationId: string;
  readonly user: string;
  readonly role: string;
  /** {@link conditionFingerprint} of the binding's resource condition; null for the whole project. */
  readonly resourceConditionFingerprint: string | null;
  readonly start: Date;
  readonly end: Date;
  /** The description the grant will carry (see activationDescription). */
  readonly grantDescription: string;
}

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const DESCRIPTION = /^((?:jit|mpa)-[A-Za-z0-9+/=_-]{1,64}) ([A-Za-z0-9_./-]{1,200}) (-|rc:[0-9a-f]{16}) from (\S+) until (\S+): (.+)$/s;

const isoSeconds = (instant: Date) => instant.toISOString().replace(/\.\d{3}Z$/, 'Z');

function instantOf(text: string): Date | null {
  if (!ISO_SECONDS.test(text)) return null;
  const instant = new Date(text);
  return Number.isNaN(instant.getTime()) ? null : instant;
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;

/**
 * 64-bit FNV-1a of the canonical resource condition, in 16 hex digits: it tells apart a user's few eligible
 * bindings of one role (a record only ever matches among those). Not a defence against forgery: whoever can
 * write a record can write a grant (docs/security.md).
 */
export function conditionFingerprint(resourceCondition: string | null): string | null {
  if (resourceCondition === null) return null;
  let hash = FNV_OFFSET;
  for (const byte of new TextEncoder().encode(canonicalCondition(resourceCondition))) hash = ((hash ^ BigInt(byte)) * FNV_PRIME) & MASK_64;
  return hash.toString(16).padStart(16, '0');
}

/** The description of a scheduled grant; the grant's own description is shortened (ending in …) to fit. */
export function scheduledDescription(scheduled: Omit<ScheduledActivation, 'user'>): string {
  const rc = scheduled.resourceConditionFingerprint === null ? '-' : `rc:${scheduled.resourceConditionFingerprint}`;
  const head = `${scheduled.activationId} ${scheduled.role} ${rc} from ${isoSeconds(scheduled.start)} until ${isoSeconds(scheduled.end)}`;
  const room = MAX_DESCRIPTION_LENGTH - head.length - 2;
  const text = scheduled.grantDescription;
  return `${head}: ${text.length <= room ? text : `${text.slice(0, room - 1)}…`}`;
}

/**
 * Whether a scheduled grant of `role` under `activationId` can be recorded at all (a custom role's name may be
 * long): the description's fixed parts — `conditional` when the eligible binding has a resource condition, whose
 * fingerprint takes room — leave at least 15 characters of the grant's own description.
 */
export function fitsDescription(activationId: string, role: string, conditional: boolean): boolean {
  const rc = conditional ? 19 : 1;
  return activationId.length + role.length + rc + 52 + 20 <= MAX_DESCRIPTION_LENGTH;
}

export function scheduledBindingOf(scheduled: ScheduledActivation): Binding {
  return {
    role: DECISION_ROLE,
    members: [principalMember(scheduled.user)],
    condition: { title: SCHEDULED_TITLE, description: scheduledDescription(scheduled), expression: NEVER_TRUE },
  };
}

/**
 * The scheduled grant a binding records; null for any other binding. Only the exact shape this module writes
 * is read, with exactly one user member, so that a binding merged or written by hand is never taken for one.
 */
export function parseScheduledBinding(binding: Binding): ScheduledActivation | null {
  const condition = binding.condition;
  if (binding.role !== DECISION_ROLE || condition?.title !== SCHEDULED_TITLE || condition.expression !== NEVER_TRUE) return null;
  const members = binding.members ?? [];
  if (members.length !== 1 || !members[0].toLowerCase().startsWith('user:')) return null;
  const m = DESCRIPTION.exec(condition.description ?? '');
  if (!m) return null;
  const start = instantOf(m[4]);
  const end = instantOf(m[5]);
  if (!start || !end || end.getTime() <= start.getTime()) return null;
  return {
    activationId: m[1],
    user: members[0].slice('user:'.length).toLowerCase(),
    role: m[2],
    resourceConditionFingerprint: m[3] === '-' ? null : m[3].slice('rc:'.length),
    start,
    end,
    grantDescription: m[6],
  };
}

/** Every scheduled grant a policy records. */
export function scheduledIn(policy: Policy): ScheduledActivation[] {
  return (policy.bindings ?? []).flatMap((b) => {
    const scheduled = parseScheduledBinding(b);
    return scheduled ? [scheduled] : [];
  });
}

/** The same record: one activation's grant of one role to one user. */
export function isSameScheduled(a: ScheduledActivation, b: ScheduledActivation): boolean {
  return a.activationId === b.activationId && a.user === b.user && a.role === b.role && a.resourceConditionFingerprint === b.resourceConditionFingerprint;
}

/** Null when `adding` more records for `user` fit Google's limits next to what the policy holds, else which limit is reached. */
export function scheduledCapacityProblem(policy: Policy, user: string, adding: number): string | null {
  const records = scheduledIn(policy);
  const holder = user.toLowerCase();
  const byUser = records.filter((r) => r.user === holder).length + decisionsIn(policy).filter((d) => (d.holder ?? d.actor) === holder).length;
  if (byUser + adding > MAX_RECORDS_PER_USER) {
    return `You hold ${byUser} scheduled grants and request decisions on this project, and Google allows at most ${MAX_RECORDS_PER_USER}: cancel a scheduled grant, or start this one at once`;
  }
  if (records.length + adding > MAX_SCHEDULED_PER_PROJECT) {
    return `The project already holds ${records.length} scheduled grants, the most this service keeps in one policy (${MAX_SCHEDULED_PER_PROJECT}): start this one at once, or schedule it after some of them have started`;
  }
  return null;
}

/** Adds records; the input is never mutated. */
export function addScheduled<P extends Policy>(policy: P, scheduled: readonly ScheduledActivation[]): P {
  const existing = scheduledIn(policy);
  const fresh = scheduled.filter((s) => !existing.some((e) => isSameScheduled(e, s)));
  if (fresh.length === 0) return policy;
  return { ...structuredClone(policy), version: 3, bindings: [...structuredClone(policy.bindings ?? []), ...fresh.map(scheduledBindingOf)] } as P;
}

/** Removes the records `which` selects; the policy given when none does. */
export function removeScheduled<P extends Policy>(policy: P, which: (s: ScheduledActivation) => boolean): { policy: P; removed: ScheduledActivation[] } {
  const bindings = policy.bindings ?? [];
  const removed: ScheduledActivation[] = [];
  const kept = bindings.filter((b) => {
    const s = parseScheduledBinding(b);
    if (s && which(s)) {
      removed.push(s);
      return false;
    }
    return true;
  });
  if (removed.length === 0) return { policy, removed };
  return { policy: { ...structuredClone(policy), version: 3, bindings: structuredClone(kept) } as P, removed };
}

/** Records whose window ended before `now`: the task pass never got to them, and they can grant nothing any more. */
export function removeLapsedScheduled<P extends Policy>(policy: P, now: Date): { policy: P; removed: ScheduledActivation[] } {
  return removeScheduled(policy, (s) => s.end.getTime() <= now.getTime());
}

/** The id a user names a scheduled grant by: base64url of `[project, activationId]` (all its roles). */
export function scheduledId(projectId: string, activationId: string): string {
  return Buffer.from(JSON.stringify([projectId, activationId]), 'utf8').toString('base64url');
}

/** Parses an id made by {@link scheduledId}; null when it is not one. */
export function parseScheduledId(id: string): { projectId: string; activationId: string } | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(id)) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(id, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'string')) return null;
    const [projectId, activationId] = value as [string, string];
    if (scheduledId(projectId, activationId) !== id || !/^(?:jit|mpa)-[A-Za-z0-9+/=_-]{1,64}$/.test(activationId)) return null;
    return { projectId, activationId };
  } catch {
    return null;
  }
}

/** A user's scheduled grant as listed: one activation on one project, with all its roles. */
export interface ScheduledGrant {
  /** What the user cancels it by (see scheduledId). */
  readonly id: string;
  readonly activationId: string;
  readonly projectId: string;
  readonly type: 'self' | 'peer';
  readonly justification: string;
  /** `conditional`: the eligible binding is limited by a resource condition (the record keeps only its fingerprint). */
  readonly roles: readonly { readonly role: string; readonly conditional: boolean }[];
  readonly start: Date;
  readonly end: Date;
}

/** The justification in a grant description the service wrote (self or peer), else the whole text. */
export function justificationOf(grantDescription: string): string {
  const m = /justification: (.*)$/s.exec(grantDescription);
  return m ? m[1] : grantDescription;
}

/** The user's scheduled grants in a project's policy, one per activation, soonest first. */
export function scheduledGrantsOf(policy: Policy, userEmail: string, projectId: string): ScheduledGrant[] {
  const user = userEmail.toLowerCase();
  const byActivation = new Map<string, ScheduledActivation[]>();
  for (const s of scheduledIn(policy)) if (s.user === user) byActivation.set(s.activationId, [...(byActivation.get(s.activationId) ?? []), s]);
  return [...byActivation]
    .map(([activationId, records]) => ({
      id: scheduledId(projectId, activationId),
      activationId,
      projectId,
      type: activationId.startsWith('mpa-') ? ('peer' as const) : ('self' as const),
      justification: justificationOf(records[0].grantDescription),
      roles: records.map((r) => ({ role: r.role, conditional: r.resourceConditionFingerprint !== null })),
      start: records[0].start,
      end: records[0].end,
    }))
    .sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** Whether a binding records a scheduled grant of the member (`user:EMAIL`) whose window has not ended. */
export function isScheduledFor(binding: Binding, member: string, now: Date): boolean {
  const s = parseScheduledBinding(binding);
  return s !== null && `user:${s.user}` === member.toLowerCase() && s.end.getTime() > now.getTime();
}
