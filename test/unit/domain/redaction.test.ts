import { obfuscateToken } from '../../../server/domain/approval-link';
import { REDACTED, redactTokens, redactTokensIn } from '../../../server/domain/redaction';

const part = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
const JWT = `${part({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${part({ jti: 'mpa-x', beneficiary: 'alice@example.com' })}.c2lnbmF0dXJlLWJ5dGVz`;

describe('redactTokens', () => {
  it.each([
    ['a JWT in a path', `/v1/approval-requests/${JWT}/approve`, `/v1/approval-requests/${REDACTED}/approve`],
    ['an approval link token in a path', `/v1/approval-requests/${obfuscateToken(JWT)}/approve`, `/v1/approval-requests/${REDACTED}/approve`],
    ['a bearer token', 'Authorization: Bearer ya29.a0AfB_xyz-123', `Authorization: Bearer ${REDACTED}`],
    ['an IAP assertion in a message', `Refused GET /x: assertion ${JWT} expired`, `Refused GET /x: assertion ${REDACTED} expired`],
  ])('removes %s', (_name, text, expected) => {
    expect(redactTokens(text)).toBe(expected);
  });

  it.each(['joey.eyre@example.com', 'INC-42 disk full on prod-app', 'resource.name.startsWith("projects/_/buckets/a")', 'money.eyes.example.com'])('leaves ordinary text alone: %s', (text) => {
    expect(redactTokens(text)).toBe(text);
  });

  it('scrubs every string of an entry, nested values and keys included, without touching the input', () => {
    const entry = { message: `Refused /v1/approval-requests/${JWT}`, path: `/x/${obfuscateToken(JWT)}`, nested: [{ token: JWT }], count: 3, [JWT]: true };
    const redacted = redactTokensIn(entry);
    expect(JSON.stringify(redacted)).not.toContain(JWT.slice(0, 20));
    expect(JSON.stringify(redacted)).not.toContain(obfuscateToken(JWT).slice(0, 20));
    expect(redacted.count).toBe(3);
    expect(entry.nested[0].token).toBe(JWT);
  });
});
