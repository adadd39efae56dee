import {
  andCombine,
  canonicalCondition,
  CANONICAL_MARKERS,
  canonicalConjunction,
  InvalidConditionError,
  isFaithfulSplit,
  splitTopLevelClauses,
  validConjunctionOrNull,
} from '../../../server/domain/condition';
import { InvalidInputError } from '../../../server/domain/invalid-input-error';

describe('splitTopLevelClauses (reference §3.1)', () => {
  it('splits on top-level && and keeps clauses untrimmed', () => {
    expect(splitTopLevelClauses('a || b && c&&(d&&e) ')).toEqual(['a || b ', ' c', '(d&&e) ']);
  });

  it.each(['(a && b && (c || d))', `s == '&&' || s=="&&"`, '1<2', "a=='&'", '" "', ' ', 'true || false'])(
    'keeps %j as a single clause, unchanged',
    (expression) => {
      expect(splitTopLevelClauses(expression)).toEqual([expression]);
    },
  );

  it('drops whole-line // comments, including indented ones and CRLF lines', () => {
    const expression = '// eligible for JIT\n  // indented\r\nhas({}.jitAccessConstraint) &&\n\t// why\r\nresource.type == "x"';
    expect(splitTopLevelClauses(expression)).toEqual(['has({}.jitAccessConstraint) ', '\nresource.type == "x"']);
  });

  it('keeps a comment that follows code on the same line', () => {
    expect(splitTopLevelClauses('a // note\n&& b')).toEqual(['a // note\n', ' b']);
  });

  it('does not split inside parentheses or quotes', () => {
    expect(splitTopLevelClauses('f(a && b) && "x && y" && \'p&&q\'')).toEqual(['f(a && b) ', ' "x && y" ', " 'p&&q'"]);
  });

  it('returns no clause for an empty expression', () => {
    expect(splitTopLevelClauses('')).toEqual([]);
    expect(splitTopLevelClauses('// only a comment')).toEqual([]);
  });
});

describe('andCombine (reference §3.1 step 3)', () => {
  it('wraps every clause in parentheses and joins them with " && "', () => {
    expect(andCombine(['a', 'b && c', 'd && (e||f)'])).toBe('(a) && (b && c) && (d && (e||f))');
  });

  it('wraps a single clause too', () => {
    expect(andCombine(['x'])).toBe('(x)');
  });
});

describe('canonicalCondition (reference §3.3, @bufbuild/cel unparse)', () => {
  it.each([
    ["resource.name=='resource-1'", 'resource.name == "resource-1"'],
    ["(resource.name=='resource-1')", 'resource.name == "resource-1"'],
    ['\r\n  a<foo() ', 'a < foo()'],
    ['\r\n   1<2    &&\n2<3\n ', '1 < 2 && 2 < 3'],
    ['(a>b) && (b <    c)', 'a > b && b < c'],
    ["(resource.name=='x' || resource.name=='y')", 'resource.name == "x" || resource.name == "y"'],
    ['(a || b) && c', '(a || b) && c'],
    ['a || (b && c)', 'a || b && c'],
    ['a && (b && c)', 'a && b && c'],
    ['a - (b - c)', 'a - (b - c)'],
    ['x || y ? a : b', '(x || y) ? a : b'],
    ["'it\\'s'", '"it\'s"'],
    ["'a\"b'", '"a\\"b"'],
    ["'''multi\nline'''", '"multi\\nline"'],
    ["r'\\d+'", '"\\\\d+"'],
    ['0x1F', '31'],
    ['1e10', '10000000000.0'],
    ['[1,2,][0]', '[1, 2][0]'],
    ['!!a', 'a'],
    ['has( {} . jitAccessConstraint )', 'has({}.jitAccessConstraint)'],
    ['HAS({}.JitacceSSConstraint)', 'HAS({}.JitacceSSConstraint)'],
    ["resource.name.startsWith('projects/_/buckets/b')", 'resource.name.startsWith("projects/_/buckets/b")'],
    ["[1, 2].exists(x, x > 1)", '[1, 2].exists(x, x > 1)'],
    ['unknownFunction(a.b)', 'unknownFunction(a.b)'],
  ])('%j → %j', (input, canonical) => {
    expect(canonicalCondition(input)).toBe(canonical);
  });

  it('removes comments, including one on the last line without a newline', () => {
    expect(canonicalCondition('// why\nresource.type == "x" // disks only')).toBe('resource.type == "x"');
  });

  it('is idempotent', () => {
    for (const input of ["resource.name=='a' || !(x in ['b'])", '1.7976931348623157e308', "b'\\xff'", "{'k': -1}"]) {
      const once = canonicalCondition(input);
      expect(canonicalCondition(once)).toBe(once);
    }
  });

  it.each(['a &&', '(a', "'abc", '', '   ', '// only a comment', 'a b', 'invalidSyntax('])(
    'rejects %j with an InvalidConditionError that names the expression and the problem',
    (input) => {
      expect(() => canonicalCondition(input)).toThrow(InvalidConditionError);
      try {
        canonicalCondition(input);
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidInputError);
        expect((e as InvalidConditionError).expression).toBe(input);
        expect((e as Error).message).toContain(`The condition ${JSON.stringify(input)} is not a valid CEL expression: `);
      }
    },
  );

  it('keeps failing on a second call (errors are remembered, not swallowed)', () => {
    expect(() => canonicalCondition('a ==')).toThrow(InvalidConditionError);
    expect(() => canonicalCondition('a ==')).toThrow(InvalidConditionError);
  });

  it('shortens very long expressions in the message', () => {
    const long = `a == "${'x'.repeat(500)}" &&`;
    expect(() => canonicalCondition(long)).toThrow(
      `The condition ${JSON.stringify(`${long.slice(0, 200)}…`)} is not a valid CEL expression: `,
    );
  });
});

describe('canonicalConjunction', () => {
  it('AND-combines canonical clauses, so a trailing comment cannot swallow the closing parenthesis', () => {
    expect(canonicalConjunction(['resource.type == "x" // disks', " resource.name.startsWith('p')"])).toBe(
      'resource.type == "x" && resource.name.startsWith("p")',
    );
  });

  it('keeps the parentheses a clause needs', () => {
    expect(canonicalConjunction(['a || b ', ' c'])).toBe('(a || b) && c');
  });
});

describe('isFaithfulSplit', () => {
  it('accepts a split that CEL reads the same way', () => {
    const expression = 'a>b && HAS({}.jitAccessConstraint)&& b <    c';
    expect(isFaithfulSplit(expression, splitTopLevelClauses(expression))).toBe(true);
  });

  it('rejects a split across operator precedence (a || b && c is a || (b && c))', () => {
    const expression = 'a || b && c';
    expect(isFaithfulSplit(expression, splitTopLevelClauses(expression))).toBe(false);
  });

  it('rejects a split through a string literal with an escaped quote', () => {
    const expression = 'x == "\\"&&y&&\\""';
    expect(splitTopLevelClauses(expression)).toHaveLength(3);
    expect(isFaithfulSplit(expression, splitTopLevelClauses(expression))).toBe(false);
  });

  it('is false, not an exception, for invalid CEL', () => {
    expect(isFaithfulSplit('a &&', ['a '])).toBe(false);
  });
});

describe('validConjunctionOrNull', () => {
  it('is the canonical conjunction for valid clauses', () => {
    expect(validConjunctionOrNull([' a>b', 'b<c '])).toBe('a > b && b < c');
  });

  it('is null, not an exception, for invalid clauses', () => {
    expect(validConjunctionOrNull(['a ==', 'b'])).toBeNull();
    expect(validConjunctionOrNull([''])).toBeNull();
  });
});

describe('CANONICAL_MARKERS', () => {
  test('are what CEL prints them back as', () => {
    const { parse, unparse } = require('@bufbuild/cel') as typeof import('@bufbuild/cel');
    for (const marker of CANONICAL_MARKERS) expect(unparse(parse(`${marker}\n`))).toBe(marker);
  });

  test('a plain eligible binding is read without loading CEL', () => {
    let loads = 0;
    jest.isolateModules(() => {
      jest.doMock('@bufbuild/cel', () => {
        loads++;
        return jest.requireActual('@bufbuild/cel');
      });
      const { parseEligibleCondition } = require('../../../server/domain/eligibility') as typeof import('../../../server/domain/eligibility');
      expect(parseEligibleCondition({ expression: 'has({}.jitAccessConstraint)' })).toEqual({ type: 'self', resourceCondition: null });
      expect(parseEligibleCondition({ expression: 'has({}.multiPartyApprovalConstraint)' })).toEqual({ type: 'peer', resourceCondition: null });
      expect(loads).toBe(0);
      // A resource condition needs CEL.
      expect(parseEligibleCondition({ expression: 'has({}.jitAccessConstraint) && resource.name == "x"' })).toEqual({ type: 'self', resourceCondition: 'resource.name == "x"' });
      expect(loads).toBe(1);
    });
    jest.dontMock('@bufbuild/cel');
  });
});
