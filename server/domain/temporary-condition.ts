import {
  andCombine,
  canonicalCondition,
  isFaithfulSplit,
  splitTopLevelClauses,
  validConjunctionOrNull,
} from './condition';
import type { Validity } from './validity';

/** CEL `timestamp()` text as jit-access 1.x writes it: UTC, seconds always, milliseconds only if non-zero. */
function formatTimestamp(instant: Date): string {
  const text = instant.toISOString().replace('.000Z', 'Z');
  if (!/^\d{4}-/.test(text)) throw new RangeError(`${text} is outside the years 0000–9999 that CEL timestamps allow`);
  return text;
}

function assertValidDate(instant: Date, name: string): void {
  if (Number.isNaN(instant.getTime())) throw new RangeError(`The ${name} of a temporary condition is not a valid date`);
}

/**
 * The time-bound condition of an activation, byte-identical to jit-access 1.x:
 * `(request.time >= timestamp("2040-01-01T00:00:00Z") && request.time < timestamp("2040-01-01T00:05:00Z"))`.
 */
export function formatTemporaryCondition(start: Date, end: Date): string {
  assertValidDate(start, 'start');
  assertValidDate(end, 'end');
  if (end.getTime() <= start.getTime()) throw new RangeError('A temporary condition must end after it starts');
  return template(start, end);
}

function template(start: Date, end: Date): string {
  return `(request.time >= timestamp("${formatTimestamp(start)}") && request.time < timestamp("${formatTimestamp(end)}"))`;
}

/**
 * A clause is temporary iff it is the template above with one or more parentheses around it and
 * optional whitespace outside (Java's `\s`). The spacing inside must be exact.
 */
const TEMPORARY_CLAUSE =
  /^[ \t\n\x0B\f\r]*\(+request\.time >= timestamp\("([^"]*)"\) && request\.time < timestamp\("([^"]*)"\)\)+[ \t\n\x0B\f\r]*$/;

/** RFC 3339 as CEL's `timestamp()` and Java's `Instant.parse` accept it. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

function offsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  return sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
}

/** Parses a timestamp strictly: JS `Date` would roll `02-30` over into March, CEL rejects it. */
function parseTimestamp(text: string): Date | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const fields = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  fields.setUTCFullYear(year);
  const valid =
    fields.getUTCMonth() === month - 1 && fields.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  if (!valid) return null;
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const instant = new Date(fields.getTime() + millis - offsetMinutes(m[8]) * 60_000);
  const inRange = instant.getUTCFullYear() >= 0 && instant.getUTCFullYear() <= 9999;
  return inRange ? instant : null;
}

/** The validity of a temporary clause, or null when the clause is not one (or its times do not parse). */
export function parseTemporaryClause(clause: string): Validity | null {
  const m = TEMPORARY_CLAUSE.exec(clause);
  if (!m) return null;
  const start = parseTimestamp(m[1]);
  const end = parseTimestamp(m[2]);
  return start && end ? { start, end } : null;
}

/**
 * The condition of an activation binding: the temporary condition, AND-combined with the resource
 * condition when there is one (`((request.time >= …)) && (<resource condition>)`, as jit-access 1.x).
 * The resource condition is canonicalised before it is inserted: a canonical expression is one whole
 * CEL expression, so it cannot close the parenthesis around it and widen the grant.
 */
export function activationExpression(start: Date, end: Date, resourceCondition: string | null): string {
  const temporary = formatTemporaryCondition(start, end);
  return resourceCondition === null ? temporary : andCombine([temporary, canonicalCondition(resourceCondition)]);
}

/** What the condition of an activation binding says: when, and on which resources. */
export interface ActivationCondition extends Validity {
  /** Canonical CEL, or null when the activation covers the whole project. */
  readonly resourceCondition: string | null;
}

/** The shape {@link activationExpression} writes when there is a resource condition: `((T)) && (R)`. */
const WRITTEN_WITH_RESOURCE_CONDITION =
  /^\((\(request\.time >= timestamp\("[^"]*"\) && request\.time < timestamp\("[^"]*"\)\))\) && \(([\s\S]*)\)$/;

function isCanonical(expression: string): boolean {
  return validConjunctionOrNull([expression]) === expression;
}

/**
 * Reads an expression written exactly as {@link activationExpression} writes it (so does jit-access
 * 1.x). Its meaning is known by construction: the exact template, AND a resource condition that is one
 * whole canonical CEL expression. This needs at most one parse of the resource condition, which
 * activations share, where the general reading parses every expression.
 */
function parseAsWritten(expression: string): ActivationCondition | null {
  const match = WRITTEN_WITH_RESOURCE_CONDITION.exec(expression);
  const temporary = match ? match[1] : expression;
  const validity = parseTemporaryClause(temporary);
  if (validity === null || temporary !== template(validity.start, validity.end)) return null;
  const resourceCondition = match ? match[2] : null;
  if (resourceCondition !== null && !isCanonical(resourceCondition)) return null;
  return { ...validity, resourceCondition };
}

/**
 * Reads any expression as jit-access 1.x does (reference §3.5): one top-level clause is temporary, the
 * others form the resource condition. Null when CEL reads the expression differently from the split.
 */
function parseByClauses(expression: string): ActivationCondition | null {
  const clauses = splitTopLevelClauses(expression);
  const index = clauses.findIndex((clause) => parseTemporaryClause(clause) !== null);
  const validity = index < 0 ? null : parseTemporaryClause(clauses[index]);
  if (validity === null || !isFaithfulSplit(expression, clauses)) return null;
  const rest = clauses.filter((_, i) => i !== index);
  if (rest.length === 0) return { ...validity, resourceCondition: null };
  const resourceCondition = validConjunctionOrNull(rest);
  return resourceCondition === null ? null : { ...validity, resourceCondition };
}

/** The validity and resource condition of an activation expression, or null if it is not one. */
export function parseActivationExpression(expression: string): ActivationCondition | null {
  return parseAsWritten(expression) ?? parseByClauses(expression);
}
