// Where the audit entries can be read back from, which depends on how they were written. Through the
// Logging API they are in their own log (AUDIT_LOG_NAME). As JSON lines on stdout, the platform's agent files
// them under the platform's stdout log, next to everything else the service prints and every other service
// of the project prints: there a filter picks the platform's log, this service's resource, and the marker
// only audit lines carry, `jsonPayload.logName` (the agent does not lift that key out of the line).

export interface AuditLogPlacement {
  destination: 'stdout' | 'logging-api';
  platform: 'appengine' | 'cloudrun' | 'local';
  /** The App Engine service (GAE_SERVICE) or Cloud Run service (K_SERVICE) the service runs as. */
  serviceName?: string;
  projectId: string;
  /** AUDIT_LOG_NAME. */
  logName: string;
}

/** The entries.list filter that selects the audit entries, or why they cannot be read back. */
export type AuditLogSource = { readable: true; filter: string } | { readable: false; reason: string };

/** `projects/P/logs/ID` with the log id URL-encoded, as Cloud Logging names logs (`a/b` → `a%2Fb`). */
export function auditLogName(projectId: string, logName: string): string {
  return `projects/${projectId}/logs/${encodeURIComponent(logName)}`;
}

/** A value of the Logging query language, quoted. */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

/** The platforms' stdout logs and the monitored resource their agent files each line under. */
const STDOUT_LOGS = {
  cloudrun: { logId: 'run.googleapis.com/stdout', resourceType: 'cloud_run_revision', serviceLabel: 'service_name' },
  appengine: { logId: 'stdout', resourceType: 'gae_app', serviceLabel: 'module_id' },
} as const;

export function auditLogSource(placement: AuditLogPlacement): AuditLogSource {
  const ownLog = auditLogName(placement.projectId, placement.logName);
  if (placement.destination === 'logging-api') return { readable: true, filter: `logName=${quoted(ownLog)}` };
  if (placement.platform === 'local') {
    return {
      readable: false,
      reason:
        'The audit log cannot be read back: AUDIT_LOG_DESTINATION=stdout prints the entries, and outside App Engine and Cloud Run nothing ships standard output to Cloud Logging. Set AUDIT_LOG_DESTINATION=logging-api to list requests, history and alerts from the log.',
    };
  }
  const stdout = STDOUT_LOGS[placement.platform];
  const clauses = [
    `logName=${quoted(auditLogName(placement.projectId, stdout.logId))}`,
    `resource.type=${quoted(stdout.resourceType)}`,
    `resource.labels.${stdout.serviceLabel}=${quoted(placement.serviceName ?? '')}`,
    `jsonPayload.logName=${quoted(ownLog)}`,
  ];
  return { readable: true, filter: clauses.join(' AND ') };
}
