// Rate quotas as Google enforces them: each request to a counted method uses one unit of every quota that
// counts it, in fixed windows of the emulator's clock (minutes; days from midnight Pacific time), per consumer
// project or per organization. A request over a limit is refused with 429 RESOURCE_EXHAUSTED and Google's
// ErrorInfo (RATE_LIMIT_EXCEEDED), without Retry-After, which Google does not send for quota errors.
import { GoogleApiError } from './http';
import { QUOTA_LIMITS, type QuotaLimit, type QuotaWindow } from './quota-limits';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Google's daily quotas reset at midnight Pacific time; the emulator uses UTC−8 all year. */
const PACIFIC_OFFSET_MS = 8 * 3_600_000;

/** Who a request is charged to: its consumer project, and the organization its resource belongs to. */
export interface QuotaCharge {
  /** `projects/300000000000` (by number when the world knows the project), or the caller when no project is known. */
  consumer: string;
  /** `organizations/N`, when the request names a resource of the world's organization. */
  organization?: string;
  /** Whether that organization has Security Command Center Premium/Enterprise. */
  securityCommandCenter: boolean;
}

interface Use {
  window: number;
  count: number;
}

export class QuotaBook {
  private limits = new Map<string, number | null>();
  /** Quota id → who it is charged to → use in the current window. */
  private use = new Map<string, Map<string, Use>>();

  constructor(private readonly overrides: Readonly<Record<string, number | null>> = {}) {
    this.reset();
  }

  /** Back to the world's limits (Google's defaults where the world says nothing), with no use. */
  reset(): void {
    this.limits = new Map(QUOTA_LIMITS.map((q) => [q.id, q.id in this.overrides ? this.overrides[q.id] : q.limit]));
    this.use.clear();
  }

  clearUse(): void {
    this.use.clear();
  }

  setLimits(limits: Readonly<Record<string, number | null>>): void {
    for (const [id, limit] of Object.entries(limits)) this.limits.set(id, limit);
  }

  /** Counts one request to `method`, or throws Google's 429 when a quota that counts it is used up. */
  charge(method: string, charge: QuotaCharge, now: Date): void {
    const counted = QUOTA_LIMITS.filter((q) => q.methods.includes(method) && (!q.withoutSecurityCommandCenter || !charge.securityCommandCenter));
    const units = counted.flatMap((q) => {
      const holder = q.scope === 'organization' ? charge.organization : charge.consumer;
      return holder === undefined ? [] : [{ quota: q, holder, use: this.current(q, holder, now) }];
    });
    for (const { quota, holder, use } of units) {
      const limit = this.limits.get(quota.id) ?? null;
      if (limit !== null && use.count >= limit) throw exhausted(quota, holder, limit);
    }
    for (const { use } of units) use.count += 1;
  }

  /** Every quota with its limit and its use in the current window, by consumer or organization. */
  report(now: Date) {
    return QUOTA_LIMITS.map((q) => {
      const use = Object.fromEntries(
        [...(this.use.get(q.id) ?? new Map<string, Use>())].filter(([, u]) => u.window === windowOf(q.window, now)).map(([holder, u]) => [holder, u.count]),
      );
      return { id: q.id, service: q.service, metric: q.metric, limitName: q.limitName, window: q.window, scope: q.scope, limit: this.limits.get(q.id) ?? null, use };
    });
  }

  private current(quota: QuotaLimit, holder: string, now: Date): Use {
    let byHolder = this.use.get(quota.id);
    if (!byHolder) this.use.set(quota.id, (byHolder = new Map()));
    const window = windowOf(quota.window, now);
    let use = byHolder.get(holder);
    if (!use || use.window !== window) byHolder.set(holder, (use = { window, count: 0 }));
    return use;
  }
}

function windowOf(window: QuotaWindow, now: Date): number {
  return window === 'minute' ? Math.floor(now.getTime() / MINUTE_MS) : Math.floor((now.getTime() - PACIFIC_OFFSET_MS) / DAY_MS);
}

/** Google's quota error: the standard sentence, ErrorInfo with the quota's metadata, and a Help link. */
function exhausted(quota: QuotaLimit, holder: string, limit: number): GoogleApiError {
  const who = holder.startsWith('projects/') ? `project_number:${holder.slice('projects/'.length)}` : holder;
  return new GoogleApiError(
    'RESOURCE_EXHAUSTED',
    `Quota exceeded for quota metric '${quota.metricDisplayName}' and limit '${quota.limitDisplayName}' of service '${quota.service}' for consumer '${who}'.`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'RATE_LIMIT_EXCEEDED',
        domain: 'googleapis.com',
        metadata: {
          service: quota.service,
          consumer: holder,
          quota_metric: quota.metric,
          quota_limit: quota.limitName,
          quota_limit_value: String(limit),
          quota_location: 'global',
        },
      },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [{ description: 'Request a higher quota limit.', url: 'https://cloud.google.com/docs/quotas/help/request_increase' }],
      },
    ],
  );
}
