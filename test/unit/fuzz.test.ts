// Property-based fuzzing of the parsers that read what users and Google send: IAM conditions, eligibility
// markers, activation bindings, entitlement and grant ids, approval links and claims, justifications.
// Whatever the input, they return or throw their own InvalidInputError, never anything else. Generated
// eligible conditions also check the rule that matters most: an activation grants exactly what the
// eligible binding describes, never more (evaluated with CEL over sample resources).
import fc from 'fast-check';
import { celEnv, CelScalar, mapType, parse, plan } from '@bufbuild/cel';
import { canonicalCondition, splitTopLevelClauses } from '../../server/domain/condition';
import { parseEligibleCondition } from '../../server/domain/eligibility';
import { activationExpression, formatTemporaryCondition, parseActivationExpression } from '../../server/domain/temporary-condition';
import { entitlementId, parseEntitlementId } from '../../server/domain/entitlement';
import { grantId, parseGrantId } from '../../server/domain/grant';
import { tokenFromLink } from '../../server/domain/approval-link';
import { approvalRequestOf } from '../../server/domain/approval-request';
import { parseApproval } from '../../server/domain/grant';
import { JustificationPolicy } from '../../server/domain/justification';
import { InvalidInputError } from '../../server/domain/invalid-input-error';
import { CaseCounter, fuzzParameters } from '../support/fuzz';

const cases = new CaseCounter('fuzz (domain parsers)');
afterAll(() => cases.report());

/** Runs a property with the suite's settings and counts its cases. */
function check<T>(name: string, arbitrary: fc.Arbitrary<T>, predicate: (value: T) => void, quickRuns = 150): void {
  fc.assert(
    fc.property(arbitrary, (value) => {
      cases.count(name);
      predicate(value);
    }),
    fuzzParameters(quickRuns),
  );
}

/** Either a value, or the parser's own refusal: any other exception is a bug. */
function returnsOrRefuses<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch (e) {
    if (e instanceof InvalidInputError) return undefined;
    throw e;
  }
}

// --- a grammar of IAM resource conditions, with string literals that look like CEL -------------------

/** Bodies of CEL double-quoted strings, as CEL source: operators, parentheses and markers in disguise. */
const literal = fc.constantFrom('a', 'prod-app', 'b&&c', 'x)||(y', "it's", 'q\\"u', '//x', '(', ') && (', 'has({}.jitAccessConstraint)', 'é');

const atom = fc.oneof(
  literal.map((s) => `resource.name.startsWith("${s}")`),
  literal.map((s) => `resource.name.endsWith("${s}")`),
  literal.map((s) => `resource.name == "${s}"`),
  literal.map((s) => `resource.type == "${s}"`),
  literal.map((s) => `resource.service != "${s}"`),
  fc.constantFrom('true', 'false'),
);

const { condition } = fc.letrec<{ condition: string }>((tie) => ({
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    tie('condition').map((c) => `!(${c})`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `(${a} && ${b})`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `(${a} || ${b})`),
    // Without parentheses: what the clause splitter must not misread when it sits next to a marker.
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `${a} || ${b}`),
    fc.tuple(tie('condition'), tie('condition')).map(([a, b]) => `${a} && ${b}`),
  ),
}));

const MARKERS = [
  { text: 'has({}.jitAccessConstraint)', type: 'self' },
  { text: 'has({}.multiPartyApprovalConstraint)', type: 'peer' },
  { text: 'has( {}.jitAccessConstraint )', type: 'self' },
  { text: 'has({}.JitAccessConstraint)', type: 'self' },
] as const;

/** An eligible binding's condition, and the same condition with its marker replaced by `true`. */
const eligibleCondition = fc
  .record({
    marker: fc.constantFrom(...MARKERS),
    others: fc.array(condition, { maxLength: 3 }),
    position: fc.nat(),
    // How the clauses are joined; `||` around the marker is the trap (IAM grants the role outright).
    shape: fc.constantFrom('and', 'lines', 'comment', 'or-trap'),
  })
  .map(({ marker, others, position, shape }) => {
    const at = position % (others.length + 1);
    const join = (markerText: string) => {
      const clauses = [...others.slice(0, at), markerText, ...others.slice(at)];
      if (shape === 'or-trap') return `${others[0] ?? 'false'} || ${markerText} && ${others[1] ?? 'true'}`;
      if (shape === 'lines') return clauses.join(' &&\n  ');
      if (shape === 'comment') return `// eligible for JIT access\n${clauses.join(' && ')}`;
      return clauses.join(' && ');
    };
    return { expression: join(marker.text), withoutMarker: join('true'), type: marker.type };
  });

const celEnvironment = celEnv({ variables: { resource: mapType(CelScalar.STRING, CelScalar.STRING) } });
const RESOURCES = [
  { name: 'a', type: 'a', service: 'a' },
  { name: 'prod-app', type: 'storage', service: 'x' },
  { name: 'b&&c', type: "it's", service: 'a' },
  { name: 'x)||(y', type: 'a', service: '(' },
  { name: 'projects/_/buckets/a', type: 'storage.googleapis.com/Bucket', service: 'storage.googleapis.com' },
  { name: '', type: '', service: '' },
];

/** Whether IAM would find the condition true for a resource (an evaluation error grants nothing). */
function holds(expression: string, resource: Record<string, string>): boolean {
  return plan(celEnvironment, parse(expression))({ resource }) === true;
}

const START = new Date('2040-01-01T00:00:00Z');
const END = new Date('2040-01-01T01:00:00Z');

describe('fuzz: conditions', () => {
  test('canonicalCondition: any text is refused or canonicalised, and the canonical form is a fixed point', () => {
    check('canonicalCondition (any text)', fc.oneof(fc.string(), condition, eligibleCondition.map((e) => e.expression)), (text) => {
      const canonical = returnsOrRefuses(() => canonicalCondition(text));
      if (canonical !== undefined) expect(canonicalCondition(canonical)).toBe(canonical);
    });
  });

  test('splitTopLevelClauses and parseEligibleCondition never throw on any text', () => {
    check('parseEligibleCondition (any text)', fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: fc.constantFrom('(', ')', '&', '|', '"', "'", '/', '\n', ' ', 'has({}.jitAccessConstraint)', 'a') })), (text) => {
      splitTopLevelClauses(text);
      const eligibility = parseEligibleCondition({ expression: text });
      if (eligibility?.resourceCondition) expect(canonicalCondition(eligibility.resourceCondition)).toBe(eligibility.resourceCondition);
    });
  });

  test('an eligible condition yields a resource condition equivalent to it with the marker true: never wider', () => {
    const outcomes = { eligible: 0, refused: 0 };
    check(
      'parseEligibleCondition (generated conditions)',
      eligibleCondition,
      ({ expression, withoutMarker, type }) => {
        const eligibility = parseEligibleCondition({ expression });
        outcomes[eligibility === null ? 'refused' : 'eligible']++;
        if (eligibility === null) return;
        expect(eligibility.type).toBe(type);
        const { resourceCondition } = eligibility;
        for (const resource of RESOURCES) {
          expect([resource, resourceCondition === null || holds(resourceCondition, resource)]).toEqual([resource, holds(withoutMarker, resource)]);
        }
      },
      300,
    );
    // Both ways out were taken: the comparison ran on many accepted conditions, and traps were refused.
    expect(outcomes.eligible).toBeGreaterThan(outcomes.eligible + outcomes.refused >> 2);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  test('an activation of a resource condition reads back the same, and the condition cannot leave its parentheses', () => {
    check('activationExpression round trip', condition, (text) => {
      const resourceCondition = canonicalCondition(text);
      const expression = activationExpression(START, END, resourceCondition);
      expect(parseActivationExpression(expression)).toEqual({ start: START, end: END, resourceCondition });
      const window = formatTemporaryCondition(START, END);
      for (const resource of RESOURCES) {
        expect(holds(expression.replace(window, 'true'), resource)).toBe(holds(resourceCondition, resource));
        expect(holds(expression.replace(window, 'false'), resource)).toBe(false);
      }
    });
  });

  test('parseActivationExpression never throws, also on text that starts like an activation', () => {
    const window = formatTemporaryCondition(START, END);
    check('parseActivationExpression (any text)', fc.oneof(fc.string(), fc.string().map((s) => `${window}${s}`), fc.string().map((s) => `(${window}) && (${s})`)), (text) => {
      const activation = parseActivationExpression(text);
      if (activation?.resourceCondition) expect(canonicalCondition(activation.resourceCondition)).toBe(activation.resourceCondition);
    });
  });
});

describe('fuzz: ids, links, claims and justifications', () => {
  const projectId = fc.oneof(fc.constantFrom('prod-app', 'staging-app', 'example.com:proj', 'a', 'PROD-APP', 'prod-app-'), fc.stringMatching(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/));
  const role = fc.oneof(fc.constantFrom('roles/viewer', 'projects/prod-app/roles/custom_1', 'organizations/1/roles/x.y', 'roles/', 'role/viewer', 'roles/a:b'), fc.string());
  const encodedCondition = fc.oneof(
    condition.map((c) => Buffer.from(c).toString('base64')),
    condition.map((c) => Buffer.from(canonicalCondition(c)).toString('base64')),
    condition.map((c) => Buffer.from(canonicalCondition(c)).toString('base64url')),
    fc.base64String(),
    fc.string(),
  );

  test('parseEntitlementId: an id is refused or parsed into the entitlement whose id it is', () => {
    const id = fc.oneof(
      fc.string(),
      fc.tuple(projectId, role).map(([p, r]) => `${p}:${r}`),
      fc.tuple(projectId, role, encodedCondition).map(([p, r, c]) => `${p}:${r}:${c}`),
      fc.tuple(projectId, role, encodedCondition, fc.string()).map(([p, r, c, x]) => `${p}:${r}:${c}:${x}`),
    );
    let parsed = 0;
    check('parseEntitlementId', id, (text) => {
      const entitlement = returnsOrRefuses(() => parseEntitlementId(text));
      if (!entitlement) return;
      parsed++;
      expect(entitlementId(entitlement)).toBe(text.endsWith(':') ? text.slice(0, -1) : text);
    });
    expect(parsed).toBeGreaterThan(0);
  });

  test('parseGrantId: an id is refused or parsed into the grant whose id it is', () => {
    const tuple = fc.tuple(projectId, role, fc.oneof(fc.constant(null), condition, fc.string()), fc.date({ noInvalidDate: true }), fc.oneof(fc.date({ noInvalidDate: true }), fc.string()));
    const id = fc.oneof(
      fc.string(),
      tuple.map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')),
      fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
    );
    check('parseGrantId', id, (text) => {
      const key = returnsOrRefuses(() => parseGrantId(text));
      if (key) expect(grantId(key)).toBe(text);
    });
  });

  test('tokenFromLink: a link is refused or yields a compact JWT', () => {
    const piece = fc.stringMatching(/^[A-Za-z0-9_-]{0,12}$/);
    const link = fc.oneof(fc.string(), fc.tuple(piece, piece, piece).map(([a, b, c]) => `${a}~~${b}~${c}`), fc.tuple(piece, piece).map(([a, b]) => `ey${a}.ey${b}.`));
    check('tokenFromLink', link, (text) => {
      const jwt = returnsOrRefuses(() => tokenFromLink(text));
      if (jwt !== undefined) expect(jwt.split('.')).toHaveLength(3);
    });
  });

  test('approvalRequestOf: claims are refused or describe a request that ends after it starts', () => {
    const seconds = fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER), fc.string());
    const claims = fc.oneof(
      fc.anything(),
      fc.record(
        {
          jti: fc.string(),
          beneficiary: fc.oneof(fc.emailAddress(), fc.string()),
          reviewers: fc.oneof(fc.array(fc.emailAddress()), fc.anything()),
          entitlement: fc.oneof(fc.constant('prod-app:roles/compute.admin'), fc.string()),
          justification: fc.oneof(fc.string(), fc.anything()),
          start: seconds,
          end: seconds,
          iat: seconds,
          exp: seconds,
        },
        { requiredKeys: [] },
      ),
    );
    check('approvalRequestOf', claims, (value) => {
      const request = returnsOrRefuses(() => approvalRequestOf(value));
      if (request) expect(request.end.getTime()).toBeGreaterThan(request.start.getTime());
    });
  });

  test('justifications and descriptions: checked or read back without throwing', () => {
    const policy = new JustificationPolicy({ pattern: '(INC|BUG)-[0-9]+.*', hint: 'a ticket', maxLength: 100 });
    check('checkJustification and parseApproval', fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => {
      const problem = policy.checkJustification(text);
      expect(problem === null || typeof problem === 'string').toBe(true);
      if (problem === null) expect(text).toMatch(/^(INC|BUG)-[0-9]+/);
      const approval = parseApproval(text);
      expect(['self', 'peer', 'unknown']).toContain(approval.type);
    });
  });
});
