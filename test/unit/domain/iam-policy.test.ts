import { InvalidInputError } from '../../../server/domain/invalid-input-error';
import { hasExactlyMembers, userMember } from '../../../server/domain/iam-policy';

describe('userMember', () => {
  it('lower-cases the email', () => {
    expect(userMember('Alice@Example.COM')).toBe('user:alice@example.com');
  });

  it.each(['', 'alice', 'user:alice@example.com', 'alice @example.com', 'a@b@c'])('rejects %j', (email) => {
    expect(() => userMember(email)).toThrow(InvalidInputError);
  });
});

describe('hasExactlyMembers', () => {
  const binding = { role: 'roles/x', members: ['user:Alice@example.com', 'user:alice@example.com'] };

  it('compares as sets, case-insensitively', () => {
    expect(hasExactlyMembers(binding, ['user:alice@example.com'])).toBe(true);
  });

  it('is false for a subset or superset', () => {
    expect(hasExactlyMembers({ members: ['user:a@x.com', 'user:b@x.com'] }, ['user:a@x.com'])).toBe(false);
    expect(hasExactlyMembers({ members: ['user:a@x.com'] }, ['user:a@x.com', 'user:b@x.com'])).toBe(false);
    expect(hasExactlyMembers({ members: null }, ['user:a@x.com'])).toBe(false);
  });
});
