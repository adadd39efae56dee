// The Admin area's charts as numbers: elevations per day by project and by role, hours of privileged access
// held per day, and how long approvals took, all computed from audit entries (the shared audit feed's).
// Days are UTC days, so every admin sees the same numbers whatever their time zone.

/** An audit entry as the feed gives it: when it was written and the structured payload. */
export interface AuditEntry {
  timestamp: Date;
  payload: Record<string, unknown>;
}

export interface ChartPeriod {
  from: Date;
  to: Date;
}

/** One line of a chart: a value per day of the period. */
export interface DailySeries {
  key: string;
  values: number[];
}

export interface AccessCharts {
  /** The UTC days of the period, `YYYY-MM-DD`, oldest first; every series has one value per day. */
  days: string[];
  elevationsByProject: DailySeries[];
  elevationsByRole: DailySeries[];
  /** Hours during which activated roles were in force, per project, up to `now`. */
  hoursByProject: DailySeries[];
  approvals: {
    /** Median minutes from request to the approval by people that granted it, per day of approval (null: none that day). */
    medianMinutesByDay: (number | null)[];
    countByDay: number[];
    medianMinutes: number | null;
    count: number;
  };
}

/** More lines than this make a chart unreadable: the smallest are summed as OTHER_SERIES. */
export const MAX_SERIES = 6;
export const OTHER_SERIES = 'Other';

const DAY_MS = 86_400_000;

/** The median of some numbers, or null for none (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The UTC days that the period touches, as `YYYY-MM-DD`. */
export function utcDaysOf(period: ChartPeriod): string[] {
  const days: string[] = [];
  const last = period.to.getTime() - 1;
  for (let t = Math.floor(period.from.getTime() / DAY_MS) * DAY_MS; t <= last; t += DAY_MS) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** A role granted to a user for a time, as an activation or an approval wrote it. */
interface Elevation {
  holder: string;
  projectId: string;
  role: string;
  resourceCondition: string;
  start: number;
  end: number;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const instant = (v: unknown): number | null => {
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? null : t;
};
const rolesOf = (payload: Record<string, unknown>): { role: string; resourceCondition: string }[] =>
  (Array.isArray(payload.roles) ? payload.roles : []).flatMap((r: { role?: unknown; resourceCondition?: unknown }) => {
    const role = text(r?.role);
    return role ? [{ role, resourceCondition: text(r.resourceCondition) ?? '' }] : [];
  });

/** The elevations an entry granted: new or replaced grants of an activation, the grant of an approval. */
function elevationsGrantedBy(payload: Record<string, unknown>): Elevation[] {
  if (payload.outcome !== 'success') return [];
  const projectId = text(payload.project);
  const start = instant(payload.start);
  if (!projectId || start === null) return [];
  if (payload.event === 'activation.succeeded') {
    const holder = text((payload.user as { email?: unknown } | undefined)?.email);
    if (!holder) return [];
    const grants = Array.isArray(payload.grants) ? (payload.grants as Record<string, unknown>[]) : [];
    // An activation that found a longer grant in force kept it: nothing new was granted.
    return grants.flatMap((g) => {
      const role = text(g.role);
      const end = instant(g.end);
      return role && end !== null && g.outcome !== 'kept' ? [{ holder, projectId, role, resourceCondition: text(g.resourceCondition) ?? '', start, end }] : [];
    });
  }
  if (payload.event === 'approval.succeeded' && payload.alreadyApproved !== true) {
    const holder = text(payload.beneficiary);
    const end = instant(payload.end);
    if (!holder || end === null) return [];
    return rolesOf(payload).map((r) => ({ holder, projectId, ...r, start, end }));
  }
  if (payload.event === 'grant.extended') {
    const holder = text((payload.user as { email?: unknown } | undefined)?.email);
    const end = instant(payload.end);
    if (!holder || end === null) return [];
    return rolesOf(payload).map((r) => ({ holder, projectId, ...r, start, end }));
  }
  return [];
}

/** IAM holds one grant per user, project, role and resource condition. */
const grantKey = (holder: string, projectId: string, role: string, resourceCondition: string) => JSON.stringify([holder, projectId, role, resourceCondition]);

/**
 * The charts of the period from the entries, oldest first. Entries from before the period still count for
 * hours held (a grant activated yesterday may be held today) and for time to approval (a request made
 * yesterday may be approved today), so callers pass the day before the period too.
 */
export function accessChartsOf(entries: readonly AuditEntry[], period: ChartPeriod, now: Date): AccessCharts {
  const days = utcDaysOf(period);
  const firstDay = Math.floor(period.from.getTime() / DAY_MS);
  const dayIndexOf = (t: number) => Math.floor(t / DAY_MS) - firstDay;
  const inPeriod = (t: number) => t >= period.from.getTime() && t < period.to.getTime();
  const zeros = () => days.map(() => 0);
  const byProject = new Map<string, number[]>();
  const byRole = new Map<string, number[]>();
  const held = new Map<string, Elevation[]>();
  const requestedAt = new Map<string, number>();
  const approvalMinutes: number[][] = days.map(() => []);

  for (const { timestamp, payload } of entries) {
    const t = timestamp.getTime();
    const granted = elevationsGrantedBy(payload);
    for (const e of granted) {
      // A new grant of the same key (extension, re-activation) replaced the one before.
      const key = grantKey(e.holder, e.projectId, e.role, e.resourceCondition);
      const earlier = held.get(key) ?? [];
      for (const previous of earlier) previous.end = Math.min(previous.end, e.start);
      held.set(key, [...earlier, { ...e }]);
      if (payload.event !== 'grant.extended' && inPeriod(t)) {
        count(byProject, e.projectId, dayIndexOf(t), zeros);
        count(byRole, e.role, dayIndexOf(t), zeros);
      }
    }
    const ended = payload.event === 'grant.ended' ? instant(payload.endedAt) : payload.event === 'grant.revoked' ? instant(payload.revokedAt) : null;
    if (ended !== null && payload.outcome === 'success') {
      const holder = payload.event === 'grant.revoked' ? text(payload.beneficiary) : text((payload.user as { email?: unknown } | undefined)?.email);
      const projectId = text(payload.project);
      const start = instant(payload.start);
      for (const r of holder && projectId ? rolesOf(payload) : []) {
        const grant = held.get(grantKey(holder!, projectId!, r.role, r.resourceCondition))?.find((e) => e.start === start);
        if (grant) grant.end = Math.min(grant.end, ended);
      }
    }
    const requestId = text(payload.activationId);
    if (payload.event === 'request.created' && payload.outcome === 'success' && requestId) requestedAt.set(requestId, t);
    // A rule's own approval (approvedBy `rule:NAME`) takes no time a person spent: it would pull the median to 0.
    const byRule = typeof payload.approvedBy === 'string' && payload.approvedBy.startsWith('rule:');
    if (payload.event === 'approval.succeeded' && payload.outcome === 'success' && payload.alreadyApproved !== true && !byRule && requestId && requestedAt.has(requestId) && inPeriod(t)) {
      approvalMinutes[dayIndexOf(t)].push((t - requestedAt.get(requestId)!) / 60_000);
    }
  }

  const hours = new Map<string, number[]>();
  const heldUntil = Math.min(period.to.getTime(), now.getTime());
  for (const e of [...held.values()].flat()) {
    const from = Math.max(e.start, period.from.getTime());
    const until = Math.min(e.end, heldUntil);
    for (let t = from; t < until; t = (Math.floor(t / DAY_MS) + 1) * DAY_MS) {
      const dayEnd = Math.min((Math.floor(t / DAY_MS) + 1) * DAY_MS, until);
      add(hours, e.projectId, dayIndexOf(t), (dayEnd - t) / 3_600_000, zeros);
    }
  }

  return {
    days,
    elevationsByProject: seriesOf(byProject),
    elevationsByRole: seriesOf(byRole),
    hoursByProject: seriesOf(hours).map((s) => ({ key: s.key, values: s.values.map((v) => round(v, 3)) })),
    approvals: {
      medianMinutesByDay: approvalMinutes.map((m) => nullableRound(median(m))),
      countByDay: approvalMinutes.map((m) => m.length),
      medianMinutes: nullableRound(median(approvalMinutes.flat())),
      count: approvalMinutes.flat().length,
    },
  };
}

function count(series: Map<string, number[]>, key: string, day: number, zeros: () => number[]): void {
  add(series, key, day, 1, zeros);
}

function add(series: Map<string, number[]>, key: string, day: number, amount: number, zeros: () => number[]): void {
  if (!series.has(key)) series.set(key, zeros());
  series.get(key)![day] += amount;
}

/** Largest total first; beyond MAX_SERIES lines, the smallest are summed as one OTHER_SERIES line. */
function seriesOf(byKey: Map<string, number[]>): DailySeries[] {
  const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const all = [...byKey].map(([key, values]) => ({ key, values })).sort((a, b) => total(b.values) - total(a.values) || a.key.localeCompare(b.key));
  if (all.length <= MAX_SERIES) return all;
  const rest = all.slice(MAX_SERIES - 1);
  return [...all.slice(0, MAX_SERIES - 1), { key: OTHER_SERIES, values: rest[0].values.map((_, day) => rest.reduce((sum, s) => sum + s.values[day], 0)) }];
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const nullableRound = (v: number | null) => (v === null ? null : round(v, 1));
