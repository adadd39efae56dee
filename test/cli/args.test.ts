import { UsageError, commandNameOf, parseDuration, parseInstant, parseSeconds } from '../../cli/args';
import { roleIdOf, tokenOf } from '../../cli/commands';
import { ApiError, JitClient } from '../../cli/client';
import type { Role } from '../../server/api/schemas';

describe('instants (--start)', () => {
  const now = Date.parse('2040-01-01T09:00:00Z');
  test.each([
    ['+2h', '2040-01-01T11:00:00.000Z'],
    ['+1d', '2040-01-02T09:00:00.000Z'],
    ['2040-01-01T10:30:00Z', '2040-01-01T10:30:00.000Z'],
    ['2040-01-01T10:30+01:00', '2040-01-01T09:30:00.000Z'],
  ])('--start %s is %s', (text, instant) => {
    expect(parseInstant(text, '--start', now)).toBe(instant);
  });

  test.each(['', 'tomorrow', '+soon', '2040-01-01T10:30:00', '2040-01-01', '2040-13-01T10:30:00Z'])('--start %j is refused with the accepted forms', (text) => {
    expect(() => parseInstant(text, '--start', now)).toThrow(UsageError);
    expect(() => parseInstant(text, '--start', now)).toThrow(/\+2h \(from now\) or a timestamp with a time zone/);
  });
});

describe('durations', () => {
  test.each([
    ['30m', 30],
    ['2h', 120],
    ['1h30m', 90],
    ['1h30', 90],
    ['1d', 1440],
    ['45', 45],
  ])('-d %s is %i minutes', (text, minutes) => {
    expect(parseDuration(text, '--duration')).toBe(minutes);
  });

  test.each(['', 'soon', '30s', '-5m', '0', '1.5h', 'm'])('-d %j is refused with the accepted forms', (text) => {
    expect(() => parseDuration(text, '--duration')).toThrow(UsageError);
  });

  test('waiting times: units s, m, h; a bare number is seconds', () => {
    expect([parseSeconds('90s', 't'), parseSeconds('30m', 't'), parseSeconds('2h', 't'), parseSeconds('15', 't')]).toEqual([90, 1800, 7200, 15]);
    expect(() => parseSeconds('1d', '--timeout')).toThrow(/90s, 30m or 2h/);
    expect(() => parseSeconds('0s', '--timeout')).toThrow(/longer than zero/);
  });
});

test('the command is the first argument that is neither an option nor its value', () => {
  const options = { user: { type: 'string' as const }, json: { type: 'boolean' as const }, duration: { type: 'string' as const, short: 'd' } };
  expect(commandNameOf(['--user', 'projects', 'roles', 'p'], options)).toBe('roles');
  expect(commandNameOf(['--json', 'grants'], options)).toBe('grants');
  expect(commandNameOf(['-d', '5m', '--user=a@b.c', 'extend'], options)).toBe('extend');
  expect(commandNameOf(['--json'], options)).toBeUndefined();
});

describe('naming a role', () => {
  const role = (r: string, condition: string | null = null): Role => ({ id: `p:${r}${condition ? ':c' : ''}`, projectId: 'p', role: r, resourceCondition: condition, activationType: 'self', status: 'eligible', activeUntil: null, pendingRequest: null });
  const roles = [role('roles/compute.admin'), role('roles/storage.objectAdmin'), role('roles/storage.objectAdmin', 'resource.name.startsWith("x")')];

  test('by IAM role, without roles/, or by id', () => {
    expect(roleIdOf(roles, 'roles/compute.admin', 'p').id).toBe('p:roles/compute.admin');
    expect(roleIdOf(roles, 'compute.admin', 'p').id).toBe('p:roles/compute.admin');
    expect(roleIdOf(roles, 'p:roles/storage.objectAdmin:c', 'p').resourceCondition).not.toBeNull();
  });

  test('a role offered twice must be named by id; a role not offered says how to list them', () => {
    expect(() => roleIdOf(roles, 'storage.objectAdmin', 'p')).toThrow(/several resource conditions; name one by its id:\n {2}p:roles\/storage.objectAdmin /);
    expect(() => roleIdOf(roles, 'owner', 'p')).toThrow(ApiError);
    expect(() => roleIdOf(roles, 'owner', 'p')).toThrow('`jit roles p` lists');
  });
});

test('a request is its token, or the link that carries it', () => {
  expect(tokenOf('abc.def')).toBe('abc.def');
  expect(tokenOf('https://jit.example.com/approve/abc.def')).toBe('abc.def');
  expect(tokenOf('https://jit.example.com/?activation=abc.def')).toBe('abc.def');
});

test("a service's refusal keeps its message and adds what to do: a conflict is tried again, a full schedule is not", async () => {
  const answering = (code: string) => async () => new Response(JSON.stringify({ error: { code, message: 'Refused.' } }), { status: 409, headers: { 'content-type': 'application/json' } });
  const clientAnswering = (code: string) => new JitClient('https://jit.example.com', { headers: async () => ({}), authAdvice: '' }, answering(code));
  await expect(clientAnswering('ABORTED').post('/api/v1/x')).rejects.toThrow('Refused. Nothing was changed; try again.');
  await expect(clientAnswering('TOO_MANY_SCHEDULED').post('/api/v1/x')).rejects.toThrow(/^Refused\. `jit grants` lists your scheduled grants\.$/);
});
