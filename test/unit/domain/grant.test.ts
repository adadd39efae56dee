import { ACTIVATION_TITLE } from '../../../server/domain/activation-binding';
import { activeGrantsOf, findActiveGrant, grantId, grantStateOf, InvalidGrantIdError, parseApproval, parseGrantId } from '../../../server/domain/grant';
import type { Binding } from '../../../server/domain/iam-policy';
import { activationExpression } from '../../../server/domain/temporary-condition';

const T0 = new Date('2040-01-01T00:00:00Z');
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const KEY = { projectId: 'prod-app', role: 'roles/storage.admin', resourceCondition: 'resource.name == "a"', start: T0, end: minutes(30) };

const activation = (members: string[], from = 0, to = 30, overrides: Partial<Binding> = {}): Binding => ({
  role: KEY.role,
  members,
  condition: { title: ACTIVATION_TITLE, description: 'Self-approved, justification: BUG-1', expression: activationExpression(minutes(from), minutes(to), KEY.resourceCondition) },
  ...overrides,
});

describe('grant ids', () => {
  it('are base64url of [project, role, condition, start, end] and parse back', () => {
    const id = grantId(KEY);
    expect(JSON.parse(Buffer.from(id, 'base64url').toString())).toEqual(['prod-app', 'roles/storage.admin', 'resource.name == "a"', T0.toISOString(), minutes(30).toISOString()]);
    expect(parseGrantId(id)).toEqual(KEY);
  });

  it('name the same grant the same way whatever the condition text looked like', () => {
    expect(grantId({ ...KEY, resourceCondition: "resource.name=='a'" })).toBe(grantId(KEY));
  });

  it.each([
    ['not base64url', 'a+b/'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['the wrong shape', Buffer.from('["prod-app","roles/x"]').toString('base64url')],
    ['a bad project id', Buffer.from(JSON.stringify(['PROD', 'roles/x', null, T0.toISOString(), T0.toISOString()])).toString('base64url')],
    ['a non-canonical condition', Buffer.from(JSON.stringify(['prod-app', 'roles/x', "a=='b'", T0.toISOString(), T0.toISOString()])).toString('base64url')],
    ['a non-canonical time', Buffer.from(JSON.stringify(['prod-app', 'roles/x', null, '2040-01-01T00:00:00Z', T0.toISOString()])).toString('base64url')],
  ])('refuses %s', (_name, id) => {
    expect(() => parseGrantId(id)).toThrow(InvalidGrantIdError);
  });
});

describe('parseApproval', () => {
  it.each([
    ['Self-approved, justification: BUG-1, urgent', { type: 'self', justification: 'BUG-1, urgent' }],
    ['Approved by bob@example.com, justification: CHG-9', { type: 'peer', approver: 'bob@example.com', justification: 'CHG-9' }],
    ['granted by hand', { type: 'unknown', description: 'granted by hand' }],
    [undefined, { type: 'unknown', description: null }],
  ])('reads %j', (description, approval) => {
    expect(parseApproval(description)).toEqual(approval);
  });
});

describe('activeGrantsOf', () => {
  it('lists the user’s activations in force, also where Google merged them with another user’s', () => {
    const bindings = [
      activation(['user:alice@example.com', 'user:bob@example.com']),
      activation(['user:bob@example.com']),
      activation(['user:alice@example.com'], -60, -1),
      activation(['user:alice@example.com'], 0, 30, { condition: { title: 'Something else', expression: activationExpression(T0, minutes(30), null) } }),
    ];
    const grants = activeGrantsOf(bindings, 'Alice@example.com', 'prod-app', minutes(10));
    expect(grants).toEqual([{ ...KEY, id: grantId(KEY), approval: { type: 'self', justification: 'BUG-1' } }]);
  });

  it('finds a grant by its id for its own user only, and only while it is in force', () => {
    const bindings = [activation(['user:alice@example.com'])];
    expect(findActiveGrant(bindings, 'alice@example.com', KEY, minutes(10))?.id).toBe(grantId(KEY));
    expect(findActiveGrant(bindings, 'bob@example.com', KEY, minutes(10))).toBeNull();
    expect(findActiveGrant(bindings, 'alice@example.com', KEY, minutes(30))).toBeNull();
  });
});

describe('grantStateOf', () => {
  it('tells a grant in force from one replaced by another grant of the entitlement and from one gone', () => {
    const now = minutes(10);
    expect(grantStateOf([activation(['user:bob@example.com', 'user:alice@example.com'])], 'alice@example.com', KEY, now)).toBe('in-force');
    expect(grantStateOf([activation(['user:alice@example.com'], 5, 60)], 'alice@example.com', KEY, now)).toBe('replaced');
    expect(grantStateOf([activation(['user:bob@example.com'])], 'alice@example.com', KEY, now)).toBe('gone');
    expect(grantStateOf([], 'alice@example.com', KEY, now)).toBe('gone');
  });
});
