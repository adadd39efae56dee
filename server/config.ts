// Settings from environment variables, parsed and validated once at start-up. Names and defaults follow
// jit-access 1.x where the setting exists there, so a deployment can switch without renaming anything.
import { z } from 'zod';
import { AddressMapping, InvalidAddressMappingError } from './domain/address-mapping';
import { InvalidChatChannelsError, parseChatChannels } from './chat/chat-webhook';
import { parseFrequencyThreshold, type FrequencyThreshold } from './domain/admin-alerts';

export class ConfigError extends Error {}

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?[0-9]+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));


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

/** Comma-separated group emails, lower-cased; empty when unset. */
const emailList = z
  .string()
  .transform((v) => v.split(',').map((g) => g.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must list group email addresses separated by commas')))
  .default([]);

const envSchema = z.object({
  RESOURCE_SCOPE: scope.optional(),
  RESOURCE_CATALOG: lowerEnum(['assetinventory', 'policyanalyzer'], 'must be AssetInventory or PolicyAnalyzer').default('assetinventory'),
  RESOURCE_CUSTOMER_ID: z.string().regex(/^(C[0-9a-zA-Z]+|my_customer)$/, 'must use the format Cxxxxxxxx').optional(),
  ELEVATION_DURATION: integer(1, 24 * 60).optional(),
  ACTIVATION_TIMEOUT: integer(1, 24 * 60).default(120),
  ACTIVATION_REQUEST_TIMEOUT: integer(1, 24 * 60).default(60),
  JUSTIFICATION_PATTERN: z.string().default('.*'),
  JUSTIFICATION_HINT: z.string().max(200, 'must be at most 200 characters').default('Bug or case number'),
  JUSTIFICATION_MAX_LENGTH: integer(1, 1000).default(100),
  ACTIVATION_REQUEST_MIN_REVIEWERS: integer(1, 100).default(1),
  ACTIVATION_REQUEST_MAX_REVIEWERS: integer(1, 100).default(10),
  SERVICE_ACCOUNTS_MAY_APPROVE: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['true', 'false'], 'must be true or false'))
    .optional(),
  ACTIVATION_REQUEST_MAX_ROLES: integer(1, 20).default(10),
  AVAILABLE_PROJECTS_QUERY: z.string().max(1000).optional(),
  IAP_BACKEND_SERVICE_ID: z.string().regex(/^[0-9]+$/, 'must be the numeric id of the backend service').optional(),
  IAP_VERIFY_AUDIENCE: z.string().optional(),
  IAP_AUDIENCE: z.string().regex(/^\/projects\/[0-9]+\/(apps\/[-a-z0-9]+|global\/backendServices\/[0-9]+|regions\/[-a-z0-9]+\/backendServices\/[0-9]+|locations\/[-a-z0-9]+\/services\/[-a-z0-9]+)$/, 'must be an IAP audience such as /projects/NUMBER/apps/PROJECT_ID or /projects/NUMBER/global/backendServices/ID').optional(),
  NOTIFICATION_TIMEZONE: z.string().default('UTC'),
  NOTIFICATION_TOPIC: z.string().regex(/^[A-Za-z][-A-Za-z0-9_.~+%]{2,254}$/, 'must be a Pub/Sub topic id (the topic in the service project)').optional(),
  SMTP_HOST: z.string().default('smtp.gmail.com'),
  SMTP_PORT: integer(1, 65535).refine((p) => p !== 25, 'must not be 25 (use a submission port such as 587)').default(587),
  SMTP_ENABLE_STARTTLS: z.string().optional(),
  SMTP_SENDER_NAME: z.string().default('JIT Access'),
  SMTP_SENDER_ADDRESS: email.optional(),
  SMTP_USERNAME: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  SMTP_SECRET: z.string().regex(/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/, 'must be projects/PROJECT/secrets/NAME/versions/VERSION').optional(),
  SMTP_OPTIONS: z.string().optional(),
  SMTP_ADDRESS_MAPPING: z.string().optional(),
  // Checked below, where a problem is described without repeating the value: webhook URLs are secrets.
  CHAT_CHANNELS: z.string().optional(),
  CHAT_DEFAULT_CHANNEL: z.string().optional(),
  BACKEND_CONNECT_TIMEOUT: integer(1, 300).default(5),
  BACKEND_READ_TIMEOUT: integer(1, 300).default(20),
  BACKEND_WRITE_TIMEOUT: integer(1, 300).default(5),
  BACKEND_CONFLICT_RETRY_TIMEOUT: integer(1, 300).default(15),
  CATALOG_CACHE_SECONDS: integer(0, 3600).default(30),
  EFFECTIVE_POLICY_READS_PER_MINUTE: integer(10, 100_000).default(80),
  ACCESS_POLICY: z
    .string()
    .refine((v) => !v.startsWith('projects/') || /^projects\/[^/]+\/secrets\/[^/]+\/versions\/(?:[1-9][0-9]*|latest)$/.test(v), 'must be a file path, or projects/PROJECT/secrets/NAME/versions/VERSION (a number or latest)')
    .optional(),
  ACCESS_POLICY_REFRESH_SECONDS: integer(10, 3600).default(300),
  PROJECTS_REFRESH_SECONDS: integer(10, 86400).default(300),
  GROUP_RESOLUTION: lowerEnum(['auto', 'direct', 'transitive'], 'must be auto, direct or transitive').default('auto'),
  GROUP_CACHE_SECONDS: integer(0, 86400).default(300),
  GROUP_NESTING_MAX_DEPTH: integer(1, 100).default(10),
  GROUP_NESTING_MAX_GROUPS: integer(1, 10000).default(500),
  AUDIT_LOG_DESTINATION: lowerEnum(['stdout', 'logging-api'], 'must be stdout or logging-api').default('stdout'),
  AUDIT_LOG_NAME: z.string().regex(/^[A-Za-z0-9/_.-]{1,100}$/, 'must be a log id (letters, digits, / _ - .)').default('jitaccess'),
  GOOGLE_API_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://127.0.0.1:8085' }).optional(),
  GOOGLE_CLOUD_PROJECT: z.string().regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a project id').optional(),
  SERVICE_ACCOUNT: email.optional(),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL users open, such as https://jit.example.com' }).optional(),
  CLEANUP_INVOKER_SERVICE_ACCOUNT: email.optional(),
  CLEANUP_INTERVAL_MINUTES: integer(1, 24 * 60).default(60),
  CLEANUP_PROJECTS_PER_RUN: integer(1, 1_000_000).default(600),
  CLEANUP_READS_PER_MINUTE: integer(1, 100_000).default(200),
  CLEANUP_WRITES_PER_MINUTE: integer(1, 100_000).default(60),
  CLEANUP_RUN_SECONDS: integer(1, 3600).default(240),
  WORKFLOW_TASK_INTERVAL_MINUTES: integer(1, 60).default(5),
  GRANT_END_REMINDER_MINUTES: z
    .string()
    .default('15')
    .transform((v, ctx) => {
      if (v.toLowerCase() === 'off') return null;
      const minutes = /^[0-9]+$/.test(v) ? Number(v) : NaN;
      if (Number.isInteger(minutes) && minutes >= 1 && minutes <= 24 * 60) return minutes;
      ctx.issues.push({ code: 'custom', message: 'must be a whole number of minutes from 1 to 1440, or off', input: v });
      return z.NEVER;
    }),
  AUDIT_POLL_SECONDS: integer(1, 3600).default(15),
  ADMIN_GROUPS: emailList,
  AUDITOR_GROUPS: emailList,
  ALERT_FREQUENT_ACTIVATIONS: z
    .string()
    .default('8/24h')
    .transform((v, ctx) => {
      try {
        return parseFrequencyThreshold(v);
      } catch (e) {
        ctx.issues.push({ code: 'custom', message: (e as Error).message, input: v });
        return z.NEVER;
      }
    }),
  ALERT_EMAILS: z
    .string()
    .transform((v) => v.split(',').map((g) => g.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must list email addresses separated by commas')))
    .default([]),
  ALERT_CHAT_CHANNELS: z
    .string()
    .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean))
    .default([]),
  PORT: integer(0, 65535).default(8080),
  GAE_SERVICE: z.string().optional(),
  K_SERVICE: z.string().optional(),
});

export type Catalog = 'AssetInventory' | 'PolicyAnalyzer';
export type GroupResolution = 'auto' | 'direct' | 'transitive';

/** IAM Credentials signJwt refuses an `exp` more than 12 hours ahead; approval requests are signed JWTs. */
export const SIGN_JWT_MAX_MINUTES = 12 * 60;

export interface Config {
  scope: string;
  catalog: Catalog;
  customerId?: string;
  activationTimeoutMinutes: number;
  activationRequestTimeoutMinutes: number;
  justification: { pattern: string; hint: string; maxLength: number };
  /** `serviceAccountsMayApprove`: whether a service account (a pipeline) may review others' requests. */
  reviewers: { min: number; max: number; serviceAccountsMayApprove: boolean };
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
    /**
     * Chat channels: the JSON map of name → webhook URL, or the Secret Manager version holding it; and the
     * channel that gets every notice.
     */
    chat?: { channels: string; defaultChannel?: string };
  };
  /** `conflictRetryMs`: how long one IAM policy write keeps retrying etag conflicts before it answers 409. */
  timeouts: { connectMs: number; readMs: number; writeMs: number; conflictRetryMs: number };
  cacheSeconds: number;
  /** This instance's pace of Asset effectiveIamPolicies.batchGet calls (100 a minute per project by default). */
  effectivePolicyReadsPerMinute: number;
  /** The access policy: a file path or a Secret Manager version, re-read every `refreshSeconds`; absent = none. */
  accessPolicy?: { source: string; refreshSeconds: number };
  /** How old the scope's list of active projects may grow before it is refreshed in the background. */
  projectsRefreshSeconds: number;
  /**
   * How group memberships are resolved: `transitive` uses Cloud Identity's transitive searches (premium
   * editions only), `direct` expands direct memberships breadth-first (every edition), `auto` tries the
   * transitive searches once and keeps to direct expansion when the edition refuses them.
   */
  groups: { resolution: GroupResolution; cacheSeconds: number; maxDepth: number; maxGroups: number };
  /** `pollSeconds`: how often the shared audit feed reads the log at most (services/audit-feed.ts). */
  audit: { destination: 'stdout' | 'logging-api'; logName: string; pollSeconds: number };
  /** Set when the service talks to the local emulator instead of Google. */
  emulatorEndpoint?: string;
  projectId?: string;
  serviceAccount?: string;
  publicUrl?: string;
  /**
   * Who may call the tasks (/tasks/cleanup, /tasks/workflows) with a Google-signed OIDC token (Cloud
   * Scheduler); the token's audience must be PUBLIC_URL + the task's path. App Engine cron needs neither.
   */
  cleanup: {
    invokerServiceAccount?: string;
    /** How the sweeper spreads its work (services/cleanup.ts, SweepLimits). */
    intervalMinutes: number;
    projectsPerRun: number;
    readsPerMinute: number;
    writesPerMinute: number;
    runSeconds: number;
  };
  /**
   * The workflow task (/tasks/workflows): the schedule's interval, which its lead times add so that nothing due
   * falls between two runs, and how long before a grant ends its holder is reminded (null: never).
   */
  workflows: { intervalMinutes: number; grantEndReminderMinutes: number | null };
  /** Groups whose members use the Admin area when there is no access policy (docs/admin.md). */
  admin: { adminGroups: string[]; auditorGroups: string[] };
  /**
   * Alerts of the Admin area (docs/admin.md): the frequency rule's threshold (null: off), and where new
   * alerts are sent by the scheduled task: email recipients, and channels of CHAT_CHANNELS.
   */
  alerts: { frequentActivations: FrequencyThreshold | null; emails: string[]; chatChannels: string[] };
  port: number;
  platform: 'appengine' | 'cloudrun' | 'local';
  /** The App Engine service (GAE_SERVICE) or Cloud Run service (K_SERVICE) this runs as; the platform files stdout under it. */
  serviceName?: string;
  /** Settings accepted as jit-access 1.x accepted them, though they are questionable: said at start. */
  warnings: string[];
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
  const warnings: string[] = [];
  const verifyAudience = legacyBoolean('IAP_VERIFY_AUDIENCE', e.IAP_VERIFY_AUDIENCE, 'the check that IAP assertions were issued for this application', problems, warnings);
  const startTls = legacyBoolean('SMTP_ENABLE_STARTTLS', e.SMTP_ENABLE_STARTTLS, 'encryption of the SMTP connection (and of the SMTP password)', problems, warnings);
  const platform = e.GAE_SERVICE ? 'appengine' : e.K_SERVICE ? 'cloudrun' : 'local';

  if (e.GOOGLE_API_ENDPOINT && platform !== 'local') {
    problems.push(`GOOGLE_API_ENDPOINT: the emulator endpoint is refused on ${platform === 'appengine' ? 'App Engine (GAE_SERVICE is set)' : 'Cloud Run (K_SERVICE is set)'}; remove it to talk to Google`);
  }
  const scopeValue = e.RESOURCE_SCOPE ?? (e.GOOGLE_CLOUD_PROJECT ? `projects/${e.GOOGLE_CLOUD_PROJECT}` : undefined);
  if (!scopeValue) problems.push('RESOURCE_SCOPE: required (organizations/ID, folders/ID or projects/PROJECT_ID), or set GOOGLE_CLOUD_PROJECT');
  const activationTimeout = e.ELEVATION_DURATION ?? e.ACTIVATION_TIMEOUT;
  // As in jit-access 1.x, a request is approvable for the smaller of the two (a request outliving the
  // longest activation could only grant a window that is over).
  const requestTimeout = Math.min(e.ACTIVATION_REQUEST_TIMEOUT, activationTimeout);
  if (present.ACTIVATION_REQUEST_TIMEOUT !== undefined && e.ACTIVATION_REQUEST_TIMEOUT > activationTimeout) {
    warnings.push(`ACTIVATION_REQUEST_TIMEOUT: ${e.ACTIVATION_REQUEST_TIMEOUT} minutes exceeds ACTIVATION_TIMEOUT (${activationTimeout} minutes); requests can be approved for ${activationTimeout} minutes, as in jit-access 1.x`);
  }
  if (e.RESOURCE_CUSTOMER_ID === 'my_customer') {
    warnings.push('RESOURCE_CUSTOMER_ID: "my_customer" is an alias of the Directory API, which jit-access 1.x used; the Cloud Identity API needs the customer id (Cxxxxxxxx, Admin console › Account settings), so groups are looked up without it');
  }
  // A request token expires at min(start + ACTIVATION_REQUEST_TIMEOUT, end of the activation).
  const requestLifetime = Math.min(e.ACTIVATION_REQUEST_TIMEOUT, activationTimeout);
  if (requestLifetime > SIGN_JWT_MAX_MINUTES) {
    problems.push(
      `ACTIVATION_REQUEST_TIMEOUT: ${e.ACTIVATION_REQUEST_TIMEOUT} minutes (with ACTIVATION_TIMEOUT ${activationTimeout} minutes) lets a peer-approval request live longer than 12 hours, ` +
        `but requests are JWTs signed with IAM Credentials signJwt, which refuses an expiry more than 12 hours (${SIGN_JWT_MAX_MINUTES} minutes) ahead: set ACTIVATION_REQUEST_TIMEOUT to at most ${SIGN_JWT_MAX_MINUTES}`,
    );
  }
  if (e.ACTIVATION_REQUEST_MIN_REVIEWERS > e.ACTIVATION_REQUEST_MAX_REVIEWERS) {
    problems.push(`ACTIVATION_REQUEST_MIN_REVIEWERS: ${e.ACTIVATION_REQUEST_MIN_REVIEWERS} exceeds ACTIVATION_REQUEST_MAX_REVIEWERS (${e.ACTIVATION_REQUEST_MAX_REVIEWERS})`);
  }
  try {
    new RegExp(`^(?:${e.JUSTIFICATION_PATTERN})$`, 'u');
  } catch (err) {
    problems.push(`JUSTIFICATION_PATTERN: not a valid regular expression (${(err as Error).message})`);
  }
  const timeZone = notificationTimeZone(e.NOTIFICATION_TIMEZONE, problems, warnings);
  const smtpOptions = parseSmtpOptions(e.SMTP_OPTIONS, warnings);
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
  const chatChannels = checkChatChannels(e.CHAT_CHANNELS, e.CHAT_DEFAULT_CHANNEL, problems);
  checkAlertDestinations(e.ALERT_EMAILS, e.ALERT_CHAT_CHANNELS, e.SMTP_SENDER_ADDRESS, e.CHAT_CHANNELS, e.PUBLIC_URL, problems);
  if (verifyAudience && platform === 'cloudrun' && !e.IAP_AUDIENCE && !e.IAP_BACKEND_SERVICE_ID) {
    problems.push('IAP_BACKEND_SERVICE_ID: required on Cloud Run to verify the IAP audience (or set IAP_AUDIENCE, or IAP_VERIFY_AUDIENCE=false)');
  }
  if (platform === 'local' && verifyAudience && !e.IAP_AUDIENCE) {
    // Only App Engine and Cloud Run have a metadata server to derive the audience from.
    problems.push('IAP_AUDIENCE: required outside App Engine and Cloud Run to verify the IAP audience (or IAP_VERIFY_AUDIENCE=false)');
  }
  if (e.CLEANUP_INVOKER_SERVICE_ACCOUNT && !e.PUBLIC_URL) {
    problems.push('PUBLIC_URL: required with CLEANUP_INVOKER_SERVICE_ACCOUNT, because the scheduler\'s OIDC token must be issued for PUBLIC_URL/tasks/cleanup (or /tasks/workflows)');
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);

  return {
    scope: scopeValue!,
    catalog: e.RESOURCE_CATALOG === 'policyanalyzer' ? 'PolicyAnalyzer' : 'AssetInventory',
    customerId: e.RESOURCE_CUSTOMER_ID === 'my_customer' ? undefined : e.RESOURCE_CUSTOMER_ID,
    activationTimeoutMinutes: activationTimeout,
    activationRequestTimeoutMinutes: requestTimeout,
    justification: { pattern: e.JUSTIFICATION_PATTERN, hint: e.JUSTIFICATION_HINT, maxLength: e.JUSTIFICATION_MAX_LENGTH },
    reviewers: { min: e.ACTIVATION_REQUEST_MIN_REVIEWERS, max: e.ACTIVATION_REQUEST_MAX_REVIEWERS, serviceAccountsMayApprove: e.SERVICE_ACCOUNTS_MAY_APPROVE === 'true' },
    maxRolesPerRequest: e.ACTIVATION_REQUEST_MAX_ROLES,
    availableProjectsQuery: e.AVAILABLE_PROJECTS_QUERY,
    iap: { verifyAudience, audience: e.IAP_AUDIENCE, backendServiceId: e.IAP_BACKEND_SERVICE_ID },
    notifications: {
      timezone: timeZone,
      topic: e.NOTIFICATION_TOPIC,
      smtp: e.SMTP_SENDER_ADDRESS
        ? {
            host: e.SMTP_HOST,
            port: e.SMTP_PORT,
            startTls,
            senderName: e.SMTP_SENDER_NAME,
            senderAddress: e.SMTP_SENDER_ADDRESS,
            username: e.SMTP_USERNAME,
            password: e.SMTP_PASSWORD,
            secret: e.SMTP_SECRET,
            options: smtpOptions,
            addressMapping: e.SMTP_ADDRESS_MAPPING,
          }
        : undefined,
      chat: chatChannels,
    },
    timeouts: {
      connectMs: e.BACKEND_CONNECT_TIMEOUT * 1000,
      readMs: e.BACKEND_READ_TIMEOUT * 1000,
      writeMs: e.BACKEND_WRITE_TIMEOUT * 1000,
      conflictRetryMs: e.BACKEND_CONFLICT_RETRY_TIMEOUT * 1000,
    },
    cacheSeconds: e.CATALOG_CACHE_SECONDS,
    effectivePolicyReadsPerMinute: e.EFFECTIVE_POLICY_READS_PER_MINUTE,
    accessPolicy: e.ACCESS_POLICY ? { source: e.ACCESS_POLICY, refreshSeconds: e.ACCESS_POLICY_REFRESH_SECONDS } : undefined,
    projectsRefreshSeconds: e.PROJECTS_REFRESH_SECONDS,
    groups: {
      resolution: e.GROUP_RESOLUTION,
      cacheSeconds: e.GROUP_CACHE_SECONDS,
      maxDepth: e.GROUP_NESTING_MAX_DEPTH,
      maxGroups: e.GROUP_NESTING_MAX_GROUPS,
    },
    audit: { destination: e.AUDIT_LOG_DESTINATION, logName: e.AUDIT_LOG_NAME, pollSeconds: e.AUDIT_POLL_SECONDS },
    emulatorEndpoint: e.GOOGLE_API_ENDPOINT?.replace(/\/+$/, ''),
    projectId: e.GOOGLE_CLOUD_PROJECT,
    serviceAccount: e.SERVICE_ACCOUNT?.toLowerCase(),
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    cleanup: {
      invokerServiceAccount: e.CLEANUP_INVOKER_SERVICE_ACCOUNT?.toLowerCase(),
      intervalMinutes: e.CLEANUP_INTERVAL_MINUTES,
      projectsPerRun: e.CLEANUP_PROJECTS_PER_RUN,
      readsPerMinute: e.CLEANUP_READS_PER_MINUTE,
      writesPerMinute: e.CLEANUP_WRITES_PER_MINUTE,
      runSeconds: e.CLEANUP_RUN_SECONDS,
    },
    workflows: { intervalMinutes: e.WORKFLOW_TASK_INTERVAL_MINUTES, grantEndReminderMinutes: e.GRANT_END_REMINDER_MINUTES },
    admin: { adminGroups: e.ADMIN_GROUPS, auditorGroups: e.AUDITOR_GROUPS },
    alerts: { frequentActivations: e.ALERT_FREQUENT_ACTIVATIONS, emails: e.ALERT_EMAILS, chatChannels: e.ALERT_CHAT_CHANNELS },
    port: e.PORT,
    platform,
    serviceName: e.GAE_SERVICE ?? e.K_SERVICE,
    warnings,
  };
}

const SECRET_VERSION = /^projects\/[^/]+\/secrets\/[^/]+\/versions\/(?:[1-9][0-9]*|latest)$/;

/**
 * CHAT_CHANNELS: inline JSON is checked now; a Secret Manager version is read and checked on first use.
 * CHAT_DEFAULT_CHANNEL must name one of the channels (when they are known now).
 */
function checkChatChannels(channels: string | undefined, defaultChannel: string | undefined, problems: string[]): Config['notifications']['chat'] {
  if (channels === undefined) {
    if (defaultChannel !== undefined) problems.push('CHAT_DEFAULT_CHANNEL: needs CHAT_CHANNELS, which defines the channel');
    return undefined;
  }
  if (channels.startsWith('projects/')) {
    if (!SECRET_VERSION.test(channels)) problems.push('CHAT_CHANNELS: must be a JSON object, or projects/PROJECT/secrets/NAME/versions/VERSION (a number or latest)');
    return { channels, defaultChannel };
  }
  try {
    const parsed = parseChatChannels(channels);
    if (defaultChannel !== undefined && !parsed.has(defaultChannel)) {
      problems.push(`CHAT_DEFAULT_CHANNEL: "${defaultChannel.slice(0, 64)}" is not a channel of CHAT_CHANNELS (${[...parsed.keys()].join(', ') || 'none'})`);
    }
  } catch (err) {
    if (!(err instanceof InvalidChatChannelsError)) throw err;
    problems.push(`CHAT_CHANNELS: ${err.message}`);
  }
  return { channels, defaultChannel };
}

/** Alerts go out by email only when email is on, and only to channels CHAT_CHANNELS defines (when known now). */
function checkAlertDestinations(emails: string[], channels: string[], sender: string | undefined, chatChannels: string | undefined, publicUrl: string | undefined, problems: string[]): void {
  if (emails.length > 0 && !sender) problems.push('ALERT_EMAILS: needs email, which SMTP_SENDER_ADDRESS turns on');
  if ((emails.length > 0 || channels.length > 0) && !publicUrl) {
    problems.push(`PUBLIC_URL: required with ${emails.length > 0 ? 'ALERT_EMAILS' : 'ALERT_CHAT_CHANNELS'}, because alerts link to the Admin area and are sent by a scheduled task, outside any request`);
  }
  if (channels.length === 0) return;
  if (chatChannels === undefined) {
    problems.push('ALERT_CHAT_CHANNELS: needs CHAT_CHANNELS, which defines the channels');
    return;
  }
  if (chatChannels.startsWith('projects/')) return;
  try {
    const defined = parseChatChannels(chatChannels);
    const unknown = channels.filter((c) => !defined.has(c));
    if (unknown.length > 0) problems.push(`ALERT_CHAT_CHANNELS: ${unknown.map((c) => `"${c.slice(0, 64)}"`).join(', ')} ${unknown.length === 1 ? 'is not a channel' : 'are not channels'} of CHAT_CHANNELS (${[...defined.keys()].join(', ') || 'none'})`);
  } catch (err) {
    if (!(err instanceof InvalidChatChannelsError)) throw err;
  }
}

/** Values meaning "off" that jit-access 1.x read as false, as every value but `true` (it warned of none). */
const OFF = ['no', 'n', 'off', '0', 'disabled', 'disable'];

/**
 * A boolean as jit-access 1.x read it — `true` (any case) is true, anything else false — but only where
 * that is harmless: a value that plainly means off is read as false with a warning; any other (`yes`,
 * `1`, `on`, a typo) would silently turn a protection off, so it is refused.
 */
function legacyBoolean(name: string, value: string | undefined, protection: string, problems: string[], warnings: string[]): boolean {
  if (value === undefined) return true;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  if (OFF.includes(lower)) {
    warnings.push(`${name}: "${value}" is read as false, as jit-access 1.x read it; write false`);
    return false;
  }
  problems.push(`${name}: must be true or false (got "${value.slice(0, 60)}"); jit-access 1.x read anything but true as false, which would turn off ${protection}`);
  return true;
}

/** A fixed offset as Java's ZoneId accepts it: `+10`, `-03:30`, `UTC+10`, `GMT-3`, `UT+05:30`, `Z`. */
const JAVA_OFFSET = /^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?$/;

/**
 * NOTIFICATION_TIMEZONE: an IANA zone; or, as jit-access 1.x accepted, a fixed offset, which becomes
 * `+HH:MM` (see formatMailTime) with a warning: it does not follow daylight saving time.
 */
function notificationTimeZone(zone: string, problems: string[], warnings: string[]): string {
  if (isTimeZone(zone)) return zone;
  const offset = JAVA_OFFSET.exec(zone);
  const hours = offset ? Number(offset[2]) : NaN;
  const minutes = offset ? Number(offset[3] ?? '0') : NaN;
  if (offset && hours * 60 + minutes <= 18 * 60 && minutes < 60) {
    const fixed = `${offset[1]}${String(hours).padStart(2, '0')}:${String(minutes).padStart(2, '0')}`;
    warnings.push(`NOTIFICATION_TIMEZONE: "${zone}" is read as the fixed offset ${fixed}, as jit-access 1.x read it; it does not follow daylight saving time — prefer a zone such as Australia/Brisbane`);
    return fixed;
  }
  problems.push(`NOTIFICATION_TIMEZONE: "${zone}" is not an IANA time zone such as Europe/Berlin, nor an offset such as UTC+10`);
  return 'UTC';
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

/**
 * `SMTP_OPTIONS` is `key=value,key=value`, read as jit-access 1.x reads it: items are split on `=`, and
 * only those with exactly a key and a value are kept (trimmed); the others are left out with a warning
 * (1.x left them out silently), e.g. `" , ONE = one, TWO=two,THREE,FOUR=,,   "` gives ONE and TWO.
 */
function parseSmtpOptions(text: string | undefined, warnings: string[]): Record<string, string> {
  const options: Record<string, string> = {};
  for (const item of (text ?? '').split(',').filter((p) => p.trim() !== '')) {
    const parts = item.split('=');
    // Java's split drops trailing empty strings: `FOUR=` has one part.
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    const [key, value] = parts.map((p) => p.trim());
    if (parts.length !== 2 || key === '') {
      warnings.push(`SMTP_OPTIONS: "${item.trim()}" is not key=value and is ignored, as jit-access 1.x ignored it`);
      continue;
    }
    options[key] = value;
  }
  return options;
}
