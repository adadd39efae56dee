import {
  ACTIVATION_TITLE,
  activationBindingOf,
  activationDescription,
  parseActivationBinding,
} from '../../../server/domain/activation-binding';
import type { Binding } from '../../../server/domain/iam-policy';

const START = new Date('2040-01-01T00:00:00Z');
const END = new Date('2040-01-01T00:05:00Z');
const TEMPORARY =
  '(request.time >= timestamp("2040-01-01T00:00:00Z") && request.time < timestamp("2040-01-01T00:05:00Z"))';

const binding = (expression: string, title: string | null = ACTIVATION_TITLE): Binding => ({
  role: 'roles/compute.admin',
  members: ['user:alice@example.com'],
  condition: { title, description: 'Self-approved, justification: BUG-123', expression },
});

describe('parseActivationBinding (reference §3.5)', () => {
  it('reads the binding jit-access 1.x writes for a 5-minute self-activation (reference §5.2 example)', () => {
    expect(parseActivationBinding(binding(TEMPORARY))).toEqual({
      role: 'roles/compute.admin',
      members: ['user:alice@example.com'],
      resourceCondition: null,
      start: START,
      end: END,
    });
  });

  it('extracts the resource condition, canonicalised', () => {
    const activation = parseActivationBinding(binding(`(${TEMPORARY}) && (resource.name=='x' || resource.name=='y')`));
    expect(activation?.resourceCondition).toBe('resource.name == "x" || resource.name == "y"');
    expect(activation?.start).toEqual(START);
  });

  it('finds the temporary clause in any position', () => {
    const activation = parseActivationBinding(binding(`resource.name == "x" && ${TEMPORARY} && a < b`));
    expect(activation).toMatchObject({ resourceCondition: 'resource.name == "x" && a < b', end: END });
  });

  it.each([
    ['another title', 'JIT Access Activation'],
    ['a title with extra text', 'JIT access activation (manual)'],
    ['no title', null],
  ])('requires the exact title, not %s', (_, title) => {
    expect(parseActivationBinding(binding(TEMPORARY, title))).toBeNull();
  });

  it.each([
    ['no temporary clause', 'resource.name == "x"'],
    ['a temporary condition with an extra clause inside', TEMPORARY.replace('))', ") && foo=='foo')")],
    ['an empty expression', ''],
    ['CEL that reads differently from the split', `true || x && ${TEMPORARY}`],
    ['a resource condition that is not CEL', `${TEMPORARY} && resource.name ==`],
  ])('rejects %s', (_, expression) => {
    expect(parseActivationBinding(binding(expression))).toBeNull();
  });

  it('rejects a binding without role or condition', () => {
    expect(parseActivationBinding({ ...binding(TEMPORARY), role: null })).toBeNull();
    expect(parseActivationBinding({ role: 'roles/x', members: ['user:a@example.com'] })).toBeNull();
    expect(parseActivationBinding({ role: 'roles/x', members: ['user:a@example.com'], condition: null })).toBeNull();
  });

  it('reports the members as they are', () => {
    const twoUsers = { ...binding(TEMPORARY), members: ['user:a@example.com', 'user:b@example.com'] };
    expect(parseActivationBinding(twoUsers)?.members).toEqual(['user:a@example.com', 'user:b@example.com']);
  });
});

describe('activationBindingOf (reference §5.2)', () => {
  it('writes the binding of jit-access 1.x, with the user lower-cased', () => {
    expect(
      activationBindingOf({
        user: 'Alice@Example.com',
        role: 'roles/compute.admin',
        resourceCondition: null,
        start: START,
        end: END,
        description: 'Self-approved, justification: BUG-123',
      }),
    ).toEqual({
      role: 'roles/compute.admin',
      members: ['user:alice@example.com'],
      condition: { title: 'JIT access activation', description: 'Self-approved, justification: BUG-123', expression: TEMPORARY },
    });
  });

  it('round-trips through parseActivationBinding with a resource condition', () => {
    const grant = {
      user: 'bob@example.com',
      role: 'roles/storage.objectAdmin',
      resourceCondition: 'resource.name.startsWith("projects/_/buckets/logs")',
      start: START,
      end: END,
      description: 'x',
    };
    expect(parseActivationBinding(activationBindingOf(grant))).toEqual({
      role: grant.role,
      members: ['user:bob@example.com'],
      resourceCondition: grant.resourceCondition,
      start: START,
      end: END,
    });
  });
});

describe('activationDescription (reference §5.2)', () => {
  it('describes a self-approval', () => {
    expect(activationDescription({ type: 'self', justification: 'BUG-123' })).toBe(
      'Self-approved, justification: BUG-123',
    );
  });

  it('describes a peer approval with the approver lower-cased', () => {
    expect(activationDescription({ type: 'peer', approver: 'Approver@Example.com', justification: 'BUG-123' })).toBe(
      'Approved by approver@example.com, justification: BUG-123',
    );
  });

  it('replaces line breaks and other control characters, as the description is also a request header', () => {
    expect(activationDescription({ type: 'self', justification: 'a\r\nb\u0000c\u2028d' })).toBe(
      'Self-approved, justification: a  b c d',
    );
  });

  it('leaves CEL-looking text in the description only: the expression of the grant is unaffected', () => {
    const justification = '") || true || ("';
    const grant = {
      user: 'alice@example.com',
      role: 'roles/compute.admin',
      resourceCondition: null,
      start: START,
      end: END,
      description: activationDescription({ type: 'self', justification }),
    };
    const written = activationBindingOf(grant);
    expect(written.condition?.description).toBe(`Self-approved, justification: ${justification}`);
    expect(written.condition?.expression).toBe(TEMPORARY);
  });
});
