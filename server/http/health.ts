// Liveness and readiness. Readiness says which configuration is in force (emulator mode included) and
// whether the Google endpoints the service depends on answer.
import type { Config } from '../config';
import type { PolicyStatus } from '../services/access-policy';

export interface HealthReport {
  healthy: boolean;
  mode: 'emulator' | 'google';
  platform: Config['platform'];
  configuration: Record<string, unknown>;
  checks: Record<string, { ok: boolean; detail: string }>;
}

export interface Probe {
  name: string;
  run(): Promise<string>;
}

export class HealthCheck {
  private last?: { at: number; report: Promise<HealthReport> };

  constructor(
    private readonly config: Config,
    private readonly probes: Probe[],
    private readonly cacheMs = 10_000,
    /** The access policy in force (source, digest), or null without one. */
    private readonly accessPolicy: () => PolicyStatus | null = () => null,
  ) {}

  /** Probes are shared for a few seconds so that frequent health checks do not cost API quota. */
  check(): Promise<HealthReport> {
    const now = Date.now();
    if (!this.last || now - this.last.at > this.cacheMs) this.last = { at: now, report: this.run() };
    return this.last.report;
  }

  private async run(): Promise<HealthReport> {
    const results = await Promise.all(
      this.probes.map(async (p) => {
        try {
          return [p.name, { ok: true, detail: await p.run() }] as const;
        } catch (e) {
          return [p.name, { ok: false, detail: (e as Error).message }] as const;
        }
      }),
    );
    const c = this.config;
    return {
      healthy: results.every(([, r]) => r.ok),
      mode: c.emulatorEndpoint ? 'emulator' : 'google',
      platform: c.platform,
      configuration: {
        emulatorEndpoint: c.emulatorEndpoint ?? null,
        scope: c.scope,
        catalog: c.catalog,
        activationTimeoutMinutes: c.activationTimeoutMinutes,
        activationRequestTimeoutMinutes: c.activationRequestTimeoutMinutes,
        maxRolesPerRequest: c.maxRolesPerRequest,
        reviewers: c.reviewers,
        iapAudience: c.iap.verifyAudience ? (c.iap.audience ?? 'derived from the platform') : 'not verified',
        cacheSeconds: c.cacheSeconds,
        auditLog: c.audit,
        email: c.notifications.smtp ? `${c.notifications.smtp.host}:${c.notifications.smtp.port}` : 'not configured',
        pubsubTopic: c.notifications.topic ?? null,
        accessPolicy: this.accessPolicy(),
      },
      checks: Object.fromEntries(results),
    };
  }
}

/**
 * A probe that fetches a URL and expects a 2xx answer. It uses node:http(s), not fetch: the first fetch
 * of a process loads undici, which would make the first readiness answer after a cold start wait for it.
 */
export function urlProbe(name: string, url: string, timeoutMs: number): Probe {
  return {
    name,
    run: () =>
      new Promise((resolve, reject) => {
        const { get } = (url.startsWith('https:') ? require('node:https') : require('node:http')) as typeof import('node:http');
        const request = get(url, { timeout: timeoutMs }, (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(`${url} answered`);
          else reject(new Error(`${url} answered HTTP ${status}`));
        });
        request.on('timeout', () => request.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
        request.on('error', reject);
      }),
  };
}
