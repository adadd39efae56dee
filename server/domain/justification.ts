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

/**
 * Zero-width characters and marks (U+200B–U+200F), bidirectional embeddings and overrides (U+202A–U+202E)
 * and isolates (U+2066–U+2069), and the byte-order mark (U+FEFF): invisible, or reordering what follows,
 * so a reviewer would read something other than what is recorded in IAM and in the audit log.
 */
const INVISIBLE_OR_REORDERING = /[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/u;

/** jit-access 1.x accepted tabs (requests pending at a switch may hold one): a tab is read, and recorded, as a space. */
export function normalizeJustification(text: string): string {
  return text.replaceAll('\t', ' ');
}

function codePointOf(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

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

  /**
   * Null when the justification is acceptable, otherwise a message that says what is wrong. It is checked
   * as {@link normalizeJustification} makes it, which is what callers record.
   */
  checkJustification(given: string | null | undefined): string | null {
    if (!given || given.trim() === '') return 'Provide a justification';
    const text = normalizeJustification(given);
    if (text.length > this.maxLength) {
      return `The justification is too long: it has ${text.length} characters, the limit is ${this.maxLength}`;
    }
    if (CONTROL_CHARACTER.test(text)) {
      return 'The justification must be a single line without control characters';
    }
    const hidden = INVISIBLE_OR_REORDERING.exec(text);
    if (hidden) {
      return `The justification contains an invisible or text-direction character (${codePointOf(hidden[0])} at position ${hidden.index + 1}), which would let reviewers read something other than what is recorded. Remove it: retype the text, or paste it as plain text`;
    }
    if (!this.wholeMatch.test(text)) return `Justification does not meet criteria: ${this.hint}`;
    return null;
  }
}
