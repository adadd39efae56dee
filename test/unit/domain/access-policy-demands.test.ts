import { parseAccessPolicy } from '../../../server/domain/access-policy';
import { applyingRule, demandsOf, describeDemands, globMatches, problemWithRequest, scheduleProblem, ticketIn, type PolicyTarget } from '../../../server/domain/access-policy-demands';

const base = { maxDurationMinutes: 120, justification: { pattern: '.*', hint: 'Bug or case number', maxLength: 100 } };
const target = (over: Partial<PolicyTarget> = {}): PolicyTarget => ({
  projectId: 'prod-app',
  folders: ['folders/200000000003', 'folders/200000000001'],
  labels: { env: 'prod' },
  role: 'roles/cloudsql.admin',
  type: 'self',
  resourceCondition: null,
  ...over,
});
const policy = (rules: string) => parseAccessPolicy(`version: 1\nrules:\n${rules}`);
const MONDAY_NOON_UTC = new Date('2026-01-05T12:00:00Z');

describe('globMatches', () => {
  it.each([
    ['roles/compute.admin', 'roles/compute.admin', true],
    ['roles/compute.admin', 'roles/compute.adminX', false],
    ['roles/compute.*', 'roles/compute.instanceAdmin.v1', true],
    ['roles/*.admin', 'roles/cloudsql.admin', true],
    ['roles/*.admin', 'roles/cloudsql.viewer', false],
    ['prod-?pp', 'prod-app', true],
    ['prod.app', 'prod-app', false],
  ])('%s against %s is %s', (pattern, text, expected) => {
    expect(globMatches(pattern, text)).toBe(expected);
  });
});

describe('rule matching', () => {
  const rules = policy(`
  - { name: by-project, match: { projects: [staging-*] } }
  - { name: by-folder, match: { folders: [folders/200000000002] } }
  - { name: by-label, match: { labels: { env: "pr*" }, roles: [roles/storage.*] } }
  - { name: by-type, match: { activationType: peer } }
  - { name: by-condition, match: { resourceCondition: true } }
  - { name: by-role-prefix, match: { roles: [roles/cloudsql.*] } }
  - { name: rest }
`);

  it.each([
    [{ projectId: 'staging-app' }, 'by-project'],
    [{ folders: ['200000000002'] }, 'by-folder'],
    [{ role: 'roles/storage.objectAdmin' }, 'by-label'],
    [{ role: 'roles/storage.objectAdmin', labels: { env: 'dev' } }, 'rest'],
    [{ type: 'peer' as const }, 'by-type'],
    [{ resourceCondition: 'resource.name.startsWith("x")' }, 'by-condition'],
    [{}, 'by-role-prefix'],
    [{ role: 'roles/compute.viewer' }, 'rest'],
  ])('%j → %s (first match wins)', (over, rule) => {
    expect(applyingRule(rules, target(over))?.rule.name).toBe(rule);
  });

  it('says why a rule matched', () => {
    expect(applyingRule(rules, target({ role: 'roles/storage.objectAdmin' }))?.reasons).toEqual([
      'label env=prod matches pr*',
      'role roles/storage.objectAdmin matches roles/storage.*',
    ]);
  });

  it('does not match folders it does not know', () => {
    expect(applyingRule(rules, target({ folders: [], role: 'roles/x.y' }))?.rule.name).toBe('rest');
  });
});

describe('demandsOf', () => {
  it('without a policy, is exactly the environment and the binding', () => {
    expect(demandsOf(undefined, target({ type: 'peer' }), base, MONDAY_NOON_UTC)).toEqual({
      rule: null,
      matchedBecause: [],
      approval: { kind: 'peers', principals: [], requiredApprovals: 1, escalation: null },
      maxDurationMinutes: 120,
      defaultDurationMinutes: null,
      justification: base.justification,
      ticket: null,
      schedule: null,
      maxActiveGrantsPerUser: null,
      breakGlass: null,
      notify: { emails: [], chat: [] },
      autoApprove: null,
      scheduling: null,
      notes: [],
    });
    expect(demandsOf(undefined, target(), base, MONDAY_NOON_UTC).approval).toEqual({ kind: 'self', principals: [], requiredApprovals: 0, escalation: null });
  });

  it('never turns a peer-approval binding into self-approval', () => {
    const d = demandsOf(policy('  - { name: lax, approval: self }\n'), target({ type: 'peer' }), base, MONDAY_NOON_UTC);
    expect(d.approval.kind).toBe('peers');
    expect(d.notes[0]).toContain('cannot waive');
  });

  it('can make a self-approval binding need designated approvers', () => {
    const d = demandsOf(
      policy('  - name: strict\n    approval: { kind: approvers, principals: [group:db-leads@example.com, user:a@example.com], requiredApprovals: 2 }\n'),
      target(),
      base,
      MONDAY_NOON_UTC,
    );
    expect(d.approval).toEqual({ kind: 'approvers', principals: ['group:db-leads@example.com', 'user:a@example.com'], requiredApprovals: 2, escalation: null });
    expect(describeDemands(d)).toBe('2 approvals from db-leads@example.com, a@example.com · up to 2 h');
  });

  it('takes each setting from the rule, then the defaults, then the environment', () => {
    const p = parseAccessPolicy(`version: 1
defaults: { maxDuration: 3h, defaultDuration: 1h, justification: { pattern: "INC-[0-9]+", hint: an incident }, maxActiveGrantsPerUser: 5 }
rules:
  - { name: short, match: { projects: [prod-*] }, maxDuration: 30m, defaultDuration: 10m }
`);
    const inRule = demandsOf(p, target(), base, MONDAY_NOON_UTC);
    expect(inRule).toMatchObject({ rule: 'short', maxDurationMinutes: 30, defaultDurationMinutes: 10, maxActiveGrantsPerUser: 5 });
    expect(inRule.justification).toEqual({ pattern: 'INC-[0-9]+', hint: 'an incident', maxLength: 100 });
    const unmatched = demandsOf(p, target({ projectId: 'other-app' }), base, MONDAY_NOON_UTC);
    expect(unmatched).toMatchObject({ rule: null, maxDurationMinutes: 180, defaultDurationMinutes: 60 });
  });

  it('reports the schedule and whether now is inside it', () => {
    const p = policy('  - name: office\n    schedule: { timeZone: Europe/Berlin, windows: ["Mon-Fri 08:00-18:00"] }\n');
    expect(demandsOf(p, target(), base, MONDAY_NOON_UTC).schedule).toEqual({ timeZone: 'Europe/Berlin', windows: ['Mon-Fri 08:00-18:00'], outside: 'deny', insideNow: true });
    expect(demandsOf(p, target(), base, new Date('2026-01-05T20:00:00Z')).schedule?.insideNow).toBe(false);
  });

  it('names the escalation of a rule that approves by people, never of one the binding overrules', () => {
    const p = policy('  - name: escalating\n    approval: { kind: peers, escalation: { after: 1h30m, approvers: [group:leads@example.com] } }\n');
    expect(demandsOf(p, target({ type: 'peer' }), base, MONDAY_NOON_UTC).approval).toEqual({
      kind: 'peers',
      principals: [],
      requiredApprovals: 1,
      escalation: { afterMinutes: 90, principals: ['group:leads@example.com'] },
    });
    const overruled = policy('  - { name: lax, approval: self }\n');
    expect(demandsOf(overruled, target({ type: 'peer' }), base, MONDAY_NOON_UTC).approval.escalation).toBeNull();
  });

  it('requires peer approval outside the windows when the rule says so', () => {
    const p = policy('  - name: office\n    schedule: { timeZone: UTC, windows: ["Mon-Fri 08:00-18:00"], outside: requireApproval }\n');
    expect(demandsOf(p, target(), base, MONDAY_NOON_UTC).approval.kind).toBe('self');
    const night = demandsOf(p, target(), base, new Date('2026-01-05T22:00:00Z'));
    expect(night.approval).toEqual({ kind: 'peers', principals: [], requiredApprovals: 1, escalation: null });
    expect(problemWithRequest(night, { justification: 'x', durationMinutes: 10 })).toBeNull();
  });

  it('carries break-glass, ticket and notify settings', () => {
    const p = policy(`  - name: db
    ticket: { pattern: "CHG-[0-9]+", hint: a change ticket, validation: { url: "https://itsm.example.com/validate", secret: projects/p/secrets/itsm/versions/latest }, events: { url: "https://itsm.example.com/events" } }
    breakGlass: { principals: [group:oncall@example.com], maxDuration: 30m, reviewers: [user:sec@example.com] }
    notify: { emails: [sec@example.com], chat: [sre] }
`);
    const d = demandsOf(p, target(), base, MONDAY_NOON_UTC);
    expect(d.ticket).toEqual({
      pattern: 'CHG-[0-9]+',
      hint: 'a change ticket',
      validation: { url: 'https://itsm.example.com/validate', secret: 'projects/p/secrets/itsm/versions/latest', timeoutSeconds: 5 },
      // The events are signed with the validation's key unless they name their own.
      events: { url: 'https://itsm.example.com/events', secret: 'projects/p/secrets/itsm/versions/latest', timeoutSeconds: 5 },
    });
    expect(d.breakGlass).toEqual({ principals: ['group:oncall@example.com'], maxDurationMinutes: 30, reviewers: ['user:sec@example.com'], reviewWithinMinutes: 24 * 60 });
    expect(d.notify).toEqual({ emails: ['sec@example.com'], chat: ['sre'] });
    expect(describeDemands(d)).toBe('no approval · up to 2 h · ticket required · break-glass up to 30 min');
  });

  it('carries ticket events with their own key and timeout, without validation', () => {
    const p = policy(`  - name: db
    ticket: { pattern: "CHG-[0-9]+", events: { url: "https://itsm.example.com/events", secret: projects/p/secrets/events/versions/2, timeoutSeconds: 2 } }
`);
    expect(demandsOf(p, target(), base, MONDAY_NOON_UTC).ticket).toEqual({
      pattern: 'CHG-[0-9]+',
      hint: null,
      validation: null,
      events: { url: 'https://itsm.example.com/events', secret: 'projects/p/secrets/events/versions/2', timeoutSeconds: 2 },
    });
  });

  it('carries how long reviewers have to review a break-glass activation', () => {
    const p = policy(`  - name: db
    breakGlass: { maxDuration: 30m, reviewers: [user:sec@example.com], reviewWithin: 72h }
`);
    expect(demandsOf(p, target(), base, MONDAY_NOON_UTC).breakGlass?.reviewWithinMinutes).toBe(72 * 60);
  });
});

describe('problemWithRequest', () => {
  const p = policy(`  - name: prod-db
    maxDuration: 1h
    justification: { pattern: "[A-Z]+-[0-9]+ .+", hint: "a ticket, then why" }
    ticket: { pattern: "CHG-[0-9]+", hint: a change ticket }
    schedule: { timeZone: Europe/Berlin, windows: ["Mon-Fri 08:00-18:00"] }
`);
  const d = (now: Date) => demandsOf(p, target(), base, now);

  it('accepts a request that meets every requirement', () => {
    expect(problemWithRequest(d(MONDAY_NOON_UTC), { justification: 'CHG-42 failover', durationMinutes: 60 })).toBeNull();
    expect(scheduleProblem(d(MONDAY_NOON_UTC), MONDAY_NOON_UTC)).toBeNull();
    expect(ticketIn(d(MONDAY_NOON_UTC), 'CHG-42 failover')).toBe('CHG-42');
  });

  it.each([
    ['the justification', { justification: 'failover', durationMinutes: 30 }, "Rule 'prod-db' of the access policy: Justification does not meet criteria: a ticket, then why"],
    ['the ticket', { justification: 'INC-1 failover', durationMinutes: 30 }, "Rule 'prod-db' of the access policy requires a ticket in the justification (a change ticket), matching /CHG-[0-9]+/"],
    ['the duration', { justification: 'CHG-1 failover', durationMinutes: 61 }, "Rule 'prod-db' of the access policy: The activation duration must be no longer than 60 minutes"],
  ])('names the rule and %s', (_, request, message) => {
    expect(problemWithRequest(d(MONDAY_NOON_UTC), request)).toBe(message);
  });

  it('names the rule and the schedule outside its windows', () => {
    const saturday = new Date('2026-01-10T09:15:00Z');
    expect(scheduleProblem(d(saturday), saturday)).toBe(
      "Rule 'prod-db' of the access policy allows activation only Mon-Fri 08:00-18:00 (Europe/Berlin); it is Sat 10:15 there now",
    );
  });

  it('without a policy, words refusals as the service always did', () => {
    const plain = demandsOf(undefined, target(), base, MONDAY_NOON_UTC);
    expect(problemWithRequest(plain, { justification: 'x', durationMinutes: 121 })).toBe('The activation duration must be no longer than 120 minutes');
  });
});
