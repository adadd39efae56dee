// What one request read from Google for its decisions, shared by the checks of that request: eligibility
// and then the access policy's rules may both need the user's groups read now, and the second check uses
// the first one's reads instead of repeating them. Each read is still made during the request (a decision
// never uses what an earlier request read); outside a request (timers, tasks) nothing is shared.
import { AsyncLocalStorage } from 'node:async_hooks';

const requestReads = new AsyncLocalStorage<Map<string, Promise<unknown>>>();

/** Runs `handle` as one request: the reads made from it, synchronously or later, are shared. */
export function withRequestReads<T>(handle: () => T): T {
  return requestReads.run(new Map(), handle);
}

/** The answer of `read` for `key`, made once per request (failures included: every check sees the same). */
export function readOncePerRequest<T>(key: string, read: () => Promise<T>): Promise<T> {
  const reads = requestReads.getStore();
  if (!reads) return read();
  let answer = reads.get(key) as Promise<T> | undefined;
  if (!answer) {
    answer = read();
    reads.set(key, answer);
  }
  return answer;
}
