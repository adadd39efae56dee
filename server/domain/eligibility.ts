import { isFaithfulSplit, splitTopLevelClauses, validConjunctionOrNull } from './condition';

/** How an eligible role is activated: `self` = JIT self-approval, `peer` = multi-party approval. */
export type ActivationType = 'self' | 'peer';

/** What an eligible binding's condition says: how to activate, and on which resources. */
export interface EligibleCondition {
  readonly type: ActivationType;
  /** Canonical CEL (see canonicalCondition), or null when the binding applies to the whole project. */
  readonly resourceCondition: string | null;
}

/**
 * The marker clauses of jit-access 1.x, matched after lower-casing and deleting U+0020 spaces. The
 * class is Java's `\s`, which tolerates tabs and line breaks between tokens.
 */
const WHITESPACE = '[ \\t\\n\\x0B\\f\\r]*';
const markerPattern = (name: string): RegExp =>
  new RegExp(`^${WHITESPACE}has\\(${WHITESPACE}\\{${WHITESPACE}\\}\\.${name}${WHITESPACE}\\)${WHITESPACE}$`);
const SELF_MARKER = markerPattern('jitaccessconstraint');
const PEER_MARKER = markerPattern('multipartyapprovalconstraint');

function markerOf(clause: string): ActivationType | null {
  const normalised = clause.toLowerCase().replaceAll(' ', '');
  if (SELF_MARKER.test(normalised)) return 'self';
  if (PEER_MARKER.test(normalised)) return 'peer';
  return null;
}

/**
 * Reads an eligible binding's condition: it must contain `has({}.jitAccessConstraint)` (self) or
 * `has({}.multiPartyApprovalConstraint)` (peer) as a top-level `&&` clause of its own; self wins when
 * both are present. The other clauses, AND-combined and canonicalised, form the resource condition.
 *
 * Returns null (not eligible) when there is no marker, and also when the condition is not valid CEL or
 * CEL reads it differently from the textual split (e.g. `x || y && has({}.jitAccessConstraint)`, which
 * IAM evaluates as `x || …` and so grants the role outright). An activation copies the resource
 * condition into a binding that does grant, so a binding we cannot understand must never be offered.
 */
export function parseEligibleCondition(
  condition?: { readonly expression?: string | null } | null,
): EligibleCondition | null {
  const expression = condition?.expression;
  if (!expression || expression.trim() === '') return null;

  const clauses = splitTopLevelClauses(expression);
  const markers = clauses.map(markerOf);
  if (markers.every((marker) => marker === null)) return null;
  if (!isFaithfulSplit(expression, clauses)) return null;

  const type: ActivationType = markers.includes('self') ? 'self' : 'peer';
  const rest = clauses.filter((_, i) => markers[i] === null);
  if (rest.length === 0) return { type, resourceCondition: null };
  const resourceCondition = validConjunctionOrNull(rest);
  return resourceCondition === null ? null : { type, resourceCondition };
}
