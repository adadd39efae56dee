// Settings from environment variables, parsed and validated once at start-up. Names and defaults follow
// jit-access 1.x where the setting exists there, so a deployment can switch without renaming anything.
import { z } from 'zod';
import { AddressMapping, InvalidAddressMappingError } from './domain/address-mapping';

export class ConfigError extends Error {}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?[0-9]+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const bool = z
  .string()
  .transform((v) => v.toLowerCase())
  .pipe(z.enum(['true', 'false'], 'must be true or false'))
  .transform((v) => v === 'true');

const lowerEnum = <const T extends readonly [string, ...string[]]>(values: T, message: string) =>
  z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(values, message));

const scope = z
  .string()
  .regex(
    /^(organizations\/[0-9]+|folders\/[0-9]+|projects\/[a-z][-a-z0-9]{4,28}[a-z0-9])$/,
    'must be organizations/ID, folders/ID or projects/PROJECT_ID',
  );

const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address');

const envSchema = z.object({
  RESOURCE_SCOPE: scope.optional(),
  RESOURCE_CATALOG: lowerEnum(['assetinventory', 'policyanalyzer'], 'must be AssetInventory or PolicyAnalyzer').default('assetinventory'),
  RESOURCE_CUSTOMER_ID: z.string().regex(/^C[0-9a-zA-Z]+$/, 'must use the format Cxxxxxxxx').optional(),
  ELEVATION_DURATION: integer(1, 24 * 60).optional(),
  ACTIVATION_TIMEOUT: integer(1, 24 * 60).default(120),
  ACTIVATION_REQUEST_TIMEOUT: integer(1, 24 * 60).default(60),
  JUSTIFICATION_PATTERN: z.string().default('.*'),
  JUSTIFICATION_HINT: z.string().max(200, 'must be at most 200 characters').default('Bug or case number'),
  JUSTIFICATION_MAX_LENGTH: integer(1, 1000).default(100),
  ACTIVATION_REQUEST_MIN_REVIEWERS: integer(1, 100).default(1),
  ACTIVATION_REQUEST_MAX_REVIEWERS: integer(1, 100).default(10),
  ACTIVATION_REQUEST_MAX_ROLES: integer(1, 20).default(10),
  AVAILABLE_PROJECTS_QUERY: z.string().max(1000).optional(),
  IAP_BACKEND_SERVICE_ID: z.string().regex(/^[0-9]+$/, 'must be the numeric id of the backend service').optional(),
  IAP_VERIFY_AUDIENCE: bool.default(true),
  IAP_AUDIENCE: z.string().regex(/^\/projects\/[0-9]+\/(apps\/[-a-z0-9]+|global\/backendServices\/[0-9]+|regions\/[-a-z0-9]+\/backendServices\/[0-9]+|locations\/[-a-z0-9]+\/services\/[-a-z0-9]+)$/, 'must be an IAP audience such as /projects/NUMBER/apps/PROJECT_ID or /projects/NUMBER/global/backendServices/ID').optional(),
  NOTIFICATION_TIMEZONE: z.string().default('UTC'),
  NOTIFICATION_TOPIC: z.string().regex(/^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$/, 'must be a Pub/Sub topic id (the topic in the service project)').optional(),
  SMTP_HOST: z.string().default('smtp.gmail.com'),
  SMTP_PORT: integer(1, 65535).refine((p) => p !== 25, 'must not be 25 (use a submission port such as 587)').default(587),
  SMTP_ENABLE_STARTTLS: bool.default(true),
  SMTP_SENDER_NAME: z.string().default('JIT Access'),
  SMTP_SENDER_ADDRESS: email.optional(),
  SMTP_USERNAME: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_SECRET: z.string().regex(/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/, 'must be projects/PROJECT/secrets/NAME/versions/VERSION').optional(),
  SMTP_OPTIONS: z.string().optional(),
  SMTP_ADDRESS_MAPPING: z.string().optional(),
  BACKEND_CONNECT_TIMEOUT: integer(1, 300).default(5),
  BACKEND_READ_TIMEOUT: integer(1, 300).default(20),
  BACKEND_WRITE_TIMEOUT: integer(1, 300).default(5),
  BACKEND_CONFLICT_RETRY_TIMEOUT: integer(1, 300).default(15),
  CATALOG_CACHE_SECONDS: integer(0, 3600).default(30),
  AUDIT_LOG_DESTINATION: lowerEnum(['stdout', 'logging-api'], 'must be stdout or logging-api').default('stdout'),
  AUDIT_LOG_NAME: z.string().regex(/^[A-Za-z0-9/_.-]{1,100}$/, 'must be a log id (letters, digits, / _ - .)').default('jitaccess'),
  GOOGLE_API_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8085' }).optional(),
  GOOGLE_CLOUD_PROJECT: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a project id').optional(),
  SERVICE_ACCOUNT: email.optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL users open, such as https://jit.example.com' }).optional(),
  CLEANUP_INVOKER_SERVICE_ACCOUNT: email.optional(),
  CLEANUP_INTERVAL_MINUTES: integer(1, 24 * 60).default(60),
  CLEANUP_PROJECTS_PER_RUN: integer(1, 1_000_000).default(1000),
  CLEANUP_READS_PER_MINUTE: integer(1, 100_000).default(300),
  CLEANUP_WRITES_PER_MINUTE: integer(1, 100_000).default(60),
  CLEANUP_RUN_SECONDS: integer(1, 3600).default(240),
  PORT: integer(0, 65535).default(8080),
  GAE_SERVICE: z.string().optional(),
  K_SERVICE: z.string().optional(),
});

export type Catalog = 'AssetInventory' | 'PolicyAnalyzer';

export interface Config {
  scope: string;
  catalog: Catalog;
  customerId?: string;
  activationTimeoutMinutes: number;
  activationRequestTimeoutMinutes: number;
  justification: { pattern: string; hint: string; maxLength: number };
  reviewers: { min: number; max: number };
  maxRolesPerRequest: number;
  availableProjectsQuery?: string;
  iap: { verifyAudience: boolean; audience?: string; backendServiceId?: string };
  notifications: {
    timezone: string;
    topic?: string;
    smtp?: {
      host: string;
      port: number;
      startTls: boolean;
      senderName: string;
      senderAddress: string;
      username?: string;
      password?: string;
      secret?: string;
      options: Record<string, string>;
      addressMapping?: string;
    };
  };
  /** `conflictRetryMs`: how long one IAM policy write keeps retrying etag conflicts before it answers 409. */
  timeouts: { connectMs: number; readMs: number; writeMs: number; conflictRetryMs: number };
  cacheSeconds: number;
  audit: { destination: 'stdout' | 'logging-api'; logName: string };
  /** Set when the service talks to the local emulator instead of Google. */
  emulatorEndpoint?: string;
  projectId?: string;
  serviceAccount?: string;
  publicUrl?: string;
  /**
   * Who may call POST /tasks/cleanup with a Google-signed OIDC token (Cloud Scheduler), and the audience
   * that token must carry: PUBLIC_URL + /tasks/cleanup. App Engine cron needs neither.
   */
  cleanup: {
    invokerServiceAccount?: string;
    audience?: string;
    /** How the sweeper spreads its work (services/cleanup.ts, SweepLimits). */
    intervalMinutes: number;
    projectsPerRun: number;
    readsPerMinute: number;
    writesPerMinute: number;
    runSeconds: number;
  };
  port: number;
  platform: 'appengine' | 'cloudrun' | 'local';
}

/** Reads the configuration; throws ConfigError naming every variable that is wrong and why. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // jit-access reads every variable trimmed, and an empty one counts as unset.
  const present = Object.fromEntries(
    Object.entries(env)
      .map(([k, v]) => [k, v?.trim()])
      .filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}${describeValue(env[String(i.path[0])])}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const problems: string[] = [];
  const platform = e.GAE_SERVICE ? 'appengine' : e.K_SERVICE ? 'cloudrun' : 'local';

  if (e.GOOGLE_API_ENDPOINT && platform !== 'local') {
    problems.push(`GOOGLE_API_ENDPOINT: the emulator endpoint is refused on ${platform === 'appengine' ? 'App Engine (GAE_SERVICE is set)' : 'Cloud Run (K_SERVICE is set)'}; remove it to talk to Google`);
  }
  const scopeValue = e.RESOURCE_SCOPE ?? (e.GOOGLE_CLOUD_PROJECT ? `projects/${e.GOOGLE_CLOUD_PROJECT}` : undefined);
  if (!scopeValue) problems.push('RESOURCE_SCOPE: required (organizations/ID, folders/ID or projects/PROJECT_ID), or set GOOGLE_CLOUD_PROJECT');
  const activationTimeout = e.ELEVATION_DURATION ?? e.ACTIVATION_TIMEOUT;
  if (e.ACTIVATION_REQUEST_TIMEOUT > activationTimeout) {
    problems.push(`ACTIVATION_REQUEST_TIMEOUT: ${e.ACTIVATION_REQUEST_TIMEOUT} minutes exceeds ACTIVATION_TIMEOUT (${activationTimeout} minutes)`);
  }
  if (e.ACTIVATION_REQUEST_MIN_REVIEWERS > e.ACTIVATION_REQUEST_MAX_REVIEWERS) {
    problems.push(`ACTIVATION_REQUEST_MIN_REVIEWERS: ${e.ACTIVATION_REQUEST_MIN_REVIEWERS} exceeds ACTIVATION_REQUEST_MAX_REVIEWERS (${e.ACTIVATION_REQUEST_MAX_REVIEWERS})`);
  }
  try {
    new RegExp(`^(?:${e.JUSTIFICATION_PATTERN})$`, 'u');
  } catch (err) {
    problems.push(`JUSTIFICATION_PATTERN: not a valid regular expression (${(err as Error).message})`);
  }
  if (!isTimeZone(e.NOTIFICATION_TIMEZONE)) {
    problems.push(`NOTIFICATION_TIMEZONE: "${e.NOTIFICATION_TIMEZONE}" is not an IANA time zone such as Europe/Berlin`);
  }
  const smtpOptions = parseSmtpOptions(e.SMTP_OPTIONS, problems);
  if (e.SMTP_PASSWORD && e.SMTP_SECRET) problems.push('SMTP_PASSWORD and SMTP_SECRET: set one of them, not both');
  if ((e.SMTP_PASSWORD || e.SMTP_SECRET) && !e.SMTP_USERNAME) {
    problems.push(`SMTP_USERNAME: required with ${e.SMTP_SECRET ? 'SMTP_SECRET' : 'SMTP_PASSWORD'} (without it mail would be sent unauthenticated)`);
  }
  try {
    new AddressMapping(e.SMTP_ADDRESS_MAPPING);
  } catch (err) {
    if (!(err instanceof InvalidAddressMappingError)) throw err;
    problems.push(`SMTP_ADDRESS_MAPPING: ${err.message}`);
  }
  if (e.IAP_VERIFY_AUDIENCE && platform === 'cloudrun' && !e.IAP_AUDIENCE && !e.IAP_BACKEND_SERVICE_ID) {
    problems.push('IAP_BACKEND_SERVICE_ID: required on Cloud Run to verify the IAP audience (or set IAP_AUDIENCE, or IAP_VERIFY_AUDIENCE=false)');
  }
  if (platform === 'local' && e.IAP_VERIFY_AUDIENCE && !e.IAP_AUDIENCE) {
    // Only App Engine and Cloud Run have a metadata server to derive the audience from.
    problems.push('IAP_AUDIENCE: required outside App Engine and Cloud Run to verify the IAP audience (or IAP_VERIFY_AUDIENCE=false)');
  }
  if (e.CLEANUP_INVOKER_SERVICE_ACCOUNT && !e.PUBLIC_URL) {
    problems.push('PUBLIC_URL: required with CLEANUP_INVOKER_SERVICE_ACCOUNT, because the scheduler\'s OIDC token must be issued for PUBLIC_URL/tasks/cleanup');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);

  return {
    scope: scopeValue!,
    catalog: e.RESOURCE_CATALOG === 'policyanalyzer' ? 'PolicyAnalyzer' : 'AssetInventory',
    customerId: e.RESOURCE_CUSTOMER_ID,
    activationTimeoutMinutes: activationTimeout,
    activationRequestTimeoutMinutes: e.ACTIVATION_REQUEST_TIMEOUT,
    justification: { pattern: e.JUSTIFICATION_PATTERN, hint: e.JUSTIFICATION_HINT, maxLength: e.JUSTIFICATION_MAX_LENGTH },
    reviewers: { min: e.ACTIVATION_REQUEST_MIN_REVIEWERS, max: e.ACTIVATION_REQUEST_MAX_REVIEWERS },
    maxRolesPerRequest: e.ACTIVATION_REQUEST_MAX_ROLES,
    availableProjectsQuery: e.AVAILABLE_PROJECTS_QUERY,
    iap: { verifyAudience: e.IAP_VERIFY_AUDIENCE, audience: e.IAP_AUDIENCE, backendServiceId: e.IAP_BACKEND_SERVICE_ID },
    notifications: {
      timezone: e.NOTIFICATION_TIMEZONE,
      topic: e.NOTIFICATION_TOPIC,
      smtp: e.SMTP_SENDER_ADDRESS
        ? {
            host: e.SMTP_HOST,
            port: e.SMTP_PORT,
            startTls: e.SMTP_ENABLE_STARTTLS,
            senderName: e.SMTP_SENDER_NAME,
            senderAddress: e.SMTP_SENDER_ADDRESS,
            username: e.SMTP_USERNAME,
            password: e.SMTP_PASSWORD,
            secret: e.SMTP_SECRET,
            options: smtpOptions,
            addressMapping: e.SMTP_ADDRESS_MAPPING,
          }
        : undefined,
    },
    timeouts: {
      connectMs: e.BACKEND_CONNECT_TIMEOUT * 1000,
      readMs: e.BACKEND_READ_TIMEOUT * 1000,
      writeMs: e.BACKEND_WRITE_TIMEOUT * 1000,
      conflictRetryMs: e.BACKEND_CONFLICT_RETRY_TIMEOUT * 1000,
    },
    cacheSeconds: e.CATALOG_CACHE_SECONDS,
    audit: { destination: e.AUDIT_LOG_DESTINATION, logName: e.AUDIT_LOG_NAME },
    emulatorEndpoint: e.GOOGLE_API_ENDPOINT?.replace(/\/+$/, ''),
    projectId: e.GOOGLE_CLOUD_PROJECT,
    serviceAccount: e.SERVICE_ACCOUNT?.toLowerCase(),
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    cleanup: {
      invokerServiceAccount: e.CLEANUP_INVOKER_SERVICE_ACCOUNT?.toLowerCase(),
      audience: e.PUBLIC_URL ? `${e.PUBLIC_URL.replace(/\/+$/, '')}/tasks/cleanup` : undefined,
      intervalMinutes: e.CLEANUP_INTERVAL_MINUTES,
      projectsPerRun: e.CLEANUP_PROJECTS_PER_RUN,
      readsPerMinute: e.CLEANUP_READS_PER_MINUTE,
      writesPerMinute: e.CLEANUP_WRITES_PER_MINUTE,
      runSeconds: e.CLEANUP_RUN_SECONDS,
    },
    port: e.PORT,
    platform,
  };
}

/** UTC, the default, needs no check: the first time zone lookup loads ICU's zone data (~20 ms of start-up). */
function isTimeZone(zone: string): boolean {
  if (zone === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function describeValue(value: string | undefined): string {
  return value === undefined ? '' : ` (got "${value.length > 60 ? `${value.slice(0, 60)}…` : value}")`;
}

/** `SMTP_OPTIONS` is `key=value,key=value`, as in jit-access. */
function parseSmtpOptions(text: string | undefined, problems: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const pair of (text ?? '').split(',').filter((p) => p.trim() !== '')) {
    const i = pair.indexOf('=');
    if (i <= 0) {
      problems.push(`SMTP_OPTIONS: "${pair.trim()}" is not key=value`);
      continue;
    }
    options[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return options;
}
