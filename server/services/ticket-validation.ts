// Asks a rule's ITSM endpoint whether a ticket is good: a signed HTTPS POST through the ItsmClient (see
// domain/ticket-validation.ts for the body, the signature and how the answer is read).
import { endpointLabel, questionBody, verdictOf, type TicketQuestion, type TicketVerdict } from '../domain/ticket-validation';
import type { ItsmClient } from './itsm-client';

/** A rule's `ticket.validation`. */
export interface TicketEndpoint {
  readonly url: string;
  /** The Secret Manager version holding the HMAC key. */
  readonly secret: string;
  readonly timeoutSeconds: number;
}

export class TicketValidator {
  constructor(private readonly itsm: ItsmClient) {}

  /** The endpoint's verdict on the ticket; never throws: what went wrong is a failed verdict. */
  async check(endpoint: TicketEndpoint, question: TicketQuestion): Promise<TicketVerdict> {
    const answer = await this.itsm.post(endpoint.url, endpoint.secret, questionBody(question), endpoint.timeoutSeconds * 1000);
    if (answer.kind === 'failed') return { kind: 'failed', reason: answer.reason };
    const verdict = verdictOf(answer.status, answer.body, answer.secrets);
    return verdict.kind === 'failed' ? { kind: 'failed', reason: `${endpointLabel(endpoint.url)}: ${verdict.reason}` } : verdict;
  }
}
