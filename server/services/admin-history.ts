// The admin history over a chosen period, read from the shared audit feed (never one log read per view).
import { historyRowOf, matchesHistoryFilter, type HistoryFilter, type HistoryRow } from '../domain/audit-history';
import { invalidInput } from '../errors';
import type { AuditFeed } from './audit-feed';

/** How far back the history reaches: the feed keeps this much of the log in memory. */
export const HISTORY_MAX_DAYS = 30;
export const HISTORY_DEFAULT_DAYS = 7;

export interface HistoryPeriod {
  from?: Date;
  to?: Date;
}

/** The period asked for, defaults filled in; 400 when it is empty or reaches back further than the feed keeps. */
export function resolvedPeriod(period: HistoryPeriod, now: Date): { from: Date; to: Date } {
  const to = period.to ?? now;
  const from = period.from ?? new Date(to.getTime() - HISTORY_DEFAULT_DAYS * 86_400_000);
  if (from.getTime() >= to.getTime()) throw invalidInput(`The period is empty: from (${from.toISOString()}) must be before to (${to.toISOString()}).`);
  if (from.getTime() < now.getTime() - HISTORY_MAX_DAYS * 86_400_000) {
    throw invalidInput(`The history reaches back ${HISTORY_MAX_DAYS} days; choose a from after ${new Date(now.getTime() - HISTORY_MAX_DAYS * 86_400_000).toISOString()}, or query Cloud Logging for older entries.`);
  }
  return { from, to };
}

export class AdminHistory {
  constructor(
    private readonly feed: AuditFeed,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(period: HistoryPeriod, filter: HistoryFilter): Promise<{ rows: HistoryRow[]; from: Date; to: Date; readAt: Date }> {
    const { from, to } = resolvedPeriod(period, this.now());
    const { records, readAt } = await this.feed.since(from);
    const rows: HistoryRow[] = [];
    for (const r of records) {
      if (r.timestamp.getTime() >= to.getTime()) continue;
      const row = historyRowOf(r.timestamp, r.payload);
      if (row && matchesHistoryFilter(row, filter)) rows.push(row);
    }
    return { rows: rows.reverse(), from, to, readAt };
  }
}
