import { parseEligibleCondition } from '../../../server/domain/eligibility';

const eligible = (expression: string) => parseEligibleCondition({ expression });

describe('parseEligibleCondition (reference §3.2)', () => {
  it.each([
    ['has({}.jitAccessConstraint)', 'self'],
    ['has({}.multiPartyApprovalConstraint)', 'peer'],
    ['HAS({}.JitacceSSConstraint)', 'self'],
    ['HAS({}.MULTIPARTYAPPROVALCONSTRAINT)', 'peer'],
    ['  has( {} .jitAccessConstraint )  ', 'self'],
    ['\r\n\thas(\t{\n}.jitAccessConstraint\t)\n', 'self'],
  ] as const)('recognises %j as %s without resource condition', (expression, type) => {
    expect(eligible(expression)).toEqual({ type, resourceCondition: null });
  });

  it.each([
    'HAS({}.JitacceSSConstraint) || 1<2',
    'has({}.jitAccessConstraint) || x',
    '!has({}.jitAccessConstraint)',
    '(has({}.jitAccessConstraint) || true) && a',
    'has({}.somethingElse)',
    'has({}.jitAccessConstraintX)',
    'resource.name == "has({}.jitAccessConstraint)"',
    'true',
    '',
    '   ',
  ])('does not recognise %j', (expression) => {
    expect(eligible(expression)).toBeNull();
  });

  it('treats an absent condition or expression as not eligible', () => {
    expect(parseEligibleCondition(undefined)).toBeNull();
    expect(parseEligibleCondition(null)).toBeNull();
    expect(parseEligibleCondition({})).toBeNull();
    expect(parseEligibleCondition({ expression: null })).toBeNull();
  });

  it('lets self-approval win when both markers are present, and drops both from the resource condition', () => {
    expect(eligible('has({}.multiPartyApprovalConstraint) && has({}.jitAccessConstraint)')).toEqual({
      type: 'self',
      resourceCondition: null,
    });
    expect(eligible("has({}.jitAccessConstraint) && x == 'y' && has({}.multiPartyApprovalConstraint)")).toEqual({
      type: 'self',
      resourceCondition: 'x == "y"',
    });
  });

  it.each([
    'a>b && HAS({}.jitAccessConstraint)&& b <    c',
    'HAS({}.jitAccessConstraint) && a>b && b <    c',
    'a>b && b <    c && has({}.jitAccessConstraint)',
  ])('extracts the resource condition from any clause position: %j', (expression) => {
    expect(eligible(expression)).toEqual({ type: 'self', resourceCondition: 'a > b && b < c' });
  });

  it('canonicalises the resource condition', () => {
    expect(eligible("has({}.multiPartyApprovalConstraint) && (resource.name=='resource-1')")).toEqual({
      type: 'peer',
      resourceCondition: 'resource.name == "resource-1"',
    });
  });

  it('keeps parentheses the resource condition needs', () => {
    expect(eligible("has({}.jitAccessConstraint) && (resource.name=='a' || resource.name=='b')")).toEqual({
      type: 'self',
      resourceCondition: 'resource.name == "a" || resource.name == "b"',
    });
    expect(eligible('has({}.jitAccessConstraint) && (a || b) && c')).toEqual({
      type: 'self',
      resourceCondition: '(a || b) && c',
    });
  });

  it('reads comment-annotated bindings (reference TestProjectRole)', () => {
    const expression = [
      '// Eligible for JIT access',
      'has({}.jitAccessConstraint) &&',
      '',
      '// Only disks',
      "resource.type == 'compute.googleapis.com/Disk' // no snapshots",
    ].join('\n');
    expect(eligible(expression)).toEqual({
      type: 'self',
      resourceCondition: 'resource.type == "compute.googleapis.com/Disk"',
    });
  });

  it('refuses a resource condition that is not valid CEL: a binding we cannot understand must never grant', () => {
    expect(eligible('has({}.jitAccessConstraint) && resource.name ==')).toBeNull();
    expect(eligible('has({}.jitAccessConstraint) && (a')).toBeNull();
  });

  it('refuses a condition CEL reads differently from the clause split (x || y && marker grants when x)', () => {
    expect(eligible('resource.name == "a" || true && has({}.jitAccessConstraint)')).toBeNull();
  });

  it('refuses a marker that only the textual split finds, inside a string literal', () => {
    expect(eligible('x == "\\"&&has({}.jitAccessConstraint)&&\\""')).toBeNull();
  });

  it('follows the reference in missing a marker after an odd number of quotes (quote counting, §3.1)', () => {
    expect(eligible(`resource.name == "it's" && has({}.jitAccessConstraint)`)).toBeNull();
  });
});
