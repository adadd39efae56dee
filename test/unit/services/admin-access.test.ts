// The role the SPA's Admin link is shown for: from cached groups, never an error, and never a fresh lookup.
import { AdminAccess } from '../../../server/services/admin-access';

const roster = { admins: ['group:oncall@example.com', 'user:boss@example.com'], auditors: ['group:audit@example.com'] };

function access(cachedGroups: (email: string) => Promise<string[]>) {
  const fresh = jest.fn(async () => {
    throw new Error('a fresh lookup was made');
  });
  return { access: new AdminAccess(() => roster, fresh, cachedGroups), fresh };
}

test('shownRole decides on the cached groups, or on the name alone when the roster lists the user', async () => {
  const cached = jest.fn(async (email: string) => (email === 'bob@example.com' ? ['oncall@example.com'] : email === 'dave@example.com' ? ['audit@example.com'] : []));
  const { access: a, fresh } = access(cached);
  expect(await a.shownRole('bob@example.com')).toBe('admin');
  expect(await a.shownRole('dave@example.com')).toBe('auditor');
  expect(await a.shownRole('frank@example.com')).toBeNull();
  expect(await a.shownRole('Boss@Example.com')).toBe('admin');
  expect(cached).not.toHaveBeenCalledWith('Boss@Example.com');
  expect(fresh).not.toHaveBeenCalled();
});

test('shownRole is null, not an error, when the groups cannot be read: the link is a hint, the routes decide', async () => {
  const { access: a } = access(async () => {
    throw new Error('Cloud Identity unavailable');
  });
  expect(await a.shownRole('bob@example.com')).toBeNull();
});
