/** A justification pattern that is not a valid regular expression: a configuration error. */
export class InvalidJustificationPatternError extends Error {
  constructor(pattern: string, detail: string) {
    super(`The justification pattern ${JSON.stringify(pattern)} is not a valid JavaScript regular expression: ${detail}`);
    this.name = 'InvalidJustificationPatternError';
  }
}

export interface JustificationRules {
  /** A JavaScript regular expression (compiled with the `u` flag) that the whole justification must match. */
  readonly pattern: string;
  /** Tells users what a justification must look like; quoted when one does not match. */
  readonly hint: string;
  /** The longest justification accepted, in UTF-16 code units (JS string length). */
  readonly maxLength: number;
}

/** Justifications go into email headers and IAM descriptions: no control characters or line separators. */
const CONTROL_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}]/u;

function compileWholeMatch(pattern: string): RegExp {
  try {
    // Compiled on its own first: a pattern like `a)|(?:b` would otherwise break out of the anchors.
    new RegExp(pattern, 'u');
    return new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    throw new InvalidJustificationPatternError(pattern, e instanceof Error ? e.message : String(e));
  }
}

/** What a justification must satisfy before it is accepted (JUSTIFICATION_PATTERN and _HINT in 1.x). */
export class JustificationPolicy {
  readonly hint: string;
  readonly maxLength: number;
  private readonly wholeMatch: RegExp;

  /** @throws InvalidJustificationPatternError, RangeError — at configuration time, not per request. */
  constructor(rules: JustificationRules) {
    if (!Number.isInteger(rules.maxLength) || rules.maxLength < 1) {
      throw new RangeError(`The maximum justification length must be a positive integer, got ${rules.maxLength}`);
    }
    this.wholeMatch = compileWholeMatch(rules.pattern);
    this.hint = rules.hint;
    this.maxLength = rules.maxLength;
  }

  /** Null when the justification is acceptable, otherwise a message that says what is wrong. */
  checkJustification(text: string | null | undefined): string | null {
    if (!text || text.trim() === '') return 'Provide a justification';
    if (text.length > this.maxLength) {
      return `The justification is too long: it has ${text.length} characters, the limit is ${this.maxLength}`;
    }
    if (CONTROL_CHARACTER.test(text)) {
      return 'The justification must be a single line without control characters';
    }
    if (!this.wholeMatch.test(text)) return `Justification does not meet criteria: ${this.hint}`;
    return null;
  }
}
