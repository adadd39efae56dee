// The audit log read back when the service prints it on stdout (AUDIT_LOG_DESTINATION=stdout, the default):
// on Cloud Run the platform's agent files each line under its own stdout log and this service's revision,
// so the views find the entries there, and only this service's audit lines.
import { structuredLogLine, type AuditEvent } from '../../server/services/audit';
import { googleClients } from '../support/emulator';
import { startStack, type Stack } from '../support/stack';

// Cloud Run's metadata server, as the platform would answer it (the emulator has none).
jest.mock('../../server/google/metadata', () => ({
  runtimeIdentity: async () => ({ projectId: 'jit-host', projectNumber: '100000000001', serviceAccount: 'jitaccess@jit-host.iam.gserviceaccount.com' }),
}));

const AUDITOR = 'dave@example.com'; // in data-eng@example.com
const ADMIN_ENV = { ADMIN_GROUPS: 'oncall@example.com', AUDITOR_GROUPS: 'data-eng@example.com', AUDIT_LOG_DESTINATION: 'stdout' };

const activation = (email: string, message: string): AuditEvent => ({
  event: 'activation.succeeded',
  severity: 'INFO',
  outcome: 'success',
  message,
  user: { email, userId: '1', deviceId: '', accessLevels: [] },
  project: 'prod-app',
  roles: [{ role: 'roles/cloudsql.admin', resourceCondition: null }],
});

/** A stdout line as Cloud Run's agent files it (docs: structured logging): the special keys lifted, the rest the jsonPayload. */
function filedByCloudRun(line: string, serviceName: string) {
  const { severity, timestamp, 'logging.googleapis.com/labels': labels, 'logging.googleapis.com/insertId': insertId, ...jsonPayload } = JSON.parse(line);
  return {
    logName: 'projects/jit-host/logs/run.googleapis.com%2Fstdout',
    resource: { type: 'cloud_run_revision', labels: { project_id: 'jit-host', service_name: serviceName, revision_name: `${serviceName}-00001-abc`, location: 'europe-west1', configuration_name: serviceName } },
    timestamp: new Date(timestamp.seconds * 1000 + timestamp.nanos / 1e6).toISOString(),
    severity,
    labels,
    insertId,
    jsonPayload,
  };
}

describe('audit entries on stdout, read back on Cloud Run', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: ADMIN_ENV, platform: { platform: 'cloudrun', serviceName: 'jit-access' } });
  });
  afterAll(() => stack.close());

  test("history lists this service's audit lines from run.googleapis.com/stdout, not another service's nor other output", async () => {
    const now = new Date();
    const ours = structuredLogLine(activation('alice@example.com', 'ours'), 'jitaccess', 'jit-host', now, 'ours-1');
    const otherService = structuredLogLine(activation('carol@example.com', 'other service'), 'jitaccess', 'jit-host', now, 'other-1');
    // A line the service's code prints that looks like an event, but not through the audit log: no marker.
    const { logName: _marker, ...unmarked } = JSON.parse(structuredLogLine(activation('erin@example.com', 'not audit'), 'jitaccess', 'jit-host', now, 'plain-1'));
    await googleClients(stack.emulator).logging.entries.write({
      requestBody: { entries: [filedByCloudRun(ours, 'jit-access'), filedByCloudRun(otherService, 'other-service'), filedByCloudRun(JSON.stringify(unmarked), 'jit-access')] },
    });

    const history = await stack.as(AUDITOR).get('/api/v1/admin/history');
    expect(history.status).toBe(200);
    const activations = history.body.rows.filter((r: any) => r.event === 'activation.succeeded');
    expect(activations).toEqual([expect.objectContaining({ actor: 'alice@example.com', projectId: 'prod-app', roles: ['roles/cloudsql.admin'], message: 'ours' })]);
  });
});

describe('audit entries on stdout where nothing ships stdout', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: ADMIN_ENV });
  });
  afterAll(() => stack.close());

  test('the views say the log cannot be read back and what to set; the roles list answers with a warning', async () => {
    for (const [user, path] of [
      [AUDITOR, '/api/v1/admin/history'],
      ['alice@example.com', '/api/v1/me/requests'],
      ['alice@example.com', '/api/v1/me/reviews'],
    ]) {
      const res = await stack.as(user).get(path);
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'AUDIT_LOG_UNREADABLE', message: expect.stringMatching(/cannot be read back.*AUDIT_LOG_DESTINATION=logging-api/) });
    }
    const roles = await stack.as('alice@example.com').get('/api/v1/projects/prod-app/roles');
    expect(roles.status).toBe(200);
    expect(roles.body.roles.length).toBeGreaterThan(0);
    expect(roles.body.warnings).toContainEqual(expect.stringMatching(/pending requests could not be read from the audit log.*cannot be read back/));
    expect(stack.emulator.state.calls.get('logging.entries.list') ?? 0).toBe(0);
  });
});
