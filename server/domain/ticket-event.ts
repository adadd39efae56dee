// Ticket write-back (a rule's `ticket.events`): what the service tells the ITSM about requests and grants that
// carry a ticket, as one signed JSON body per event. The pure parts only; posting, retrying and auditing are in
// services/ticket-events.ts. docs/access-policy.md describes the protocol for whoever writes the endpoint.

/**
 * What happened: a request was made, approved (once per approval, the rule's own included), denied or
 * cancelled, or lapsed (expired undecided: nothing was granted); a grant was written (self-activation or approved
 * request), ended early (by its holder or revoked by an admin), or reached its end (seen when the sweeper removes
 * its binding).
 */
export type TicketEventType = 'requested' | 'approved' | 'denied' | 'cancelled' | 'lapsed' | 'granted' | 'ended' | 'expired';

export interface TicketEvent {
  /** Unique per event and kept across the attempts to deliver it: a receiver drops the repeats by it. */
  readonly id: string;
  readonly event: TicketEventType;
  readonly ticket: string;
  /** The request's id (`mpa-…`) or the self-activation's (`jit-…`); null for a grant read back from IAM (ended, expired). */
  readonly activationId: string | null;
  /** The grant's id (as GET /api/v1/me/grants names it) for events about a grant; null for a request's. */
  readonly grantId: string | null;
  readonly project: string;
  readonly role: string;
  readonly resourceCondition: string | null;
  readonly requester: string;
  /** Who acted: the requester, a reviewer, an admin, `rule:NAME` (an approval by the rule); null when nobody did (lapsed, expired). */
  readonly actor: string | null;
  readonly time: Date;
  /** The request's window, or the grant's. */
  readonly window: { readonly start: Date; readonly end: Date };
  readonly justification: string;
  /** The denial's, the early end's or the revocation's reason; else null. */
  readonly reason: string | null;
}

/** The body sent: compact JSON with the fields in this order (the signature covers the exact bytes). */
export function ticketEventBody(e: TicketEvent): string {
  return JSON.stringify({
    id: e.id,
    event: e.event,
    ticket: e.ticket,
    activationId: e.activationId,
    grantId: e.grantId,
    project: e.project,
    role: e.role,
    resourceCondition: e.resourceCondition,
    requester: e.requester,
    actor: e.actor,
    time: e.time.toISOString(),
    window: { start: e.window.start.toISOString(), end: e.window.end.toISOString() },
    justification: e.justification,
    reason: e.reason,
  });
}

/**
 * Whether an answer with this status may be worth a second attempt: a server error, 408 or 429. Any other
 * status outside 2xx (a refused signature, a body the ITSM does not take) would be answered the same again.
 */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** Attempts to deliver one event, and the pauses between them; all within the rule's `timeoutSeconds`. */
export const EVENT_ATTEMPTS = 3;
export const EVENT_BACKOFF_MS: readonly number[] = [200, 600];
