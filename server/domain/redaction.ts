// Tokens must never reach a log line: approval requests (JWTs, also in the obfuscated form of links, see
// approval-link), IAP assertions and bearer tokens. They travel in paths, headers and error messages, so
// every log line is scrubbed of anything shaped like one before it is written.

/** A compact JWT: header and payload are base64url JSON objects, so both begin with `ey`. */
const JWT = /(?<![A-Za-z0-9_-])ey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;
/** A JWT in an approval link (`A~~B~C`, see obfuscateToken). */
const OBFUSCATED_JWT = /[A-Za-z0-9_-]{8,}~~[A-Za-z0-9_-]{8,}~[A-Za-z0-9_-]*/g;
/** An `Authorization: Bearer …` value, whatever its form. */
const BEARER = /(\bBearer\s+)[^\s"',;]+/gi;

export const REDACTED = '[REDACTED]';

/** The text with every token in it replaced by {@link REDACTED}. */
export function redactTokens(text: string): string {
  return text.replace(JWT, REDACTED).replace(OBFUSCATED_JWT, REDACTED).replace(BEARER, `$1${REDACTED}`);
}

/** A copy of a JSON-like value (an audit entry) with every string in it redacted, keys included. */
export function redactTokensIn<T>(value: T): T {
  if (typeof value === 'string') return redactTokens(value) as T;
  if (Array.isArray(value)) return value.map((item) => redactTokensIn(item)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactTokens(k), redactTokensIn(v)])) as T;
  }
  return value;
}
