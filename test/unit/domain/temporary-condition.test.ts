import { InvalidConditionError } from '../../../server/domain/condition';
import {
  activationExpression,
  formatTemporaryCondition,
  parseActivationExpression,
  parseTemporaryClause,
} from '../../../server/domain/temporary-condition';

const START = new Date('2040-01-01T00:00:00Z');
const END = new Date('2040-01-01T00:05:00Z');
const TEMPORARY =
  '(request.time >= timestamp("2040-01-01T00:00:00Z") && request.time < timestamp("2040-01-01T00:05:00Z"))';

describe('formatTemporaryCondition (reference §3.4)', () => {
  it('writes the exact template, UTC with seconds', () => {
    expect(formatTemporaryCondition(START, END)).toBe(TEMPORARY);
  });

  it('prints fractional seconds only when they are not zero', () => {
    expect(formatTemporaryCondition(new Date('2040-01-01T00:00:00.500Z'), END)).toBe(
      '(request.time >= timestamp("2040-01-01T00:00:00.500Z") && request.time < timestamp("2040-01-01T00:05:00Z"))',
    );
  });

  it('converts to UTC', () => {
    expect(formatTemporaryCondition(new Date('2040-01-01T01:00:00+01:00'), END)).toBe(TEMPORARY);
  });

  it('rejects invalid dates and empty or reversed windows', () => {
    expect(() => formatTemporaryCondition(new Date('nope'), END)).toThrow(RangeError);
    expect(() => formatTemporaryCondition(START, new Date(Number.NaN))).toThrow(RangeError);
    expect(() => formatTemporaryCondition(START, START)).toThrow(RangeError);
    expect(() => formatTemporaryCondition(END, START)).toThrow(RangeError);
  });
});

describe('parseTemporaryClause (reference §3.4 recogniser)', () => {
  it('reads the validity of the template', () => {
    expect(parseTemporaryClause(TEMPORARY)).toEqual({ start: START, end: END });
  });

  it.each([`((${TEMPORARY}))`, ` \r\n\t${TEMPORARY}\n `, `(${TEMPORARY}`])(
    'accepts surrounding whitespace and excess parentheses: %j',
    (clause) => {
      expect(parseTemporaryClause(clause)).toEqual({ start: START, end: END });
    },
  );

  it('round-trips what formatTemporaryCondition writes, milliseconds included', () => {
    const start = new Date('2031-07-04T12:34:56.789Z');
    const end = new Date('2031-07-04T14:34:56.789Z');
    expect(parseTemporaryClause(formatTemporaryCondition(start, end))).toEqual({ start, end });
  });

  it('accepts RFC 3339 offsets and nanoseconds as CEL does', () => {
    const clause =
      '(request.time >= timestamp("2040-01-01T01:00:00+01:00") && request.time < timestamp("2040-01-01T00:05:00.000000001Z"))';
    expect(parseTemporaryClause(clause)).toEqual({ start: START, end: END });
  });

  it.each([
    ['null-like empty text', ''],
    ['no parentheses', TEMPORARY.slice(1, -1)],
    ['an extra clause', TEMPORARY.replace('))', ") && foo=='foo')")],
    ['different spacing', TEMPORARY.replace(' >= ', '>=')],
    ['single quotes', TEMPORARY.replaceAll('"', "'")],
    ['reversed comparison', TEMPORARY.replace('>=', '>')],
    ['a date that does not exist', TEMPORARY.replace('2040-01-01T00:00:00Z', '2040-02-30T00:00:00Z')],
    ['an hour out of range', TEMPORARY.replace('2040-01-01T00:00:00Z', '2040-01-01T24:00:00Z')],
    ['a timestamp without zone', TEMPORARY.replace('2040-01-01T00:00:00Z', '2040-01-01T00:00:00')],
    ['not a timestamp', TEMPORARY.replace('2040-01-01T00:00:00Z', 'yesterday')],
    ['an offset that leaves the years CEL allows', TEMPORARY.replace('2040-01-01T00:00:00Z', '0000-01-01T00:00:00+01:00')],
    [
      'CEL smuggled into the timestamp',
      TEMPORARY.replace('2040-01-01T00:00:00Z', '2040-01-01T00:00:00Z") || true || timestamp("2040-01-01T00:00:00Z'),
    ],
  ])('rejects %s', (_, clause) => {
    expect(parseTemporaryClause(clause)).toBeNull();
  });
});

describe('activationExpression (reference §3.4)', () => {
  it('is the temporary condition alone without resource condition', () => {
    expect(activationExpression(START, END, null)).toBe(TEMPORARY);
  });

  it('AND-combines temporary and resource condition, double parentheses around the temporary part', () => {
    expect(activationExpression(START, END, 'resource.name == "x" || resource.name == "y"')).toBe(
      `(${TEMPORARY}) && (resource.name == "x" || resource.name == "y")`,
    );
  });

  it('inserts the resource condition in canonical form', () => {
    expect(activationExpression(START, END, "resource.name=='x'")).toBe(`(${TEMPORARY}) && (resource.name == "x")`);
  });

  it('refuses a resource condition that would break out of its parentheses', () => {
    expect(() => activationExpression(START, END, 'x) || (true')).toThrow(InvalidConditionError);
    expect(() => activationExpression(START, END, 'true // )')).not.toThrow();
    expect(activationExpression(START, END, 'true // )')).toBe(`(${TEMPORARY}) && (true)`);
  });
});

describe('parseActivationExpression', () => {
  it.each([
    null,
    'resource.name == "x" || resource.name == "y"',
    'x == "it\'s"',
    'resource.name.startsWith("projects/_/buckets/b") && resource.type == "storage.googleapis.com/Bucket"',
  ])('reads back what activationExpression writes (resource condition %j)', (resourceCondition) => {
    expect(parseActivationExpression(activationExpression(START, END, resourceCondition))).toEqual({
      start: START,
      end: END,
      resourceCondition,
    });
  });

  it('reads back a resource condition whose string literals fool the textual split', () => {
    const resourceCondition = 'resource.name == ")" && resource.type == "x"';
    const written = activationExpression(START, END, resourceCondition);
    expect(parseActivationExpression(written)).toEqual({ start: START, end: END, resourceCondition });
  });

  it.each([
    [`${TEMPORARY} && resource.name=='x'`, 'resource.name == "x"'],
    [`resource.name == "x" && (${TEMPORARY})`, 'resource.name == "x"'],
    [`  ${TEMPORARY}  `, null],
    [`(${TEMPORARY}) && (resource.name=='x')`, 'resource.name == "x"'],
    [`(${TEMPORARY}) && (a) && (b)`, 'a && b'],
  ])('reads other spellings by clauses, canonicalising the rest: %j', (expression, resourceCondition) => {
    expect(parseActivationExpression(expression)).toEqual({ start: START, end: END, resourceCondition });
  });

  it.each([
    ['no temporary clause', 'resource.name == "x"'],
    ['unbalanced parentheses', `(${TEMPORARY}`],
    ['a resource condition that escapes its parentheses', `(${TEMPORARY}) && (x) || (true)`],
    ['an invalid resource condition', `(${TEMPORARY}) && (resource.name ==)`],
    ['a disjunction hidden by the textual split', `true || x && ${TEMPORARY}`],
  ])('rejects %s', (_, expression) => {
    expect(parseActivationExpression(expression)).toBeNull();
  });
});
