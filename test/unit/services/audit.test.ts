// The stdout audit trail is written without @google-cloud/logging (it loads slowly); its lines must stay
// what the library's LogSync writes, which is what App Engine's and Cloud Run's logging agents read.
import type { Writable } from 'node:stream';
import { Logging } from '@google-cloud/logging';
import { createAuditLog, structuredLogLine, type AuditEvent } from '../../../server/services/audit';

const event: AuditEvent = {
  event: 'activation.succeeded',
  severity: 'NOTICE',
  outcome: 'success',
  message: 'User alice@example.com activated \'[iam] roles/compute.admin on staging-app\' for themselves for 30 minutes',
  user: { email: 'alice@example.com', userId: 'accounts.google.com:1', deviceId: 'unknown', accessLevels: ['level-a', 'level-b'] },
  project: 'staging-app',
  activationId: 'jit-AAAABBBBCCCCDDDD',
  roles: [{ role: 'roles/compute.admin', resourceCondition: null }],
  justification: 'INC-1 "quoted" \\ back',
};

function logSyncLine(e: AuditEvent, logName: string): Record<string, unknown> {
  const lines: string[] = [];
  const sink = new Logging({ projectId: 'jit-host' }).logSync(logName, { write: (line: string) => lines.push(line) } as unknown as Writable, { useMessageField: false });
  const { severity, ...payload } = e;
  const labels = JSON.parse(structuredLogLine(e, logName, 'jit-host'))['logging.googleapis.com/labels'];
  sink.write(sink.entry({ severity, labels, resource: { type: 'global' } }, payload));
  const entries = lines.map((l) => JSON.parse(l)).filter((entry) => entry.severity !== undefined);
  expect(entries).toHaveLength(1);
  return entries[0];
}

const withoutIdentity = ({ timestamp: _t, 'logging.googleapis.com/insertId': _i, ...rest }: Record<string, unknown>) => rest;

describe('stdout audit lines', () => {
  // LogSync would otherwise ask the metadata server where it runs.
  beforeAll(() => {
    process.env.METADATA_SERVER_DETECTION = 'none';
  });

  test.each(['jitaccess', 'audit/jit access'])('match what LogSync writes (log name %p)', (logName) => {
    const ours = JSON.parse(structuredLogLine(event, logName, 'jit-host'));
    expect(withoutIdentity(ours)).toEqual(withoutIdentity(logSyncLine(event, logName)));
  });

  test('label the event, user and project, and carry a timestamp and a unique insertId', () => {
    const now = new Date('2040-01-02T03:04:05.678Z');
    const [a, b] = [structuredLogLine(event, 'jitaccess', 'jit-host', now), structuredLogLine(event, 'jitaccess', 'jit-host', now)].map((l) => JSON.parse(l));
    expect(a.timestamp).toEqual({ seconds: Math.floor(now.getTime() / 1000), nanos: 678_000_000 });
    expect(a['logging.googleapis.com/labels']).toEqual({
      event: 'activation.succeeded',
      outcome: 'success',
      user: 'alice@example.com',
      principal_type: 'user',
      user_id: 'accounts.google.com:1',
      device_id: 'unknown',
      device_access_levels: 'level-a, level-b',
      project: 'staging-app',
      activation_id: 'jit-AAAABBBBCCCCDDDD',
    });
    expect(a['logging.googleapis.com/insertId']).not.toBe(b['logging.googleapis.com/insertId']);
    expect(structuredLogLine(event, 'jitaccess', 'jit-host')).not.toContain('\n');
  });

  test('say when the principal is a service account', () => {
    const pipeline = { ...event, user: { ...event.user!, email: 'deployer@jit-host.iam.gserviceaccount.com' } };
    expect(JSON.parse(structuredLogLine(pipeline, 'jitaccess', 'jit-host'))['logging.googleapis.com/labels'].principal_type).toBe('serviceAccount');
  });
});

describe('tokens in audit entries', () => {
  test('never reach a stdout line: paths, messages and other fields are scrubbed', () => {
    const part = (json: object) => Buffer.from(JSON.stringify(json)).toString('base64url');
    const jwt = `${part({ alg: 'RS256', kid: 'k' })}.${part({ jti: 'mpa-x', beneficiary: 'alice@example.com' })}.c2lnbmF0dXJl`;
    const link = jwt.slice(2).replaceAll('.ey', '~~').replaceAll('.', '~');
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((line) => lines.push(String(line)) > 0);
    try {
      createAuditLog({ destination: 'stdout', logName: 'jitaccess', projectId: 'jit-host' }).record({
        event: 'auth.failed',
        severity: 'WARNING',
        outcome: 'denied',
        message: `Refused POST /v1/approval-requests/${link}/approve: it has expired.`,
        path: `/v1/approval-requests/${jwt}/approve`,
      });
    } finally {
      write.mockRestore();
    }
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]);
    expect(line.message).toBe('Refused POST /v1/approval-requests/[REDACTED]/approve: it has expired.');
    expect(line.path).toBe('/v1/approval-requests/[REDACTED]/approve');
    for (const secret of [jwt, link, ...jwt.split('.')]) expect(lines[0]).not.toContain(secret);
  });
});
