import { InvalidConditionError } from '../../../server/domain/condition';
import {
  describeEntitlement,
  entitlementId,
  InvalidEntitlementIdError,
  isProjectId,
  isRole,
  parseEntitlementId,
} from '../../../server/domain/entitlement';
import { InvalidInputError } from '../../../server/domain/invalid-input-error';

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('entitlementId (reference §2.3)', () => {
  it('is <projectId>:<role> without resource condition', () => {
    expect(entitlementId({ projectId: 'project-1', role: 'roles/compute.admin', resourceCondition: null })).toBe(
      'project-1:roles/compute.admin',
    );
  });

  it('appends standard base64 with padding of the canonical resource condition', () => {
    expect(entitlementId({ projectId: 'project-1', role: 'roles/sample', resourceCondition: 'resource.name == "foo"' })).toBe(
      'project-1:roles/sample:cmVzb3VyY2UubmFtZSA9PSAiZm9vIg==',
    );
  });

  it('encodes like jit-access 1.x: the reference example resource.name==\'foo\' as raw bytes', () => {
    expect(base64("resource.name=='foo'")).toBe('cmVzb3VyY2UubmFtZT09J2Zvbyc=');
  });

  it('canonicalises the condition first, so one entitlement has one id', () => {
    const a = entitlementId({ projectId: 'project-1', role: 'roles/x', resourceCondition: "resource.name=='foo'" });
    const b = entitlementId({ projectId: 'project-1', role: 'roles/x', resourceCondition: '(resource.name == "foo")' });
    expect(a).toBe(b);
  });

  it('uses the standard alphabet (+ and /), not base64url', () => {
    const condition = 'x == "???~~~"';
    const id = entitlementId({ projectId: 'project-1', role: 'roles/x', resourceCondition: condition });
    expect(id).toBe('project-1:roles/x:eCA9PSAiPz8/fn5+Ig==');
    expect(parseEntitlementId(id).resourceCondition).toBe(condition);
  });

  it('refuses to form an id for what cannot be parsed back', () => {
    expect(() => entitlementId({ projectId: 'example.com:proj', role: 'roles/x', resourceCondition: null })).toThrow(
      InvalidEntitlementIdError,
    );
    expect(() => entitlementId({ projectId: 'project-1', role: 'roles/x:y', resourceCondition: null })).toThrow(
      InvalidEntitlementIdError,
    );
    expect(() => entitlementId({ projectId: 'project-1', role: 'roles/x', resourceCondition: 'a ==' })).toThrow(
      InvalidConditionError,
    );
  });
});

describe('parseEntitlementId', () => {
  it.each([
    { projectId: 'project-1', role: 'roles/compute.admin', resourceCondition: null },
    { projectId: 'my-project-123', role: 'projects/my-project-123/roles/custom.role_1', resourceCondition: null },
    { projectId: 'project-1', role: 'organizations/1234567890/roles/orgRole', resourceCondition: 'a > b && b < c' },
    { projectId: 'project-1', role: 'roles/x', resourceCondition: 'x == "é😀"' },
    // 1, 2 and 3 bytes of padding remainder.
    { projectId: 'project-1', role: 'roles/x', resourceCondition: 'ab' },
    { projectId: 'project-1', role: 'roles/x', resourceCondition: 'abc' },
    { projectId: 'project-1', role: 'roles/x', resourceCondition: 'abcd' },
  ])('round-trips %j', (entitlement) => {
    expect(parseEntitlementId(entitlementId(entitlement))).toEqual(entitlement);
  });

  it('treats an empty third part as no resource condition, as the reference does', () => {
    expect(parseEntitlementId('project-1:roles/x:')).toEqual({
      projectId: 'project-1',
      role: 'roles/x',
      resourceCondition: null,
    });
  });

  it.each(['', ' ', ' :x', 'x: ', 'xx', 'a:b:c:d', 'project-1', 'project-1:'])(
    'rejects the malformed id %j with a message saying what an id looks like',
    (id) => {
      expect(() => parseEntitlementId(id)).toThrow(InvalidEntitlementIdError);
    },
  );

  it.each([
    ['an upper-case project id', 'Project-1:roles/x'],
    ['a too short project id', 'proj:roles/x'],
    ['a project id ending in a hyphen', 'project-:roles/x'],
    ['a domain-scoped project id', 'example.com:proj:roles/x'],
    ['a role without roles/ prefix', 'project-1:role/sample'],
    ['a role with spaces', 'project-1:roles/x y'],
    ['a path-like role', 'project-1:roles/../roles/x'],
  ])('rejects %s', (_, id) => {
    expect(() => parseEntitlementId(id)).toThrow(InvalidEntitlementIdError);
  });

  it('names the invalid part in the message', () => {
    expect(() => parseEntitlementId('Project-1:roles/x')).toThrow('"Project-1" is not a valid project id');
    expect(() => parseEntitlementId('project-1:role/sample')).toThrow('"role/sample" is not a valid role name');
  });

  it('rejects base64 that is unpadded, url-safe or has stray bits', () => {
    const padded = base64('ab');
    expect(() => parseEntitlementId(`project-1:roles/x:${padded.replace(/=+$/, '')}`)).toThrow(
      'not padded standard base64',
    );
    expect(() => parseEntitlementId('project-1:roles/x:eCA9PSAiPz8_fn5-Ig==')).toThrow(InvalidEntitlementIdError);
    expect(parseEntitlementId('project-1:roles/x:YWI=').resourceCondition).toBe('ab');
    expect(() => parseEntitlementId('project-1:roles/x:YWJ=')).toThrow('not padded standard base64');
    expect(() => parseEntitlementId('project-1:roles/x:YW I=')).toThrow('not padded standard base64');
  });

  it('rejects bytes that are not UTF-8', () => {
    const id = `project-1:roles/x:${Buffer.from([0xff, 0xfe, 0x41]).toString('base64')}`;
    expect(() => parseEntitlementId(id)).toThrow('not UTF-8');
  });

  it('rejects a condition that is not valid CEL', () => {
    expect(() => parseEntitlementId(`project-1:roles/x:${base64('a ==')}`)).toThrow(InvalidEntitlementIdError);
  });

  it('rejects a condition that is not canonical, e.g. the reference example resource.name==\'foo\'', () => {
    expect(() => parseEntitlementId('project-1:roles/sample:cmVzb3VyY2UubmFtZT09J2Zvbyc=')).toThrow(
      'not in canonical form (expected "resource.name == \\"foo\\"")',
    );
  });

  it('rejects text that smuggles more than the canonical condition (comments, trailing clauses)', () => {
    for (const condition of ['resource.name == "foo" // || true', 'resource.name == "foo"\n']) {
      expect(() => parseEntitlementId(`project-1:roles/x:${base64(condition)}`)).toThrow(InvalidEntitlementIdError);
    }
  });

  it('is an InvalidInputError, so the HTTP layer answers 400', () => {
    expect(() => parseEntitlementId('xx')).toThrow(InvalidInputError);
  });
});

describe('isProjectId and isRole', () => {
  it('follow Google\'s syntax', () => {
    expect(isProjectId('prod-app')).toBe(true);
    expect(isProjectId('a23456789012345678901234567890')).toBe(true);
    expect(isProjectId('a234567890123456789012345678901')).toBe(false);
    expect(isProjectId('1project')).toBe(false);
    expect(isRole('roles/resourcemanager.projectIamAdmin')).toBe(true);
    expect(isRole('projects/prod-app/roles/ab')).toBe(false);
    expect(isRole('organizations/x/roles/abc')).toBe(false);
  });
});

describe('describeEntitlement (reference §2.3 human form)', () => {
  it('names role and project, and the condition when there is one', () => {
    expect(describeEntitlement({ projectId: 'p-1234', role: 'roles/x', resourceCondition: null })).toBe(
      '[iam] roles/x on p-1234',
    );
    expect(describeEntitlement({ projectId: 'p-1234', role: 'roles/x', resourceCondition: 'a < b' })).toBe(
      '[iam] roles/x on p-1234 (condition: a < b)',
    );
  });
});
