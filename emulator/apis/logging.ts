// Cloud Logging v2: entries.write and entries.list, as googleapis and @google-cloud/logging (REST
// fallback: numeric enums, `$alt=json;enum-encoding=int`) send them.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Request, Response } from 'express';
import type { EmulatorEnv } from '../env';
import type { LogEntryRecord } from '../state';
import { GoogleApiError, httpCodeOf, iamPermissionDenied, invalidArgument, strictBody, strictQuery, type GoogleStatus, type Route } from '../http';
import { SEVERITIES, matches, parseFilter, severityRank, type Severity } from './logging-filter';
import { formatTimestamp, nanosOf, parseTimestamp } from './timestamps';
import { pageOf } from './paging';

/** proto3 JSON accepts null for any field and treats it as unset. */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish();
const int64 = z.union([z.string().regex(/^-?[0-9]+$/), z.number().int()]);

const monitoredResource = z.object({ type: opt(z.string()), labels: opt(z.record(z.string(), z.string())) }).strict();
const stringMap = z.record(z.string(), z.string());

const httpRequest = z
  .object({
    requestMethod: opt(z.string()),
    requestUrl: opt(z.string()),
    requestSize: opt(int64),
    status: opt(z.number().int()),
    responseSize: opt(int64),
    userAgent: opt(z.string()),
    remoteIp: opt(z.string()),
    serverIp: opt(z.string()),
    referer: opt(z.string()),
    latency: opt(z.string().regex(/^-?[0-9]+(\.[0-9]{1,9})?s$/, 'must be a Duration such as "1.5s"')),
    cacheLookup: opt(z.boolean()),
    cacheHit: opt(z.boolean()),
    cacheValidatedWithOriginServer: opt(z.boolean()),
    cacheFillBytes: opt(int64),
    protocol: opt(z.string()),
  })
  .strict();

const logEntry = z
  .object({
    logName: opt(z.string()),
    resource: opt(monitoredResource),
    protoPayload: opt(z.record(z.string(), z.unknown())),
    textPayload: opt(z.string()),
    jsonPayload: opt(z.record(z.string(), z.unknown())),
    timestamp: opt(z.string()),
    // Output only: accepted and replaced, as Google does.
    receiveTimestamp: opt(z.string()),
    severity: opt(z.union([z.string(), z.number()])),
    insertId: opt(z.string()),
    httpRequest: opt(httpRequest),
    labels: opt(stringMap),
    operation: opt(z.object({ id: opt(z.string()), producer: opt(z.string()), first: opt(z.boolean()), last: opt(z.boolean()) }).strict()),
    trace: opt(z.string()),
    spanId: opt(z.string()),
    traceSampled: opt(z.boolean()),
    sourceLocation: opt(z.object({ file: opt(z.string()), line: opt(int64), function: opt(z.string()) }).strict()),
    split: opt(z.object({ uid: opt(z.string()), index: opt(z.number().int()), totalSplits: opt(z.number().int()) }).strict()),
  })
  .strict();
type LogEntryInput = z.infer<typeof logEntry>;

const writeBody = z
  .object({
    logName: opt(z.string()),
    resource: opt(monitoredResource),
    labels: opt(stringMap),
    entries: opt(z.array(logEntry)),
    partialSuccess: opt(z.boolean()),
    dryRun: opt(z.boolean()),
  })
  .strict();

const listBody = z
  .object({
    resourceNames: opt(z.array(z.string())),
    projectIds: opt(z.array(z.string())),
    filter: opt(z.string()),
    orderBy: opt(z.string()),
    pageSize: opt(z.number().int()),
    pageToken: opt(z.string()),
  })
  .strict();

/**
 * Monitored resource types the emulator knows, with their labels. Google validates both against its
 * catalogue; an unknown type or label is a 400 here too (the stricter reading).
 */
const RESOURCE_TYPES: Record<string, readonly string[]> = {
  global: ['project_id'],
  project: ['project_id'],
  organization: ['organization_id'],
  folder: ['folder_id'],
  gae_app: ['project_id', 'module_id', 'version_id', 'zone'],
  cloud_run_revision: ['project_id', 'service_name', 'revision_name', 'location', 'configuration_name'],
  cloud_run_job: ['project_id', 'job_name', 'location'],
  cloud_function: ['project_id', 'function_name', 'region'],
  gce_instance: ['project_id', 'instance_id', 'zone'],
  k8s_container: ['project_id', 'location', 'cluster_name', 'namespace_name', 'pod_name', 'container_name'],
  generic_node: ['project_id', 'location', 'namespace', 'node_id'],
  generic_task: ['project_id', 'location', 'namespace', 'job', 'task_id'],
  audited_resource: ['project_id', 'service', 'method'],
};

const LOG_NAME = /^(projects|organizations|folders|billingAccounts)\/([^/]+)\/logs\/([^/]+)$/;
const LOG_ID = /^[A-Za-z0-9/_\-.]{1,511}$/;
const RESOURCE_NAME = /^(projects|organizations|folders|billingAccounts)\/([^/]+)(\/locations\/[^/]+\/buckets\/[^/]+\/views\/[^/]+)?$/;
const MAX_PAGE_SIZE = 1000;
const DEFAULT_PAGE_SIZE = 50;
const GRPC_CODE: Partial<Record<GoogleStatus, number>> = { INVALID_ARGUMENT: 3, PERMISSION_DENIED: 7, NOT_FOUND: 5 };

/** Why one entry of a write was refused; with partialSuccess the others are still written. */
class EntryError extends Error {
  constructor(
    readonly status: GoogleStatus,
    message: string,
    /** For denials: the resource whose policy refused the write. */
    readonly resource?: string,
  ) {
    super(message);
  }
}

export function loggingRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  // Entries already stored, by log, timestamp and insertId: Google drops exact duplicates (client retries).
  let seen: { entries: LogEntryRecord[]; length: number; keys: Set<string> } | undefined;
  const identity = (e: LogEntryRecord) => `${e.logName}\u0000${e.timestamp}\u0000${e.insertId}`;
  const storedKeys = (): Set<string> => {
    if (!seen || seen.entries !== state.logEntries || seen.length > state.logEntries.length) seen = { entries: state.logEntries, length: 0, keys: new Set() };
    for (; seen.length < state.logEntries.length; seen.length++) seen.keys.add(identity(state.logEntries[seen.length]));
    return seen.keys;
  };

  /** `projects/123/logs/a%2Fb` → `projects/ID/logs/a%2Fb` and the resource whose policy governs it. */
  const normalizeLogName = (raw: string): { logName: string; parent: string } => {
    const name = raw.replace(/^\//, '');
    const m = LOG_NAME.exec(name);
    let logId: string | undefined;
    try {
      logId = m ? decodeURIComponent(m[3]) : undefined;
    } catch {
      logId = undefined;
    }
    if (!m || logId === undefined || !LOG_ID.test(logId)) {
      throw new EntryError(
        'INVALID_ARGUMENT',
        `Invalid log name "${raw}": expected projects/PROJECT_ID/logs/LOG_ID (or organizations/, folders/, billingAccounts/), where LOG_ID is URL-encoded (/ as %2F), shorter than 512 characters, and made of letters, digits and / _ - .`,
      );
    }
    const parent = m[1] === 'projects' ? `projects/${state.project(m[2])?.id ?? m[2]}` : `${m[1]}/${m[2]}`;
    return { logName: `${parent}/logs/${logId.replace(/\//g, '%2F')}`, parent };
  };

  const write = (req: Request, res: Response) => {
    strictQuery(req, []);
    const body = strictBody(req, writeBody);
    const entries = body.entries ?? [];
    if (entries.length === 0) throw invalidArgument('entries: at least one log entry is required.');
    // A second payload is a JSON-level error for the whole request (the payload is a oneof).
    entries.forEach((e, i) => {
      const payloads = (['protoPayload', 'textPayload', 'jsonPayload'] as const).filter((p) => e[p] !== undefined && e[p] !== null);
      if (payloads.length > 1) throw invalidArgument(`Invalid JSON payload received. Oneof field 'payload' is already set. Cannot set '${payloads[1]}' at 'entries[${i}]'.`);
      if (e.severity !== undefined && e.severity !== null && severityOf(e.severity) === undefined) {
        throw invalidArgument(`Invalid value at 'entries[${i}].severity' (type.googleapis.com/google.logging.type.LogSeverity), ${JSON.stringify(e.severity)}`);
      }
      if (e.timestamp && parseTimestamp(e.timestamp) === undefined) {
        throw invalidArgument(`Invalid value at 'entries[${i}].timestamp' (type.googleapis.com/google.protobuf.Timestamp), "${e.timestamp}": expected RFC 3339 such as 2024-05-01T10:30:00.123Z`);
      }
    });

    const now = state.now();
    const receiveTimestamp = formatTimestamp(nanosOf(now));
    const batch = randomBytes(6).toString('hex');
    const permitted = new Map<string, boolean>();
    const errors = new Map<number, EntryError>();
    const accepted: LogEntryRecord[] = [];
    entries.forEach((input, i) => {
      try {
        const rawLogName = input.logName || body.logName;
        if (!rawLogName) throw new EntryError('INVALID_ARGUMENT', 'Log name is required: set logName on the entry or on the request.');
        const { logName, parent } = normalizeLogName(rawLogName);
        if (!permitted.has(parent)) permitted.set(parent, state.canonicalName(parent) !== undefined && state.hasPermission(res.locals.principal, 'logging.logEntries.create', parent));
        if (!permitted.get(parent)) throw new EntryError('PERMISSION_DENIED', `Permission 'logging.logEntries.create' denied on resource (or it may not exist).`, parent);
        accepted.push(normalizeEntry(input, body, { logName, parent, insertId: `${batch}${i.toString(36).padStart(4, '0')}`, now, receiveTimestamp }));
      } catch (e) {
        if (!(e instanceof EntryError)) throw e;
        errors.set(i, e);
      }
    });

    const commit = errors.size === 0 || body.partialSuccess === true;
    if (commit && !body.dryRun) {
      const keys = storedKeys();
      for (const record of accepted) {
        if (keys.has(identity(record))) continue;
        state.logEntries.push(record);
        keys.add(identity(record));
      }
    }
    if (errors.size === 0) return {};
    // Google answers with the status of a failed entry; partialSuccess adds every entry's error.
    const [index, first] = [...errors][0];
    const partial = body.partialSuccess
      ? [
          {
            '@type': 'type.googleapis.com/google.logging.v2.WriteLogEntriesPartialErrors',
            logEntryErrors: Object.fromEntries([...errors].map(([i, e]) => [String(i), { code: GRPC_CODE[e.status], message: e.message }])),
          },
        ]
      : [];
    if (first.status === 'PERMISSION_DENIED') {
      const denial = iamPermissionDenied('logging.logEntries.create', first.resource!);
      throw new GoogleApiError('PERMISSION_DENIED', denial.message, [...denial.details, ...partial]);
    }
    throw new GoogleApiError(first.status, `entries[${index}]: ${first.message}`, partial, httpCodeOf[first.status]);
  };

  const list = (req: Request, res: Response) => {
    strictQuery(req, []);
    const body = strictBody(req, listBody);
    const names = [...(body.resourceNames ?? []), ...(body.projectIds ?? []).map((p) => `projects/${p}`)];
    if (names.length === 0) {
      throw invalidArgument('resourceNames is required: name at least one of projects/PROJECT_ID, folders/FOLDER_ID, organizations/ORG_ID, billingAccounts/ID or a log view.');
    }
    if (names.length > 100) throw invalidArgument(`resourceNames has ${names.length} names; the maximum is 100.`);
    const scopes = names.map((name) => {
      const m = RESOURCE_NAME.exec(name);
      if (!m) {
        throw invalidArgument(
          `Invalid resource name "${name}" in resourceNames: expected projects/P, folders/F, organizations/O, billingAccounts/B, or …/locations/L/buckets/B/views/V.`,
        );
      }
      const parent = `${m[1]}/${m[1] === 'projects' ? (state.project(m[2])?.id ?? m[2]) : m[2]}`;
      if (state.canonicalName(parent) === undefined || !state.hasPermission(res.locals.principal, 'logging.logEntries.list', parent)) {
        throw iamPermissionDenied('logging.logEntries.list', name);
      }
      return `${parent}/logs/`;
    });
    const filter = parseFilter(body.filter ?? '');
    const orderBy = (body.orderBy ?? '').trim().replace(/\s+/g, ' ');
    if (!['', 'timestamp asc', 'timestamp desc'].includes(orderBy)) {
      throw invalidArgument(`Invalid orderBy "${body.orderBy}": only "timestamp asc" (the default) and "timestamp desc" are supported.`);
    }
    const pageSize = body.pageSize ?? 0;
    if (pageSize < 0) throw invalidArgument(`Invalid pageSize ${pageSize}: it must not be negative.`);

    const direction = orderBy === 'timestamp desc' ? -1 : 1;
    const found = state.logEntries
      .filter((e) => scopes.some((s) => e.logName.startsWith(s)) && matches(filter, e))
      .map((e) => ({ e, at: parseTimestamp(e.timestamp)! }))
      .sort((a, b) => direction * (a.at === b.at ? (a.e.insertId < b.e.insertId ? -1 : a.e.insertId > b.e.insertId ? 1 : 0) : a.at < b.at ? -1 : 1))
      .map(({ e }) => e);
    const page = pageOf(found, Math.min(pageSize || DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE), body.pageToken ?? undefined, JSON.stringify([names, body.filter ?? '', orderBy]));
    const numericEnums = /enum-encoding=int/.test(String(new URL(req.originalUrl, 'http://x').searchParams.get('$alt') ?? ''));
    return {
      ...(page.items.length > 0 ? { entries: page.items.map((e) => output(e, numericEnums)) } : {}),
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  };

  return [
    { method: 'POST', pattern: /^\/v2\/entries:write$/, api: 'logging', name: 'logging.entries.write', handler: write },
    { method: 'POST', pattern: /^\/v2\/entries:list$/, api: 'logging', name: 'logging.entries.list', handler: list },
  ];
}

function severityOf(value: string | number): Severity | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value % 100 === 0 ? SEVERITIES[value / 100] : undefined;
  return (SEVERITIES as readonly string[]).includes(value) ? (value as Severity) : undefined;
}

/** Applies the request-level defaults, validates one entry, and returns it as stored (canonical proto3 JSON). */
function normalizeEntry(
  input: LogEntryInput,
  request: z.infer<typeof writeBody>,
  context: { logName: string; parent: string; insertId: string; now: Date; receiveTimestamp: string },
): LogEntryRecord {
  const { logName, parent, now, receiveTimestamp } = context;
  const resource = input.resource ?? request.resource;
  if (!resource?.type) throw new EntryError('INVALID_ARGUMENT', 'A monitored resource with a type is required: set resource on the entry or on the request, e.g. {"type": "global"}.');
  const known = RESOURCE_TYPES[resource.type];
  if (!known) throw new EntryError('INVALID_ARGUMENT', `Unsupported monitored resource type "${resource.type}"; the emulator knows ${Object.keys(RESOURCE_TYPES).join(', ')}.`);
  const resourceLabels = { ...(resource.labels ?? {}) };
  for (const label of Object.keys(resourceLabels)) {
    if (!known.includes(label)) throw new EntryError('INVALID_ARGUMENT', `Monitored resource type "${resource.type}" has no label "${label}"; its labels are ${known.join(', ')}.`);
  }
  // Google fills the project of project-scoped resources from the log name.
  if (known.includes('project_id') && !resourceLabels.project_id && parent.startsWith('projects/')) resourceLabels.project_id = parent.slice('projects/'.length);

  if (input.protoPayload && typeof input.protoPayload['@type'] !== 'string') {
    throw new EntryError('INVALID_ARGUMENT', 'protoPayload needs an "@type" naming its message type, e.g. type.googleapis.com/google.cloud.audit.AuditLog.');
  }
  const labels = { ...(request.labels ?? {}), ...(input.labels ?? {}) };
  for (const key of Object.keys(labels)) {
    if (Buffer.byteLength(key) > 512) throw new EntryError('INVALID_ARGUMENT', `Label key "${key.slice(0, 40)}…" is longer than 512 bytes.`);
  }

  const timestamp = input.timestamp ? formatTimestamp(parseTimestamp(input.timestamp)!) : formatTimestamp(nanosOf(now));
  const severity = input.severity === undefined || input.severity === null ? 'DEFAULT' : severityOf(input.severity)!;
  const record: LogEntryRecord = {
    logName,
    resource: { type: resource.type, ...(Object.keys(resourceLabels).length > 0 ? { labels: resourceLabels } : {}) },
    timestamp,
    receiveTimestamp,
    severity,
    // Filled ids sort in request order, as Google's do within one request.
    insertId: input.insertId || context.insertId,
  };
  if (Object.keys(labels).length > 0) record.labels = labels;
  if (input.textPayload !== undefined && input.textPayload !== null) record.textPayload = input.textPayload;
  if (input.jsonPayload) record.jsonPayload = input.jsonPayload;
  if (input.protoPayload) record.protoPayload = input.protoPayload;
  const rest = { httpRequest: input.httpRequest, operation: input.operation, sourceLocation: input.sourceLocation, split: input.split };
  for (const [key, value] of Object.entries(rest)) {
    const compact = withoutDefaults(value);
    if (compact !== undefined) record[key] = compact;
  }
  for (const key of ['trace', 'spanId'] as const) if (input[key]) record[key] = input[key];
  if (input.traceSampled) record.traceSampled = true;
  if (record.sourceLocation && typeof (record.sourceLocation as { line?: unknown }).line === 'number') {
    (record.sourceLocation as { line: unknown }).line = String((record.sourceLocation as { line: number }).line);
  }
  return record;
}

/** Drops null, empty and default members (proto3 JSON omits them); undefined when nothing is left. */
function withoutDefaults(value: unknown): unknown {
  if (value === null || value === undefined || value === '' || value === false || value === 0 || value === '0') return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return value;
  const kept = Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => [k, withoutDefaults(v)] as const)
    .filter(([, v]) => v !== undefined);
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** A stored entry as the API returns it; numeric-enum clients get the severity as a number. */
function output(entry: LogEntryRecord, numericEnums: boolean): Record<string, unknown> {
  const { severity, ...rest } = entry;
  if (severity === 'DEFAULT') return rest;
  return { ...rest, severity: numericEnums ? severityRank(severity as Severity) : severity };
}
