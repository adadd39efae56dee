// IAM Conditions for the emulator: validation as setIamPolicy does it, and three-valued evaluation as the
// Policy Analyzer does it (TRUE / FALSE / CONDITIONAL when the outcome depends on what it cannot bind).
import { celEnv, celMethod, CelScalar, isCelError, parse, plan, type CelValue } from '@bufbuild/cel';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';

export type Evaluation = 'TRUE' | 'FALSE' | 'CONDITIONAL';

type ParsedCondition = ReturnType<typeof parse>;
type Expr = ParsedCondition['expr'];
type SourceInfo = NonNullable<ParsedCondition['sourceInfo']>;

/** IAM's documented limit on `&&`, `||` and `!` in one expression. */
const MAX_LOGICAL_OPERATORS = 12;
const LOGICAL_OPERATORS = new Set(['_&&_', '_||_', '!_']);

/** Operators as the parser names them; all are part of the IAM dialect. */
const OPERATORS = new Set([
  ...LOGICAL_OPERATORS,
  '_?_:_',
  '_==_',
  '_!=_',
  '_<_',
  '_<=_',
  '_>_',
  '_>=_',
  '@in',
  '_+_',
  '_-_',
  '_*_',
  '_/_',
  '_%_',
  '-_',
  '_[_]',
]);

/** What validation can tell about an expression's type without a type checker; `dyn` = could be anything. */
type StaticType = 'bool' | 'int' | 'uint' | 'double' | 'string' | 'bytes' | 'null' | 'list' | 'map' | 'timestamp' | 'duration' | 'type' | 'dyn';

interface FunctionRule {
  arities: readonly number[];
  result: StaticType;
  /** Methods that exist only on one attribute root, e.g. `resource.matchTag(…)`. */
  receiver?: 'resource' | 'api';
}

const GLOBAL_FUNCTIONS: Record<string, FunctionRule> = {
  timestamp: { arities: [1], result: 'timestamp' },
  duration: { arities: [1], result: 'duration' },
  int: { arities: [1], result: 'int' },
  uint: { arities: [1], result: 'uint' },
  double: { arities: [1], result: 'double' },
  string: { arities: [1], result: 'string' },
  bytes: { arities: [1], result: 'bytes' },
  bool: { arities: [1], result: 'bool' },
  dyn: { arities: [1], result: 'dyn' },
  size: { arities: [1], result: 'int' },
};

const TIME_GETTERS = ['getFullYear', 'getMonth', 'getDate', 'getDayOfMonth', 'getDayOfWeek', 'getDayOfYear', 'getHours', 'getMinutes', 'getSeconds', 'getMilliseconds'];

const METHODS: Record<string, FunctionRule> = {
  startsWith: { arities: [1], result: 'bool' },
  endsWith: { arities: [1], result: 'bool' },
  contains: { arities: [1], result: 'bool' },
  matches: { arities: [1], result: 'bool' },
  size: { arities: [0], result: 'int' },
  extract: { arities: [1], result: 'string' },
  ...Object.fromEntries(TIME_GETTERS.map((name) => [name, { arities: [0, 1], result: 'int' } satisfies FunctionRule])),
  matchTag: { arities: [2], result: 'bool', receiver: 'resource' },
  matchTagId: { arities: [2], result: 'bool', receiver: 'resource' },
  hasTagKey: { arities: [1], result: 'bool', receiver: 'resource' },
  hasTagKeyId: { arities: [1], result: 'bool', receiver: 'resource' },
  getAttribute: { arities: [2], result: 'dyn', receiver: 'api' },
};

/** The attributes IAM documents, by root; `api` has no fields, only `getAttribute`. */
const ATTRIBUTES: Record<string, readonly string[]> = {
  request: ['time', 'auth', 'host', 'path'],
  resource: ['name', 'type', 'service'],
  destination: ['ip', 'port'],
  api: [],
};

/** IAM's `extract`: the text matched by the `{name}` placeholder of a template, or "" without a match. */
const extract = celMethod('extract', CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function (template) {
  const [prefix, suffix] = template.split(/\{[^}]*\}/);
  const start = this.indexOf(prefix);
  if (start < 0) return '';
  const rest = this.slice(start + prefix.length);
  if (!suffix) return rest;
  const end = rest.indexOf(suffix);
  return end < 0 ? '' : rest.slice(0, end);
});
const env = celEnv({ funcs: [extract] });

// --- validation ----------------------------------------------------------------------------------

/** Why IAM would reject this condition expression, or undefined when it is acceptable. */
export function validateCondition(expression: string): string | undefined {
  const parsed = parseCondition(expression);
  if (typeof parsed === 'string') return parsed;
  const checker = new ConditionChecker(expression, parsed.sourceInfo);
  try {
    checker.check(parsed.expr);
    const type = checker.typeOf(parsed.expr);
    if (!mayBeBool(type)) return `The condition expression must evaluate to a boolean, but it evaluates to ${describe(type)}.`;
  } catch (e) {
    if (e instanceof ConditionProblem) return e.message;
    throw e;
  }
  if (checker.logicalOperators > MAX_LOGICAL_OPERATORS) {
    return `The condition expression has ${checker.logicalOperators} logical operators (&&, ||, !); IAM allows at most ${MAX_LOGICAL_OPERATORS}.`;
  }
  return undefined;
}

class ConditionProblem extends Error {}

class ConditionChecker {
  logicalOperators = 0;

  constructor(
    private readonly expression: string,
    private readonly sourceInfo: SourceInfo | undefined,
  ) {}

  /** Walks the tree, throwing the first problem. */
  check(expr: Expr): void {
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return;
      case 'identExpr':
        if (!(kind.value.name in ATTRIBUTES)) this.fail(expr, `Unknown attribute '${kind.value.name}'; IAM conditions can use request, resource, destination and api.getAttribute()`);
        return;
      case 'selectExpr': {
        const operand = kind.value.operand!;
        if (operand.exprKind.case === 'identExpr' && operand.exprKind.value.name in ATTRIBUTES) {
          const root = operand.exprKind.value.name;
          if (!ATTRIBUTES[root].includes(kind.value.field)) {
            const known = ATTRIBUTES[root].map((f) => `${root}.${f}`).join(', ') || `only ${root}.getAttribute()`;
            this.fail(expr, `Unknown attribute '${root}.${kind.value.field}' (known: ${known})`);
          }
          return;
        }
        return this.check(operand);
      }
      case 'listExpr':
        return kind.value.elements.forEach((e) => this.check(e));
      case 'structExpr':
        if (kind.value.messageName) this.fail(expr, `Message literals such as '${kind.value.messageName}{…}' are not supported in IAM conditions`);
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') this.check(entry.keyKind.value);
          if (entry.value) this.check(entry.value);
        }
        return;
      case 'comprehensionExpr': {
        const macro = this.sourceInfo?.macroCalls[String(expr.id)];
        const name = macro?.exprKind.case === 'callExpr' ? macro.exprKind.value.function : 'comprehension';
        return this.fail(expr, `The macro '${name}' is not supported in IAM conditions (only has() is)`);
      }
      case 'callExpr':
        return this.checkCall(expr, kind.value);
      default:
        return this.fail(expr, 'Unsupported expression');
    }
  }

  private checkCall(expr: Expr, call: Extract<Expr['exprKind'], { case: 'callExpr' }>['value']): void {
    const name = call.function;
    if (OPERATORS.has(name)) {
      if (LOGICAL_OPERATORS.has(name)) {
        this.logicalOperators += name === '!_' ? 1 : call.args.length - 1;
        for (const arg of call.args) this.requireBool(arg, name === '!_' ? "operand of '!'" : `operand of '${name.slice(1, -1)}'`);
      }
      if (name === '_?_:_') this.requireBool(call.args[0], "condition of '? :'");
      call.args.forEach((a) => this.check(a));
      return;
    }
    if (name === 'has') this.fail(expr, 'has() needs a field selection, such as has({}.jitAccessConstraint)');
    const rule = call.target ? METHODS[name] : GLOBAL_FUNCTIONS[name];
    if (!rule) this.fail(expr, `Unknown function '${name}'${call.target ? ' (called as a method)' : ''}; it is not part of the IAM conditions language`);
    if (rule.receiver) {
      const target = call.target!;
      if (target.exprKind.case !== 'identExpr' || target.exprKind.value.name !== rule.receiver) this.fail(expr, `'${name}' can only be called on '${rule.receiver}', as ${rule.receiver}.${name}(…)`);
    } else if (call.target) {
      this.check(call.target);
    }
    if (!rule.arities.includes(call.args.length)) {
      this.fail(expr, `'${name}' takes ${rule.arities.join(' or ')} argument${rule.arities.at(-1) === 1 ? '' : 's'}, not ${call.args.length}`);
    }
    call.args.forEach((a) => this.check(a));
    this.checkLiteralArguments(expr, name, call.target !== undefined, call.args);
  }

  /** Literal arguments whose format IAM checks when the policy is written: timestamps, durations, time zones. */
  private checkLiteralArguments(expr: Expr, name: string, isMethod: boolean, args: Expr[]): void {
    const literal = args[0]?.exprKind.case === 'constExpr' && args[0].exprKind.value.constantKind.case === 'stringValue' ? args[0].exprKind.value.constantKind.value : undefined;
    if (literal === undefined) return;
    if (!isMethod && (name === 'timestamp' || name === 'duration')) {
      const result = plan(env, expr)();
      if (isCelError(result)) {
        const expected = name === 'timestamp' ? 'an RFC 3339 timestamp such as "2024-05-01T10:00:00Z"' : 'a duration such as "3600s"';
        this.fail(expr, `${name}("${literal}") is invalid: expected ${expected}`);
      }
    }
    if (isMethod && TIME_GETTERS.includes(name) && !isTimeZone(literal)) {
      this.fail(expr, `'${literal}' is not a time zone: use an IANA name such as "Europe/Berlin" or an offset such as "+01:00"`);
    }
  }

  private requireBool(expr: Expr, role: string): void {
    const type = this.typeOf(expr);
    if (!mayBeBool(type)) this.fail(expr, `The ${role} must be a boolean, but it is ${describe(type)}`);
  }

  typeOf(expr: Expr): StaticType {
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return constantType(kind.value.constantKind.case);
      case 'listExpr':
        return 'list';
      case 'structExpr':
        return kind.value.messageName ? 'dyn' : 'map';
      case 'selectExpr':
        return kind.value.testOnly ? 'bool' : 'dyn';
      case 'callExpr': {
        const { function: name, args, target } = kind.value;
        if (['_&&_', '_||_', '!_', '_==_', '_!=_', '_<_', '_<=_', '_>_', '_>=_', '@in'].includes(name)) return 'bool';
        if (name === '_?_:_') {
          const [a, b] = [this.typeOf(args[1]), this.typeOf(args[2])];
          return a === b ? a : mayBeBool(a) || mayBeBool(b) ? 'dyn' : a;
        }
        if (['_+_', '_-_', '_*_', '_/_', '_%_', '-_'].includes(name)) {
          const operand = args.map((a) => this.typeOf(a)).find((t) => t !== 'dyn');
          return operand && operand !== 'bool' ? operand : 'dyn';
        }
        return (target ? METHODS[name] : GLOBAL_FUNCTIONS[name])?.result ?? 'dyn';
      }
      default:
        return 'dyn';
    }
  }

  private fail(expr: Expr, message: string): never {
    throw new ConditionProblem(`${message} (at ${this.locate(expr)}).`);
  }

  private locate(expr: Expr): string {
    const offset = this.sourceInfo?.positions[String(expr.id)] ?? 0;
    const before = this.expression.slice(0, offset).split('\n');
    return `line ${before.length}, column ${before[before.length - 1].length + 1}`;
  }
}

function constantType(kind: string | undefined): StaticType {
  const types: Record<string, StaticType> = {
    boolValue: 'bool',
    int64Value: 'int',
    uint64Value: 'uint',
    doubleValue: 'double',
    stringValue: 'string',
    bytesValue: 'bytes',
    nullValue: 'null',
    durationValue: 'duration',
    timestampValue: 'timestamp',
  };
  return types[kind ?? ''] ?? 'dyn';
}

function mayBeBool(type: StaticType): boolean {
  return type === 'bool' || type === 'dyn';
}

function describe(type: StaticType): string {
  const article = /^[aeiou]/.test(type) ? 'an' : 'a';
  return type === 'null' ? 'null' : type === 'map' ? 'a map' : `${article} ${type}`;
}

function isTimeZone(zone: string): boolean {
  if (/^[+-]?\d\d:\d\d$/.test(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses an expression (cached: the same few conditions are evaluated over and over), or says why it cannot. */
const parsedConditions = new Map<string, ParsedCondition | string>();
const PARSE_CACHE_LIMIT = 2_000;

function parseCondition(expression: string): ParsedCondition | string {
  const cached = parsedConditions.get(expression);
  if (cached !== undefined) return cached;
  const result = parseUncached(expression);
  if (parsedConditions.size >= PARSE_CACHE_LIMIT) parsedConditions.clear();
  parsedConditions.set(expression, result);
  return result;
}

function parseUncached(expression: string): ParsedCondition | string {
  if (expression.replace(/\/\/[^\n]*/g, '').trim() === '') return 'The condition expression is empty.';
  try {
    return parse(expression);
  } catch (e) {
    const error = e as Error & { rawMessage?: string; location?: { start: { line: number; column: number } } };
    const where = error.location ? ` at line ${error.location.start.line}, column ${error.location.start.column}` : '';
    return `Syntax error in the condition expression${where}: ${error.rawMessage ?? error.message}.`;
  }
}

// --- evaluation ----------------------------------------------------------------------------------

type Outcome = { kind: 'value'; value: CelValue } | { kind: 'unknown' } | { kind: 'error' };
const UNKNOWN: Outcome = { kind: 'unknown' };
const ERROR: Outcome = { kind: 'error' };

interface EvaluationContext {
  requestTime?: Date;
}

/**
 * Evaluates a condition the way the Policy Analyzer does: `request.time` is the only attribute it binds
 * (and only when a time is given); everything else it cannot bind, including `has()` tests such as the
 * eligibility markers, is unknown. Logical operators are three-valued (`false && unknown` is false,
 * `true || unknown` is true); an unknown result is CONDITIONAL, and a CEL evaluation error is FALSE
 * because a binding whose condition fails to evaluate grants nothing.
 */
export function evaluateCondition(expression: string, context: EvaluationContext): Evaluation {
  const parsed = parseCondition(expression);
  if (typeof parsed === 'string') return 'FALSE';
  const outcome = evaluate(parsed.expr, context);
  if (outcome.kind === 'unknown') return 'CONDITIONAL';
  return outcome.kind === 'value' && outcome.value === true ? 'TRUE' : 'FALSE';
}

/** Whether a conditional binding applies at this moment (used by the emulator's own permission checks). */
export function conditionHolds(expression: string, now: Date): boolean {
  return evaluateCondition(expression, { requestTime: now }) === 'TRUE';
}

function evaluate(expr: Expr, context: EvaluationContext): Outcome {
  if (expr.exprKind.case === 'callExpr') {
    const { function: name, args } = expr.exprKind.value;
    if (name === '_&&_' || name === '_||_') return evaluateJunction(name === '_&&_', args, context);
    if (name === '!_') {
      const operand = evaluate(args[0], context);
      if (operand.kind !== 'value') return operand;
      return typeof operand.value === 'boolean' ? { kind: 'value', value: !operand.value } : ERROR;
    }
    if (name === '_?_:_') {
      const test = evaluate(args[0], context);
      if (test.kind !== 'value') return test;
      if (typeof test.value !== 'boolean') return ERROR;
      return evaluate(test.value ? args[1] : args[2], context);
    }
  }
  if (!isBound(expr, context)) return UNKNOWN;
  const result = programOf(expr)(context.requestTime ? { request: { time: timestampFromDate(context.requestTime) } } : {});
  return isCelError(result) ? ERROR : { kind: 'value', value: result };
}

/** `&&` (or `||`): the deciding value wins over unknowns and errors; unknowns win over errors (CEL's rule). */
function evaluateJunction(isAnd: boolean, args: Expr[], context: EvaluationContext): Outcome {
  const decisive = !isAnd;
  const outcomes = args.map((a) => evaluate(a, context));
  if (outcomes.some((o) => o.kind === 'value' && o.value === decisive)) return { kind: 'value', value: decisive };
  if (outcomes.some((o) => o.kind === 'unknown')) return UNKNOWN;
  if (outcomes.some((o) => o.kind !== 'value' || typeof o.value !== 'boolean')) return ERROR;
  return { kind: 'value', value: !decisive };
}

/** Whether a subtree refers only to what the analyzer binds: literals and (when known) `request.time`. */
function isBound(expr: Expr, context: EvaluationContext): boolean {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr':
      return true;
    case 'selectExpr': {
      if (kind.value.testOnly) return false;
      const operand = kind.value.operand!;
      if (operand.exprKind.case === 'identExpr') return operand.exprKind.value.name === 'request' && kind.value.field === 'time' && context.requestTime !== undefined;
      return isBound(operand, context);
    }
    case 'callExpr':
      return (!kind.value.target || isBound(kind.value.target, context)) && kind.value.args.every((a) => isBound(a, context));
    case 'listExpr':
      return kind.value.elements.every((e) => isBound(e, context));
    case 'structExpr':
      return kind.value.entries.every((e) => (e.keyKind.case !== 'mapKey' || isBound(e.keyKind.value, context)) && (!e.value || isBound(e.value, context)));
    default:
      return false;
  }
}

type Program = ReturnType<typeof plan>;
const programs = new WeakMap<Expr, Program>();

function programOf(expr: Expr): Program {
  let program = programs.get(expr);
  if (!program) {
    program = plan(env, expr);
    programs.set(expr, program);
  }
  return program;
}
