// Asks a rule's ITSM endpoint whether a ticket is good: a signed HTTPS POST (see domain/ticket-validation.ts
// for the body, the signature and how the answer is read). The HMAC key is a Secret Manager version, read
// on first use and kept briefly, so that a rotated key is picked up within a minute.
import { createHmac } from 'node:crypto';
import {
  endpointLabel,
  questionBody,
  SIGNATURE_HEADER,
  signatureBase,
  signatureHeaderValue,
  verdictOf,
  type TicketQuestion,
  type TicketVerdict,
} from '../domain/ticket-validation';
import { LookupCache } from './lookup-cache';

/** A rule's `ticket.validation`. */
export interface TicketEndpoint {
  readonly url: string;
  /** The Secret Manager version holding the HMAC key. */
  readonly secret: string;
  readonly timeoutSeconds: number;
}

/** How long a key read from Secret Manager is used before it is read again. */
export const KEY_CACHE_SECONDS = 60;

/** Answers longer than this are not read: the protocol's answers are a few dozen bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

export class TicketValidator {
  private readonly keys: LookupCache<string>;

  constructor(
    private readonly secrets: { accessText(versionName: string): Promise<string> },
    private readonly now: () => Date = () => new Date(),
    keyCacheSeconds = KEY_CACHE_SECONDS,
  ) {
    this.keys = new LookupCache(keyCacheSeconds * 1000);
  }

  /** The endpoint's verdict on the ticket; never throws: what went wrong is a failed verdict. */
  async check(endpoint: TicketEndpoint, question: TicketQuestion): Promise<TicketVerdict> {
    const where = endpointLabel(endpoint.url);
    let key: string;
    try {
      key = await this.keys.get('', endpoint.secret, () => this.secrets.accessText(endpoint.secret));
    } catch (e) {
      return { kind: 'failed', reason: `the signing key could not be read: ${(e as Error).message}` };
    }
    const body = questionBody(question);
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const mac = createHmac('sha256', key).update(signatureBase(timestamp, body)).digest('hex');
    const scrub = [key, mac];
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', [SIGNATURE_HEADER]: signatureHeaderValue(timestamp, mac) },
        body,
        // A redirect would carry the signed request elsewhere: it is an answer outside the protocol.
        redirect: 'manual',
        signal: AbortSignal.timeout(endpoint.timeoutSeconds * 1000),
      });
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MAX_ANSWER_BYTES) {
        await res.body?.cancel();
        return { kind: 'failed', reason: `${where} answered with ${length} bytes, more than an answer of the protocol holds` };
      }
      const verdict = verdictOf(res.status, (await res.text()).slice(0, MAX_ANSWER_BYTES), scrub);
      return verdict.kind === 'failed' ? { kind: 'failed', reason: `${where}: ${verdict.reason}` } : verdict;
    } catch (e) {
      const error = e as Error & { cause?: { code?: string; message?: string } };
      if (error.name === 'TimeoutError' || error.name === 'AbortError') {
        return { kind: 'failed', reason: `${where} did not answer within ${endpoint.timeoutSeconds} second${endpoint.timeoutSeconds === 1 ? '' : 's'}` };
      }
      const cause = error.cause?.code ?? error.cause?.message ?? error.message;
      return { kind: 'failed', reason: `${where} could not be reached (${cause})` };
    }
  }
}
