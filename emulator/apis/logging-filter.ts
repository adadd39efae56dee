// The Logging query language, the subset entries.list needs: comparisons on LogEntry fields
// (= != < <= > >= : =~ !~), global restrictions, AND / OR / NOT / `-`, juxtaposition as AND, and
// parentheses. As in Google's grammar, NOT binds tightest, then OR, then AND:
// `a OR NOT b AND c` is `(a OR (NOT b)) AND c`.
import { invalidArgument } from '../http';
import { parseTimestamp } from './timestamps';

export const SEVERITIES = ['DEFAULT', 'DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR', 'CRITICAL', 'ALERT', 'EMERGENCY'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s) * 100;

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':' | '=~' | '!~';

interface Token {
  kind: 'word' | 'string' | 'op' | '(' | ')' | 'AND' | 'OR' | 'NOT' | 'end';
  text: string;
  /** For words: the dotted path, quoted segments unquoted (`labels."a/b"` → ["labels", "a/b"]). */
  segments?: string[];
  offset: number;
}

export type Filter =
  | { kind: 'and' | 'or'; parts: Filter[] }
  | { kind: 'not'; part: Filter }
  | { kind: 'compare'; path: string[]; op: Operator; value: string; offset: number }
  | { kind: 'global'; value: string };

export type Entry = Record<string, unknown>;

/** LogEntry fields a filter may name (payload, label and resource paths may go deeper). */
const TOP_LEVEL_FIELDS = new Set([
  'logName',
  'resource',
  'timestamp',
  'receiveTimestamp',
  'severity',
  'insertId',
  'httpRequest',
  'labels',
  'operation',
  'trace',
  'spanId',
  'traceSampled',
  'sourceLocation',
  'split',
  'textPayload',
  'jsonPayload',
  'protoPayload',
]);

const MAX_FILTER_LENGTH = 20_000;

class FilterSyntaxError extends Error {}

function positionOf(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string, at: number): never => {
    throw new FilterSyntaxError(`${what} at ${positionOf(text, at)}`);
  };
  const readString = (): string => {
    const start = i;
    let value = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        const next = text[i + 1];
        if (next === undefined) break;
        value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
        i += 2;
      } else value += text[i++];
    }
    if (text[i] !== '"') fail('unterminated string', start);
    i++;
    return value;
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    const prev = tokens.at(-1);
    if (c === '(' || c === ')') {
      tokens.push({ kind: c, text: c, offset: i++ });
    } else if (/^(=~|!~|!=|<=|>=)/.test(text.slice(i, i + 2))) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2), offset: i });
      i += 2;
    } else if ('=<>:'.includes(c)) {
      tokens.push({ kind: 'op', text: c, offset: i++ });
    } else if (c === '-' && prev?.kind !== 'op' && i + 1 < text.length && !/\s/.test(text[i + 1])) {
      // A leading minus negates the term that follows (a minus after an operator is part of a value).
      tokens.push({ kind: 'NOT', text: '-', offset: i++ });
    } else if (c === '"') {
      tokens.push({ kind: 'string', text: readString(), offset: start });
    } else if (c === '!') {
      fail("unexpected '!'", i);
    } else {
      const segments = [''];
      while (i < text.length && !/[\s()=<>:!"]/.test(text[i])) {
        if (text[i] === '.') {
          i++;
          segments.push(text[i] === '"' ? readString() : '');
        } else segments[segments.length - 1] += text[i++];
      }
      const raw = text.slice(start, i);
      if (raw === 'AND' || raw === 'OR' || raw === 'NOT') tokens.push({ kind: raw, text: raw, offset: start });
      else tokens.push({ kind: 'word', text: raw, segments, offset: start });
    }
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}

/** Parses a filter; a syntax error is a 400 that says where, like Google's "Unparseable filter". */
export function parseFilter(text: string): Filter | undefined {
  if (text.length > MAX_FILTER_LENGTH) throw invalidArgument(`Invalid filter: it has ${text.length} characters; the maximum is ${MAX_FILTER_LENGTH}.`);
  if (text.trim() === '') return undefined;
  try {
    return new Parser(text, tokenize(text)).parse();
  } catch (e) {
    if (e instanceof FilterSyntaxError) throw invalidArgument(`Unparseable filter: ${e.message}: ${text}`);
    throw e;
  }
}

class Parser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly tokens: Token[],
  ) {}

  parse(): Filter {
    const f = this.conjunction();
    if (this.peek().kind !== 'end') this.fail(this.peek());
    return f;
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    return this.tokens[this.pos++];
  }

  private fail(token: Token, what = 'syntax error', hint?: string): never {
    const shown = token.kind === 'end' ? 'end of filter' : `token '${token.text}'`;
    throw new FilterSyntaxError(`${what} at ${positionOf(this.text, token.offset)}, ${shown}${hint ? ` (${hint})` : ''}`);
  }

  /** AND binds loosest; two terms side by side are joined by an implicit AND. */
  private conjunction(): Filter {
    const parts = [this.disjunction()];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'AND') {
        this.next();
        parts.push(this.disjunction());
      } else if (t.kind === 'word' || t.kind === 'string' || t.kind === '(' || t.kind === 'NOT') {
        parts.push(this.disjunction());
      } else break;
    }
    return parts.length === 1 ? parts[0] : { kind: 'and', parts };
  }

  private disjunction(): Filter {
    const parts = [this.unary()];
    while (this.peek().kind === 'OR') {
      this.next();
      parts.push(this.unary());
    }
    return parts.length === 1 ? parts[0] : { kind: 'or', parts };
  }

  private unary(): Filter {
    if (this.peek().kind === 'NOT') {
      this.next();
      return { kind: 'not', part: this.unary() };
    }
    return this.primary();
  }

  private primary(): Filter {
    const t = this.next();
    if (t.kind === '(') {
      const inner = this.conjunction();
      const close = this.next();
      if (close.kind !== ')') this.fail(close, "expected ')'");
      return inner;
    }
    if (t.kind === 'string') return { kind: 'global', value: t.text };
    if (t.kind !== 'word') this.fail(t);
    if (this.peek().kind !== 'op') return { kind: 'global', value: t.text };
    const path = t.segments!;
    if (!TOP_LEVEL_FIELDS.has(path[0])) this.fail(t, `unknown field '${path[0]}'`, `LogEntry fields are ${[...TOP_LEVEL_FIELDS].join(', ')}`);
    if (path.some((s) => s === '')) this.fail(t, 'empty field name segment');
    const op = this.next().text as Operator;
    return this.values(path, op);
  }

  /** The right-hand side: one value, or a parenthesised list such as `resource.type = ("gae_app" OR "global")`. */
  private values(path: string[], op: Operator): Filter {
    const t = this.next();
    if (t.kind === 'word' || t.kind === 'string') {
      const compare: Filter = { kind: 'compare', path, op, value: t.text, offset: t.offset };
      checkValue(compare, this.text);
      return compare;
    }
    if (t.kind !== '(') this.fail(t, `expected a value after '${op}'`);
    // Same precedence as outside: OR groups first, AND joins the groups.
    const and: Filter[] = [];
    let or: Filter[] = [this.values(path, op)];
    for (;;) {
      const sep = this.next();
      if (sep.kind === 'OR') or.push(this.values(path, op));
      else if (sep.kind === 'AND' || sep.kind === ')') {
        and.push(or.length === 1 ? or[0] : { kind: 'or', parts: or });
        if (sep.kind === ')') break;
        or = [this.values(path, op)];
      } else this.fail(sep, "expected AND, OR or ')'");
    }
    return and.length === 1 ? and[0] : { kind: 'and', parts: and };
  }
}

/** Values whose meaning is fixed by the field (severities, timestamps, regular expressions) are checked at parse time. */
function checkValue(f: Extract<Filter, { kind: 'compare' }>, text: string): void {
  const where = positionOf(text, f.offset);
  const field = f.path.join('.');
  if (field === 'severity' && f.op !== ':' && severityValue(f.value) === undefined) {
    throw new FilterSyntaxError(`invalid severity '${f.value}' at ${where}; use one of ${SEVERITIES.join(', ')} or a number`);
  }
  if ((field === 'timestamp' || field === 'receiveTimestamp') && f.op !== ':' && parseTimestamp(f.value) === undefined) {
    throw new FilterSyntaxError(`invalid timestamp '${f.value}' at ${where}; use RFC 3339, e.g. "2024-05-01T10:00:00Z"`);
  }
  if (f.op === '=~' || f.op === '!~') {
    try {
      new RegExp(f.value);
    } catch (e) {
      throw new FilterSyntaxError(`invalid regular expression at ${where}: ${(e as Error).message}`);
    }
  }
}

function severityValue(value: string): number | undefined {
  if (/^[0-9]+$/.test(value)) return Number(value);
  const i = SEVERITIES.indexOf(value.toUpperCase() as Severity);
  return i < 0 ? undefined : i * 100;
}

/** Whether an entry (with string severities and RFC 3339 timestamps) matches the filter. */
export function matches(filter: Filter | undefined, entry: Entry): boolean {
  if (!filter) return true;
  switch (filter.kind) {
    case 'and':
      return filter.parts.every((p) => matches(p, entry));
    case 'or':
      return filter.parts.some((p) => matches(p, entry));
    case 'not':
      return !matches(filter.part, entry);
    case 'global':
      return leaves(entry).some((v) => has(v, filter.value));
    case 'compare':
      return compare(filter, entry);
  }
}

function resolve(entry: Entry, path: string[]): unknown {
  let value: unknown = entry;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/** Every scalar under a value (arrays and objects flattened). */
function leaves(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(leaves);
  return value === undefined ? [] : [value];
}

/** The has operator: case-insensitive substring of a scalar's text. */
const has = (v: unknown, needle: string) => String(v).toLowerCase().includes(needle.toLowerCase());

function compare(f: Extract<Filter, { kind: 'compare' }>, entry: Entry): boolean {
  const { op, value } = f;
  // Negative operators are the negation of their positive form, so they also match entries without the field.
  if (op === '!=') return !compare({ ...f, op: '=' }, entry);
  if (op === '!~') return !compare({ ...f, op: '=~' }, entry);
  const field = f.path.join('.');
  const actual = resolve(entry, f.path);
  if (actual === undefined) return false;
  if (op === ':') return value === '*' || leaves(actual).some((v) => has(v, value));
  if (op === '=~') {
    const re = new RegExp(value);
    return leaves(actual).some((v) => re.test(String(v)));
  }
  if (field === 'severity') return ordered(op, severityValue(String(actual))! - severityValue(value)!);
  if (field === 'timestamp' || field === 'receiveTimestamp') {
    const diff = parseTimestamp(String(actual))! - parseTimestamp(value)!;
    return ordered(op, diff === 0n ? 0 : diff < 0n ? -1 : 1);
  }
  return leaves(actual).some((v) => {
    if (typeof v === 'number' && value.trim() !== '' && !Number.isNaN(Number(value))) return ordered(op, v - Number(value));
    const a = String(v).toLowerCase();
    const b = value.toLowerCase();
    return ordered(op, a === b ? 0 : a < b ? -1 : 1);
  });
}

function ordered(op: Operator, sign: number): boolean {
  switch (op) {
    case '=':
      return sign === 0;
    case '<':
      return sign < 0;
    case '<=':
      return sign <= 0;
    case '>':
      return sign > 0;
    case '>=':
      return sign >= 0;
    default:
      return false;
  }
}
