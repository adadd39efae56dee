// Alerts of the Admin area: pure rules over the audit trail (as the shared audit feed reads it back) and the
// elevations in force (as Asset Inventory shows them). Each alert has an id that the same cause always gets,
// so that a notification can be sent once per alert without a database (services/alert-notifications.ts).
import type { Elevation } from './admin-elevation';
import { ACTIVATION_TITLE } from './activation-binding';
import { canonicalCondition, InvalidConditionError } from './condition';

export type AlertKind = 'frequent-activations' | 'break-glass-outside-schedule' | 'break-glass-review-overdue' | 'external-activation';

export interface Alert {
  /** Stable: the same cause gives the same id on every instance and every run. */
  readonly id: string;
  readonly kind: AlertKind;
  /** `high`: access may be held that nobody approved or reviewed; `medium`: a pattern worth a look. */
  readonly severity: 'high' | 'medium';
  /** When the alert arose: the triggering activation, the review deadline, the start of the binding. */
  readonly time: Date;
  /** Whose access it is. */
  readonly user: string;
  readonly projectId: string;
  readonly role: string;
  /** The activation (or break-glass activation) it is about, when the audit log names one. */
  readonly activationId: string | null;
  /** One sentence: what happened and what to look at. */
  readonly message: string;
}

/** An audit entry as read back from the log: when it was written, and the payload `AuditLog.record` wrote. */
export interface AuditTrailEntry {
  readonly timestamp: Date;
  readonly payload: Record<string, unknown>;
}

/** "Unusually often": `count` activations of one role by one user within `periodMinutes`. */
export interface FrequencyThreshold {
  readonly count: number;
  readonly periodMinutes: number;
}

/** The break-glass events (written by the break-glass flow; read here by name). */
export const BREAK_GLASS_ACTIVATED = 'breakglass.activated';
export const BREAK_GLASS_REVIEWED = 'breakglass.reviewed';

/**
 * Events after which the service has written an activation binding (start and end in the payload). A
 * binding in force that none of them explains was written or changed outside this service.
 */
const BINDING_WRITES = new Set(['activation.succeeded', 'approval.succeeded', 'grant.extended', BREAK_GLASS_ACTIVATED]);

const BREAK_GLASS: ReadonlySet<string> = new Set([BREAK_GLASS_ACTIVATED]);

/** Events that count as one activation per role for the frequency rule (an extension is not a new one). */
const ACTIVATIONS = new Set(['activation.succeeded', 'approval.succeeded', BREAK_GLASS_ACTIVATED]);

const PERIOD = /^([0-9]{1,4})\s*\/\s*([0-9]{1,5})(m|h|d)$/;
const UNIT_MINUTES = { m: 1, h: 60, d: 24 * 60 } as const;
export const MAX_FREQUENCY_PERIOD_MINUTES = 7 * 24 * 60;

/**
 * ALERT_FREQUENT_ACTIVATIONS: `COUNT/PERIOD` such as `8/24h`, `3/30m`, `20/7d` (COUNT 2 to 1000, PERIOD 1
 * minute to 7 days), or `off`. Null for off; throws an Error saying what is wrong.
 */
export function parseFrequencyThreshold(text: string): FrequencyThreshold | null {
  const value = text.trim().toLowerCase();
  if (value === 'off') return null;
  const m = PERIOD.exec(value);
  if (!m) throw new Error('must be COUNT/PERIOD such as 8/24h (PERIOD in m, h or d), or off');
  const count = Number(m[1]);
  const periodMinutes = Number(m[2]) * UNIT_MINUTES[m[3] as keyof typeof UNIT_MINUTES];
  if (count < 2 || count > 1000) throw new Error('COUNT must be from 2 to 1000');
  if (periodMinutes < 1 || periodMinutes > MAX_FREQUENCY_PERIOD_MINUTES) throw new Error('PERIOD must be from 1 minute to 7 days');
  return { count, periodMinutes };
}

export function describeThreshold(t: FrequencyThreshold): string {
  const p = t.periodMinutes;
  const period = p % (24 * 60) === 0 ? `${p / (24 * 60)} day(s)` : p % 60 === 0 ? `${p / 60} hour(s)` : `${p} minute(s)`;
  return `${t.count} activations within ${period}`;
}

// --- reading payloads -------------------------------------------------------------------------------------

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function instant(v: unknown): Date | null {
  const s = text(v);
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Whose access an entry is about: the beneficiary when someone else acted (an approval), else the user. */
function holderOf(payload: Record<string, unknown>): string | null {
  const user = payload.user as { email?: unknown } | undefined;
  return (text(payload.beneficiary) ?? text(user?.email))?.toLowerCase() ?? null;
}

/** The roles an entry is about: `roles: [{ role, resourceCondition }]`, or a single `role` and `resourceCondition`. */
function rolesOf(payload: Record<string, unknown>): { role: string; resourceCondition: string | null }[] {
  if (Array.isArray(payload.roles)) {
    return payload.roles
      .map((r) => ({ role: text((r as { role?: unknown })?.role), resourceCondition: text((r as { resourceCondition?: unknown })?.resourceCondition) }))
      .filter((r): r is { role: string; resourceCondition: string | null } => r.role !== null);
  }
  const role = text(payload.role);
  return role ? [{ role, resourceCondition: text(payload.resourceCondition) }] : [];
}

function succeeded(entry: AuditTrailEntry, events: ReadonlySet<string>): boolean {
  const event = text(entry.payload.event);
  return event !== null && events.has(event) && entry.payload.outcome === 'success' && entry.payload.alreadyApproved !== true;
}

function sameCondition(expression: string | null): string | null {
  if (expression === null) return null;
  try {
    return canonicalCondition(expression);
  } catch (e) {
    if (e instanceof InvalidConditionError) return expression;
    throw e;
  }
}

const inPeriod = (time: Date, from: Date, to: Date) => time.getTime() >= from.getTime() && time.getTime() <= to.getTime();

// --- the rules ----------------------------------------------------------------------------------------------

/**
 * A user activating the same role on the same project unusually often: an alert when the number of their
 * activations in the trailing period reaches the threshold, at the activation that reaches it. While the
 * count stays at or above the threshold no new alert arises; once it fell below, reaching it again is a new
 * alert. Only alerts at times within [from, to] are returned; `entries` should reach one period before `from`.
 */
export function frequentActivationAlerts(entries: readonly AuditTrailEntry[], threshold: FrequencyThreshold, from: Date, to: Date): Alert[] {
  const times = new Map<string, { user: string; projectId: string; role: string; times: Date[] }>();
  for (const entry of entries) {
    if (!succeeded(entry, ACTIVATIONS)) continue;
    const user = holderOf(entry.payload);
    const projectId = text(entry.payload.project);
    if (!user || !projectId) continue;
    for (const { role } of rolesOf(entry.payload)) {
      const key = JSON.stringify([user, projectId, role]);
      const series = times.get(key) ?? { user, projectId, role, times: [] };
      series.times.push(entry.timestamp);
      times.set(key, series);
    }
  }
  const periodMs = threshold.periodMinutes * 60_000;
  const alerts: Alert[] = [];
  for (const { user, projectId, role, times: series } of times.values()) {
    series.sort((a, b) => a.getTime() - b.getTime());
    let first = 0;
    let previousCount = 0;
    for (let i = 0; i < series.length; i++) {
      const t = series[i].getTime();
      while (series[first].getTime() <= t - periodMs) first++;
      const count = i - first + 1;
      if (count >= threshold.count && previousCount < threshold.count && inPeriod(series[i], from, to)) {
        alerts.push({
          id: `frequent-activations:${user}:${projectId}:${role}:${series[i].toISOString()}`,
          kind: 'frequent-activations',
          severity: 'medium',
          time: series[i],
          user,
          projectId,
          role,
          activationId: null,
          message: `${user} activated ${role} on ${projectId} ${count} times between ${series[first].toISOString()} and ${series[i].toISOString()} (the threshold is ${describeThreshold(threshold)}): check whether they need it permanently, or why they keep needing it.`,
        });
      }
      previousCount = count;
    }
  }
  return alerts;
}

/** Break-glass activations made outside their rule's change windows (the break-glass flow says which). */
export function breakGlassOutsideScheduleAlerts(entries: readonly AuditTrailEntry[], from: Date, to: Date): Alert[] {
  const alerts: Alert[] = [];
  for (const entry of entries) {
    const p = entry.payload;
    if (!succeeded(entry, BREAK_GLASS) || p.outsideSchedule !== true || !inPeriod(entry.timestamp, from, to)) continue;
    const user = holderOf(p);
    const projectId = text(p.project);
    if (!user || !projectId) continue;
    const activationId = text(p.activationId);
    const rule = text(p.rule) ?? text(p.ruleName);
    const reason = text(p.reason) ?? text(p.justification);
    for (const { role } of rolesOf(p)) {
      alerts.push({
        id: `break-glass-outside-schedule:${activationId ?? entry.timestamp.toISOString()}:${user}:${projectId}:${role}`,
        kind: 'break-glass-outside-schedule',
        severity: 'medium',
        time: entry.timestamp,
        user,
        projectId,
        role,
        activationId,
        message: `${user} broke the glass for ${role} on ${projectId} outside the change windows of ${rule ? `rule '${rule}'` : 'its rule'}${reason ? `, saying: ${reason}` : ''}.`,
      });
    }
  }
  return alerts;
}

/**
 * Break-glass activations not reviewed by their `reviewBy`: an alert at the deadline, once it passed (by `now`),
 * when no review of the activation was written by then. A review written later does not take the alert
 * back (the review was late), but the alert says so. Only deadlines within [from, to] count.
 */
export function breakGlassReviewOverdueAlerts(entries: readonly AuditTrailEntry[], from: Date, to: Date): Alert[] {
  const firstReview = new Map<string, { time: Date; reviewer: string | null }>();
  for (const entry of entries) {
    if (text(entry.payload.event) !== BREAK_GLASS_REVIEWED) continue;
    const id = text(entry.payload.activationId);
    if (!id || (firstReview.get(id)?.time.getTime() ?? Infinity) <= entry.timestamp.getTime()) continue;
    const user = entry.payload.user as { email?: unknown } | undefined;
    firstReview.set(id, { time: entry.timestamp, reviewer: text(entry.payload.reviewer) ?? text(user?.email) });
  }
  const alerts: Alert[] = [];
  for (const entry of entries) {
    const p = entry.payload;
    if (!succeeded(entry, BREAK_GLASS)) continue;
    const reviewBy = instant(p.reviewBy);
    const activationId = text(p.activationId);
    const user = holderOf(p);
    const projectId = text(p.project);
    if (!reviewBy || !activationId || !user || !projectId || !inPeriod(reviewBy, from, to)) continue;
    const review = firstReview.get(activationId);
    if (review && review.time.getTime() <= reviewBy.getTime()) continue;
    const reviewers = Array.isArray(p.reviewers) ? p.reviewers.filter((r): r is string => typeof r === 'string') : [];
    const state = review
      ? `it was reviewed late, at ${review.time.toISOString()}${review.reviewer ? ` by ${review.reviewer}` : ''}`
      : `it is still not reviewed${reviewers.length > 0 ? `: remind ${reviewers.join(', ')}` : ''}`;
    for (const { role } of rolesOf(p)) {
      alerts.push({
        id: `break-glass-review-overdue:${activationId}:${role}`,
        kind: 'break-glass-review-overdue',
        severity: 'high',
        time: reviewBy,
        user,
        projectId,
        role,
        activationId,
        message: `The break-glass activation of ${role} on ${projectId} by ${user} (${activationId}) was due for review by ${reviewBy.toISOString()}; ${state}.`,
      });
    }
  }
  return alerts;
}

export interface ExternalActivationCheck {
  /** When the audit feed last read the log: entries written since may be missing from `entries`. */
  readonly readAt: Date;
  /**
   * How long after a grant starts its audit entry must have been read: entries reach Cloud Logging seconds
   * after they are written, so a grant younger than this is not judged yet.
   */
  readonly graceMs: number;
}

/**
 * Activation bindings written or changed outside this service (Google PAM's "externally modified"): a
 * grant in force for which no audit entry of this service says it wrote exactly that grant (user, project,
 * role, resource condition, start and end). `entries` must reach back to the start of every grant judged.
 */
export function externalActivationAlerts(elevations: readonly Elevation[], entries: readonly AuditTrailEntry[], check: ExternalActivationCheck): Alert[] {
  const keyOf = (user: string, projectId: string, role: string, resourceCondition: string | null, start: Date, end: Date) =>
    JSON.stringify([user.toLowerCase(), projectId, role, sameCondition(resourceCondition), start.getTime(), end.getTime()]);
  const written = new Set<string>();
  for (const entry of entries) {
    if (!succeeded(entry, BINDING_WRITES)) continue;
    const user = holderOf(entry.payload);
    const projectId = text(entry.payload.project);
    const start = instant(entry.payload.start);
    const end = instant(entry.payload.end);
    if (!user || !projectId || !start || !end) continue;
    for (const r of rolesOf(entry.payload)) written.add(keyOf(user, projectId, r.role, r.resourceCondition, start, end));
  }
  const judgedUntil = check.readAt.getTime() - check.graceMs;
  return elevations
    .filter((e) => e.start.getTime() <= judgedUntil && !written.has(keyOf(e.user, e.projectId, e.role, e.resourceCondition, e.start, e.end)))
    .map((e) => ({
      id: `external-activation:${e.user}:${e.id}`,
      kind: 'external-activation' as const,
      severity: 'high' as const,
      time: e.start,
      user: e.user,
      projectId: e.projectId,
      role: e.role,
      activationId: null,
      message: `${e.user} holds ${e.role} on ${e.projectId}${e.resourceCondition ? ` (limited by ${e.resourceCondition})` : ''} from ${e.start.toISOString()} until ${e.end.toISOString()} through a '${ACTIVATION_TITLE}' binding that this service did not write as it is: no audit entry records that grant. Check who changed the project's IAM policy (its Cloud Audit Logs), and revoke the grant if nobody should hold it.`,
    }));
}

/** Newest first; ties broken by id so that the order is stable. */
export function byTimeDescending(a: Alert, b: Alert): number {
  return b.time.getTime() - a.time.getTime() || a.id.localeCompare(b.id);
}

/** The alert ids each destination was sent, from the `alert.notified` entries the notifications wrote. */
export function notifiedAlertIds(entries: readonly AuditTrailEntry[]): Map<string, Set<string>> {
  const sent = new Map<string, Set<string>>();
  for (const { payload } of entries) {
    const destination = text(payload.destination);
    if (payload.event !== 'alert.notified' || !destination || !Array.isArray(payload.alertIds)) continue;
    const ids = sent.get(destination) ?? new Set<string>();
    for (const id of payload.alertIds) if (typeof id === 'string') ids.add(id);
    sent.set(destination, ids);
  }
  return sent;
}
