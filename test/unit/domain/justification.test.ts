import { InvalidJustificationPatternError, JustificationPolicy, normalizeJustification } from '../../../server/domain/justification';

const policy = (pattern: string, maxLength = 100) => new JustificationPolicy({ pattern, hint: 'Bug or case number', maxLength });

describe('JustificationPolicy', () => {
  describe('configuration', () => {
    it('rejects a pattern that does not compile, with a clear message', () => {
      expect(() => policy('(')).toThrow(InvalidJustificationPatternError);
      expect(() => policy('(')).toThrow('The justification pattern "(" is not a valid JavaScript regular expression: ');
    });

    it('rejects a pattern that would only compile by closing the anchoring group', () => {
      expect(() => policy('.*)|(?:x')).toThrow(InvalidJustificationPatternError);
    });

    it('compiles with the u flag: Java-only syntax is a configuration error', () => {
      expect(() => policy('\\d++')).toThrow(InvalidJustificationPatternError);
      expect(() => policy('\\p{javaLowerCase}')).toThrow(InvalidJustificationPatternError);
      expect(() => policy('\\-')).toThrow(InvalidJustificationPatternError);
      expect(policy('\\p{L}+').checkJustification('Ünïcode')).toBeNull();
    });

    it.each([0, -1, 1.5, Number.NaN])('rejects the maximum length %p', (maxLength) => {
      expect(() => policy('.*', maxLength)).toThrow(RangeError);
    });

    it('exposes hint and maximum length for the UI', () => {
      expect(policy('.*', 80)).toMatchObject({ hint: 'Bug or case number', maxLength: 80 });
    });
  });

  describe('checkJustification', () => {
    it.each([null, undefined, '', '   ', '\t'])('asks for a justification when it is %j', (text) => {
      expect(policy('.*').checkJustification(text)).toBe('Provide a justification');
    });

    it('matches the whole string, as Java matches() does (reference TestRegexActivationPolicy)', () => {
      const rules = policy('b/(\\d+)');
      for (const text of [' ', 'a', 'b/a', 'b/', 'b/1 ', 'xb/1', 'b/1\n']) {
        expect(rules.checkJustification(text)).not.toBeNull();
      }
      expect(rules.checkJustification('b/1')).toBeNull();
    });

    it('anchors every alternative, not only the first and last', () => {
      const rules = policy('a|b');
      expect(rules.checkJustification('a')).toBeNull();
      expect(rules.checkJustification('b')).toBeNull();
      expect(rules.checkJustification('ab')).toBe('Justification does not meet criteria: Bug or case number');
      expect(rules.checkJustification('xb')).not.toBeNull();
    });

    it('quotes the hint when the pattern does not match', () => {
      expect(policy('BUG-\\d+').checkJustification('because')).toBe(
        'Justification does not meet criteria: Bug or case number',
      );
    });

    it('states the limit when the justification is too long', () => {
      const rules = policy('.*', 10);
      expect(rules.checkJustification('x'.repeat(10))).toBeNull();
      expect(rules.checkJustification('x'.repeat(11))).toBe(
        'The justification is too long: it has 11 characters, the limit is 10',
      );
    });

    it.each(['line\nbreak', 'carriage\rreturn', 'nul\u0000', 'del\u007f', 'c1\u0085', 'sep\u2028'])(
      'rejects control characters and line separators: %j',
      (text) => {
        expect(policy('[\\s\\S]*').checkJustification(text)).toBe(
          'The justification must be a single line without control characters',
        );
      },
    );

    it('accepts a tab, as jit-access 1.x did, and reads it as a space (the pattern sees the space)', () => {
      expect(policy('[^\\t]*').checkJustification('INC-1\tdisk full')).toBeNull();
      expect(policy('INC-1 disk full').checkJustification('INC-1\tdisk full')).toBeNull();
      expect(normalizeJustification('a\tb\t')).toBe('a b ');
    });

    it.each([
      ['U+202E', 'INC-1 \u202Edeggub'],
      ['U+202A', '\u202Aembedded'],
      ['U+2066', 'isolate\u2066d'],
      ['U+2069', 'pop\u2069'],
      ['U+200B', 'zero\u200Bwidth'],
      ['U+200D', 'joiner\u200D'],
      ['U+200F', 'mark\u200F'],
      ['U+FEFF', '\uFEFFbom'],
    ])('refuses an invisible or text-direction character (%s) and names it', (codePoint, text) => {
      const problem = policy('.*').checkJustification(text);
      expect(problem).toContain(`invisible or text-direction character (${codePoint} at position`);
      expect(problem).toContain('Remove it');
    });

    it('accepts quotes and CEL-looking text (it only ever goes into descriptions)', () => {
      expect(policy('.*').checkJustification('") || true || ("')).toBeNull();
    });

    it('is stateless across calls (no lastIndex carried over)', () => {
      const rules = policy('BUG-\\d+');
      expect(rules.checkJustification('BUG-1')).toBeNull();
      expect(rules.checkJustification('BUG-1')).toBeNull();
    });
  });
});
