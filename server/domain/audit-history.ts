// The admin history: audit entries of what people did with access, as rows an auditor filters and exports.
// Failures of reads and the service's own housekeeping are not history of access and are left out.

/** The events the history shows. */
export const HISTORY_EVENTS = new Set([
  'activation.succeeded',
  'breakglass.activated',
  'breakglass.reviewed',
  'request.created',
  'approval.recorded',
  'approval.succeeded',
  'request.denied',
  'request.cancelled',
  'grant.ended',
  'grant.extended',
  'grant.revoked',
]);

export interface HistoryRow {
  time: Date;
  event: string;
  outcome: string;
  /** Who acted: the user, the approver, the admin. */
  actor: string | null;
  /** Whose access it is, when someone else acted (an approval, a revocation). */
  beneficiary: string | null;
  projectId: string | null;
  roles: string[];
  message: string;
}

export interface HistoryFilter {
  user?: string;
  projectId?: string;
  role?: string;
  event?: string;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** A row of an audit entry's payload, or null when the entry is not part of the history. */
export function historyRowOf(time: Date, payload: Record<string, unknown>): HistoryRow | null {
  const event = text(payload.event);
  if (!event || !HISTORY_EVENTS.has(event)) return null;
  const user = payload.user as { email?: unknown } | undefined;
  const roles = Array.isArray(payload.roles) ? payload.roles.map((r) => text((r as { role?: unknown }).role)).filter((r): r is string => r !== null) : [];
  return {
    time,
    event,
    outcome: text(payload.outcome) ?? 'unknown',
    actor: text(user?.email)?.toLowerCase() ?? null,
    beneficiary: text(payload.beneficiary)?.toLowerCase() ?? null,
    projectId: text(payload.project),
    roles,
    message: text(payload.message) ?? '',
  };
}

/** `user` matches the actor or the beneficiary; `role` a substring of any role; the others exactly. */
export function matchesHistoryFilter(row: HistoryRow, filter: HistoryFilter): boolean {
  const user = filter.user?.toLowerCase();
  if (user && row.actor !== user && row.beneficiary !== user) return false;
  if (filter.projectId && row.projectId !== filter.projectId) return false;
  if (filter.role && !row.roles.some((r) => r.toLowerCase().includes(filter.role!.toLowerCase()))) return false;
  if (filter.event && row.event !== filter.event) return false;
  return true;
}

const CSV_COLUMNS = ['time', 'event', 'outcome', 'actor', 'beneficiary', 'project', 'roles', 'message'];

/**
 * RFC 4180 CSV. A cell a spreadsheet would run as a formula (starting with = + - @ or a tab) is prefixed
 * with an apostrophe: justifications and reasons are typed by users.
 */
export function historyCsv(rows: readonly HistoryRow[]): string {
  const cell = (value: string | null): string => {
    let v = value ?? '';
    if (/^[=+\-@\t\r]/.test(v)) v = `'${v}`;
    return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const lines = rows.map((r) => [r.time.toISOString(), r.event, r.outcome, r.actor, r.beneficiary, r.projectId, r.roles.join(' '), r.message].map(cell).join(','));
  return [CSV_COLUMNS.join(','), ...lines].join('\r\n') + '\r\n';
}
