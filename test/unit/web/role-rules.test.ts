// What the dialogs enforce: each role's rule, the service's settings without a policy, and the strictest
// combination when roles with different rules are activated together; and the justification checked
// against every pattern and ticket that applies.
import type { MeResponse, Role, RolePolicy } from '../../../server/api/schemas';
import { justificationProblem } from '../../../web/src/justification';
import { approvalInWords, dialogRules, needsApproval, settingsRules } from '../../../web/src/role-rules';

const settings: MeResponse['settings'] = {
  justificationHint: 'A ticket number, such as INC-1234',
  justificationPattern: 'INC-[0-9]+.*',
  justificationMaxLength: 100,
  defaultDurationMinutes: 60,
  maxDurationMinutes: 120,
  maxRolesPerRequest: 10,
  minReviewers: 1,
  maxReviewers: 5,
  requestTimeoutMinutes: 60,
};

function policy(overrides: Partial<RolePolicy>): RolePolicy {
  return {
    rule: 'r',
    summary: '',
    approval: { kind: 'self', requiredApprovals: 0, approvers: [] },
    maxDurationMinutes: 120,
    defaultDurationMinutes: null,
    justification: { pattern: '.+', hint: 'Say why' },
    ticket: null,
    schedule: null,
    scheduling: null,
    maxActiveGrantsPerUser: null,
    breakGlass: null,
    notes: [],
    ...overrides,
  };
}

function role(id: string, activationType: 'self' | 'peer', rolePolicy?: RolePolicy): Role {
  return { id, projectId: 'p', role: id, resourceCondition: null, activationType, status: 'eligible', activeUntil: null, pendingRequest: null, ...(rolePolicy ? { policy: rolePolicy } : {}) };
}

describe('without an access policy', () => {
  test('the settings apply, and the binding decides whether approval is needed', () => {
    const rules = dialogRules([role('a', 'self')], settings);
    expect(rules).toMatchObject({ maxDurationMinutes: 120, maxDurationRule: null, defaultDurationMinutes: 60, tickets: [], blocked: null, combined: null, approval: { kind: 'self' } });
    expect(rules.patterns).toEqual([{ pattern: 'INC-[0-9]+.*', hint: 'A ticket number, such as INC-1234', rule: null }]);
    expect(needsApproval(role('a', 'self'))).toBe(false);
    expect(needsApproval(role('b', 'peer'))).toBe(true);
    expect(dialogRules([role('b', 'peer')], settings).approval).toMatchObject({ kind: 'peers', requiredApprovals: 1 });
  });
});

describe('one role with a rule', () => {
  test('durations up to its maximum, its default preselected, its justification and ticket', () => {
    const rules = dialogRules(
      [role('db', 'self', policy({ rule: 'prod-databases', maxDurationMinutes: 60, defaultDurationMinutes: 30, justification: { pattern: '[A-Z]+-[0-9]+.*', hint: 'A ticket number' }, ticket: { pattern: 'CHG-[0-9]+', hint: 'a change ticket such as CHG-1234' } }))],
      settings,
    );
    expect(rules).toMatchObject({ maxDurationMinutes: 60, maxDurationRule: 'prod-databases', defaultDurationMinutes: 30, combined: null });
    expect(rules.tickets).toEqual([{ pattern: 'CHG-[0-9]+', hint: 'a change ticket such as CHG-1234', rule: 'prod-databases' }]);
    expect(justificationProblem('INC-1 restore', rules)).toBe('It names no ticket. Include a ticket: a change ticket such as CHG-1234.');
    expect(justificationProblem('restore CHG-7', rules)).toBe('It does not have the expected form. A ticket number.');
    expect(justificationProblem('INC-1 restore for CHG-7', rules)).toBeNull();
  });

  test('a default above the maximum is cut to it; without a default, the settings\' default', () => {
    expect(dialogRules([role('a', 'self', policy({ maxDurationMinutes: 30 }))], settings).defaultDurationMinutes).toBe(30);
    expect(dialogRules([role('a', 'self', policy({ maxDurationMinutes: 240 }))], settings).defaultDurationMinutes).toBe(60);
  });

  test('a rule that makes a self-approval binding need approval sends it to the request path', () => {
    const approvers = role('db', 'self', policy({ rule: 'prod-databases', approval: { kind: 'approvers', requiredApprovals: 2, approvers: ['group:db-leads@example.com', 'user:grace@example.com'] } }));
    expect(needsApproval(approvers)).toBe(true);
    const { approval } = dialogRules([approvers], settings);
    expect(approval).toEqual({ kind: 'approvers', requiredApprovals: 2, approvers: ['group:db-leads@example.com', 'user:grace@example.com'], rule: 'prod-databases' });
    expect(approvalInWords(approval)).toBe('2 approvals from db-leads@example.com, grace@example.com');
    expect(approvalInWords({ kind: 'peers', requiredApprovals: 1, approvers: [], rule: null })).toBe('1 approval from a peer');
    expect(approvalInWords({ kind: 'peers', requiredApprovals: 3, approvers: [], rule: null })).toBe('3 approvals from different peers');
  });

  test('outside a schedule that denies, the action is blocked with the reason; requireApproval is the request path', () => {
    const schedule = { timeZone: 'America/New_York', windows: ['Mon-Fri 09:00-17:00'], outside: 'deny' as const, insideNow: false };
    expect(dialogRules([role('l', 'self', policy({ rule: 'finance-ledger', schedule }))], settings).blocked).toBe(
      "Rule 'finance-ledger' allows activation only Mon-Fri 09:00-17:00 (America/New_York), and it is outside those hours now.",
    );
    expect(dialogRules([role('l', 'self', policy({ schedule: { ...schedule, insideNow: true } }))], settings).blocked).toBeNull();
    // Outside a requireApproval window the server already reports the role as needing peer approval.
    const outside = role('s', 'self', policy({ schedule: { ...schedule, outside: 'requireApproval' }, approval: { kind: 'peers', requiredApprovals: 1, approvers: [] } }));
    expect(dialogRules([outside], settings).blocked).toBeNull();
    expect(needsApproval(outside)).toBe(true);
  });
});

describe('several roles with different rules', () => {
  test('the strictest combination applies, and the dialog says so', () => {
    const rules = dialogRules(
      [
        role('staging', 'self', policy({ rule: 'staging', maxDurationMinutes: 480, defaultDurationMinutes: 120, justification: { pattern: '.+', hint: 'Say what you are working on' } })),
        role('db', 'self', policy({ rule: 'prod-databases', maxDurationMinutes: 60, defaultDurationMinutes: 30, justification: { pattern: '[A-Z]+-[0-9]+.*', hint: 'A ticket number' }, ticket: { pattern: 'CHG-[0-9]+', hint: null } })),
      ],
      settings,
    );
    expect(rules).toMatchObject({ maxDurationMinutes: 60, maxDurationRule: 'prod-databases', defaultDurationMinutes: 30 });
    expect(rules.patterns.map((p) => p.pattern)).toEqual(['.+', '[A-Z]+-[0-9]+.*']);
    expect(rules.combined).toBe("These roles follow different rules ('staging', 'prod-databases'), so the strictest of each applies: at most 1 hour, every justification form, every ticket.");
    expect(justificationProblem('fixing things', rules)).toBe('It does not have the expected form. A ticket number.');
    expect(justificationProblem('INC-4 fixing things', rules)).toBe('It names no ticket. Include a ticket: text matching CHG-[0-9]+.');
    expect(justificationProblem('INC-4 fixing CHG-9', rules)).toBeNull();
  });

  test('one role outside its denying schedule blocks them all', () => {
    const schedule = { timeZone: 'UTC', windows: ['Sat 00:00-24:00'], outside: 'deny' as const, insideNow: false };
    const rules = dialogRules([role('a', 'self', policy({ rule: 'a' })), role('b', 'self', policy({ rule: 'weekend', schedule }))], settings);
    expect(rules.blocked).toContain("Rule 'weekend' allows activation only Sat 00:00-24:00 (UTC)");
  });

  test('roles under one rule are not called a combination', () => {
    expect(dialogRules([role('a', 'self', policy({ rule: 'x' })), role('b', 'self', policy({ rule: 'x' }))], settings).combined).toBeNull();
  });
});

test('the settings as justification rules: pattern, hint, length, single line', () => {
  const rules = settingsRules(settings);
  expect(justificationProblem('', rules)).toBe('Enter a justification.');
  expect(justificationProblem('INC-1 ' + 'x'.repeat(100), rules)).toBe('Shorten it to 100 characters (it has 106).');
  expect(justificationProblem('INC-1\nmore', rules)).toBe('Use a single line of text.');
  expect(justificationProblem('no ticket', rules)).toBe('It does not have the expected form. A ticket number, such as INC-1234.');
  expect(justificationProblem('INC-1 fine', rules)).toBeNull();
});
