import { eligibilitySettled } from '../../../server/domain/eligible-roles';

const SELF = { title: 'Eligible', expression: 'has({}.jitAccessConstraint)' };
const PEER = { title: 'Peer', expression: 'has({}.multiPartyApprovalConstraint)' };
const settled = (bindings: Parameters<typeof eligibilitySettled>[0], requested: string[], groups: string[]) =>
  eligibilitySettled(bindings, 'alice@example.com', 'my-project', requested)(new Set(groups));

describe('eligibilitySettled: whether more groups could change a decision about the requested roles', () => {
  test('a self-approval binding naming a group found settles its role, whatever other groups name', () => {
    const bindings = [
      { role: 'roles/a', members: ['group:sre@example.com'], condition: SELF },
      { role: 'roles/a', members: ['group:everyone@example.com'], condition: PEER },
    ];
    expect(settled(bindings, ['my-project:roles/a'], ['sre@example.com'])).toBe(true);
    expect(settled(bindings, ['my-project:roles/a'], [])).toBe(false);
  });

  test('a binding naming the user settles nothing but its own type', () => {
    const bindings = [
      { role: 'roles/a', members: ['user:Alice@example.com'], condition: PEER },
      { role: 'roles/a', members: ['group:sre@example.com'], condition: SELF },
    ];
    // A group not found yet could still make the role self-approved.
    expect(settled(bindings, ['my-project:roles/a'], [])).toBe(false);
    expect(settled([bindings[0]], ['my-project:roles/a'], [])).toBe(true);
  });

  test('a peer-approval role found is settled once no self-approval binding of it names a group not found', () => {
    const bindings = [
      { role: 'roles/a', members: ['group:sre@example.com'], condition: PEER },
      { role: 'roles/a', members: ['group:oncall@example.com'], condition: PEER },
    ];
    expect(settled(bindings, ['my-project:roles/a'], ['sre@example.com'])).toBe(true);
    expect(settled(bindings, ['my-project:roles/a'], [])).toBe(false);
  });

  test('roles not requested, bindings that grant no eligibility, and other principals do not keep it open', () => {
    const bindings = [
      { role: 'roles/b', members: ['group:sre@example.com'], condition: SELF },
      { role: 'roles/a', members: ['group:sre@example.com'] },
      { role: 'roles/a', members: ['domain:example.com', 'user:bob@example.com'], condition: SELF },
    ];
    expect(settled(bindings, ['my-project:roles/a'], [])).toBe(true);
  });

  test('every requested role must be settled', () => {
    const bindings = [
      { role: 'roles/a', members: ['group:sre@example.com'], condition: SELF },
      { role: 'roles/b', members: ['group:everyone@example.com'], condition: SELF },
    ];
    expect(settled(bindings, ['my-project:roles/a', 'my-project:roles/b'], ['sre@example.com'])).toBe(false);
    expect(settled(bindings, ['my-project:roles/a', 'my-project:roles/b'], ['sre@example.com', 'everyone@example.com'])).toBe(true);
  });
});
