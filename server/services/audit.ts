// The audit trail: one structured entry per event, written with @google-cloud/logging either as JSON lines
// on stdout (App Engine and Cloud Run ship them to Cloud Logging) or through the Logging API.
import { Logging, type Entry, type Log, type LogSync, type LoggingOptions } from '@google-cloud/logging';
import type { GoogleAuth, OAuth2Client } from 'google-auth-library';

export type AuditEventName =
  | 'runtime.startup'
  | 'auth.failed'
  | 'projects.listed'
  | 'projects.list.failed'
  | 'roles.listed'
  | 'roles.list.failed'
  | 'reviewers.list.failed'
  | 'activation.succeeded'
  | 'activation.failed'
  | 'request.created'
  | 'request.failed'
  | 'approval.succeeded'
  | 'approval.failed'
  | 'notification.failed';

export type Severity = 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';

export interface AuditUser {
  email: string;
  userId: string;
  deviceId: string;
  accessLevels: string[];
}

export interface AuditEvent {
  event: AuditEventName;
  severity: Severity;
  message: string;
  outcome: 'success' | 'failure' | 'denied';
  user?: AuditUser;
  project?: string;
  roles?: { role: string; resourceCondition: string | null }[];
  start?: string;
  end?: string;
  justification?: string;
  activationId?: string;
  reviewers?: string[];
  beneficiary?: string;
  error?: { code: string; message: string };
  [extra: string]: unknown;
}

export interface AuditLog {
  record(event: AuditEvent): void;
  /** Resolves when everything recorded so far was written. */
  flush(): Promise<void>;
}

export interface AuditDestination {
  destination: 'stdout' | 'logging-api';
  logName: string;
  projectId: string;
  /** For the Logging API: the emulator's host and port, or Google's default endpoint when absent. */
  emulator?: { host: string; port: number };
  auth?: GoogleAuth | OAuth2Client;
}

/** Labels make events easy to filter in Cloud Logging (`labels.event="activation.succeeded"`). */
function labelsOf(event: AuditEvent): Record<string, string> {
  const labels: Record<string, string> = { event: event.event, outcome: event.outcome };
  if (event.user) {
    labels.user = event.user.email;
    labels.user_id = event.user.userId;
    labels.device_id = event.user.deviceId;
    labels.device_access_levels = event.user.accessLevels.join(', ');
  }
  if (event.project) labels.project = event.project;
  if (event.activationId) labels.activation_id = event.activationId;
  return labels;
}

export function createAuditLog(options: AuditDestination): AuditLog {
  // REST transport in production too, so the emulator serves exactly what production sends.
  const logging = new Logging({
    projectId: options.projectId,
    fallback: true,
    ...(options.emulator ? { protocol: 'http', apiEndpoint: options.emulator.host, port: options.emulator.port } : {}),
    ...(options.auth ? { authClient: options.auth as unknown as LoggingOptions['authClient'] } : {}),
  } as LoggingOptions);
  const sink: Log | LogSync =
    options.destination === 'stdout' ? logging.logSync(options.logName, undefined, { useMessageField: false }) : logging.log(options.logName);
  const pending = new Set<Promise<unknown>>();

  return {
    record(event) {
      const { severity, ...payload } = event;
      const entry: Entry = sink.entry({ severity, labels: labelsOf(event), resource: { type: 'global' } }, payload);
      const write = Promise.resolve(sink.write(entry)).catch((e: Error) => {
        // The trail must not silently lose an event: say so on stderr, where the platform still collects it.
        process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: `Writing an audit entry failed: ${e.message}`, lostEvent: payload })}\n`);
      });
      pending.add(write);
      void write.finally(() => pending.delete(write));
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}
