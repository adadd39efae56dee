// The fake ITSM: the endpoints an access policy's `ticket.validation.url` and `ticket.events.url` name. The
// first answers whether a ticket of the world is good for a project; the second takes the events of requests
// and grants that carry a ticket. Both check the request's signature as docs/access-policy.md specifies it
// (HMAC-SHA256 with the world secret `itsm.secret`, a timestamp at most five minutes off), refuse what is not
// signed or not in the protocol's shape, record everything received, and show it as JSON and on a page.
// It is written from the documented protocol, not from the service's code: the two meet only over HTTP.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import type { EmulatorEnv } from './env';
import type { EmulatorState, ItsmCall, ItsmEvent, ItsmTicket } from './state';
import { notFound, strictBody, type Route } from './http';
import { escapeHtml, htmlPage } from './html';

/** How far the signed timestamp may be from the emulator's clock, in seconds, either way. */
export const ITSM_TOLERANCE_SECONDS = 300;

const SIGNATURE = /^t=([0-9]{1,12}),v1=([0-9a-f]{64})$/;

/** The question, exactly: no field more or less. */
const question = z
  .object({
    ticket: z.string().min(1).max(200),
    project: z.string().min(1).max(100),
    role: z.string().min(1).max(300),
    requester: z.string().regex(/^[^\s@]+@[^\s@]+$/),
  })
  .strict();

const isoTime = z.iso.datetime();

/** A ticket event, exactly: every field present (null where the protocol allows it), no field more. */
const ticketEvent = z
  .object({
    id: z.string().min(1).max(100),
    event: z.enum(['requested', 'approved', 'denied', 'cancelled', 'lapsed', 'granted', 'ended', 'expired']),
    ticket: z.string().min(1).max(200),
    activationId: z.string().min(1).max(100).nullable(),
    grantId: z.string().min(1).max(4000).nullable(),
    project: z.string().min(1).max(100),
    role: z.string().min(1).max(300),
    resourceCondition: z.string().min(1).nullable(),
    requester: z.string().regex(/^[^\s@]+@[^\s@]+$/),
    actor: z.string().min(1).max(300).nullable(),
    time: isoTime,
    window: z.object({ start: isoTime, end: isoTime }).strict(),
    justification: z.string(),
    reason: z.string().nullable(),
  })
  .strict();

const ticketUpdate = z.object({ status: z.enum(['open', 'closed']), project: z.string().min(1).optional() }).strict();

/** Express keeps the bytes of a JSON body here (server.ts): the signature covers them, not their parse. */
export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

export function itsmRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  const save = () => {
    if (env.stateFile) state.save(env.stateFile);
  };


  const validate = (req: Request, res: Response) => {
    const answer = (status: number, signature: ItsmCall['signature'], body: ItsmCall['answer'], asked: unknown = null) => {
      state.itsmCalls.push({ id: nextId(state.itsmCalls), receivedAt: state.now().toISOString(), signature, question: asked, status, answer: body });
      save();
      res.status(status).json(body);
    };
    const refusal = signatureRefusal(state, req);
    if (refusal) return answer(401, refusal.signature, { valid: false, reason: refusal.reason });
    const parsed = question.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const what = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys[0]}` : `${issue.path.join('.') || 'body'}: ${issue.message}`;
      return answer(400, 'valid', { valid: false, reason: `the question must be {ticket, project, role, requester}: ${what}` }, req.body ?? null);
    }
    const asked = parsed.data;
    const ticket = state.itsmTickets.get(asked.ticket);
    if (!ticket) return answer(200, 'valid', { valid: false, reason: `ticket ${asked.ticket} does not exist` }, asked);
    if (ticket.status !== 'open') return answer(200, 'valid', { valid: false, reason: `ticket ${asked.ticket} is ${ticket.status}` }, asked);
    if (ticket.project && ticket.project !== asked.project) {
      return answer(200, 'valid', { valid: false, reason: `ticket ${asked.ticket} is for project ${ticket.project}, not ${asked.project}` }, asked);
    }
    return answer(200, 'valid', { valid: true }, asked);
  };

  const events = (req: Request, res: Response) => {
    const answer = (status: number, signature: ItsmEvent['signature'], body: ItsmEvent['answer'], event: unknown = null, duplicate = false) => {
      state.itsmEvents.push({ id: nextId(state.itsmEvents), receivedAt: state.now().toISOString(), signature, event, duplicate, status, answer: body });
      save();
      res.status(status).json(body);
    };
    const refusal = signatureRefusal(state, req);
    if (refusal) return answer(401, refusal.signature, { received: false, reason: refusal.reason });
    const parsed = ticketEvent.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const what = issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys[0]}` : `${issue.path.join('.') || 'body'}: ${issue.message}`;
      return answer(400, 'valid', { received: false, reason: `the event does not follow the protocol: ${what}` }, req.body ?? null);
    }
    const event = parsed.data;
    if (!state.itsmTickets.has(event.ticket)) return answer(404, 'valid', { received: false, reason: `ticket ${event.ticket} does not exist` }, event);
    // A retry of an event that arrived (its answer was lost) is taken again, and marked, as a receiver that de-duplicates would.
    const duplicate = state.itsmEvents.some((e) => e.status === 200 && (e.event as { id?: string } | null)?.id === event.id);
    return answer(200, 'valid', { received: true }, event, duplicate);
  };

  const route = (method: Route['method'], pattern: RegExp, name: string, handler: Route['handler'], faults = false): Route => ({
    method,
    pattern,
    api: name.startsWith('_emulator') ? '_emulator' : 'itsm',
    name,
    public: true,
    faults,
    handler,
  });
  return [
    route('POST', /^\/itsm\/validate$/, 'itsm.validate', validate, true),
    route('POST', /^\/itsm\/events$/, 'itsm.events', events, true),
    route('GET', /^\/_emulator\/itsm\.json$/, '_emulator.itsm.list', () => ({ tickets: [...state.itsmTickets.values()], calls: state.itsmCalls, events: state.itsmEvents })),
    route('GET', /^\/_emulator\/itsm$/, '_emulator.itsm.page', (_req, res) => {
      res
        .status(200)
        .set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': "script-src 'none'; object-src 'none'", 'X-Content-Type-Options': 'nosniff' })
        .send(itsmPage([...state.itsmTickets.values()], state.itsmCalls, state.itsmEvents, env.baseUrl));
    }),
    route('DELETE', /^\/_emulator\/itsm$/, '_emulator.itsm.clear', () => {
      state.itsmCalls = [];
      state.itsmEvents = [];
      save();
      return {};
    }),
    // Opens, closes or adds a ticket, as the ITSM's users would.
    route('PUT', /^\/_emulator\/itsm\/tickets\/([^/]+)$/, '_emulator.itsm.tickets.put', (req, _res, match) => {
      const update = strictBody(req, ticketUpdate);
      if (update.project !== undefined && !state.project(update.project)) throw notFound(`No project ${update.project} in the world.`);
      const ticket: ItsmTicket = { id: match[1], status: update.status, ...(update.project ? { project: update.project } : {}) };
      state.itsmTickets.set(ticket.id, ticket);
      save();
      return ticket;
    }),
  ];
}

const nextId = (records: readonly { id: number }[]) => (records.length === 0 ? 1 : records[records.length - 1].id + 1);

/**
 * Why a request to the ITSM is refused before its body is read (null when its signature holds): no world ITSM
 * (404), or an `X-JIT-Signature` missing, malformed, stale or not matching the raw body. The key is the latest
 * version of the world's secret, read at every request, so that a rotation is immediate.
 */
function signatureRefusal(state: EmulatorState, req: Request): { signature: Exclude<ItsmCall['signature'], 'valid'>; reason: string } | null {
  const itsm = state.world.itsm;
  if (!itsm) throw notFound('The world defines no itsm, so the emulator serves no ITSM.');
  const versions = state.secrets.get(itsm.secret) ?? [];
  const secret = versions[versions.length - 1] ?? '';
  const header = req.get('x-jit-signature');
  if (header === undefined) return { signature: 'missing', reason: 'missing X-JIT-Signature header' };
  const m = SIGNATURE.exec(header);
  if (!m) return { signature: 'malformed', reason: 'X-JIT-Signature must be t=UNIX_SECONDS,v1=HEX_HMAC_SHA256' };
  const timestamp = Number(m[1]);
  if (Math.abs(state.now().getTime() / 1000 - timestamp) > ITSM_TOLERANCE_SECONDS) {
    return { signature: 'stale', reason: `the signed timestamp is more than ${ITSM_TOLERANCE_SECONDS} seconds from the ITSM's clock` };
  }
  const raw = (req as RawBodyRequest).rawBody ?? Buffer.alloc(0);
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest();
  if (!timingSafeEqual(expected, Buffer.from(m[2], 'hex'))) return { signature: 'mismatch', reason: 'the signature does not match the body' };
  return null;
}

function itsmPage(tickets: ItsmTicket[], calls: ItsmCall[], events: ItsmEvent[], baseUrl: string): string {
  const rows = tickets.map((t) => `<tr><td><code>${escapeHtml(t.id)}</code></td><td>${escapeHtml(t.status)}</td><td>${escapeHtml(t.project ?? 'any project')}</td></tr>`);
  const fieldOf = (record: unknown) => (name: string) => {
    const value = ((record ?? {}) as Record<string, unknown>)[name];
    return typeof value === 'string' ? escapeHtml(value) : '–';
  };
  const articles = [...calls].reverse().map((c) => {
    const field = fieldOf(c.question);
    const verdict = c.answer.valid ? 'valid' : `refused: ${escapeHtml(c.answer.reason ?? '')}`;
    return `<article id="itsm-${c.id}" aria-label="${escapeHtml(`Question ${c.id}`)}"><p class="note"><time datetime="${escapeHtml(c.receivedAt)}">${escapeHtml(c.receivedAt)}</time> · HTTP ${c.status} · signature ${escapeHtml(c.signature)}</p>
<dl><dt>Ticket</dt><dd>${field('ticket')}</dd><dt>Project</dt><dd>${field('project')}</dd><dt>Role</dt><dd>${field('role')}</dd><dt>Requester</dt><dd>${field('requester')}</dd><dt>Answer</dt><dd>${verdict}</dd></dl></article>`;
  });
  const eventArticles = [...events].reverse().map((e) => {
    const field = fieldOf(e.event);
    const window = ((e.event ?? {}) as { window?: unknown }).window;
    const answer = e.answer.received ? `received${e.duplicate ? ' (a repeat of an event received before)' : ''}` : `refused: ${escapeHtml(e.answer.reason ?? '')}`;
    return `<article id="itsm-event-${e.id}" aria-label="${escapeHtml(`Event ${e.id}`)}"><p class="note"><time datetime="${escapeHtml(e.receivedAt)}">${escapeHtml(e.receivedAt)}</time> · HTTP ${e.status} · signature ${escapeHtml(e.signature)}</p>
<dl><dt>Event</dt><dd>${field('event')}</dd><dt>Ticket</dt><dd>${field('ticket')}</dd><dt>Request or activation</dt><dd>${field('activationId')}</dd><dt>Project</dt><dd>${field('project')}</dd><dt>Role</dt><dd>${field('role')}</dd><dt>Requester</dt><dd>${field('requester')}</dd><dt>Actor</dt><dd>${field('actor')}</dd><dt>Window</dt><dd>${fieldOf(window)('start')} – ${fieldOf(window)('end')}</dd><dt>Reason</dt><dd>${field('reason')}</dd><dt>Answer</dt><dd>${answer}</dd></dl></article>`;
  });
  const body = [
    '<h1>ITSM</h1>',
    `<p>The fake ITSM at <code>${escapeHtml(baseUrl)}/itsm/validate</code> and <code>${escapeHtml(baseUrl)}/itsm/events</code>: the tickets it knows, the questions it was asked and the events it received, newest first. <a href="">Refresh</a> · <a href="/_emulator/itsm.json">JSON</a></p>`,
    '<h2>Tickets</h2>',
    rows.length > 0 ? `<table><thead><tr><th>Ticket</th><th>Status</th><th>For</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p class="note">The world has no tickets.</p>',
    `<h2>Questions (${calls.length})</h2>`,
    articles.length > 0 ? articles.join('\n') : '<p class="note">No questions yet.</p>',
    `<h2>Events (${events.length})</h2>`,
    eventArticles.length > 0 ? eventArticles.join('\n') : '<p class="note">No events yet.</p>',
  ];
  return htmlPage('ITSM – emulator', body.join('\n'));
}
