// The commands: each names its arguments and options, calls the API, and prints either the API's answer
// (--json) or a short human account with local times.
import type {
  ActivationResponse,
  ApprovalRequestCreatedResponse,
  ApprovalRequestStatusResponse,
  ApprovalResponse,
  CancelScheduledResponse,
  RequestDecisionResponse,
  EndGrantResponse,
  ExtendGrantResponse,
  MeResponse,
  MyGrantsResponse,
  MyRequestsResponse,
  MyReviewsResponse,
  LoggedRequestView,
  ProjectsResponse,
  RequestTokenResponse,
  ReviewersResponse,
  Role,
  RolesResponse,
  ScheduledActivationResponse,
} from '../server/api/schemas';
import { ApiError, type JitClient } from './client';
import { UsageError, parseDuration, parseInstant, parseSeconds, type OptionSpec, type ParsedArgs } from './args';
import { durationText, localTime, table } from './output';

/** Exit codes, documented in docs/cli.md; scripts branch on them. */
export const EXIT = { ok: 0, error: 1, usage: 2, denied: 3, expired: 4, timeout: 5, cancelled: 6 } as const;

export interface Context {
  client: JitClient;
  json: boolean;
  print(text: string): void;
  /** Progress for people, on stderr, so that stdout stays the result. */
  note(text: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface Command {
  name: string;
  /** Arguments after the name, as usage shows them. */
  synopsis: string;
  summary: string;
  options: OptionSpec;
  /** Lines after the options in `jit COMMAND --help`. */
  details?: string;
  run(ctx: Context, args: ParsedArgs): Promise<number>;
}

const seg = encodeURIComponent;

function positionals(args: ParsedArgs, names: string[], rest = false): string[] {
  const values = args.positionals.slice(1);
  if (values.length < names.length) throw new UsageError(`missing ${names.slice(values.length).join(' ')}`);
  if (!rest && values.length > names.length) throw new UsageError(`unexpected argument "${values[names.length]}"`);
  return values;
}

function required(args: ParsedArgs, name: string, what: string): string {
  const value = args.values[name];
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} is required: ${what}`);
  return value;
}

function printJson(ctx: Context, body: unknown): void {
  ctx.print(JSON.stringify(body, null, 2));
}

/**
 * A role named on the command line, as the API's role id: an id as `jit roles` shows it, or an IAM role
 * (`roles/compute.admin`, or `compute.admin`) when the project offers it once.
 */
export function roleIdOf(roles: Role[], name: string, projectId: string): Role {
  const exact = roles.find((r) => r.id === name);
  if (exact) return exact;
  const role = name.includes('/') ? name : `roles/${name}`;
  const matches = roles.filter((r) => r.role === role);
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    throw new ApiError(404, 'NOT_ELIGIBLE', `You have no eligible role ${role} on ${projectId}. \`jit roles ${projectId}\` lists the roles you can activate or request.`);
  }
  const ids = matches.map((r) => `  ${r.id}  (${r.resourceCondition})`).join('\n');
  throw new ApiError(400, 'AMBIGUOUS_ROLE', `${role} is eligible on ${projectId} with several resource conditions; name one by its id:\n${ids}`);
}

async function rolesOf(ctx: Context, projectId: string): Promise<RolesResponse> {
  return ctx.client.get<RolesResponse>(`/api/v1/projects/${seg(projectId)}/roles`);
}

const justification: OptionSpec = { justification: { type: 'string', short: 'j' } };
const duration: OptionSpec = { duration: { type: 'string', short: 'd' } };
const later: OptionSpec = { start: { type: 'string' } };
const DURATION_HELP = '  -d, --duration D        how long: 30m, 2h, 1h30m, or minutes';
const JUSTIFICATION_HELP = '  -j, --justification J   why (the service may require a pattern, e.g. a ticket number)';
const START_HELP = "  --start T               start later, where the role's rule allows it: +2h (from now) or 2040-01-01T09:00:00Z;";

/** `--start T` as the API's `start`, or undefined to start at once. */
function startOf(ctx: Context, args: ParsedArgs): string | undefined {
  return args.values.start === undefined ? undefined : parseInstant(args.values.start as string, '--start', ctx.now());
}

const whoami: Command = {
  name: 'whoami',
  synopsis: '',
  summary: 'who the service sees you as, and its limits',
  options: {},
  async run(ctx, args) {
    positionals(args, []);
    const me = await ctx.client.get<MeResponse>('/api/v1/me');
    if (ctx.json) return (printJson(ctx, me), EXIT.ok);
    const s = me.settings;
    ctx.print(`${me.user.email} (JIT Access ${me.version})\nDurations up to ${durationText(s.maxDurationMinutes)}, default ${durationText(s.defaultDurationMinutes)}; justification: ${s.justificationHint}`);
    return EXIT.ok;
  },
};

const projects: Command = {
  name: 'projects',
  synopsis: '',
  summary: 'projects where you hold an eligible role',
  options: {},
  async run(ctx, args) {
    positionals(args, []);
    const body = await ctx.client.get<ProjectsResponse>('/api/v1/projects');
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    ctx.print(body.projects.length > 0 ? body.projects.map((p) => p.id).join('\n') : 'You hold no eligible role on any project.');
    return EXIT.ok;
  },
};

const roles: Command = {
  name: 'roles',
  synopsis: 'PROJECT',
  summary: 'your eligible roles on a project and their status',
  options: {},
  async run(ctx, args) {
    const [projectId] = positionals(args, ['PROJECT']);
    const body = await rolesOf(ctx, projectId);
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    for (const w of body.warnings) ctx.note(`warning: ${w}`);
    if (body.roles.length === 0) {
      ctx.print(`You hold no eligible role on ${projectId}.`);
      return EXIT.ok;
    }
    const rows = body.roles.map((r) => [
      r.role,
      r.activationType === 'self' ? 'self-approval' : 'peer approval',
      r.status === 'active' && r.activeUntil
        ? `active until ${localTime(r.activeUntil)}`
        : r.pendingRequest
          ? `pending (${r.pendingRequest.approvals.length} of ${r.pendingRequest.requiredApprovals} approvals)`
          : 'eligible',
      r.resourceCondition ? r.id : '',
    ]);
    ctx.print(table(['ROLE', 'APPROVAL', 'STATUS', 'ID (roles with a resource condition)'], rows));
    return EXIT.ok;
  },
};

const activate: Command = {
  name: 'activate',
  synopsis: 'PROJECT ROLE... -j JUSTIFICATION -d DURATION [--start T]',
  summary: 'activate self-approval roles now, or schedule them to start later',
  options: { ...justification, ...duration, ...later },
  details: `${JUSTIFICATION_HELP}\n${DURATION_HELP}\n${START_HELP}\n                          nothing is granted until then, and then only if you are still eligible and the rule\n                          still allows it (several roles: one scheduled grant, all of them or none)\n\nROLE is roles/NAME, NAME, or a role id from \`jit roles PROJECT\`.`,
  async run(ctx, args) {
    const [projectId, ...names] = positionals(args, ['PROJECT', 'ROLE'], true);
    const text = required(args, 'justification', 'say why you need the access');
    const minutes = parseDuration(required(args, 'duration', 'say for how long, e.g. -d 30m'), '--duration');
    const start = startOf(ctx, args);
    const { roles: offered } = await rolesOf(ctx, projectId);
    const ids = names.map((n) => roleIdOf(offered, n, projectId).id);
    const path = `/api/v1/projects/${seg(projectId)}/activations`;
    if (start) {
      const body = await ctx.client.post<ScheduledActivationResponse>(path, { roles: ids, justification: text, durationMinutes: minutes, start });
      if (ctx.json) return (printJson(ctx, body), EXIT.ok);
      ctx.print(
        `Scheduled ${body.roles.map((r) => r.role).join(', ')} on ${projectId} from ${localTime(body.start)} until ${localTime(body.end)}: nothing is granted until then, and then only if you are still eligible and the rule still allows it.\n` +
          `\`jit unschedule ${body.scheduledId}\` cancels it before it starts; \`jit grants\` lists it.`,
      );
      return EXIT.ok;
    }
    const body = await ctx.client.post<ActivationResponse>(path, { roles: ids, justification: text, durationMinutes: minutes });
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    for (const g of body.grants) ctx.print(`Activated ${g.role} on ${projectId} until ${localTime(g.end)}.`);
    for (const f of body.notificationFailures) ctx.note(`warning: ${f}`);
    return EXIT.ok;
  },
};

const reviewers: Command = {
  name: 'reviewers',
  synopsis: 'PROJECT ROLE',
  summary: 'who may approve your request for a peer-approval role',
  options: {},
  async run(ctx, args) {
    const [projectId, name] = positionals(args, ['PROJECT', 'ROLE']);
    const role = roleIdOf((await rolesOf(ctx, projectId)).roles, name, projectId);
    const body = await ctx.client.get<ReviewersResponse>(`/api/v1/projects/${seg(projectId)}/reviewers?role=${seg(role.id)}`);
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    ctx.print(body.reviewers.length > 0 ? body.reviewers.join('\n') : `Nobody else is eligible to approve ${role.role} on ${projectId}.`);
    return EXIT.ok;
  },
};

const request: Command = {
  name: 'request',
  synopsis: 'PROJECT ROLE --reviewer EMAIL... -j JUSTIFICATION -d DURATION [--start T]',
  summary: 'ask reviewers to approve a peer-approval role',
  options: { reviewer: { type: 'string', short: 'r', multiple: true }, ...justification, ...duration, ...later },
  details: `  -r, --reviewer EMAIL    a reviewer (repeat for several; \`jit reviewers PROJECT ROLE\` lists them)\n${JUSTIFICATION_HELP}\n${DURATION_HELP}\n${START_HELP}\n                          approved before then, the grant starts then (if you are still eligible)\n\nPrints the request's token: \`jit wait TOKEN\` blocks until it is decided.`,
  async run(ctx, args) {
    const [projectId, name] = positionals(args, ['PROJECT', 'ROLE']);
    const text = required(args, 'justification', 'say why you need the access');
    const minutes = parseDuration(required(args, 'duration', 'say for how long, e.g. -d 1h'), '--duration');
    const named = (args.values.reviewer as string[] | undefined) ?? [];
    if (named.length === 0) throw new UsageError(`--reviewer is required: name who should approve (\`jit reviewers ${projectId} ${name}\` lists who may)`);
    const start = startOf(ctx, args);
    const role = roleIdOf((await rolesOf(ctx, projectId)).roles, name, projectId);
    const body = await ctx.client.post<ApprovalRequestCreatedResponse>(`/api/v1/projects/${seg(projectId)}/approval-requests`, {
      role: role.id,
      justification: text,
      durationMinutes: minutes,
      reviewers: named,
      ...(start ? { start } : {}),
    });
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    const r = body.request;
    if (body.status === 'approved' && (body.grant || body.scheduled)) {
      const granted = body.grant ? `is granted until ${localTime(body.grant.end)}` : `is scheduled from ${localTime(body.scheduled!.start)} until ${localTime(body.scheduled!.end)}`;
      ctx.note(`Approved at once by the access policy (${body.approvedBy}): ${r.role} on ${r.projectId} ${granted}.`);
      ctx.note('`jit wait TOKEN` answers approved at once; the token:');
    } else {
      const when = r.startsLater ? ` from ${localTime(r.start)} (or from the approval, if later)` : '';
      ctx.note(`Requested ${r.role} on ${r.projectId} for ${durationText(r.durationMinutes)}${when} from ${r.reviewers.join(', ')}; it expires unless approved by ${localTime(r.expiresAt)}.`);
      ctx.note('Wait for the decision with `jit wait TOKEN`; the token:');
    }
    for (const f of body.notificationFailures) ctx.note(`warning: ${f}`);
    ctx.print(body.token);
    return EXIT.ok;
  },
};

const approve: Command = {
  name: 'approve',
  synopsis: 'REQUEST',
  summary: "approve a request (REQUEST: its id from `jit reviews`, its token, or the approval link's URL)",
  options: {},
  async run(ctx, args) {
    const token = await requestToken(ctx, positionals(args, ['REQUEST'])[0]);
    const body = await ctx.client.post<ApprovalResponse>(`/api/v1/approval-requests/${seg(token)}/approve`);
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    const r = body.request;
    const who = body.alreadyApproved ? `It was already approved${body.approvedBy ? ` by ${body.approvedBy}` : ''}: nothing changed.` : 'Approved.';
    // Requests that need several approvals answer without a grant until the last one lands.
    const holds = body.grant
      ? `${r.beneficiary} holds ${r.role} on ${r.projectId} until ${localTime(body.grant.end)}.`
      : body.scheduled
        ? `${r.beneficiary} gets ${r.role} on ${r.projectId} from ${localTime(body.scheduled.start)} until ${localTime(body.scheduled.end)}, if still eligible then.`
        : `${r.beneficiary} gets ${r.role} on ${r.projectId} once the other approvals land.`;
    ctx.print(`${who} ${holds}`);
    return EXIT.ok;
  },
};

const deny: Command = {
  name: 'deny',
  synopsis: 'REQUEST --reason R',
  summary: 'deny a request, saying why (the requester is told)',
  options: { reason: { type: 'string' } },
  details: '  --reason R   why, one line of at most 500 characters',
  async run(ctx, args) {
    const token = await requestToken(ctx, positionals(args, ['REQUEST'])[0]);
    const reason = required(args, 'reason', 'say why you deny it; the requester reads it');
    const body = await ctx.client.post<RequestDecisionResponse>(`/api/v1/approval-requests/${seg(token)}/deny`, { reason });
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    ctx.print(`${body.alreadyDecided ? 'You had denied it already: nothing changed.' : 'Denied.'} ${body.request.beneficiary} does not get ${body.request.role} on ${body.request.projectId}.`);
    return EXIT.ok;
  },
};

const cancel: Command = {
  name: 'cancel',
  synopsis: 'REQUEST',
  summary: 'withdraw your pending request (the reviewers are told)',
  options: {},
  async run(ctx, args) {
    const token = await requestToken(ctx, positionals(args, ['REQUEST'])[0]);
    const body = await ctx.client.post<RequestDecisionResponse>(`/api/v1/approval-requests/${seg(token)}/cancel`);
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    ctx.print(`${body.alreadyDecided ? 'Already cancelled' : 'Cancelled'}: your request for ${body.request.role} on ${body.request.projectId}.`);
    return EXIT.ok;
  },
};

/** Status → exit code of `jit wait`; `pending` keeps waiting. */
const DECIDED: Record<string, number> = { approved: EXIT.ok, denied: EXIT.denied, expired: EXIT.expired, cancelled: EXIT.cancelled };

const wait: Command = {
  name: 'wait',
  synopsis: 'REQUEST [--timeout T] [--interval T]',
  summary: 'block until a request is decided; the exit code says how',
  options: { timeout: { type: 'string' }, interval: { type: 'string' } },
  details: `  --timeout T    give up after T (90s, 30m, 2h; default: until the request expires)\n  --interval T   how often to ask (default 10s)\n\nExit codes: ${EXIT.ok} approved, ${EXIT.denied} denied, ${EXIT.expired} expired, ${EXIT.cancelled} cancelled, ${EXIT.timeout} timeout, ${EXIT.error} error.`,
  async run(ctx, args) {
    const [token] = positionals(args, ['REQUEST']).map(tokenOf);
    const timeout = args.values.timeout === undefined ? undefined : parseSeconds(String(args.values.timeout), '--timeout');
    const interval = args.values.interval === undefined ? 10 : parseSeconds(String(args.values.interval), '--interval');
    const deadline = timeout === undefined ? undefined : ctx.now() + timeout * 1000;
    for (let reported = false; ; ) {
      let status: ApprovalRequestStatusResponse | undefined;
      try {
        status = await ctx.client.get<ApprovalRequestStatusResponse>(`/api/v1/approval-requests/${seg(token)}`);
      } catch (e) {
        // Passing trouble (network, quota, a restart) is waited out; a refusal is final.
        if (!(e instanceof ApiError) || (e.status !== 0 && e.status !== 429 && e.status < 500)) throw e;
        ctx.note(`warning: ${e.message}`);
      }
      if (status && status.status in DECIDED) {
        if (ctx.json) printJson(ctx, status);
        else ctx.print(describeDecision(status));
        return DECIDED[status.status];
      }
      if (status && !reported && !ctx.json) {
        ctx.note(`Waiting for ${status.request.reviewers.join(', ')} to decide on ${status.request.role} on ${status.request.projectId} (expires ${localTime(status.request.expiresAt)})…`);
        reported = true;
      }
      if (deadline !== undefined && ctx.now() + interval * 1000 > deadline) {
        const message = `Gave up waiting after ${args.values.timeout}: the request is still pending.`;
        if (ctx.json) printJson(ctx, { ...status, timedOut: true });
        else ctx.print(message);
        return EXIT.timeout;
      }
      await ctx.sleep(interval * 1000);
    }
  },
};

function describeDecision(s: ApprovalRequestStatusResponse): string {
  const r = s.request;
  switch (s.status) {
    case 'approved':
      return `Approved${s.approvedBy ? ` by ${s.approvedBy}` : ''}: ${r.beneficiary} holds ${r.role} on ${r.projectId}.`;
    case 'expired':
      return `The request for ${r.role} on ${r.projectId} expired at ${localTime(r.expiresAt)} without a decision.`;
    default:
      return `The request for ${r.role} on ${r.projectId} was ${s.status}${s.deniedBy ? ` by ${s.deniedBy}` : ''}${s.reason ? `: ${s.reason}` : '.'}`;
  }
}

/**
 * The token of a request named on the command line: its id (`mpa-…`, as `jit reviews` and `jit requests` show
 * it), whose token the service re-establishes for its requester and reviewers, or a token or approval link.
 */
async function requestToken(ctx: Context, text: string): Promise<string> {
  if (!text.startsWith('mpa-')) return tokenOf(text);
  return (await ctx.client.post<RequestTokenResponse>('/api/v1/approval-request-tokens', { requestId: text })).token;
}

/** The token, also from an approval link (`…/approve/TOKEN` or `…?activation=TOKEN` as jit-access 1.x wrote them). */
export function tokenOf(text: string): string {
  if (!/^https?:\/\//.test(text)) return text;
  const url = new URL(text);
  return url.searchParams.get('activation') ?? decodeURIComponent(url.pathname.split('/').filter(Boolean).pop() ?? '');
}

/** A request's status in words: `pending (1 of 2 approvals)`, `denied by bob: reason`. */
function statusText(r: LoggedRequestView): string {
  switch (r.status) {
    case 'pending':
      return `pending (${r.approvals.length} of ${r.requiredApprovals} approvals)`;
    case 'approved':
      return `approved by ${r.approvals.map((a) => a.approver).join(', ')}`;
    case 'denied':
      return `denied by ${r.deniedBy}${r.reason ? `: ${r.reason}` : ''}`;
    default:
      return r.status;
  }
}

/** The lists come from the audit log: say how fresh they are, on stderr. */
function noteFreshness(ctx: Context, readAt: string): void {
  ctx.note(`From the audit log as read at ${localTime(readAt)}; decisions made elsewhere since may take a minute to show.`);
}

const requests: Command = {
  name: 'requests',
  synopsis: '',
  summary: 'your approval requests of the last 7 days and their status',
  options: {},
  details: 'Cancel a pending one with `jit cancel ID`.',
  async run(ctx, args) {
    positionals(args, []);
    const body = await ctx.client.get<MyRequestsResponse>('/api/v1/me/requests');
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    if (body.requests.length === 0) ctx.print('You made no approval request in the last 7 days.');
    else {
      const rows = body.requests.map((r) => [localTime(r.createdAt), r.request.projectId, r.request.role, durationText(r.request.durationMinutes), statusText(r), r.request.id]);
      ctx.print(table(['REQUESTED', 'PROJECT', 'ROLE', 'FOR', 'STATUS', 'ID'], rows));
    }
    noteFreshness(ctx, body.readAt);
    return EXIT.ok;
  },
};

const reviews: Command = {
  name: 'reviews',
  synopsis: '',
  summary: 'requests waiting for your decision, break-glass activations waiting for your review, and the requests you decided in the last 7 days',
  options: {},
  details: 'Decide one with `jit approve ID` or `jit deny ID --reason R`; review a break-glass activation at its link.',
  async run(ctx, args) {
    positionals(args, []);
    const body = await ctx.client.get<MyReviewsResponse>('/api/v1/me/reviews');
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    if (body.waiting.length === 0) ctx.print('No request is waiting for your decision.');
    else {
      const rows = body.waiting.map((r) => [localTime(r.createdAt), r.request.beneficiary, r.request.projectId, r.request.role, durationText(r.request.durationMinutes), `${r.approvals.length} of ${r.requiredApprovals}`, localTime(r.request.expiresAt), r.request.id]);
      ctx.print(`Waiting for you:\n${table(['REQUESTED', 'BY', 'PROJECT', 'ROLE', 'FOR', 'APPROVALS', 'EXPIRES', 'ID'], rows)}`);
    }
    if (body.breakGlass.length > 0) {
      // Reviewed in the browser, where the reviewer reads the whole activation before acknowledging or flagging it.
      const rows = body.breakGlass.map(({ activation: a, overdue }) => [localTime(a.start), a.user, a.projectId, a.role, `${localTime(a.reviewBy)}${overdue ? ' (overdue)' : ''}`, `${ctx.client.baseUrl}/break-glass/${a.activationId}`]);
      ctx.print(`\nBreak-glass activations waiting for your review (acknowledge or flag each at its link):\n${table(['ACTIVATED', 'BY', 'PROJECT', 'ROLE', 'REVIEW BY', 'LINK'], rows)}`);
    }
    if (body.decided.length > 0) {
      const rows = body.decided.map((r) => [localTime(r.myDecision!.at), r.myDecision!.decision, r.request.beneficiary, r.request.projectId, r.request.role, statusText(r)]);
      ctx.print(`\nDecided by you in the last 7 days:\n${table(['DECIDED', 'YOU', 'BY', 'PROJECT', 'ROLE', 'STATUS'], rows)}`);
    }
    noteFreshness(ctx, body.readAt);
    return EXIT.ok;
  },
};

const grants: Command = {
  name: 'grants',
  synopsis: '',
  summary: 'your grants in force, and those scheduled to start later',
  options: {},
  async run(ctx, args) {
    positionals(args, []);
    const body = await ctx.client.get<MyGrantsResponse>('/api/v1/me/grants');
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    for (const w of body.warnings) ctx.note(`warning: ${w}`);
    if (body.grants.length === 0) ctx.print('You hold no grant now.');
    else {
      const approval = (g: MyGrantsResponse['grants'][number]) => (g.approval.type === 'peer' ? `approved by ${g.approval.approver}` : g.approval.type === 'self' ? 'self-approved' : 'unknown');
      ctx.print(table(['PROJECT', 'ROLE', 'UNTIL', 'APPROVAL', 'GRANT'], body.grants.map((g) => [g.projectId, g.role, localTime(g.end), approval(g), g.id])));
    }
    if (body.scheduled.length > 0) {
      const rows = body.scheduled.map((s) => [s.projectId, s.roles.map((r) => r.role).join(', '), localTime(s.start), localTime(s.end), s.type === 'self' ? 'self-approved' : 'approved', s.scheduledId]);
      ctx.print(`\nScheduled to start later (\`jit unschedule SCHEDULED\` cancels one before it starts):\n${table(['PROJECT', 'ROLES', 'FROM', 'UNTIL', 'APPROVAL', 'SCHEDULED'], rows)}`);
    }
    return EXIT.ok;
  },
};

/** The grant of `role` on `projectId` the caller holds: what a pipeline ends after its deployment. */
async function grantIdOf(ctx: Context, projectId: string, name: string): Promise<string> {
  const role = name.includes('/') ? name : `roles/${name}`;
  const held = (await ctx.client.get<MyGrantsResponse>('/api/v1/me/grants')).grants.filter((g) => g.projectId === projectId && (g.role === role || g.id === name));
  if (held.length === 1) return held[0].id;
  if (held.length === 0) throw new ApiError(404, 'NO_SUCH_GRANT', `You hold no grant of ${role} on ${projectId} now (it may have ended already). \`jit grants\` lists yours.`);
  throw new ApiError(400, 'AMBIGUOUS_GRANT', `You hold ${role} on ${projectId} several times (with resource conditions); name one by its id from \`jit grants\`.`);
}

const end: Command = {
  name: 'end',
  synopsis: 'GRANT | PROJECT ROLE [--reason R]',
  summary: 'end a grant now (GRANT: an id from `jit grants`; or the project and role)',
  options: { reason: { type: 'string' } },
  async run(ctx, args) {
    const named = positionals(args, ['GRANT'], true);
    if (named.length > 2) throw new UsageError(`unexpected argument "${named[2]}"`);
    const id = named.length === 2 ? await grantIdOf(ctx, named[0], named[1]) : named[0];
    const reason = args.values.reason as string | undefined;
    const body = await ctx.client.del<EndGrantResponse>(`/api/v1/me/grants/${seg(id)}`, reason === undefined ? {} : { reason });
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    ctx.print(`Ended ${body.ended.role} on ${body.ended.projectId} at ${localTime(body.endedAt)} (it would have lasted until ${localTime(body.ended.end)}).`);
    return EXIT.ok;
  },
};

const unschedule: Command = {
  name: 'unschedule',
  synopsis: 'SCHEDULED',
  summary: 'cancel a grant scheduled to start later, before it starts (SCHEDULED: an id from `jit grants`)',
  options: {},
  async run(ctx, args) {
    const [id] = positionals(args, ['SCHEDULED']);
    const body = await ctx.client.del<CancelScheduledResponse>(`/api/v1/me/scheduled/${seg(id)}`);
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    ctx.print(`Cancelled the scheduled grant of ${body.roles.join(', ')} on ${body.projectId}: nothing of it will be granted.`);
    return EXIT.ok;
  },
};

const extend: Command = {
  name: 'extend',
  synopsis: 'GRANT -d DURATION [-j JUSTIFICATION] [--reviewer EMAIL...]',
  summary: 'extend a self-approved grant to last DURATION from now; with --reviewer, ask them to extend one that needs approval by DURATION',
  options: { ...duration, ...justification, reviewer: { type: 'string', short: 'r', multiple: true } },
  details: `${DURATION_HELP}
  -j, --justification J   a new justification (default: the grant's own; required with --reviewer)
  -r, --reviewer EMAIL    a reviewer of an extension request (repeat for several): the grant then ends DURATION later than now, once approved

With --reviewer, prints the extension request's token: \`jit wait TOKEN\` blocks until it is decided.`,
  async run(ctx, args) {
    const [id] = positionals(args, ['GRANT']);
    const minutes = parseDuration(required(args, 'duration', 'say for how long, e.g. -d 1h'), '--duration');
    const reviewers = (args.values.reviewer as string[] | undefined) ?? [];
    if (reviewers.length > 0) return requestExtension(ctx, args, id, minutes, reviewers);
    const text = args.values.justification as string | undefined;
    const body = await ctx.client.post<ExtendGrantResponse>(`/api/v1/me/grants/${seg(id)}/extend`, { durationMinutes: minutes, ...(text === undefined ? {} : { justification: text }) });
    if (ctx.json) return (printJson(ctx, body), EXIT.ok);
    ctx.print(`Extended ${body.grant.role} on ${body.grant.projectId} until ${localTime(body.grant.end)} (was ${localTime(body.previousEnd)}).`);
    return EXIT.ok;
  },
};

/** `jit extend GRANT --reviewer …`: asks the reviewers to add `minutes` after the end of a grant that needs approval. */
async function requestExtension(ctx: Context, args: ParsedArgs, id: string, minutes: number, reviewers: string[]): Promise<number> {
  const text = required(args, 'justification', 'say why you need the access longer');
  const body = await ctx.client.post<ApprovalRequestCreatedResponse>(`/api/v1/me/grants/${seg(id)}/extension-requests`, { justification: text, durationMinutes: minutes, reviewers });
  if (ctx.json) return (printJson(ctx, body), EXIT.ok);
  const r = body.request;
  if (body.status === 'approved' && body.grant) {
    ctx.note(`Approved at once by the access policy (${body.approvedBy}): ${r.role} on ${r.projectId} now lasts until ${localTime(body.grant.end)}.`);
  } else {
    ctx.note(`Asked ${r.reviewers.join(', ')} to extend ${r.role} on ${r.projectId} by ${durationText(r.durationMinutes)}, until ${localTime(r.end)}; it expires unless approved by ${localTime(r.expiresAt)}.`);
    ctx.note('Wait for the decision with `jit wait TOKEN`; the token:');
  }
  for (const f of body.notificationFailures) ctx.note(`warning: ${f}`);
  ctx.print(body.token);
  return EXIT.ok;
}

export const COMMANDS: Command[] = [whoami, projects, roles, activate, reviewers, request, requests, reviews, approve, deny, cancel, wait, grants, end, extend, unschedule];
