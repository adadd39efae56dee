// Signed POSTs to a rule's ITSM endpoint, shared by the ticket check (ticket-validation.ts) and the ticket
// events (ticket-events.ts): the body is signed with `X-JIT-Signature` (see domain/ticket-validation.ts) with an
// HMAC key from Secret Manager, read on first use and kept briefly, so that a rotated key is picked up within
// a minute. The key and the signature never leave this file but in the header; reasons name the endpoint by
// scheme, host and path only.
import { createHmac } from 'node:crypto';
import { endpointLabel, SIGNATURE_HEADER, signatureBase, signatureHeaderValue } from '../domain/ticket-validation';
import { LookupCache } from './lookup-cache';

/** How long a key read from Secret Manager is used before it is read again. */
export const KEY_CACHE_SECONDS = 60;

/** Answers longer than this are not read: the protocol's answers are a few dozen bytes. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * What came of one POST: the endpoint answered (any status; `secrets` are the key and the signature, which a
 * reason quoted from the answer must not show), or it did not, with why (`timeout` when it did not answer in time).
 */
export type ItsmAnswer =
  | { readonly kind: 'answered'; readonly status: number; readonly body: string; readonly secrets: readonly string[] }
  | { readonly kind: 'failed'; readonly reason: string; readonly timeout: boolean };

export class ItsmClient {
  private readonly keys: LookupCache<string>;

  constructor(
    private readonly secrets: { accessText(versionName: string): Promise<string> },
    private readonly now: () => Date = () => new Date(),
    keyCacheSeconds = KEY_CACHE_SECONDS,
  ) {
    this.keys = new LookupCache(keyCacheSeconds * 1000);
  }

  /** POSTs `body` to `url` signed with the key in `secret`, waiting at most `timeoutMs`; never throws. */
  async post(url: string, secret: string, body: string, timeoutMs: number): Promise<ItsmAnswer> {
    const where = endpointLabel(url);
    let key: string;
    try {
      key = await this.keys.get('', secret, () => this.secrets.accessText(secret));
    } catch (e) {
      return { kind: 'failed', reason: `the signing key could not be read: ${(e as Error).message}`, timeout: false };
    }
    const timestamp = Math.floor(this.now().getTime() / 1000);
    const mac = createHmac('sha256', key).update(signatureBase(timestamp, body)).digest('hex');
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', [SIGNATURE_HEADER]: signatureHeaderValue(timestamp, mac) },
        body,
        // A redirect would carry the signed request elsewhere: it is an answer outside the protocol.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const length = Number(res.headers.get('content-length') ?? 0);
      if (length > MAX_ANSWER_BYTES) {
        await res.body?.cancel();
        return { kind: 'failed', reason: `${where} answered with ${length} bytes, more than an answer of the protocol holds`, timeout: false };
      }
      return { kind: 'answered', status: res.status, body: (await res.text()).slice(0, MAX_ANSWER_BYTES), secrets: [key, mac] };
    } catch (e) {
      const error = e as Error & { cause?: { code?: string; message?: string } };
      if (error.name === 'TimeoutError' || error.name === 'AbortError') {
        return { kind: 'failed', reason: `${where} did not answer within ${secondsText(timeoutMs)}`, timeout: true };
      }
      const cause = error.cause?.code ?? error.cause?.message ?? error.message;
      return { kind: 'failed', reason: `${where} could not be reached (${cause})`, timeout: false };
    }
  }
}

/** "1 second", "5 seconds", "2.5 seconds". */
function secondsText(ms: number): string {
  const seconds = Math.round(ms / 100) / 10;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
