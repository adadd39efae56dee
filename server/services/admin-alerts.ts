// Alerts of the Admin area, computed on request from what other views already read: the shared audit feed
// (no log read of its own) and the elevations in force (the Asset search the elevations view shares).
import {
  breakGlassOutsideScheduleAlerts,
  breakGlassReviewOverdueAlerts,
  byTimeDescending,
  externalActivationAlerts,
  frequentActivationAlerts,
  type Alert,
  type FrequencyThreshold,
} from '../domain/admin-alerts';
import { MAX_POLICY_MINUTES } from '../domain/access-policy';
import type { AdminElevations } from './admin-elevations';
import type { AuditFeed } from './audit-feed';
import { HISTORY_MAX_DAYS } from './admin-history';

export const ALERT_DEFAULT_DAYS = 7;

/** Break-glass activations this long before the period are still checked for a review deadline inside it. */
export const REVIEW_REACH_DAYS = 3;

/**
 * A grant younger than this (by the time the feed last read the log) is not judged "external" yet: its audit
 * entry reaches Cloud Logging seconds after the grant is written, and the feed reads new entries every
 * AUDIT_POLL_SECONDS, re-reading the last minute each time.
 */
export const EXTERNAL_GRACE_MINUTES = 5;

const DAY_MS = 86_400_000;

export interface AlertList {
  alerts: Alert[];
  from: Date;
  to: Date;
  /** When the feed last read the audit log, and when Asset Inventory was searched for the elevations. */
  readAt: Date;
  searchedAt: Date;
  warnings: string[];
}

export class AdminAlerts {
  constructor(
    private readonly feed: AuditFeed,
    private readonly elevations: Pick<AdminElevations, 'list'>,
    private readonly frequentActivations: FrequencyThreshold | null,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The alerts that arose in the last `days` days, and every external activation in force now; newest first. */
  async list(days: number = ALERT_DEFAULT_DAYS): Promise<AlertList> {
    const to = this.now();
    const from = new Date(to.getTime() - days * DAY_MS);
    // Far enough back for the frequency rule's trailing period, for review deadlines of earlier break-glass
    // activations, and for the audit entry of any grant of ours still in force (none lasts longer than a day).
    const reach = Math.max((this.frequentActivations?.periodMinutes ?? 0) * 60_000, REVIEW_REACH_DAYS * DAY_MS, (MAX_POLICY_MINUTES + 60) * 60_000);
    const since = new Date(Math.max(from.getTime() - reach, to.getTime() - HISTORY_MAX_DAYS * DAY_MS));
    const [{ records, readAt }, inForce] = await Promise.all([this.feed.since(since), this.elevations.list({})]);
    const alerts = [
      ...(this.frequentActivations ? frequentActivationAlerts(records, this.frequentActivations, from, to) : []),
      ...breakGlassOutsideScheduleAlerts(records, from, to),
      ...breakGlassReviewOverdueAlerts(records, from, to),
      ...externalActivationAlerts(inForce.elevations, records, { readAt, graceMs: EXTERNAL_GRACE_MINUTES * 60_000 }),
    ].sort(byTimeDescending);
    return { alerts, from, to, readAt, searchedAt: inForce.searchedAt, warnings: inForce.warnings };
  }
}
