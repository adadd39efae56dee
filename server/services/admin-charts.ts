// The Admin area's charts, computed from the shared audit feed (never a log read of their own).
import { accessChartsOf, type AccessCharts } from '../domain/access-charts';
import { MAX_POLICY_MINUTES } from '../domain/access-policy';
import type { AuditFeed } from './audit-feed';
import { resolvedPeriod, type HistoryPeriod } from './admin-history';

/**
 * No grant lasts and no request waits longer than this (the longest duration any setting or policy allows),
 * so entries this far before the period are enough to know what was held and requested during it.
 */
const LOOKBACK_MS = MAX_POLICY_MINUTES * 60_000;

export class AdminCharts {
  constructor(
    private readonly feed: Pick<AuditFeed, 'since'>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async charts(period: HistoryPeriod): Promise<AccessCharts & { from: Date; to: Date; readAt: Date }> {
    const now = this.now();
    const { from, to } = resolvedPeriod(period, now);
    // The feed keeps entries only so far back; for the oldest days of a long period it answers what it has.
    const { records, readAt } = await this.feed.since(new Date(from.getTime() - LOOKBACK_MS));
    return { ...accessChartsOf(records, { from, to }, now), from, to, readAt };
  }
}
