import { conditionHolds, evaluateCondition, validateCondition } from '../../emulator/cel';

const START = '2024-05-01T10:00:00Z';
const END = '2024-05-01T11:00:00Z';
const ACTIVATION = `(request.time >= timestamp("${START}") && request.time < timestamp("${END}"))`;
const at = (iso: string) => ({ requestTime: new Date(iso) });

/** `request.time > timestamp(…)` joined by `count` `&&` operators. */
function withLogicalOperators(count: number): string {
  return Array.from({ length: count + 1 }, (_, i) => `request.time > timestamp("2020-01-${String(i + 1).padStart(2, '0')}T00:00:00Z")`).join(' && ');
}

describe('validateCondition', () => {
  it.each([
    ['self-approval marker', 'has({}.jitAccessConstraint)'],
    ['peer-approval marker', 'has({}.multiPartyApprovalConstraint)'],
    ['activation window', ACTIVATION],
    ['marker with a resource condition and comments', '// on-call only\nhas({}.jitAccessConstraint) && resource.name.startsWith("projects/_/buckets/logs") // bucket\n'],
    ['resource type and service', 'resource.type == "compute.googleapis.com/Instance" || resource.service == "secretmanager.googleapis.com"'],
    ['date getters with a time zone', 'request.time.getHours("Europe/Berlin") >= 9 && !(request.time.getDayOfWeek("+01:00") in [0, 6])'],
    ['extract and endsWith', 'resource.name.extract("projects/{project}/").endsWith("-prod")'],
    ['tags', 'resource.matchTag("123/env", "prod") && resource.hasTagKeyId("tagKeys/1")'],
    ['api attributes', "'roles/x' in api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', [])"],
    ['access levels', '"accessPolicies/1/accessLevels/corp" in request.auth.access_levels'],
    ['timestamp arithmetic', 'request.time < timestamp("2024-01-01T00:00:00Z") + duration("3600s")'],
  ])('accepts %s', (_, expression) => {
    expect(validateCondition(expression)).toBeUndefined();
  });

  it('reports a syntax error with its line and column', () => {
    expect(validateCondition('has({}.jitAccessConstraint) &&\n  (request.time <')).toMatch(/^Syntax error in the condition expression at line 1, column \d+: /);
    expect(validateCondition('request.time < timestamp("2024-01-01T00:00:00Z"')).toMatch(/^Syntax error .* at line 1, column 25/);
  });

  it('rejects an empty expression and one that is only a comment', () => {
    expect(validateCondition('')).toBe('The condition expression is empty.');
    expect(validateCondition('  // nothing here\n')).toBe('The condition expression is empty.');
  });

  it('rejects expressions that cannot be boolean', () => {
    expect(validateCondition('"prod"')).toBe('The condition expression must evaluate to a boolean, but it evaluates to a string.');
    expect(validateCondition('42')).toBe('The condition expression must evaluate to a boolean, but it evaluates to an int.');
    expect(validateCondition('[true]')).toMatch(/evaluates to a list/);
    expect(validateCondition('duration("60s") + duration("1s")')).toMatch(/evaluates to a duration/);
    expect(validateCondition('"a" && has({}.jitAccessConstraint)')).toMatch(/^The operand of '&&' must be a boolean, but it is a string \(at line 1, column 1\)\.$/);
  });

  it('rejects functions, macros and attributes outside the IAM dialect, saying where', () => {
    expect(validateCondition('request.time < now()')).toBe("Unknown function 'now'; it is not part of the IAM conditions language (at line 1, column 16).");
    expect(validateCondition('resource.name.lowerAscii() == "x"')).toMatch(/^Unknown function 'lowerAscii' \(called as a method\)/);
    expect(validateCondition('[1, 2].exists(x, x > 1)')).toMatch(/^The macro 'exists' is not supported/);
    expect(validateCondition('resource.nmae == "x"')).toMatch(/^Unknown attribute 'resource.nmae' \(known: resource.name, resource.type, resource.service\) \(at line 1, column 9\)\.$/);
    expect(validateCondition('user == "alice"')).toMatch(/^Unknown attribute 'user'/);
    expect(validateCondition('request.matchTag("1/env", "prod")')).toMatch(/'matchTag' can only be called on 'resource'/);
    expect(validateCondition('has(resource)')).toMatch(/^has\(\) needs a field selection/);
    expect(validateCondition('resource.name.startsWith()')).toMatch(/^'startsWith' takes 1 argument, not 0/);
  });

  it('rejects malformed timestamp, duration and time-zone literals', () => {
    expect(validateCondition('request.time < timestamp("2024-13-01")')).toMatch(/^timestamp\("2024-13-01"\) is invalid: expected an RFC 3339 timestamp/);
    expect(validateCondition('request.time < timestamp("2024-01-01T00:00:00Z") + duration("1 hour")')).toMatch(/^duration\("1 hour"\) is invalid/);
    expect(validateCondition('request.time.getHours("Mars/Olympus") > 1')).toMatch(/'Mars\/Olympus' is not a time zone/);
  });

  it('accepts 12 logical operators and rejects 13, counting on the syntax tree', () => {
    expect(validateCondition(withLogicalOperators(12))).toBeUndefined();
    expect(validateCondition(withLogicalOperators(13))).toBe('The condition expression has 13 logical operators (&&, ||, !); IAM allows at most 12.');
    const mixed = `!(${withLogicalOperators(5)}) || ${withLogicalOperators(6)}`;
    expect(validateCondition(mixed)).toMatch(/has 13 logical operators/);
    // Operators inside string literals and comments are text, not operators.
    expect(validateCondition(`// && && && && && && && && && && && && &&\nresource.name == "&&||!&&||!&&||!&&||!&&"`)).toBeUndefined();
  });
});

describe('evaluateCondition', () => {
  it('is TRUE inside an activation window (start inclusive) and FALSE outside it (end exclusive)', () => {
    expect(evaluateCondition(ACTIVATION, at(START))).toBe('TRUE');
    expect(evaluateCondition(ACTIVATION, at('2024-05-01T10:59:59.999Z'))).toBe('TRUE');
    expect(evaluateCondition(ACTIVATION, at(END))).toBe('FALSE');
    expect(evaluateCondition(ACTIVATION, at('2024-05-01T09:59:59Z'))).toBe('FALSE');
  });

  it('is CONDITIONAL for a time condition when no request time is given', () => {
    expect(evaluateCondition(ACTIVATION, {})).toBe('CONDITIONAL');
  });

  it('is CONDITIONAL for eligibility markers, alone or with a resource condition', () => {
    expect(evaluateCondition('has({}.jitAccessConstraint)', at(START))).toBe('CONDITIONAL');
    expect(evaluateCondition('has({}.multiPartyApprovalConstraint)', at(START))).toBe('CONDITIONAL');
    expect(evaluateCondition('has({}.jitAccessConstraint) && resource.name.startsWith("projects/_/buckets/logs")', at(START))).toBe('CONDITIONAL');
    expect(evaluateCondition('resource.matchTag("1/env", "prod") || api.getAttribute("x", false)', at(START))).toBe('CONDITIONAL');
  });

  it('applies three-valued logic: false && unknown, true || unknown, !unknown', () => {
    const past = 'request.time < timestamp("2000-01-01T00:00:00Z")';
    const future = 'request.time < timestamp("2999-01-01T00:00:00Z")';
    expect(evaluateCondition(`${past} && has({}.jitAccessConstraint)`, at(START))).toBe('FALSE');
    expect(evaluateCondition(`has({}.jitAccessConstraint) && ${past}`, at(START))).toBe('FALSE');
    expect(evaluateCondition(`${future} || resource.type == "x"`, at(START))).toBe('TRUE');
    expect(evaluateCondition(`resource.type == "x" || ${future}`, at(START))).toBe('TRUE');
    expect(evaluateCondition(`${future} && has({}.jitAccessConstraint)`, at(START))).toBe('CONDITIONAL');
    expect(evaluateCondition('!has({}.jitAccessConstraint)', at(START))).toBe('CONDITIONAL');
    expect(evaluateCondition(`!(${past})`, at(START))).toBe('TRUE');
    expect(evaluateCondition(`${future} ? resource.type == "x" : false`, at(START))).toBe('CONDITIONAL');
  });

  it('is FALSE on a CEL evaluation error, unless the other side of && / || decides', () => {
    expect(evaluateCondition('int("not a number") == 1', at(START))).toBe('FALSE');
    expect(evaluateCondition('1 / 0 == 1', at(START))).toBe('FALSE');
    expect(evaluateCondition('1 / 0 == 1 || request.time > timestamp("2000-01-01T00:00:00Z")', at(START))).toBe('TRUE');
    // Unknown outranks an error: the analyzer cannot tell the outcome.
    expect(evaluateCondition('1 / 0 == 1 && has({}.jitAccessConstraint)', at(START))).toBe('CONDITIONAL');
  });

  it('is FALSE for an expression that does not parse or is not boolean', () => {
    expect(evaluateCondition('request.time <', at(START))).toBe('FALSE');
    expect(evaluateCondition('"yes"', at(START))).toBe('FALSE');
  });

  it('handles // comment lines', () => {
    const commented = `// granted by the JIT service\n${ACTIVATION} // until ${END}\n`;
    expect(evaluateCondition(commented, at('2024-05-01T10:30:00Z'))).toBe('TRUE');
    expect(evaluateCondition(commented, at('2024-05-01T12:00:00Z'))).toBe('FALSE');
  });

  it('evaluates date getters in a time zone', () => {
    // 10:30 UTC is 12:30 in Berlin (CEST).
    expect(evaluateCondition('request.time.getHours("Europe/Berlin") == 12', at('2024-05-01T10:30:00Z'))).toBe('TRUE');
    expect(evaluateCondition('request.time.getHours() == 12', at('2024-05-01T10:30:00Z'))).toBe('FALSE');
  });
});

describe('conditionHolds', () => {
  it('holds only when the condition is TRUE now', () => {
    expect(conditionHolds(ACTIVATION, new Date('2024-05-01T10:30:00Z'))).toBe(true);
    expect(conditionHolds(ACTIVATION, new Date('2024-05-01T11:30:00Z'))).toBe(false);
    expect(conditionHolds('has({}.jitAccessConstraint)', new Date())).toBe(false);
  });
});
