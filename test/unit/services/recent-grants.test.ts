import { RecentGrants } from '../../../server/services/recent-grants';

const TITLE = 'JIT access activation';
const iso = (d: Date) => d.toISOString().replace('.000Z', 'Z');
const NOW = new Date('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
const activation = (members: string[], start: number, end: number, title = TITLE) => ({
  role: 'roles/compute.viewer',
  members,
  condition: { title, expression: `(request.time >= timestamp("${iso(at(start))}") && request.time < timestamp("${iso(at(end))}"))` },
});

describe('RecentGrants', () => {
  let now = NOW;
  const recent = (max?: number) => new RecentGrants(() => now, max);
  beforeEach(() => {
    now = NOW;
  });

  test('remembers the users of activations in force, case-insensitively, until they end', () => {
    const grants = recent();
    grants.remember('p1', { bindings: [activation(['user:Alice@example.com'], -5, 30), activation(['user:bob@example.com'], -60, -1), activation(['group:g@example.com'], -5, 30)] });
    grants.remember('p2', { bindings: [activation(['user:alice@example.com', 'user:carol@example.com'], -5, 10)] });
    grants.remember('p3', { bindings: [activation(['user:alice@example.com'], -5, 30, 'Not an activation')] });
    expect(grants.projectsOf('alice@example.com')).toEqual(['p1', 'p2']);
    expect(grants.projectsOf('carol@example.com')).toEqual(['p2']);
    expect(grants.projectsOf('bob@example.com')).toEqual([]);
    now = at(15);
    expect(grants.projectsOf('alice@example.com')).toEqual(['p1']);
  });

  test('a later write of a project replaces what was remembered of it', () => {
    const grants = recent();
    grants.remember('p1', { bindings: [activation(['user:alice@example.com'], -5, 30)] });
    grants.remember('p1', { bindings: [] });
    expect(grants.projectsOf('alice@example.com')).toEqual([]);
  });

  test('beyond its size, the projects written longest ago are forgotten first', () => {
    const grants = recent(2);
    for (const p of ['p1', 'p2', 'p3']) grants.remember(p, { bindings: [activation(['user:alice@example.com'], -5, 30)] });
    grants.remember('p2', { bindings: [activation(['user:alice@example.com'], -5, 30)] });
    grants.remember('p4', { bindings: [activation(['user:alice@example.com'], -5, 30)] });
    expect(grants.projectsOf('alice@example.com').sort()).toEqual(['p2', 'p4']);
  });
});
