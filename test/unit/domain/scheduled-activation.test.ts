import { AccessPolicyError, delayMinutes, parseAccessPolicy } from '../../../server/domain/access-policy';
import { demandsOf, describeDemands, startProblem, type PolicyTarget } from '../../../server/domain/access-policy-demands';
import { decisionBindingOf, NEVER_TRUE } from '../../../server/domain/request-decision';
import {
  addScheduled,
  conditionFingerprint,
  fitsDescription,
  MAX_RECORDS_PER_USER,
  parseScheduledBinding,
  parseScheduledId,
  removeLapsedScheduled,
  removeScheduled,
  scheduledBindingOf,
  scheduledCapacityProblem,
  scheduledGrantsOf,
  scheduledId,
  scheduledIn,
  SCHEDULED_TITLE,
  type ScheduledActivation,
} from '../../../server/domain/scheduled-activation';

const START = new Date('2040-01-01T10:00:00Z');
const END = new Date('2040-01-01T11:00:00Z');
const record = (over: Partial<ScheduledActivation> = {}): ScheduledActivation => ({
  activationId: 'jit-AAAAAAAAAAAAAAAA',
  user: 'alice@example.com',
  role: 'roles/cloudsql.admin',
  resourceConditionFingerprint: null,
  start: START,
  end: END,
  grantDescription: 'Self-approved, justification: INC-1 maintenance',
  ...over,
});

describe('scheduled-grant records', () => {
  it('are bindings that grant nothing, and read back as written', () => {
    const binding = scheduledBindingOf(record());
    expect(binding).toEqual({
      role: 'roles/browser',
      members: ['user:alice@example.com'],
      condition: {
        title: SCHEDULED_TITLE,
        expression: NEVER_TRUE,
        description: 'jit-AAAAAAAAAAAAAAAA roles/cloudsql.admin - from 2040-01-01T10:00:00Z until 2040-01-01T11:00:00Z: Self-approved, justification: INC-1 maintenance',
      },
    });
    expect(parseScheduledBinding(binding)).toEqual(record());
    const fingerprint = conditionFingerprint('resource.name.startsWith("projects/_/buckets/logs")')!;
    expect(fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(parseScheduledBinding(scheduledBindingOf(record({ resourceConditionFingerprint: fingerprint, activationId: 'mpa-B/+=' })))).toMatchObject({ resourceConditionFingerprint: fingerprint, activationId: 'mpa-B/+=' });
  });

  it('shorten a long grant description to Google\'s limit, ending in …', () => {
    const binding = scheduledBindingOf(record({ grantDescription: `Self-approved, justification: ${'x'.repeat(400)}` }));
    expect(binding.condition!.description!.length).toBe(256);
    expect(binding.condition!.description!.endsWith('x…')).toBe(true);
    expect(parseScheduledBinding(binding)!.grantDescription.startsWith('Self-approved, justification: xxx')).toBe(true);
  });

  it.each([
    ['another title', (b: any) => ({ ...b, condition: { ...b.condition, title: 'JIT access decision' } })],
    ['a condition that can be true', (b: any) => ({ ...b, condition: { ...b.condition, expression: 'true' } })],
    ['another role', (b: any) => ({ ...b, role: 'roles/owner' })],
    ['two members (merged or written by hand)', (b: any) => ({ ...b, members: ['user:alice@example.com', 'user:bob@example.com'] })],
    ['a group member', (b: any) => ({ ...b, members: ['group:sre@example.com'] })],
    ['a window that ends before it starts', (b: any) => ({ ...b, condition: { ...b.condition, description: b.condition.description.replace('until 2040-01-01T11', 'until 2040-01-01T09') } })],
    ['an unreadable description', (b: any) => ({ ...b, condition: { ...b.condition, description: 'scheduled by hand' } })],
  ])('are not read from a binding with %s', (_what, change) => {
    expect(parseScheduledBinding(change(scheduledBindingOf(record())))).toBeNull();
  });

  it('are added once, removed by selection, and lapse when their window ended unstarted', () => {
    const policy = { bindings: [{ role: 'roles/viewer', members: ['user:x@example.com'] }] };
    const added = addScheduled(policy, [record(), record({ activationId: 'jit-B', end: new Date('2040-01-02T00:00:00Z') })]);
    expect(scheduledIn(added)).toHaveLength(2);
    expect(addScheduled(added, [record()])).toBe(added);
    expect(policy.bindings).toHaveLength(1);
    expect(removeScheduled(added, (s) => s.activationId === 'jit-B').removed.map((s) => s.activationId)).toEqual(['jit-B']);
    const lapsed = removeLapsedScheduled(added, new Date('2040-01-01T12:00:00Z'));
    expect(lapsed.removed.map((s) => s.activationId)).toEqual(['jit-AAAAAAAAAAAAAAAA']);
    expect(scheduledIn(lapsed.policy).map((s) => s.activationId)).toEqual(['jit-B']);
    expect(removeLapsedScheduled(added, START).policy).toBe(added);
  });

  it.each([
    ['the whole project', null],
    ['a resource condition', 'abcdefabcdefabcd'],
  ])('fit only a role name that leaves 15 characters of the grant\'s description (%s)', (_what, fingerprint) => {
    const customRole = (length: number) => `projects/prod-app/roles/${'r'.repeat(length - 24)}`;
    const fits = (length: number) => fitsDescription(record().activationId, customRole(length), fingerprint !== null);
    let longest = 30;
    while (fits(longest + 1)) longest++;
    expect(fits(longest + 1)).toBe(false);
    const written = record({ role: customRole(longest), resourceConditionFingerprint: fingerprint });
    const binding = scheduledBindingOf(written);
    expect(binding.condition!.description!.length).toBe(256);
    expect(parseScheduledBinding(binding)).toEqual({ ...written, grantDescription: 'Self-approved,…' });
  });

  it('count with the user\'s decision records against Google\'s 20 conditional bindings per role and principal', () => {
    const decisions = Array.from({ length: MAX_RECORDS_PER_USER - 2 }, (_, i) =>
      decisionBindingOf({ kind: 'approved', requestId: `mpa-${i}`, actor: 'alice@example.com', at: START, until: END, reason: null }),
    );
    const policy = { bindings: decisions };
    expect(scheduledCapacityProblem(policy, 'alice@example.com', 2)).toBeNull();
    expect(scheduledCapacityProblem(policy, 'alice@example.com', 3)).toMatch(/Google allows at most 20/);
    expect(scheduledCapacityProblem(policy, 'bob@example.com', 3)).toBeNull();
  });

  it('are listed per activation, soonest first, and named by an id that parses back', () => {
    const later = new Date('2040-01-03T10:00:00Z');
    const policy = addScheduled({ bindings: [] }, [
      record({ activationId: 'jit-late', start: later, end: new Date(later.getTime() + 3_600_000) }),
      record(),
      record({ role: 'roles/storage.admin', resourceConditionFingerprint: 'abcdefabcdefabcd' }),
      record({ user: 'bob@example.com', activationId: 'jit-bob' }),
    ]);
    const listed = scheduledGrantsOf(policy, 'Alice@example.com', 'prod-app');
    expect(listed.map((l) => l.activationId)).toEqual(['jit-AAAAAAAAAAAAAAAA', 'jit-late']);
    expect(listed[0]).toMatchObject({ type: 'self', justification: 'INC-1 maintenance', roles: [{ role: 'roles/cloudsql.admin', conditional: false }, { role: 'roles/storage.admin', conditional: true }] });
    expect(parseScheduledId(listed[0].id)).toEqual({ projectId: 'prod-app', activationId: 'jit-AAAAAAAAAAAAAAAA' });
    expect(parseScheduledId(scheduledId('prod-app', 'not-an-activation'))).toBeNull();
    expect(parseScheduledId('@@')).toBeNull();
  });
});

describe('scheduling in the access policy', () => {
  const target: PolicyTarget = { projectId: 'prod-app', folders: [], labels: {}, role: 'roles/cloudsql.admin', type: 'self', resourceCondition: null };
  const base = { maxDurationMinutes: 60, justification: { pattern: '.*', hint: 'why', maxLength: 100 } };
  const NOW = new Date('2040-01-01T00:00:00Z');

  it('reads maxDelay in minutes, hours and days, and limits the start to it', () => {
    expect(delayMinutes('7d')).toBe(7 * 1440);
    expect(delayMinutes('1d12h')).toBe(2160);
    expect(delayMinutes(90)).toBe(90);
    const demands = demandsOf(parseAccessPolicy('version: 1\nrules:\n  - { name: later, scheduling: { maxDelay: 2d } }\n'), target, base, NOW);
    expect(demands.scheduling).toEqual({ maxDelayMinutes: 2880 });
    expect(describeDemands(demands)).toContain('may start up to 2 d later');
    expect(startProblem(demands, new Date('2040-01-02T00:00:00Z'), NOW)).toBeNull();
    expect(startProblem(demands, new Date('2040-01-03T00:00:01Z'), NOW)).toMatch(/Rule 'later' of the access policy allows a start at most 2 d ahead, that is no later than 2040-01-03T00:00:00.000Z/);
    expect(startProblem(demands, NOW, NOW)).toMatch(/must be in the future/);
  });

  it('allows no later start where the rule sets no scheduling', () => {
    const demands = demandsOf(parseAccessPolicy('version: 1\nrules:\n  - { name: now-only }\n'), target, base, NOW);
    expect(demands.scheduling).toBeNull();
    expect(startProblem(demands, new Date('2040-01-01T01:00:00Z'), NOW)).toMatch(/Rule 'now-only' of the access policy does not allow a later start/);
  });

  it('names the line and column of a bad maxDelay', () => {
    try {
      parseAccessPolicy('version: 1\nrules:\n  - name: r\n    scheduling:\n      maxDelay: 31d\n  - name: s\n    scheduling: { maxDelay: soon }\n', 'p.yaml');
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(AccessPolicyError);
      expect((e as AccessPolicyError).problems).toEqual([
        { line: 5, column: 17, path: 'rules.0.scheduling.maxDelay', message: expect.stringContaining('from 1 minute to 30 days') },
        { line: 7, column: 29, path: 'rules.1.scheduling.maxDelay', message: expect.stringContaining('such as 12h, 7d or 2d12h') },
      ]);
    }
  });
});
