// The sweeper over many projects: each run reads one slice of the active projects, chosen by the time, so
// that consecutive runs cover them all without a database; a repeated run changes nothing more; a run
// that runs out of time or of Google's quota says which projects it skipped, in its answer and its audit
// entry. The service's own adapters talk to the emulator; only the clock and the pause are the test's.
import { startTestEmulator, demoWorld } from '../support/emulator';
import type { RunningEmulator } from '../../emulator/server';
import type { World } from '../../emulator/world';
import { googleCredentials, googleEndpoints } from '../../server/google/connection';
import { ResourceManager } from '../../server/google/resource-manager';
import { CloudAsset } from '../../server/google/cloud-asset';
import { PolicyWriter } from '../../server/services/policy-writer';
import { CleanupService, sliceOf, type CleanupReport, type SweepLimits } from '../../server/services/cleanup';
import type { AuditEvent, AuditLog } from '../../server/services/audit';

const TITLE = 'JIT access activation';
const PROJECTS = 40;
const project = (i: number) => `swept-${String(i).padStart(2, '0')}`;
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
const window = (start: Date, end: Date) => `(request.time >= timestamp("${iso(start)}") && request.time < timestamp("${iso(end)}"))`;
const HOUR = 3_600_000;
/** A fixed start, on an interval boundary, so that run k happens at T0 + k intervals. */
const T0 = new Date('2026-12-01T00:00:00Z');

/** The demo world plus PROJECTS projects, each with one expired activation and one in force. */
function sweptWorld(): World {
  const world = structuredClone(demoWorld());
  const live = new Date(Date.now() + HOUR);
  for (let i = 0; i < PROJECTS; i++) {
    world.projects.push({ id: project(i), number: String(500000000000 + i), parent: 'folders/200000000001', state: 'ACTIVE' });
    world.iam[`projects/${project(i)}`] = [
      { role: 'roles/compute.viewer', members: ['user:alice@example.com'], condition: { title: TITLE, description: 'old', expression: window(new Date('2024-01-10T09:00:00Z'), new Date('2024-01-10T10:00:00Z')) } },
      { role: 'roles/compute.admin', members: ['user:bob@example.com'], condition: { title: TITLE, description: 'live', expression: window(new Date(Date.now() - HOUR), live) } },
    ];
  }
  return world;
}

class RecordedAudit implements AuditLog {
  readonly events: AuditEvent[] = [];
  record(event: AuditEvent): void {
    this.events.push(event);
  }
  async flush(): Promise<void> {}
}

const count = (emulator: RunningEmulator, method: string) => emulator.state.calls.get(`cloudresourcemanager.projects.${method}`) ?? 0;
const expiredLeft = (emulator: RunningEmulator) =>
  [...emulator.state.policies].filter(([name, policy]) => name.startsWith('projects/swept-') && policy.bindings.some((b) => b.condition?.description === 'old')).map(([name]) => name.slice('projects/'.length));

describe('sweeper: slices, repeats and skips', () => {
  let emulator: RunningEmulator;
  let audit: RecordedAudit;
  let sleeps: number[];
  beforeEach(async () => {
    emulator = await startTestEmulator(sweptWorld());
    audit = new RecordedAudit();
    sleeps = [];
  });
  afterEach(() => emulator.close());

  /** The service's sweeper against the emulator, at a clock the test sets; pauses are recorded, not waited. */
  function sweeper(limits: Partial<SweepLimits>, clock: () => Date): CleanupService {
    const auth = googleCredentials(emulator.url);
    const endpoints = googleEndpoints(emulator.url);
    const timeouts = { connectMs: 5_000, readMs: 10_000, writeMs: 5_000 };
    const resourceManager = new ResourceManager(auth, endpoints, timeouts);
    const full: SweepLimits = { intervalMinutes: 60, projectsPerRun: 1000, readsPerMinute: 100_000, writesPerMinute: 100_000, runSeconds: 240, ...limits };
    return new CleanupService(new CloudAsset(auth, endpoints, timeouts, 'organizations/100000000001'), resourceManager, new PolicyWriter(resourceManager), audit, full, clock, async (ms) => {
      sleeps.push(ms);
    });
  }

  const sweep = (service: CleanupService) => service.run({ dryRun: false, invoker: 'test' });

  test('consecutive runs sweep disjoint slices that together cover every active project', async () => {
    let now = T0;
    const service = sweeper({ projectsPerRun: 10 }, () => now);
    const active = sweptWorld().projects.filter((p) => p.state !== 'DELETE_REQUESTED').length;
    const slices = Math.ceil(active / 10);
    const first = Math.floor(T0.getTime() / HOUR) % slices;
    const seen: string[] = [];
    const reports: CleanupReport[] = [];
    for (let k = 0; k < slices; k++) {
      now = new Date(T0.getTime() + k * HOUR);
      emulator.state.calls.clear();
      const report = await sweep(service);
      reports.push(report);
      expect(report.slice).toEqual({ index: (first + k) % slices, count: slices, projects: report.projectsScanned });
      expect(report.projectsInScope).toBe(active);
      expect(report.skipped).toEqual([]);
      expect(count(emulator, 'setIamPolicy')).toBe(report.projects.length);
      for (const p of report.projects) expect(sliceOf(p.projectId, slices)).toBe(report.slice.index);
      seen.push(...report.projects.map((p) => p.projectId).filter((p) => p.startsWith('swept-')));
    }
    expect(reports.reduce((n, r) => n + r.projectsScanned, 0)).toBe(active);
    expect(seen.sort()).toEqual(Array.from({ length: PROJECTS }, (_, i) => project(i)));
    expect(expiredLeft(emulator)).toEqual([]);
    // The next interval starts the round again at the first slice.
    now = new Date(T0.getTime() + slices * HOUR);
    expect((await sweep(service)).slice.index).toBe(first);
  });

  test('a run repeated in the same interval takes the same slice and writes nothing more', async () => {
    const service = sweeper({ projectsPerRun: 10 }, () => T0);
    const first = await sweep(service);
    expect(first.projects.length).toBeGreaterThan(0);
    emulator.state.calls.clear();
    const again = await sweep(service);
    expect(again.slice).toEqual(first.slice);
    expect(again.projectsScanned).toBe(first.projectsScanned);
    expect(again.projects).toEqual([]);
    expect(count(emulator, 'setIamPolicy')).toBe(0);
  });

  test('reads and writes are paced at the configured rates', async () => {
    const service = sweeper({ readsPerMinute: 60, writesPerMinute: 30 }, () => T0);
    const report = await sweep(service);
    expect(report.projects.filter((p) => p.projectId.startsWith('swept-'))).toHaveLength(PROJECTS);
    // Every call after the first waits for its turn: the last write about two seconds per project later.
    expect(Math.max(...sleeps)).toBeGreaterThanOrEqual((PROJECTS - 1) * 2_000 - 1_000);
    expect(sleeps.length).toBeGreaterThanOrEqual(report.projectsScanned + report.projects.length - 2);
  });

  test('out of time: the rest of the slice is skipped, named in the answer and the audit entry', async () => {
    let ticks = 0;
    // Every look at the clock is a second later: the run's 10 seconds are up after a few projects.
    const service = sweeper({ runSeconds: 10 }, () => new Date(T0.getTime() + 1000 * ticks++));
    const report = await sweep(service);
    expect(report.skipped.length).toBeGreaterThan(0);
    expect(report.projectsScanned + report.skipped.length + report.failures.length).toBe(report.slice.projects);
    for (const s of report.skipped) expect(s.reason).toContain('CLEANUP_RUN_SECONDS=10');
    const skippedIds = report.skipped.map((s) => s.projectId);
    const run = audit.events.find((e) => e.event === 'cleanup.run')!;
    expect(run).toMatchObject({ severity: 'WARNING', outcome: 'success', skipped: report.skipped, invoker: 'test' });
    expect(run.message).toContain(`${report.skipped.length} skipped`);
    // The skipped projects still hold their expired activations; the next round of this slice reads them.
    expect(expiredLeft(emulator).filter((p) => skippedIds.includes(p))).toEqual(skippedIds.filter((p) => p.startsWith('swept-')));
  });

  test('out of quota (429): the run stops calling Google and reports the rest as skipped', async () => {
    emulator.state.faults.errors['cloudresourcemanager.projects.getIamPolicy'] = { rate: 1, status: 429, count: 1_000_000 };
    const service = sweeper({}, () => T0);
    const report = await sweep(service);
    expect(report.projectsScanned).toBe(0);
    expect(report.failures.length).toBeGreaterThanOrEqual(1);
    expect(report.failures.length + report.skipped.length).toBe(report.slice.projects);
    for (const s of report.skipped) expect(s.reason).toMatch(/quota was exhausted/);
    // At most the reads already in flight (each retried twice by the client), not one per project.
    expect(count(emulator, 'getIamPolicy')).toBeLessThanOrEqual(4 * 3);
    expect(count(emulator, 'setIamPolicy')).toBe(0);
    const run = audit.events.find((e) => e.event === 'cleanup.run')!;
    expect(run).toMatchObject({ outcome: 'failure', skipped: report.skipped, failures: report.failures });
  });
});
