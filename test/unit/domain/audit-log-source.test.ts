import { auditLogSource } from '../../../server/domain/audit-log-source';

const placement = { projectId: 'jit-host', logName: 'jitaccess' };

describe('where the audit feed reads the log back', () => {
  test('logging-api: the log named by AUDIT_LOG_NAME, on every platform', () => {
    for (const platform of ['local', 'cloudrun', 'appengine'] as const) {
      expect(auditLogSource({ ...placement, destination: 'logging-api', platform, serviceName: platform === 'local' ? undefined : 'jit' })).toEqual({
        readable: true,
        filter: 'logName="projects/jit-host/logs/jitaccess"',
      });
    }
    expect(auditLogSource({ ...placement, logName: 'audit/jit', destination: 'logging-api', platform: 'local' })).toEqual({
      readable: true,
      filter: 'logName="projects/jit-host/logs/audit%2Fjit"',
    });
  });

  test("stdout on Cloud Run: the platform's stdout log, this service's revisions, and only lines marked as audit entries", () => {
    expect(auditLogSource({ ...placement, destination: 'stdout', platform: 'cloudrun', serviceName: 'jit-access' })).toEqual({
      readable: true,
      filter:
        'logName="projects/jit-host/logs/run.googleapis.com%2Fstdout" AND resource.type="cloud_run_revision" AND resource.labels.service_name="jit-access" AND jsonPayload.logName="projects/jit-host/logs/jitaccess"',
    });
  });

  test("stdout on App Engine: the platform's stdout log, this service (module), and only lines marked as audit entries", () => {
    expect(auditLogSource({ ...placement, logName: 'audit/jit', destination: 'stdout', platform: 'appengine', serviceName: 'default' })).toEqual({
      readable: true,
      filter:
        'logName="projects/jit-host/logs/stdout" AND resource.type="gae_app" AND resource.labels.module_id="default" AND jsonPayload.logName="projects/jit-host/logs/audit%2Fjit"',
    });
  });

  test('stdout elsewhere: nothing ships standard output, so the log cannot be read back, and the reason says what to set', () => {
    const source = auditLogSource({ ...placement, destination: 'stdout', platform: 'local' });
    expect(source.readable).toBe(false);
    expect(!source.readable && source.reason).toMatch(/cannot be read back.*AUDIT_LOG_DESTINATION=logging-api/);
  });
});
