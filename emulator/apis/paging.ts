// Page tokens as Google issues them: opaque, and bound to the request they came from.
import { createHash } from 'node:crypto';
import { invalidArgument } from '../http';

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/**
 * One page of `items`. The token carries the offset and a digest of the request's other parameters
 * (`binding`), so a token replayed with a changed filter or parent is rejected, as Google does.
 */
export function pageOf<T>(items: readonly T[], pageSize: number, pageToken: string | undefined, binding: string): Page<T> {
  const digest = createHash('sha256').update(binding).digest('base64url').slice(0, 16);
  let offset = 0;
  if (pageToken) {
    const m = /^([0-9]+)\.([A-Za-z0-9_-]{16})$/.exec(Buffer.from(pageToken, 'base64url').toString('latin1'));
    if (!m || m[2] !== digest) {
      throw invalidArgument(`Invalid pageToken "${pageToken}": it was not returned by a previous call with the same parameters.`);
    }
    offset = Number(m[1]);
  }
  const end = offset + pageSize;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { nextPageToken: Buffer.from(`${end}.${digest}`, 'latin1').toString('base64url') } : {}),
  };
}
