import { cel } from './cel';
import { InvalidInputError } from './invalid-input-error';

/** An IAM condition expression that is not valid CEL. */
export class InvalidConditionError extends InvalidInputError {
  constructor(
    readonly expression: string,
    detail: string,
  ) {
    super(`The condition ${quoteForMessage(expression)} is not a valid CEL expression: ${detail}`);
  }
}

const MESSAGE_EXCERPT_LENGTH = 200;

function quoteForMessage(expression: string): string {
  const excerpt =
    expression.length > MESSAGE_EXCERPT_LENGTH ? `${expression.slice(0, MESSAGE_EXCERPT_LENGTH)}…` : expression;
  return JSON.stringify(excerpt);
}

/** A line that is only a `//` comment (Java's `trim()` strips every char ≤ U+0020, hence the class). */
const COMMENT_LINE = /^[\u0000-\u0020]*\/\//;

function removeCommentLines(expression: string): string {
  return expression
    .split('\n')
    .filter((line) => !COMMENT_LINE.test(line))
    .join('\n');
}

/**
 * Splits a condition into its top-level `&&` clauses the way jit-access 1.x does: whole-line `//`
 * comments are dropped, then `&&` splits only outside parentheses and where both quote counts are even.
 * Clauses are returned untrimmed. This is a textual approximation of CEL (it ignores precedence, e.g.
 * `a || b && c` yields `a || b` and `c`); callers that act on the result check it with
 * {@link isFaithfulSplit}.
 */
export function splitTopLevelClauses(expression: string): string[] {
  const text = removeCommentLines(expression);
  const clauses: string[] = [];
  let clause = '';
  let depth = 0;
  let singleQuotes = 0;
  let doubleQuotes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const atTopLevel = depth === 0 && singleQuotes % 2 === 0 && doubleQuotes % 2 === 0;
    if (c === '&' && text[i + 1] === '&' && atTopLevel) {
      clauses.push(clause);
      clause = '';
      i++;
      continue;
    }
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === "'") singleQuotes++;
    else if (c === '"') doubleQuotes++;
    clause += c;
  }
  if (clause.length > 0) clauses.push(clause);
  return clauses;
}

/** AND-combines clauses as jit-access 1.x writes them: `(a) && (b)`. */
export function andCombine(clauses: readonly string[]): string {
  return clauses.map((clause) => `(${clause})`).join(' && ');
}

/**
 * Parsing costs ~0.1–0.3 ms and the same conditions are read on every catalog call, so results are kept.
 * Bounded in count and in the length of what is kept, because expressions also arrive in requests.
 */
const MEMO_CAPACITY = 4000;
const MEMO_MAX_EXPRESSION_LENGTH = 1024;
const memo = new Map<string, { canonical: string } | { error: string }>();

function remember(expression: string, entry: { canonical: string } | { error: string }): void {
  if (expression.length > MEMO_MAX_EXPRESSION_LENGTH) return;
  if (memo.size >= MEMO_CAPACITY) memo.delete(memo.keys().next().value as string);
  memo.set(expression, entry);
}

/**
 * The eligibility markers as they almost always appear, which CEL prints back unchanged (a unit test checks
 * it): reading a plain eligible binding then needs no CEL, which takes longer to load than the rest of the
 * service together, so a first request that needs nothing else does not wait for it.
 */
export const CANONICAL_MARKERS: ReadonlySet<string> = new Set(['has({}.jitAccessConstraint)', 'has({}.multiPartyApprovalConstraint)']);

function unparseOrError(expression: string): { canonical: string } | { error: string } {
  try {
    // The trailing newline ends a `//` comment on the last line, which @bufbuild/cel 0.6 otherwise rejects.
    const { parse, unparse } = cel();
    return { canonical: unparse(parse(`${expression}\n`)) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * The canonical text of a condition: parsed as CEL and printed back by @bufbuild/cel's unparser.
 * Deterministic and idempotent; comments and redundant parentheses disappear, whitespace is normalised
 * and string literals are double-quoted. Entitlement ids carry this form, so eligible and activation
 * bindings must agree on it byte for byte.
 */
export function canonicalCondition(expression: string): string {
  if (CANONICAL_MARKERS.has(expression)) return expression;
  let entry = memo.get(expression);
  if (entry === undefined) {
    entry = unparseOrError(expression);
    remember(expression, entry);
  }
  if ('error' in entry) throw new InvalidConditionError(expression, entry.error);
  return entry.canonical;
}

function orNullIfInvalid(canonicalise: () => string): string | null {
  try {
    return canonicalise();
  } catch (e) {
    if (e instanceof InvalidConditionError) return null;
    throw e;
  }
}

/**
 * Whether CEL reads `expression` as the conjunction of `clauses`, i.e. the textual split in
 * {@link splitTopLevelClauses} did not cut through a string literal or across operator precedence.
 * False when any part is not valid CEL.
 */
export function isFaithfulSplit(expression: string, clauses: readonly string[]): boolean {
  const whole = orNullIfInvalid(() => canonicalCondition(expression));
  return whole !== null && whole === orNullIfInvalid(() => canonicalConjunction(clauses));
}

/** {@link canonicalConjunction}, or null when the clauses do not form valid CEL. */
export function validConjunctionOrNull(clauses: readonly string[]): string | null {
  return orNullIfInvalid(() => canonicalConjunction(clauses));
}

/**
 * The canonical AND of clauses. Parentheses around a clause do not change the parsed tree, so a single
 * clause is canonicalised as it is. When the combination does not parse, the clauses are canonicalised
 * one by one first: a `// comment` at the end of a clause swallows the parenthesis {@link andCombine}
 * closes it with, and canonical text has no comments.
 */
export function canonicalConjunction(clauses: readonly string[]): string {
  if (clauses.length === 1) return canonicalCondition(clauses[0]);
  try {
    return canonicalCondition(andCombine(clauses));
  } catch (e) {
    if (!(e instanceof InvalidConditionError)) throw e;
    return canonicalCondition(andCombine(clauses.map(canonicalCondition)));
  }
}
