// The pure parts of ticket validation: what is signed, the header's form, and how an ITSM's answer is read.
import { cleanReason, endpointLabel, questionBody, signatureBase, signatureHeaderValue, verdictOf } from '../../../server/domain/ticket-validation';

const QUESTION = { ticket: 'CHG-1', project: 'prod-app', role: 'roles/cloudsql.admin', requester: 'alice@example.com' };

describe('the signed question', () => {
  test('the body is compact JSON with ticket, project, role and requester in this order', () => {
    expect(questionBody({ requester: 'alice@example.com', role: 'roles/cloudsql.admin', project: 'prod-app', ticket: 'CHG-1' })).toBe(
      '{"ticket":"CHG-1","project":"prod-app","role":"roles/cloudsql.admin","requester":"alice@example.com"}',
    );
  });

  test('the signature base is the Unix timestamp, a dot and the body as sent', () => {
    expect(signatureBase(1700000000, questionBody(QUESTION))).toBe(
      '1700000000.{"ticket":"CHG-1","project":"prod-app","role":"roles/cloudsql.admin","requester":"alice@example.com"}',
    );
  });

  test('the header carries the timestamp and the hex HMAC', () => {
    expect(signatureHeaderValue(1700000000, 'ab12')).toBe('t=1700000000,v1=ab12');
  });
});

describe('reading the answer', () => {
  test.each([
    ['{"valid": true}', 200, { kind: 'valid' }],
    ['{"valid": true, "reason": "ignored"}', 204, { kind: 'valid' }],
    ['{"valid": false, "reason": "ticket CHG-1 is closed"}', 200, { kind: 'refused', reason: 'ticket CHG-1 is closed' }],
    ['{"valid": false}', 200, { kind: 'refused', reason: 'no reason given' }],
    ['{"valid": "true"}', 200, { kind: 'failed', reason: 'it did not answer {"valid": true} or {"valid": false, "reason": "…"}' }],
    ['<html>ok</html>', 200, { kind: 'failed', reason: 'it did not answer {"valid": true} or {"valid": false, "reason": "…"}' }],
    ['[true]', 200, { kind: 'failed', reason: 'it did not answer {"valid": true} or {"valid": false, "reason": "…"}' }],
    ['{"valid": true}', 500, { kind: 'failed', reason: 'it answered HTTP 500' }],
    ['{"valid": false, "reason": "bad signature"}', 401, { kind: 'failed', reason: 'it answered HTTP 401 (bad signature)' }],
    ['Bad gateway', 502, { kind: 'failed', reason: 'it answered HTTP 502' }],
    ['', 302, { kind: 'failed', reason: 'it answered HTTP 302' }],
  ])('%s with HTTP %i', (body, status, verdict) => {
    expect(verdictOf(status, body, [])).toEqual(verdict);
  });

  test('a reason is one line, trimmed, cut at 200 characters', () => {
    expect(cleanReason('  closed\n\tby\r\nbob\u2028 ', [])).toBe('closed by bob');
    const long = cleanReason('x'.repeat(500), []);
    expect(long).toHaveLength(200);
    expect(long.endsWith('…')).toBe(true);
  });

  test('a reason that echoes the key or the signature does not show them', () => {
    const verdict = verdictOf(200, JSON.stringify({ valid: false, reason: 'expected key s3cr3t-key, got signature abcdef0123' }), ['s3cr3t-key', 'abcdef0123']);
    expect(verdict).toEqual({ kind: 'refused', reason: 'expected key [REDACTED], got signature [REDACTED]' });
  });

  test('the endpoint is named without credentials or query string', () => {
    expect(endpointLabel('https://user:pw@itsm.example.com:8443/api/validate?token=abc#x')).toBe('https://itsm.example.com:8443/api/validate');
  });
});
