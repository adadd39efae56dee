// The audit trail: one structured entry per event, either as a JSON line on stdout in Cloud Logging's
// structured logging format (App Engine and Cloud Run ship those to Cloud Logging), or written through the
// Logging API with @google-cloud/logging. That library is loaded only for the Logging API: it takes
// longer to load than the rest of the service together, and stdout, the default, does not need it.
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../clock';
import type { Entry, Log, LoggingOptions } from '@google-cloud/logging';
import type { GoogleCredentials } from '../google/connection';
import { redactTokens, redactTokensIn } from '../domain/redaction';
import { isServiceAccountEmail } from '../domain/iam-policy';
import { auditLogName } from '../domain/audit-log-source';

export type AuditEventName =
  | 'runtime.startup'
  | 'auth.failed'
  | 'projects.listed'
  | 'projects.list.failed'
  | 'roles.listed'
  | 'roles.list.failed'
  | 'catalog.group.skipped'
  | 'catalog.refresh.failed'
  | 'reviewers.list.failed'
  | 'activation.succeeded'
  | 'activation.failed'
  | 'activation.scheduled'
  | 'activation.scheduled.cancelled'
  | 'activation.scheduled.started'
  | 'activation.scheduled.refused'
  | 'activation.scheduled.failed'
  | 'request.created'
  | 'request.failed'
  | 'approval.succeeded'
  | 'approval.recorded'
  | 'request.denied'
  | 'request.cancelled'
  | 'request.reissued'
  | 'request.expiry.notified'
  | 'request.escalated'
  | 'grant.reminder.sent'
  | 'approval.failed'
  | 'notification.failed'
  | 'grants.list.failed'
  | 'grant.ended'
  | 'grant.end.failed'
  | 'grant.extended'
  | 'grant.extend.failed'
  | 'grant.revoked'
  | 'grant.revoke.failed'
  | 'alert.notified'
  | 'cleanup.run'
  | 'cleanup.project'
  | 'cleanup.failed'
  | 'workflows.run'
  | 'workflows.pass.failed'
  | 'policy.loaded'
  | 'policy.refused'
  | 'breakglass.activated'
  | 'breakglass.failed'
  | 'breakglass.reviewed'
  | 'breakglass.review.failed'
  | 'breakglass.reminded'
  | 'ticket.event.failed';

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
  /** What came of it; a break-glass review (`breakglass.reviewed`) records its own outcome here. */
  outcome: 'success' | 'failure' | 'denied' | 'acknowledged' | 'flagged';
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
  auth?: GoogleCredentials;
}

/** Labels make events easy to filter in Cloud Logging (`labels.event="activation.succeeded"`). */
function labelsOf(event: AuditEvent): Record<string, string> {
  const labels: Record<string, string> = { event: event.event, outcome: event.outcome };
  if (event.user) {
    labels.user = event.user.email;
    // A pipeline's service account reads differently in an audit than a person.
    labels.principal_type = isServiceAccountEmail(event.user.email) ? 'serviceAccount' : 'user';
    labels.user_id = event.user.userId;
    labels.device_id = event.user.deviceId;
    labels.device_access_levels = event.user.accessLevels.join(', ');
  }
  if (event.project) labels.project = event.project;
  if (event.activationId) labels.activation_id = event.activationId;
  return labels;
}

/** Unique per process and increasing, as Cloud Logging's `insertId` de-duplication wants. */
const insertIds = { prefix: randomBytes(6).toString('base64url'), next: 0 };
const nextInsertId = () => `${insertIds.prefix}-${(insertIds.next++).toString(36).padStart(8, '0')}`;

/** An entry as it is written: its id and time are chosen here, so that the writer can tell the audit feed at once. */
interface WrittenEntry {
  insertId: string;
  timestamp: Date;
  event: AuditEvent;
}

/**
 * An event as one line of Cloud Logging's structured logging format (the fields `LogSync` of
 * @google-cloud/logging writes): severity, labels and insertId are read by the logging agent, the rest
 * becomes the entry's jsonPayload.
 */
export function structuredLogLine(event: AuditEvent, logName: string, projectId: string, now: Date = new Date(), insertId: string = nextInsertId()): string {
  const { severity, ...payload } = event;
  return JSON.stringify({
    timestamp: protobufTimestamp(now),
    severity,
    resource: { type: 'global' },
    'logging.googleapis.com/labels': labelsOf(event),
    'logging.googleapis.com/insertId': insertId,
    ...payload,
    // Not lifted by the agent: it stays in jsonPayload, the mark by which the audit feed tells audit lines apart.
    logName: auditLogName(projectId, logName),
  });
}

/**
 * A time as Cloud Logging's Timestamp, exact to the millisecond. @google-cloud/logging converts a Date through
 * floating-point seconds and truncates: about one time in three came out a millisecond early (…05.096 became
 * …05.095999956), so the entry read back differed from the one this instance had listed.
 */
function protobufTimestamp(time: Date): { seconds: number; nanos: number } {
  const millis = time.getTime();
  const seconds = Math.floor(millis / 1000);
  return { seconds, nanos: (millis - seconds * 1000) * 1e6 };
}

interface EntryWriter {
  write(entry: WrittenEntry): void;
  flush(): Promise<void>;
}

function stdoutLog(options: AuditDestination): EntryWriter {
  return {
    write({ event, timestamp, insertId }) {
      process.stdout.write(`${structuredLogLine(event, options.logName, options.projectId, timestamp, insertId)}\n`);
    },
    async flush() {},
  };
}

function loggingApiLog(options: AuditDestination): EntryWriter {
  let log: Log | undefined;
  const logOf = (): Log => {
    if (log) return log;
    const { Logging } = require('@google-cloud/logging') as typeof import('@google-cloud/logging');
    // REST transport in production too, so the emulator serves exactly what production sends.
    const logging = new Logging({
      projectId: options.projectId,
      fallback: true,
      ...(options.emulator ? { protocol: 'http', apiEndpoint: options.emulator.host, port: options.emulator.port } : {}),
      ...(options.auth ? { authClient: options.auth() as unknown as LoggingOptions['authClient'] } : {}),
    } as LoggingOptions);
    return (log = logging.log(options.logName));
  };
  const pending = new Set<Promise<unknown>>();

  return {
    write({ event, timestamp, insertId }) {
      const { severity, ...payload } = event;
      const write = Promise.resolve()
        .then(() => {
          const sink = logOf();
          const entry: Entry = sink.entry({ severity, labels: labelsOf(event), resource: { type: 'global' }, timestamp: protobufTimestamp(timestamp), insertId }, payload);
          return sink.write(entry);
        })
        .catch((e: Error) => {
          // The trail must not silently lose an event: say so on stderr, where the platform still collects it.
          process.stderr.write(`${JSON.stringify({ severity: 'ERROR', message: redactTokens(`Writing an audit entry failed: ${e.message}`), lostEvent: payload })}\n`);
        });
      pending.add(write);
      void write.finally(() => pending.delete(write));
    },
    async flush() {
      await Promise.all([...pending]);
    },
  };
}

/**
 * Every entry is scrubbed of tokens (see redaction) before it is written, wherever it goes. `written` hears of
 * each entry as it is written (the audit feed, so that this instance's own entries are listed before Cloud
 * Logging serves them back; the insertId lets the feed tell them apart from the same entries read later).
 */
export function createAuditLog(
  options: AuditDestination,
  written?: (entry: { insertId: string; timestamp: Date; payload: Record<string, unknown> }) => void,
  now: Clock = systemClock,
): AuditLog {
  const log = options.destination === 'stdout' ? stdoutLog(options) : loggingApiLog(options);
  return {
    record: (given) => {
      const event = redactTokensIn(given);
      const entry = { event, timestamp: now(), insertId: nextInsertId() };
      log.write(entry);
      if (written) {
        const { severity: _severity, ...payload } = event;
        written({ insertId: entry.insertId, timestamp: entry.timestamp, payload: structuredClone(payload) });
      }
    },
    flush: () => log.flush(),
  };
}
