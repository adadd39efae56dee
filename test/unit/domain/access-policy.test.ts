import { readFileSync } from 'node:fs';
import path from 'node:path';
import { AccessPolicyError, accessPolicyJsonSchema, durationMinutes, parseAccessPolicy } from '../../../server/domain/access-policy';

const ROOT = path.join(__dirname, '../../..');

function problemsOf(text: string) {
  try {
    parseAccessPolicy(text, 'p.yaml');
  } catch (e) {
    if (e instanceof AccessPolicyError) return e.problems;
    throw e;
  }
  throw new Error('the policy was accepted');
}

describe('parseAccessPolicy', () => {
  it('accepts a minimal policy and reads durations in every form', () => {
    const policy = parseAccessPolicy('version: 1\ndefaults: { maxDuration: 1h30m, defaultDuration: 45 }\nrules: []\n');
    expect(policy.defaults).toEqual({ maxDuration: '1h30m', defaultDuration: 45 });
    expect(durationMinutes('1h30m')).toBe(90);
    expect(durationMinutes('4h')).toBe(240);
    expect(durationMinutes('30m')).toBe(30);
    expect(durationMinutes(45)).toBe(45);
  });

  it('accepts the example policy of the demo world', () => {
    const text = readFileSync(path.join(ROOT, 'examples/access-policy.yaml'), 'utf8');
    expect(parseAccessPolicy(text).rules.length).toBeGreaterThan(3);
  });

  it('names the line and column of a YAML syntax error', () => {
    const problems = problemsOf('version: 1\nrules:\n  - name: a\n   match: x\n');
    expect(problems[0].line).toBe(4);
    expect(problems[0]).toEqual({ line: 4, column: 1, path: '', message: 'Sequence item without - indicator' });
  });

  it('names line, column and path of each schema problem, in file order', () => {
    const problems = problemsOf(
      [
        'version: 1',
        'rules:',
        '  - name: prod',
        '    match: { projects: [prod-*] }',
        '    maxDuration: 3 days',
        '    approval: { kind: approver }',
        '  - name: Bad_Name',
        '    schedule: { timeZone: Mars/Olympus, windows: ["Mon-Fri 08:00-18:00"] }',
      ].join('\n'),
    );
    expect(problems).toEqual([
      { line: 5, column: 18, path: 'rules.0.maxDuration', message: expect.stringContaining('30m, 4h or 1h30m') },
      { line: 6, column: 15, path: 'rules.0.approval', message: expect.any(String) },
      { line: 7, column: 11, path: 'rules.1.name', message: expect.stringContaining('lower-case') },
      { line: 8, column: 27, path: 'rules.1.schedule.timeZone', message: 'must be an IANA time zone such as Europe/Berlin' },
    ]);
  });

  it('points at an unknown field itself', () => {
    expect(problemsOf('version: 1\nrules:\n  - name: a\n    aproval: self\n')).toEqual([{ line: 4, column: 5, path: 'rules.0', message: "unknown field 'aproval'" }]);
  });

  it('points at the map when a required field is missing', () => {
    expect(problemsOf('rules: []\n')).toEqual([{ line: 1, column: 1, path: 'version', message: expect.any(String) }]);
  });

  it('formats every problem as file:line:column', () => {
    expect(() => parseAccessPolicy('version: 2\n', 'policy.yaml')).toThrow(/^policy\.yaml:1:10: version: /);
  });

  it.each([
    ['a regular expression that does not compile', 'justification: { pattern: "(", hint: h }', 'rules.0.justification.pattern', 'not a valid JavaScript regular expression'],
    ['a window that is not a window', 'schedule: { timeZone: UTC, windows: ["weekdays"] }', 'rules.0.schedule.windows.0', 'is not a window'],
    ['an unknown day', 'schedule: { timeZone: UTC, windows: ["Mon-Fry 08:00-18:00"] }', 'rules.0.schedule.windows.0', '"Fry" is not a day'],
    ['a time of day out of range', 'schedule: { timeZone: UTC, windows: ["Mon 08:00-25:00"] }', 'rules.0.schedule.windows.0', 'not a time of day'],
    ['a default duration over the maximum', 'maxDuration: 1h\n    defaultDuration: 2h', 'rules.0.defaultDuration', 'exceeds maxDuration'],
    ['a break-glass longer than the rule', 'maxDuration: 1h\n    breakGlass: { maxDuration: 2h, reviewers: [user:a@example.com] }', 'rules.0.breakGlass.maxDuration', 'must be shorter'],
    ['a break-glass review deadline over a week', 'breakGlass: { maxDuration: 30m, reviewers: [user:a@example.com], reviewWithin: 169h }', 'rules.0.breakGlass.reviewWithin', 'from 1 minute to 168 hours'],
    ['principals for peers', 'approval: { kind: peers, principals: [user:a@example.com] }', 'rules.0.approval.principals', 'only for kind approvers'],
    ['approvals for self', 'approval: { kind: self, requiredApprovals: 2 }', 'rules.0.approval.requiredApprovals', 'self-approval takes no approvals'],
    ['an escalation of self-approval', 'approval: { kind: self, escalation: { after: 30m, approvers: [user:a@example.com] } }', 'rules.0.approval.escalation', 'nobody to escalate from'],
    ['an escalation delay that is not a duration', 'approval: { kind: peers, escalation: { after: soon, approvers: [user:a@example.com] } }', 'rules.0.approval.escalation.after', 'must be a duration'],
    ['an escalation without approvers', 'approval: { kind: peers, escalation: { after: 30m, approvers: [] } }', 'rules.0.approval.escalation.approvers', ''],
    ['an escalation approver without a type', 'approval: { kind: approvers, principals: [user:b@example.com], escalation: { after: 30m, approvers: [a@example.com] } }', 'rules.0.approval.escalation.approvers.0', 'user:EMAIL or group:EMAIL'],
    ['more approvals than listed users', 'approval: { kind: approvers, principals: [user:a@example.com], requiredApprovals: 2 }', 'rules.0.approval.requiredApprovals', 'only 1 approver'],
    ['a principal without a type', 'approval: { kind: approvers, principals: [a@example.com] }', 'rules.0.approval.principals.0', 'user:EMAIL or group:EMAIL'],
    ['a ticket endpoint that is not a URL', 'ticket: { pattern: "CHG-[0-9]+", validation: { url: itsm, secret: projects/p/secrets/s/versions/1 } }', 'rules.0.ticket.validation.url', 'http(s) URL'],
    ['an events endpoint that is not a URL', 'ticket: { pattern: "CHG-[0-9]+", events: { url: itsm, secret: projects/p/secrets/s/versions/1 } }', 'rules.0.ticket.events.url', 'http(s) URL'],
    ['events without a key', 'ticket: { pattern: "CHG-[0-9]+", events: { url: "https://itsm.example.com/events" } }', 'rules.0.ticket.events', 'events need a secret'],
    ['an events key that is not a secret version', 'ticket: { pattern: "CHG-[0-9]+", events: { url: "https://itsm.example.com/events", secret: itsm-key } }', 'rules.0.ticket.events.secret', 'projects/PROJECT/secrets/NAME/versions/VERSION'],
    ['an events timeout over 30 seconds', 'ticket: { pattern: "CHG-[0-9]+", events: { url: "https://itsm.example.com/events", secret: projects/p/secrets/s/versions/1, timeoutSeconds: 31 } }', 'rules.0.ticket.events.timeoutSeconds', ''],
    ['a limit of zero grants', 'maxActiveGrantsPerUser: 0', 'rules.0.maxActiveGrantsPerUser', ''],
    ['an unknown activation type', 'match: { activationType: auto }', 'rules.0.match.activationType', ''],
  ])('refuses %s', (_, field, at, message) => {
    const problems = problemsOf(`version: 1\nrules:\n  - name: r\n    ${field}\n`);
    expect(problems).toContainEqual(expect.objectContaining({ path: at, message: expect.stringContaining(message) }));
    expect(problems.every((p) => p.line >= 4)).toBe(true);
  });

  it('refuses two rules of one name and a rule after a catch-all', () => {
    const problems = problemsOf('version: 1\nrules:\n  - name: all\n  - name: all\n    match: { projects: [x*] }\n');
    expect(problems.map((p) => p.message)).toEqual([
      "rule 'all' can never apply: rule 'all' before it matches every role (first match wins)",
      "the rule name 'all' is already used by rule 1",
    ]);
  });

  it('refuses a plain http ITSM endpoint where the service does not accept the emulator, naming line and column', () => {
    const text = 'version: 1\ndefaults:\n  ticket: { pattern: "C-[0-9]+", validation: { url: "http://itsm.example.com/v", secret: projects/p/secrets/s/versions/1 } }\nrules:\n  - name: tls\n    match: { projects: [a*] }\n    ticket: { pattern: "X", validation: { url: "https://itsm.example.com/v", secret: projects/p/secrets/s/versions/1 } }\n  - name: r\n    ticket:\n      pattern: "CHG-[0-9]+"\n      validation:\n        url: http://itsm.example.com/validate\n        secret: projects/p/secrets/s/versions/1\n      events: { url: "http://itsm.example.com/events" }\n';
    let error: AccessPolicyError | undefined;
    try {
      parseAccessPolicy(text, 'p.yaml', { plainHttpEndpoints: false });
    } catch (e) {
      error = e as AccessPolicyError;
    }
    expect(error?.problems).toEqual([
      { line: 3, column: 53, path: 'defaults.ticket.validation.url', message: expect.stringContaining('must be an https URL') },
      { line: 12, column: 14, path: 'rules.1.ticket.validation.url', message: expect.stringContaining('must be an https URL') },
      { line: 14, column: 22, path: 'rules.1.ticket.events.url', message: expect.stringContaining('must be an https URL') },
    ]);
    // Where the service accepts the emulator (and for `policy check`), http is accepted.
    expect(parseAccessPolicy(text, 'p.yaml', { plainHttpEndpoints: true }).rules).toHaveLength(2);
    expect(parseAccessPolicy(text.replace(/http:/g, 'https:'), 'p.yaml', { plainHttpEndpoints: false }).rules).toHaveLength(2);
  });

  it('refuses duplicate keys', () => {
    expect(problemsOf('version: 1\nversion: 1\n')[0]).toMatchObject({ line: 2, message: expect.stringContaining('unique') });
  });
});

describe('docs/access-policy.schema.json', () => {
  it('is the JSON Schema generated from the zod schema (run `npm run policy -- schema` after changing it)', () => {
    const committed = JSON.parse(readFileSync(path.join(ROOT, 'docs/access-policy.schema.json'), 'utf8'));
    expect(committed).toEqual(accessPolicyJsonSchema());
  });

  it('describes the fields of a rule', () => {
    const schema = accessPolicyJsonSchema() as { properties: { rules: { items: { properties: Record<string, unknown> } } } };
    expect(Object.keys(schema.properties.rules.items.properties)).toEqual(
      expect.arrayContaining(['name', 'match', 'approval', 'maxDuration', 'defaultDuration', 'justification', 'ticket', 'schedule', 'maxActiveGrantsPerUser', 'breakGlass', 'notify']),
    );
  });
});
