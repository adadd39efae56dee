import type { cloudresourcemanager_v3 } from 'googleapis';
import { ACTIVATION_TITLE, type ActivationGrant } from '../../../server/domain/activation-binding';
import type { Binding, Policy } from '../../../server/domain/iam-policy';
import { addActivations, removeActivation, removeExpiredActivations, type EditedPolicy } from '../../../server/domain/policy-edit';
import { formatTemporaryCondition } from '../../../server/domain/temporary-condition';

const T0 = new Date('2040-01-01T00:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const temporary = (from: number, to: number) => formatTemporaryCondition(minutes(from), minutes(to));

const grant = (overrides: Partial<ActivationGrant> = {}): ActivationGrant => ({
  user: 'alice@example.com',
  role: 'roles/compute.admin',
  resourceCondition: null,
  start: T0,
  end: minutes(5),
  description: 'Self-approved, justification: BUG-1',
  ...overrides,
});

const activation = (expression: string, members = ['user:alice@example.com'], role = 'roles/compute.admin'): Binding => ({
  role,
  members,
  condition: { title: ACTIVATION_TITLE, description: 'earlier', expression },
});

const ELIGIBLE: Binding = {
  role: 'roles/compute.admin',
  members: ['group:ops@example.com'],
  condition: { title: 'Eligible access', expression: 'has({}.jitAccessConstraint)' },
};
const PERMANENT: Binding = { role: 'roles/viewer', members: ['user:alice@example.com'] };

const policyOf = (...bindings: Binding[]): Policy => ({ version: 1, etag: 'BwX1', bindings });
const added = <P extends Policy>(policy: P, grants: readonly ActivationGrant[]) => addActivations(policy, grants).policy as EditedPolicy<P>;

describe('addActivations (reference §5.2)', () => {
  it('appends the activation binding, forces version 3 and keeps the etag', () => {
    const result = added(policyOf(ELIGIBLE, PERMANENT), [grant()]);
    expect(result).toEqual({
      version: 3,
      etag: 'BwX1',
      bindings: [
        ELIGIBLE,
        PERMANENT,
        {
          role: 'roles/compute.admin',
          members: ['user:alice@example.com'],
          condition: {
            title: 'JIT access activation',
            description: 'Self-approved, justification: BUG-1',
            expression: temporary(0, 5),
          },
        },
      ],
    });
  });

  it('adds the resource condition to the expression', () => {
    const result = added(policyOf(), [grant({ resourceCondition: "resource.name=='x'" })]);
    expect(result.bindings?.[0].condition?.expression).toBe(`(${temporary(0, 5)}) && (resource.name == "x")`);
  });

  it('never mutates the input', () => {
    const input = policyOf(activation(temporary(-60, -30)), ELIGIBLE);
    const snapshot = structuredClone(input);
    const result = added(input, [grant()]);
    expect(input).toEqual(snapshot);
    result.bindings?.[0].members?.push('user:mallory@example.com');
    expect(input).toEqual(snapshot);
  });

  it('keeps fields it does not know, such as auditConfigs', () => {
    const input = { ...policyOf(), auditConfigs: [{ service: 'allServices', auditLogConfigs: [{ logType: 'DATA_READ' }] }] };
    expect(added(input, [grant()]).auditConfigs).toEqual(input.auditConfigs);
  });

  it('accepts a policy without bindings', () => {
    expect(added({ etag: 'e' }, [grant()]).bindings).toHaveLength(1);
  });

  describe('purges obsolete bindings of the same user and role (step 3)', () => {
    it.each([
      ['an expired activation', activation(temporary(-60, -30)), null],
      ['a current activation', activation(temporary(-1, 4)), null],
      ['a current activation on the same resource condition', activation(`(${temporary(-1, 4)}) && (resource.name == "x")`), "resource.name=='x'"],
      ['an expired activation on another resource condition', activation(`(${temporary(-60, -30)}) && (a < b)`), null],
      ['a temporary binding with upper-case member', activation(temporary(-1, 4), ['user:Alice@Example.com']), null],
      ['a temporary binding listing the user twice', activation(temporary(-1, 4), ['user:alice@example.com', 'user:alice@example.com']), null],
    ])('removes %s', (_, obsolete, resourceCondition) => {
      const result = added(policyOf(obsolete, ELIGIBLE), [grant({ resourceCondition })]);
      expect(result.bindings).toHaveLength(2);
      expect(result.bindings).not.toContainEqual(obsolete);
      expect(result.bindings?.[0]).toEqual(ELIGIBLE);
    });

    it.each([
      ["an administrator's own time-bound binding, whatever its title (only activations are replaced)", { ...activation(temporary(-1, 480)), condition: { title: 'On-call shift', expression: temporary(-1, 480) } }],
      ['a time-bound binding without a title', { role: 'roles/compute.admin', members: ['user:alice@example.com'], condition: { expression: temporary(-1, 4) } }],
      ['a temporary binding for a group', activation(temporary(-1, 4), ['group:ops@example.com'])],
      ['a temporary binding of another user', activation(temporary(-1, 4), ['user:bob@example.com'])],
      ['a temporary binding of another role', activation(temporary(-1, 4), ['user:alice@example.com'], 'roles/viewer')],
      ['a permanent binding of the same user and role', { role: 'roles/compute.admin', members: ['user:alice@example.com'] }],
      ['a conditional non-temporary binding', { role: 'roles/compute.admin', members: ['user:alice@example.com'], condition: { expression: 'resource.name == "x"' } }],
      ['a binding with an empty condition expression', { role: 'roles/compute.admin', members: ['user:alice@example.com'], condition: { expression: '' } }],
      ['the eligible binding', ELIGIBLE],
    ])('keeps %s', (_, other) => {
      const result = added(policyOf(other), [grant()]);
      expect(result.bindings?.[0]).toEqual(other);
      expect(result.bindings).toHaveLength(2);
    });

    it('keeps a current activation of the same role on another resource condition (unlike 1.x: a separate entitlement)', () => {
      const other = activation(`(${temporary(-1, 4)}) && (resource.name == "y")`);
      const result = added(policyOf(other), [grant({ resourceCondition: 'resource.name == "x"' })]);
      expect(result.bindings).toHaveLength(2);
      expect(result.bindings?.[0]).toEqual(other);
    });
  });

  it('replaces only the user in an activation binding Google merged for several users', () => {
    const shared = activation(temporary(-1, 4), ['user:alice@example.com', 'user:bob@example.com']);
    const { policy, outcomes } = addActivations(policyOf(shared), [grant()]);
    expect(policy.bindings).toEqual([{ ...shared, members: ['user:bob@example.com'] }, expect.objectContaining({ members: ['user:alice@example.com'] })]);
    expect(outcomes).toEqual([{ type: 'extended', previous: { start: minutes(-1), end: minutes(4) } }]);
  });

  describe('never shortens a grant in force', () => {
    it('keeps a grant that ends later, adds nothing, and hands back the very policy given', () => {
      const longer = activation(temporary(-60, 120), ['user:alice@example.com', 'user:bob@example.com']);
      const input = policyOf(longer);
      const { policy, outcomes } = addActivations(input, [grant({ end: minutes(5) })]);
      expect(policy).toBe(input);
      expect(outcomes).toEqual([{ type: 'kept', current: { start: minutes(-60), end: minutes(120) } }]);
    });

    it('keeps a grant ending at the same instant: adding a grant twice changes nothing the second time', () => {
      const once = added(policyOf(ELIGIBLE), [grant()]);
      const twice = addActivations(once, [grant()]);
      expect(twice.policy).toBe(once);
      expect(twice.outcomes).toEqual([{ type: 'kept', current: { start: T0, end: minutes(5) } }]);
    });

    it('replaces a grant that ends earlier and says so; a first grant is "granted"', () => {
      const shorter = activation(temporary(-1, 4));
      expect(addActivations(policyOf(shorter), [grant({ end: minutes(60) })]).outcomes).toEqual([{ type: 'extended', previous: { start: minutes(-1), end: minutes(4) } }]);
      expect(addActivations(policyOf(), [grant()]).outcomes).toEqual([{ type: 'granted' }]);
    });

    it('writes the other grants of the same call when one is kept', () => {
      const longer = activation(temporary(-60, 120));
      const { policy, outcomes } = addActivations(policyOf(longer), [grant(), grant({ role: 'roles/viewer' })]);
      expect(outcomes.map((o) => o.type)).toEqual(['kept', 'granted']);
      expect(policy.bindings?.map((b: Binding) => b.role)).toEqual(['roles/compute.admin', 'roles/viewer']);
      expect(policy.bindings?.[0]).toEqual(longer);
    });
  });

  it('lands every grant of one call: different users, roles and resource conditions', () => {
    const grants = [
      grant(),
      grant({ user: 'bob@example.com' }),
      grant({ role: 'roles/cloudsql.admin' }),
      grant({ resourceCondition: 'resource.name == "x"' }),
      grant({ resourceCondition: 'resource.name == "y"' }),
    ];
    const result = added(policyOf(ELIGIBLE), grants);
    expect(result.bindings).toHaveLength(6);
    expect(result.bindings?.map((b) => [b.role, b.members?.[0], b.condition?.expression])).toEqual([
      ['roles/compute.admin', 'group:ops@example.com', 'has({}.jitAccessConstraint)'],
      ['roles/compute.admin', 'user:alice@example.com', temporary(0, 5)],
      ['roles/compute.admin', 'user:bob@example.com', temporary(0, 5)],
      ['roles/cloudsql.admin', 'user:alice@example.com', temporary(0, 5)],
      ['roles/compute.admin', 'user:alice@example.com', `(${temporary(0, 5)}) && (resource.name == "x")`],
      ['roles/compute.admin', 'user:alice@example.com', `(${temporary(0, 5)}) && (resource.name == "y")`],
    ]);
  });

  it('keeps only the later of two grants for the same user and entitlement', () => {
    const result = added(policyOf(), [grant({ end: minutes(5) }), grant({ end: minutes(10) })]);
    expect(result.bindings?.map((b) => b.condition?.expression)).toEqual([temporary(0, 10)]);
  });

  it('returns the caller\'s policy type, assignable to googleapis\' Schema$Policy', () => {
    const google: cloudresourcemanager_v3.Schema$Policy = { version: 1, etag: 'e', bindings: [{ role: 'roles/x', members: null }] };
    const edited: cloudresourcemanager_v3.Schema$Policy = added(google, [grant()]);
    expect(edited.version).toBe(3);
  });
});

describe('removeActivation', () => {
  const target = { user: 'Alice@example.com', role: 'roles/compute.admin', resourceCondition: null };

  it('removes the user\'s activation of that entitlement and reports it', () => {
    const current = activation(temporary(-1, 4));
    const result = removeActivation(policyOf(ELIGIBLE, current, PERMANENT), target);
    expect(result.policy.bindings).toEqual([ELIGIBLE, PERMANENT]);
    expect(result.removed).toEqual([current]);
    expect(result.policy.version).toBe(3);
  });

  it('matches the resource condition in canonical form', () => {
    const scoped = activation(`(${temporary(-1, 4)}) && (resource.name == "x")`);
    const result = removeActivation(policyOf(scoped), { ...target, resourceCondition: "resource.name=='x'" });
    expect(result.removed).toEqual([scoped]);
  });

  it.each([
    ['another resource condition', activation(`(${temporary(-1, 4)}) && (resource.name == "y")`)],
    ['another role', activation(temporary(-1, 4), ['user:alice@example.com'], 'roles/viewer')],
    ['another user', activation(temporary(-1, 4), ['user:bob@example.com'])],
    ['another title', { ...activation(temporary(-1, 4)), condition: { title: 'manual', expression: temporary(-1, 4) } }],
  ])('leaves a binding with %s alone', (_, other) => {
    const result = removeActivation(policyOf(other), target);
    expect(result.policy.bindings).toEqual([other]);
    expect(result.removed).toEqual([]);
  });

  it('takes only the user out of an activation binding Google merged for several users', () => {
    const shared = activation(temporary(-1, 4), ['user:alice@example.com', 'user:bob@example.com']);
    const result = removeActivation(policyOf(ELIGIBLE, shared), target);
    expect(result.policy.bindings).toEqual([ELIGIBLE, { ...shared, members: ['user:bob@example.com'] }]);
    expect(result.removed).toEqual([shared]);
  });

  it('never mutates the input', () => {
    const input = policyOf(activation(temporary(-1, 4)));
    const snapshot = structuredClone(input);
    removeActivation(input, target);
    expect(input).toEqual(snapshot);
  });
});

describe('removeExpiredActivations', () => {
  const now = T0;

  it('removes activations that ended before now, and nothing else', () => {
    const expired = activation(temporary(-60, -1));
    const expiredScoped = activation(`(${temporary(-60, -1)}) && (a < b)`, ['user:bob@example.com'], 'roles/viewer');
    const endingNow = activation(temporary(-60, 0));
    const current = activation(temporary(-1, 4), ['user:carol@example.com']);
    const future = activation(temporary(10, 20), ['user:dave@example.com']);
    const manual = { role: 'roles/x', members: ['user:alice@example.com'], condition: { title: 'manual', expression: temporary(-60, -1) } };
    const unreadable = activation(`${temporary(-60, -1)} && resource.name ==`);
    const input = policyOf(ELIGIBLE, expired, PERMANENT, expiredScoped, endingNow, current, future, manual, unreadable);

    const result = removeExpiredActivations(input, now);

    expect(result.removed).toEqual([expired, expiredScoped]);
    expect(result.policy.bindings).toEqual([ELIGIBLE, PERMANENT, endingNow, current, future, manual, unreadable]);
    expect(result.policy.etag).toBe('BwX1');
    expect(result.policy.version).toBe(3);
  });

  it('returns an unchanged copy when nothing expired', () => {
    const input = policyOf(ELIGIBLE, activation(temporary(-1, 4)));
    const result = removeExpiredActivations(input, now);
    expect(result.removed).toEqual([]);
    expect(result.policy.bindings).toEqual(input.bindings);
    expect(result.policy).not.toBe(input);
  });
});
