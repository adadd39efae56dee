import { InvalidInputError } from '../../../server/domain/invalid-input-error';
import { hasMember, principalMember, withoutMember } from '../../../server/domain/iam-policy';

describe('principalMember', () => {
  it('lower-cases the email', () => {
    expect(principalMember('Alice@Example.COM')).toBe('user:alice@example.com');
  });

  it.each(['Deployer@Jit-Host.iam.gserviceaccount.com', 'jit-host@appspot.gserviceaccount.com', '123-compute@developer.gserviceaccount.com'])('names the service account %s as serviceAccount:', (email) => {
    expect(principalMember(email)).toBe(`serviceAccount:${email.toLowerCase()}`);
  });

  it('does not take an address that only mentions gserviceaccount.com for a service account', () => {
    expect(principalMember('gserviceaccount.com@example.com')).toBe('user:gserviceaccount.com@example.com');
    expect(principalMember('a@gserviceaccount.com.example.com')).toBe('user:a@gserviceaccount.com.example.com');
  });

  it.each(['', 'alice', 'user:alice@example.com', 'alice @example.com', 'a@b@c'])('rejects %j', (email) => {
    expect(() => principalMember(email)).toThrow(InvalidInputError);
  });
});

describe('hasMember and withoutMember', () => {
  const binding = { role: 'roles/x', members: ['user:Alice@example.com', 'user:alice@example.com', 'user:bob@example.com'] };

  it('compare case-insensitively', () => {
    expect(hasMember(binding, 'user:ALICE@example.com')).toBe(true);
    expect(hasMember(binding, 'user:carol@example.com')).toBe(false);
    expect(hasMember({ members: null }, 'user:a@x.com')).toBe(false);
  });

  it('take out every spelling of the member, and leave nothing when nobody else is left', () => {
    expect(withoutMember(binding, 'user:alice@example.com')).toEqual({ role: 'roles/x', members: ['user:bob@example.com'] });
    expect(withoutMember({ role: 'roles/x', members: ['user:a@x.com'] }, 'user:A@x.com')).toBeNull();
  });
});
