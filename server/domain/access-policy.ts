// The access policy: a YAML file of rules that say how an eligible role is activated — who approves, for
// how long, when, with which justification and ticket. IAM alone says who is eligible; the policy only
// makes activation stricter (see access-policy-demands.ts). This file holds its schema and its parser,
// which names the line and column of every problem.
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { isTimeZone, parseWindow } from './access-policy-schedule';

/** The longest activation a policy may allow, as for ACTIVATION_TIMEOUT: one day. */
export const MAX_POLICY_MINUTES = 24 * 60;

const DURATION_TEXT = /^(?:([0-9]+)h)?\s*(?:([0-9]+)m)?$/;

/** Minutes of a duration as written in a policy: `90` (minutes), `"30m"`, `"4h"`, `"1h30m"`. */
export function durationMinutes(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = DURATION_TEXT.exec(value.trim());
  return m ? Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0) : NaN;
}

const DURATION_RANGE = `must be a duration from 1 minute to ${MAX_POLICY_MINUTES / 60} hours, such as 30m, 4h or 1h30m (a bare number counts minutes)`;

const duration = z
  .union([
    z.number().int(DURATION_RANGE).min(1, DURATION_RANGE).max(MAX_POLICY_MINUTES, DURATION_RANGE),
    z
      .string()
      .regex(/^(?:[0-9]+h)?\s*(?:[0-9]+m)?$/, { error: DURATION_RANGE, abort: true })
      .refine((v) => durationMinutes(v) >= 1 && durationMinutes(v) <= MAX_POLICY_MINUTES, DURATION_RANGE),
  ], { error: DURATION_RANGE })
  .describe('A duration: minutes as a number, or text such as 30m, 4h, 1h30m; at most 24h.');

/** How long reviewers have to review a break-glass activation: at most a week, 24 hours when not said. */
export const MAX_REVIEW_WITHIN_MINUTES = 7 * 24 * 60;
export const DEFAULT_REVIEW_WITHIN_MINUTES = 24 * 60;
const REVIEW_RANGE = `must be a duration from 1 minute to ${MAX_REVIEW_WITHIN_MINUTES / 60} hours, such as 4h or 72h (a bare number counts minutes)`;

const reviewWithin = z
  .union([
    z.number().int(REVIEW_RANGE).min(1, REVIEW_RANGE).max(MAX_REVIEW_WITHIN_MINUTES, REVIEW_RANGE),
    z
      .string()
      .regex(/^(?:[0-9]+h)?\s*(?:[0-9]+m)?$/, { error: REVIEW_RANGE, abort: true })
      .refine((v) => durationMinutes(v) >= 1 && durationMinutes(v) <= MAX_REVIEW_WITHIN_MINUTES, REVIEW_RANGE),
  ], { error: REVIEW_RANGE })
  .describe('How long reviewers have to review a break-glass activation (minutes, or text such as 4h, 72h); at most 168h, default 24h.');

/** How far ahead a request may be scheduled: at most 30 days, the span the audit feed keeps (see docs/access-policy.md). */
export const MAX_SCHEDULING_DELAY_MINUTES = 30 * 24 * 60;
const DELAY_TEXT = /^(?:([0-9]+)d)?\s*(?:([0-9]+)h)?\s*(?:([0-9]+)m)?$/;
const DELAY_RANGE = `must be a delay from 1 minute to ${MAX_SCHEDULING_DELAY_MINUTES / 1440} days, such as 12h, 7d or 2d12h (a bare number counts minutes)`;

/** Minutes of a delay as written in a policy: `90` (minutes), `"12h"`, `"7d"`, `"2d12h"`; NaN when unreadable. */
export function delayMinutes(value: number | string): number {
  if (typeof value === 'number') return value;
  const m = DELAY_TEXT.exec(value.trim());
  return m && value.trim() !== '' ? Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : NaN;
}

const delay = z
  .union([
    z.number().int(DELAY_RANGE).min(1, DELAY_RANGE).max(MAX_SCHEDULING_DELAY_MINUTES, DELAY_RANGE),
    z
      .string()
      .regex(DELAY_TEXT, { error: DELAY_RANGE, abort: true })
      .refine((v) => delayMinutes(v) >= 1 && delayMinutes(v) <= MAX_SCHEDULING_DELAY_MINUTES, DELAY_RANGE),
  ], { error: DELAY_RANGE })
  .describe('A delay: minutes as a number, or text such as 12h, 7d, 2d12h; at most 30d.');

const schedulingSchema = z
  .object({
    maxDelay: delay.describe('How far ahead a request may ask its grant to start.'),
  })
  .strict()
  .describe('Requests may ask for a later start, at most maxDelay ahead; eligibility and the rule are checked again at the start. Absent = grants start at once.');

const regex = (what: string) =>
  z
    .string()
    .min(1)
    .superRefine((pattern, ctx) => {
      try {
        new RegExp(pattern, 'u');
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `${what} is not a valid JavaScript regular expression: ${(e as Error).message}` });
      }
    });

const principal = z
  .string()
  .regex(/^(user|group):[^\s@:]+@[^\s@:]+\.[^\s@:]+$/, 'must be user:EMAIL or group:EMAIL')
  .describe('A principal: user:EMAIL or group:EMAIL.');

const email = z.string().regex(/^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/, 'must be an email address');

const glob = (what: string, pattern: RegExp) =>
  z.string().regex(pattern, `must be ${what}; * matches any text and ? one character`);

const matchSchema = z
  .object({
    projects: z
      .array(glob('a project id or a glob of project ids such as prod-*', /^[-a-z0-9*?]{1,30}$/))
      .min(1)
      .optional()
      .describe('Project ids or globs (prod-*); the rule applies when any matches.'),
    folders: z
      .array(z.string().regex(/^(folders\/)?[0-9]{1,20}$/, 'must be a folder id such as 200000000003 or folders/200000000003'))
      .min(1)
      .optional()
      .describe('Folder ids; the rule applies to projects anywhere below any of them.'),
    labels: z
      .record(z.string().regex(/^[a-z][-_a-z0-9]{0,62}$/, 'must be a label key'), glob('a label value or glob', /^[-_a-z0-9*?]{0,63}$/))
      .optional()
      .describe('Project labels, all of which must match (values may be globs).'),
    roles: z
      .array(glob('a role (roles/compute.admin), a prefix (roles/cloudsql.*) or a glob', /^[A-Za-z0-9_.*?/-]{1,200}$/))
      .min(1)
      .optional()
      .describe('Roles: exact (roles/compute.admin), prefix (roles/cloudsql.*) or glob (roles/*.admin); any may match.'),
    activationType: z.enum(['self', 'peer']).optional().describe('The eligible binding: self (jitAccessConstraint) or peer (multiPartyApprovalConstraint).'),
    resourceCondition: z.boolean().optional().describe('true: only bindings limited by a resource condition; false: only bindings without one.'),
  })
  .strict()
  .describe('What a rule applies to; every criterion given must hold. No match = every eligible role.');

// Not the union `duration` is: inside the approval's own union, a failing union would be reported as the
// approval's "Invalid input" rather than at `after`.
const escalationDelay = z
  .union([z.number(), z.string()], { error: DURATION_RANGE })
  .refine((v) => Number.isInteger(durationMinutes(v)) && durationMinutes(v) >= 1 && durationMinutes(v) <= MAX_POLICY_MINUTES, DURATION_RANGE);

const escalationSchema = z
  .object({
    after: escalationDelay.describe('How long a request may wait undecided before the escalation approvers may decide it too, such as 30m.'),
    approvers: z.array(principal).min(1).describe('Who may decide a request undecided after that delay, besides its reviewers; offered it once by email, Pub/Sub and chat.'),
  })
  .strict()
  .describe('A second set of approvers for requests nobody decided in time, so that approval never blocks incident work.');

const approvalSchema = z
  .union([
    z.enum(['self', 'peers']),
    z
      .object({
        kind: z.enum(['self', 'peers', 'approvers']),
        principals: z.array(principal).min(1).optional().describe('Designated approvers (kind approvers); they need not be eligible themselves.'),
        requiredApprovals: z.number().int().min(1).max(10).optional().describe('How many distinct approvers must approve; the requester never counts. Default 1.'),
        escalation: escalationSchema.optional(),
      })
      .strict(),
  ])
  .describe('Who approves: self (no approval), peers (holders of the same peer-approval role), or approvers (designated principals).');

const justificationSchema = z
  .object({
    pattern: regex('The justification pattern').describe('A regular expression the whole justification must match.'),
    hint: z.string().min(1).max(200).describe('Tells users what a justification must look like.'),
  })
  .strict();

const itsmUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const secretVersion = z.string().regex(/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/, 'must be projects/PROJECT/secrets/NAME/versions/VERSION');

const ticketSchema = z
  .object({
    pattern: regex('The ticket pattern').describe('A regular expression; the first text of the justification it matches is the ticket id.'),
    hint: z.string().min(1).max(200).optional().describe('Tells users which ticket to give, e.g. "a change ticket such as CHG-1234".'),
    validation: z
      .object({
        url: itsmUrl.describe('The ITSM endpoint that receives a signed POST of the ticket: https (http only where the service accepts the emulator).'),
        secret: secretVersion.describe('The Secret Manager version holding the HMAC key that signs the request.'),
        timeoutSeconds: z.number().int().min(1).max(30).optional().describe('How long to wait for the endpoint; default 5.'),
      })
      .strict()
      .optional(),
    events: z
      .object({
        url: itsmUrl.describe('The ITSM endpoint that receives a signed POST of each event about a request or grant carrying the ticket: https (http only where the service accepts the emulator).'),
        secret: secretVersion.optional().describe('The Secret Manager version holding the HMAC key that signs the events; default: the validation\'s.'),
        timeoutSeconds: z.number().int().min(1).max(30).optional().describe('How long to spend on one event, retries included; default 5.'),
      })
      .strict()
      .optional()
      .describe('Ticket write-back: the service posts what happens to requests and grants carrying the ticket (requested, approved, denied, cancelled, lapsed, granted, ended, expired). A failure is audited and changes no outcome.'),
  })
  .strict();

const scheduleSchema = z
  .object({
    timeZone: z
      .string()
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin')
      .describe('The IANA time zone the windows are read in, such as Europe/Berlin.'),
    windows: z
      .array(
        z.string().superRefine((text, ctx) => {
          try {
            parseWindow(text);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: (e as Error).message });
          }
        }),
      )
      .min(1)
      .describe('Weekly windows such as "Mon-Fri 08:00-18:00" or "Fri-Mon 22:00-06:00".'),
    outside: z.enum(['deny', 'requireApproval']).optional().describe('What happens outside the windows: deny (default) or requireApproval.'),
  })
  .strict();

const breakGlassSchema = z
  .object({
    principals: z.array(principal).min(1).optional().describe('Who may break the glass (among the eligible); absent = every eligible user.'),
    maxDuration: duration.describe('The longest break-glass activation; shorter than the rule allows otherwise.'),
    reviewers: z.array(principal).min(1).describe('Notified at once, to review the activation afterwards.'),
    reviewWithin: reviewWithin.optional(),
  })
  .strict();

const notifySchema = z
  .object({
    emails: z.array(email).min(1).optional().describe('Extra email recipients of every activation and request.'),
    chat: z.array(z.string().min(1)).min(1).optional().describe('Chat channels (names configured for chat notifications).'),
  })
  .strict();

const autoApproveSchema = z
  .object({
    maxDuration: duration.optional().describe('Only requests for at most this long.'),
    insideSchedule: z.literal(true).optional().describe('Only inside the windows of the rule\'s schedule (which the rule must set).'),
    ticketValid: z.literal(true).optional().describe('Only requests naming a ticket the rule\'s ticket settings accept (which the rule must set).'),
    requesters: z.array(principal).min(1).optional().describe('Only requests by these principals (user:, or members of group:).'),
  })
  .strict()
  .describe(
    'Requests meeting every condition given are approved by the rule itself at once, counting as every required approval. Only for approval the rule adds to a self-approval binding: a peer-approval binding always needs people.',
  );

const settings = {
  approval: approvalSchema.optional(),
  autoApprove: autoApproveSchema.optional(),
  maxDuration: duration.optional(),
  defaultDuration: duration.optional(),
  justification: justificationSchema.optional(),
  ticket: ticketSchema.optional(),
  schedule: scheduleSchema.optional(),
  maxActiveGrantsPerUser: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('How many grants in the rule\'s scope one user may hold at once.'),
  breakGlass: breakGlassSchema.optional(),
  notify: notifySchema.optional(),
  scheduling: schedulingSchema.optional(),
};

const defaultsSchema = z.object(settings).strict().describe('Settings for every rule that leaves them out, and for roles no rule matches.');

const ruleSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][-a-z0-9]{0,62}$/, 'must be a name of lower-case letters, digits and hyphens'),
    description: z.string().max(500).optional(),
    match: matchSchema.optional(),
    ...settings,
  })
  .strict();

export const accessPolicySchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1).describe('The format version: 1.'),
    admins: z.array(principal).optional().describe('Who administers the service (used by the admin pages).'),
    auditors: z.array(principal).optional().describe('Who may read every request and grant (used by the admin pages).'),
    defaults: defaultsSchema.optional(),
    rules: z.array(ruleSchema).default([]).describe('Rules in order: the first that matches a role applies, alone.'),
  })
  .strict()
  .superRefine(checkConsistency)
  .describe('JIT Access policy: how eligible roles are activated. See docs/access-policy.md.');

export type AccessPolicyDocument = z.output<typeof accessPolicySchema>;
export type PolicyRule = z.output<typeof ruleSchema>;
export type PolicySettings = z.output<typeof defaultsSchema>;
export type PolicyMatch = z.output<typeof matchSchema>;
export type PolicyApproval = NonNullable<PolicySettings['approval']>;

/** The JSON Schema of the policy file, for editors; published as docs/access-policy.schema.json. */
export function accessPolicyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(accessPolicySchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://github.com/jit-access/jit-access/docs/access-policy.schema.json',
    title: 'JIT Access policy',
  };
}

/** Checks that need several fields: unique names, durations that fit, rules that can ever apply. */
function checkConsistency(policy: { defaults?: PolicySettings; rules: PolicyRule[] }, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const checkSettings = (s: PolicySettings, at: (string | number)[], fallback?: PolicySettings) => {
    const max = s.maxDuration ?? fallback?.maxDuration;
    if (s.defaultDuration !== undefined && max !== undefined && durationMinutes(s.defaultDuration) > durationMinutes(max)) {
      issue([...at, 'defaultDuration'], `defaultDuration (${s.defaultDuration}) exceeds maxDuration (${max})`);
    }
    if (s.breakGlass && max !== undefined && durationMinutes(s.breakGlass.maxDuration) > durationMinutes(max)) {
      issue([...at, 'breakGlass', 'maxDuration'], `break-glass maxDuration (${s.breakGlass.maxDuration}) exceeds maxDuration (${max}); break-glass must be shorter`);
    }
    const auto = s.autoApprove;
    if (auto) {
      if (Object.keys(auto).length === 0) issue([...at, 'autoApprove'], 'autoApprove needs at least one condition (maxDuration, insideSchedule, ticketValid or requesters); to need no approval at all, say approval: self');
      if (auto.insideSchedule && !(s.schedule ?? fallback?.schedule)) issue([...at, 'autoApprove', 'insideSchedule'], 'insideSchedule needs a schedule in the rule (or the defaults)');
      if (auto.ticketValid && !(s.ticket ?? fallback?.ticket)) issue([...at, 'autoApprove', 'ticketValid'], 'ticketValid needs ticket settings in the rule (or the defaults)');
      if (auto.maxDuration !== undefined && max !== undefined && durationMinutes(auto.maxDuration) > durationMinutes(max)) {
        issue([...at, 'autoApprove', 'maxDuration'], `autoApprove maxDuration (${auto.maxDuration}) exceeds maxDuration (${max})`);
      }
    }
    const events = s.ticket?.events;
    if (events && !events.secret && !s.ticket?.validation) {
      issue([...at, 'ticket', 'events'], 'events need a secret (the Secret Manager version of the HMAC key) when the ticket has no validation whose secret they could use');
    }
    const a = s.approval;
    if (a && typeof a === 'object') {
      if (a.kind === 'approvers' && !a.principals) issue([...at, 'approval'], 'kind approvers needs principals: the designated approvers');
      if (a.kind !== 'approvers' && a.principals) issue([...at, 'approval', 'principals'], `principals are only for kind approvers, not ${a.kind}`);
      if (a.kind === 'self' && a.requiredApprovals !== undefined) issue([...at, 'approval', 'requiredApprovals'], 'self-approval takes no approvals');
      if (a.kind === 'self' && a.escalation) issue([...at, 'approval', 'escalation'], 'self-approval has nobody to escalate from: escalation is for kind peers or approvers');
      if (a.kind === 'approvers' && a.principals && a.requiredApprovals && a.principals.every((p) => p.startsWith('user:')) && a.requiredApprovals > a.principals.length) {
        issue([...at, 'approval', 'requiredApprovals'], `${a.requiredApprovals} approvals required but only ${a.principals.length} approver(s) listed`);
      }
    }
  };
  if (policy.defaults) checkSettings(policy.defaults, ['defaults']);
  // An approval by a rule is recorded and audited under the rule's name.
  if (policy.defaults?.autoApprove) issue(['defaults', 'autoApprove'], 'autoApprove belongs on a rule, which approves under its name; it cannot be a default');
  const seen = new Map<string, number>();
  let catchAll: string | undefined;
  policy.rules.forEach((rule, i) => {
    const first = seen.get(rule.name);
    if (first !== undefined) issue(['rules', i, 'name'], `the rule name '${rule.name}' is already used by rule ${first + 1}`);
    seen.set(rule.name, i);
    if (catchAll) issue(['rules', i], `rule '${rule.name}' can never apply: rule '${catchAll}' before it matches every role (first match wins)`);
    if (!rule.match || Object.keys(rule.match).length === 0) catchAll ??= rule.name;
    checkSettings(rule, ['rules', i], policy.defaults);
  });
}

/** One problem in a policy file, where it is and what is wrong. */
export interface PolicyProblem {
  line: number;
  column: number;
  /** Where in the document, e.g. `rules.2.approval.requiredApprovals`. */
  path: string;
  message: string;
}

export class AccessPolicyError extends Error {
  constructor(
    readonly source: string,
    readonly problems: PolicyProblem[],
  ) {
    super(problems.map((p) => `${source}:${p.line}:${p.column}: ${p.path ? `${p.path}: ` : ''}${p.message}`).join('\n'));
    this.name = 'AccessPolicyError';
  }
}

/** The YAML parser, loaded when a policy is first parsed: a service without an access policy starts without it. */
function yaml(): typeof import('yaml') {
  return require('yaml') as typeof import('yaml');
}

export interface ParseOptions {
  /**
   * Whether an ITSM endpoint (`ticket.validation.url`, `ticket.events.url`) may be plain http. The service allows
   * it only where it allows the emulator (not on App Engine or Cloud Run); elsewhere a ticket check and the
   * ticket's events must travel over https.
   */
  plainHttpEndpoints: boolean;
}

/** Parses a policy from YAML text; throws AccessPolicyError naming every problem with its line and column. */
export function parseAccessPolicy(text: string, source = 'access-policy.yaml', options: ParseOptions = { plainHttpEndpoints: true }): AccessPolicyDocument {
  const { LineCounter, parseDocument } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new AccessPolicyError(
      source,
      doc.errors.map((e) => ({ line: e.linePos?.[0]?.line ?? 1, column: e.linePos?.[0]?.col ?? 1, path: '', message: e.message.split('\n')[0].replace(/ at line [0-9]+, column [0-9]+:?$/, '') })),
    );
  }
  const parsed = accessPolicySchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => problemOf(issue, doc, lineCounter));
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    throw new AccessPolicyError(source, problems);
  }
  if (!options.plainHttpEndpoints) {
    const plainIn = (ticket: PolicySettings['ticket'], at: (string | number)[]) =>
      (['validation', 'events'] as const).filter((field) => ticket?.[field]?.url.startsWith('http:')).map((field) => [...at, 'ticket', field, 'url']);
    const plain = [...plainIn(parsed.data.defaults?.ticket, ['defaults']), ...parsed.data.rules.flatMap((r, i) => plainIn(r.ticket, ['rules', i]))];
    if (plain.length > 0) {
      throw new AccessPolicyError(
        source,
        plain.map((path) => ({
          ...positionOf(doc, path, lineCounter),
          path: path.join('.'),
          message: 'must be an https URL: plain http is accepted only where the service may use the emulator (not on App Engine or Cloud Run)',
        })),
      );
    }
  }
  return parsed.data;
}

/** Where a path of the document is, or its nearest ancestor that exists. */
function positionOf(doc: Document, path: readonly (string | number)[], lineCounter: LineCounter): { line: number; column: number } {
  const { isNode } = yaml();
  for (let n = path.length; n >= 0; n--) {
    const found = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(found) && found.range) {
      const { line, col } = lineCounter.linePos(found.range[0]);
      return { line, column: col };
    }
  }
  return { line: 1, column: 1 };
}

function problemOf(issue: z.core.$ZodIssue, doc: Document, lineCounter: LineCounter): PolicyProblem {
  const { isMap, isNode, isPair, isScalar } = yaml();
  const path = issue.path.map(String);
  let node: YamlNode | undefined;
  // An unknown key is pointed at itself, not at the map that holds it.
  if (issue.code === 'unrecognized_keys') {
    const map = doc.getIn(issue.path as (string | number)[], true);
    if (isMap(map)) {
      const pair = map.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === issue.keys[0]);
      if (pair && isNode(pair.key)) node = pair.key;
    }
  }
  // A missing key has no node: point at the nearest ancestor that exists.
  const at = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
  const position = at ? { line: at.line, column: at.col } : positionOf(doc, issue.path as (string | number)[], lineCounter);
  const message = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.map((k) => `'${k}'`).join(', ')}` : issue.message;
  return { ...position, path: path.join('.'), message };
}
