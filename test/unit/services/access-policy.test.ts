import { AccessPolicyError } from '../../../server/domain/access-policy';
import { AccessPolicyStore, policyText } from '../../../server/services/access-policy';
import type { AuditEvent, AuditLog } from '../../../server/services/audit';
import { temporaryAccessPolicy } from '../../support/access-policy-file';

const VALID = 'version: 1\nrules:\n  - { name: a, maxDuration: 1h }\n';
const VALID_2 = 'version: 1\nrules:\n  - { name: b, match: { projects: [x*] } }\n  - { name: a, maxDuration: 2h }\n';

function setup() {
  const policy = temporaryAccessPolicy(VALID);
  const events: AuditEvent[] = [];
  const audit: AuditLog = { record: (e) => void events.push(e), flush: async () => {} };
  let now = Date.parse('2026-01-05T12:00:00Z');
  const secrets = { accessText: async () => { throw new Error('not used'); } };
  const store = new AccessPolicyStore(policyText(policy.path, secrets), audit, 60_000, () => new Date(now));
  return { policy, events, store, advance: (ms: number) => (now += ms) };
}

describe('policyText', () => {
  it('reads a Secret Manager version, latest included, and anything else as a file', async () => {
    const secrets = { accessText: jest.fn(async (name: string) => `text of ${name}`) };
    await expect(policyText('projects/p/secrets/policy/versions/latest', secrets).read()).resolves.toBe('text of projects/p/secrets/policy/versions/latest');
    await expect(policyText('projects/p/secrets/policy/versions/3', secrets).read()).resolves.toBe('text of projects/p/secrets/policy/versions/3');
    await expect(policyText('/nonexistent/policy.yaml', secrets).read()).rejects.toThrow('ENOENT');
    expect(secrets.accessText).toHaveBeenCalledTimes(2);
  });
});

describe('AccessPolicyStore', () => {
  it('loads at start-up with a digest, and audits it', async () => {
    const { store, events, policy } = setup();
    const loaded = await store.load();
    expect(loaded.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(store.status()).toMatchObject({ source: policy.path, digest: loaded.digest, rules: 1, refused: null });
    expect(events.map((e) => e.event)).toEqual(['policy.loaded']);
  });

  it('refuses to start with an invalid policy, naming line and column', async () => {
    const { store, policy } = setup();
    policy.write('version: 1\nrules:\n  - { name: a, maxDuration: forever }\n');
    await expect(store.load()).rejects.toThrow(AccessPolicyError);
    await expect(store.load()).rejects.toThrow(`${policy.path}:3:29: rules.0.maxDuration:`);
  });

  it('re-reads after the refresh interval and puts a valid new version in force', async () => {
    const { store, events, policy, advance } = setup();
    const first = await store.load();
    policy.write(VALID_2);
    store.current();
    expect(store.current().digest).toBe(first.digest);
    advance(60_000);
    expect(store.current().digest).toBe(first.digest); // the re-read runs in the background
    await store.refresh();
    expect(store.current().document.rules.map((r) => r.name)).toEqual(['b', 'a']);
    expect(events.map((e) => e.event)).toEqual(['policy.loaded', 'policy.loaded']);
    expect(events[1].policy).toEqual({ source: policy.path, digest: store.current().digest, previousDigest: first.digest });
  });

  it('keeps the last valid policy when a new one is invalid, and audits the refusal once', async () => {
    const { store, events, policy } = setup();
    const first = await store.load();
    policy.write('version: 1\nrules:\n  - { name: a, aproval: self }\n');
    await store.refresh();
    await store.refresh();
    expect(store.current().digest).toBe(first.digest);
    expect(events.map((e) => e.event)).toEqual(['policy.loaded', 'policy.refused']);
    expect(events[1]).toMatchObject({ severity: 'ERROR', outcome: 'denied' });
    expect(events[1].message).toContain(`${policy.path}:3:16: rules.0: unknown field 'aproval'`);
    expect(events[1].message).toContain(`The policy ${first.digest} stays in force.`);
    expect(store.status()?.refused).toContain('is not a valid policy');
    policy.write(VALID);
    await store.refresh();
    expect(store.status()?.refused).toBeNull();
  });

  it('keeps the policy when the source cannot be read', async () => {
    const { store, events, policy } = setup();
    await store.load();
    policy.write(VALID);
    const unreadable = new AccessPolicyStore({ name: policy.path, read: async () => { throw new Error('permission denied'); } }, { record: (e) => void events.push(e), flush: async () => {} }, 1);
    await expect(unreadable.load()).rejects.toThrow('permission denied');
    expect(store.current().document.rules).toHaveLength(1);
  });
});
