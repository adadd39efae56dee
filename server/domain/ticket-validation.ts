// Ticket validation against an ITSM endpoint (a rule's `ticket.validation`): what the service sends, how
// the request is signed, and how the endpoint's answer is read. The pure parts only; the HTTP call and the
// HMAC key from Secret Manager are in services/ticket-validation.ts. docs/access-policy.md describes the
// protocol for whoever writes the endpoint.

/** What the endpoint is asked: is this ticket good for this requester, role and project? */
export interface TicketQuestion {
  readonly ticket: string;
  readonly project: string;
  readonly role: string;
  readonly requester: string;
}

/** The request header that carries the timestamp and the signature: `t=UNIX_SECONDS,v1=HEX_HMAC_SHA256`. */
export const SIGNATURE_HEADER = 'X-JIT-Signature';

/** How far a receiver should accept a timestamp from its own clock; older requests are replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** The body sent: compact JSON with the fields in this order (the signature covers the exact bytes). */
export function questionBody(question: TicketQuestion): string {
  return JSON.stringify({ ticket: question.ticket, project: question.project, role: question.role, requester: question.requester });
}

/**
 * What the HMAC-SHA256 is computed over: the timestamp (Unix seconds), a dot, and the body exactly as sent.
 * Binding the timestamp into the signature keeps an old request from being replayed with a new time.
 */
export function signatureBase(timestampSeconds: number, body: string): string {
  return `${timestampSeconds}.${body}`;
}

/** The header's value for a timestamp and the hex HMAC of {@link signatureBase}. */
export function signatureHeaderValue(timestampSeconds: number, hexMac: string): string {
  return `t=${timestampSeconds},v1=${hexMac}`;
}

/**
 * The endpoint's verdict: valid; refused (it answered `{"valid": false}`); or failed (it could not be asked,
 * or answered outside the protocol). Reasons are trimmed to one line.
 */
export type TicketVerdict = { readonly kind: 'valid' } | { readonly kind: 'refused' | 'failed'; readonly reason: string };

/** The longest reason from an endpoint shown to a user; the rest is cut. */
export const MAX_REASON_LENGTH = 200;

/**
 * A reason from the endpoint as users see it: one line, control characters removed, at most
 * MAX_REASON_LENGTH characters, and never one of `secrets` (the key, the signature) even if echoed.
 */
export function cleanReason(text: string, secrets: readonly string[]): string {
  let clean = text.replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ').replace(/\s+/g, ' ').trim();
  for (const secret of secrets) if (secret.length >= 4) clean = clean.split(secret).join('[REDACTED]');
  return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH - 1)}…` : clean;
}

/**
 * Reads the endpoint's answer: a 2xx with the JSON `{"valid": true}` passes; a 2xx with `{"valid": false,
 * "reason": …}` is a refusal with that reason; anything else (another status, a body that is not such
 * JSON) is a failure, with the reason the body gives if it gives one.
 */
export function verdictOf(status: number, body: string, secrets: readonly string[]): TicketVerdict {
  if (status < 200 || status > 299) return { kind: 'failed', reason: statusFailure(status, body, secrets) };
  const fields = fieldsOf(body);
  const given = givenReason(fields, secrets);
  if (fields.valid === true) return { kind: 'valid' };
  if (fields.valid === false) return { kind: 'refused', reason: given ?? 'no reason given' };
  return { kind: 'failed', reason: 'it did not answer {"valid": true} or {"valid": false, "reason": "…"}' };
}

/** Why an answer with a status outside 2xx failed: the status, and the reason its JSON body gives if it gives one. */
export function statusFailure(status: number, body: string, secrets: readonly string[]): string {
  const given = givenReason(fieldsOf(body), secrets);
  return `it answered HTTP ${status}${given ? ` (${given})` : ''}`;
}

function fieldsOf(body: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : {};
}

function givenReason(fields: Record<string, unknown>, secrets: readonly string[]): string | null {
  return typeof fields.reason === 'string' && fields.reason.trim() !== '' ? cleanReason(fields.reason, secrets) : null;
}

/** The endpoint as messages name it: scheme, host, port and path; never credentials or a query string. */
export function endpointLabel(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
