// Composition root: configuration → Google adapters → services → HTTP server.
// First, so that every module loaded after it is read from the compile cache where Node has one.
import './compile-cache';
import path from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, ConfigError, type Config } from './config';
import { startProblem } from './domain/access-policy-demands';
import { googleCredentials, googleEndpoints, type GoogleEndpoints } from './google/connection';
import { runtimeIdentity } from './google/metadata';
import { ResourceManager } from './google/resource-manager';
import { CloudAsset } from './google/cloud-asset';
import { CloudIdentity } from './google/cloud-identity';
import { IamCredentials } from './google/iam-credentials';
import { PubSub } from './google/pubsub';
import { SecretManager } from './google/secret-manager';
import { AddressMapping } from './domain/address-mapping';
import { Mailer, type SmtpSettings } from './mail/mailer';
import { JustificationPolicy } from './domain/justification';
import { activeProjectsOf, AssetInventorySource, Catalog, PolicyAnalyzerSource, projectsMatching } from './services/catalog';
import { GroupMemberships } from './services/group-memberships';
import { IamRoles } from './google/iam-roles';
import { DEFAULT_RETRY, PolicyWriter, type RetryPolicy } from './services/policy-writer';
import { ActivationService } from './services/activation';
import { ScheduledActivations } from './services/scheduled-activations';
import { EntitlementChecks, type ActivationRules } from './services/entitlement-checks';
import { NotificationService, type NotificationChannels } from './services/notification';
import { ChatNotifier } from './services/chat';
import { parseChatChannels, type ChatChannels } from './chat/chat-webhook';
import { ApprovalTokens } from './services/approval-tokens';
import { ApprovalService, type ApprovalDemand } from './services/approval';
import type { EligibleRole } from './domain/eligible-roles';
import { RequestDecisions } from './services/request-decisions';
import { GrantService } from './services/grants';
import { RecentGrants } from './services/recent-grants';
import { CleanupService } from './services/cleanup';
import { createAuditLog, type AuditLog } from './services/audit';
import { AccessPolicyStore, policyText } from './services/access-policy';
import { AccessRules } from './services/access-policy-rules';
import { TicketValidator } from './services/ticket-validation';
import { ItsmClient } from './services/itsm-client';
import { TicketEvents } from './services/ticket-events';
import { AccessPolicyError } from './domain/access-policy';
import type { ActiveGrant } from './domain/grant';
import { AdminAccess } from './services/admin-access';
import { AdminElevations } from './services/admin-elevations';
import { AdminHistory, HISTORY_MAX_DAYS } from './services/admin-history';
import { AdminCharts } from './services/admin-charts';
import { AuditFeed } from './services/audit-feed';
import { auditLogSource } from './domain/audit-log-source';
import { BreakGlassService } from './services/break-glass';
import { RequestInbox } from './services/request-inbox';
import { RequestExpiryNotices } from './services/request-expiry';
import { WorkflowTask } from './services/workflow-task';
import { RequestEscalation } from './services/request-escalation';
import { GrantEndReminders } from './services/grant-end-reminders';
import { StandingPrivilegeReport } from './services/admin-standing';
import { AdminAlerts } from './services/admin-alerts';
import { AlertNotifications } from './services/alert-notifications';
import { CloudLogging } from './google/cloud-logging';
import { adminRosterOf } from './domain/admin-roster';
import { IapVerifier } from './http/iap';
import { GoogleIdTokenVerifier } from './http/google-id-token';
import { HealthCheck, urlProbe } from './http/health';
import { createApp } from './http/app';
import { WarmUp } from './warm-up';
import { systemClock, type Clock } from './clock';
import packageJson from '../package.json';

export const VERSION: string = packageJson.version;

export interface Service {
  app: ReturnType<typeof createApp>;
  warmUp: WarmUp;
  audit: AuditLog;
  catalog: Catalog;
  config: Config;
  /** The access policy in force, when ACCESS_POLICY is set. */
  accessPolicy?: AccessPolicyStore;
}

/** What the platform tells us about where we run; locally it comes from the configuration instead. */
async function identityOf(config: Config): Promise<{ projectId: string; serviceAccount?: string; projectNumber?: string }> {
  if (config.platform === 'local') {
    return { projectId: config.projectId ?? config.scope.split('/')[1], serviceAccount: config.serviceAccount };
  }
  const runtime = await runtimeIdentity();
  return { projectId: config.projectId ?? runtime.projectId, serviceAccount: config.serviceAccount ?? runtime.serviceAccount, projectNumber: runtime.projectNumber };
}

/** The audience IAP signs for: App Engine app, or load-balancer backend service (jit-access 1.x rules). */
function iapAudienceOf(config: Config, projectId: string, projectNumber?: string): string | undefined {
  if (!config.iap.verifyAudience) return undefined;
  if (config.iap.audience) return config.iap.audience;
  if (config.platform === 'appengine') return `/projects/${projectNumber}/apps/${projectId}`;
  return `/projects/${projectNumber}/global/backendServices/${config.iap.backendServiceId}`;
}

/** The chat channels: CHAT_CHANNELS inline, or read from Secret Manager on first use (checked like the inline map). */
function chatChannelsOf(chat: { channels: string; defaultChannel?: string }, secrets: SecretManager): () => Promise<ChatChannels> {
  return chat.channels.startsWith('projects/')
    ? async () => {
        const map = parseChatChannels(await secrets.accessText(chat.channels));
        if (chat.defaultChannel && !map.has(chat.defaultChannel)) throw new Error(`CHAT_DEFAULT_CHANNEL '${chat.defaultChannel}' is not a channel of the map in ${chat.channels}`);
        return map;
      }
    : async () => parseChatChannels(chat.channels);
}

/** Chat webhooks of the notifications: the default channel, and those each role's rule names. */
function chatOf(chat: { channels: string; defaultChannel?: string }, secrets: SecretManager, policy: AccessRules | undefined, publicUrl: string | undefined): NonNullable<NotificationChannels['chat']> {
  return {
    notifier: new ChatNotifier(chatChannelsOf(chat, secrets), chat.defaultChannel),
    channelsFor: async (target) => (policy ? policy.chatChannelsFor(target) : []),
    publicUrl,
  };
}

/** Email through SMTP; the password is SMTP_PASSWORD, or SMTP_SECRET read from Secret Manager on first use. */
function mailerOf(smtp: SmtpSettings, secrets: SecretManager, config: Config): Mailer {
  const password = smtp.secret ? () => secrets.accessText(smtp.secret!) : async () => smtp.password;
  return new Mailer(smtp, new AddressMapping(smtp.addressMapping), password, config.timeouts);
}

/**
 * Who approves an eligible role's requests under the access policy: null when its rule needs no approval
 * (a self-approval binding whose rule says self); peers, one approval, where it says nothing.
 */
async function approvalDemandOf(policy: AccessRules, role: EligibleRole): Promise<ApprovalDemand | null> {
  const { approval } = (await policy.demandsFor(role.projectId, [role])).get(role.id)!;
  if (approval.kind === 'self') return null;
  const { escalation } = approval;
  if (approval.kind === 'approvers') return { kind: 'approvers', principals: approval.principals, requiredApprovals: approval.requiredApprovals, escalation };
  return { kind: 'peers', principals: [], requiredApprovals: Math.max(1, approval.requiredApprovals), escalation };
}

/**
 * The users among principals: `user:` ones, and the members of `group:` ones, nested groups included, read
 * now (who may approve gates access) on every edition; unreadable groups contribute nobody.
 */
async function usersOf(groups: GroupMemberships, principals: readonly string[]): Promise<string[]> {
  const users = principals.filter((p) => p.toLowerCase().startsWith('user:')).map((p) => p.slice('user:'.length));
  const groupEmails = principals.filter((p) => p.toLowerCase().startsWith('group:')).map((p) => p.slice('group:'.length));
  const members = await Promise.all(groupEmails.map((g) => groups.usersOf(g, true)));
  return [...users, ...members.flatMap((m) => m.emails)];
}

/** How IAM policies are written; only the benchmark replaces the default, to compare with jit-access 1.x. */
export interface WriteStrategy {
  retry: RetryPolicy;
  coalesce: boolean;
}

/** How long a started instance waits for a first request before it warms up anyway. */
const WARM_UP_WITHOUT_REQUEST_MS = 1_000;

/** The built SPA: dist/web beside dist/server. Tests that run the TypeScript sources pass dist/web themselves. */
const WEB_ROOT = path.join(__dirname, '..', 'web');

/** `clock` is the service's "now" (server/clock.ts): only tests replace it, to move it with the emulator's. */
export async function buildService(config: Config, writes?: WriteStrategy, webRoot = WEB_ROOT, clock: Clock = systemClock): Promise<Service> {
  const endpoints: GoogleEndpoints = googleEndpoints(config.emulatorEndpoint);
  const auth = googleCredentials(config.emulatorEndpoint);
  const identity = await identityOf(config);

  // Grants this process writes are remembered until they end: "My access" must not wait for Asset Inventory.
  const recentGrants = new RecentGrants(clock);
  const resourceManager = new ResourceManager(auth, endpoints, config.timeouts, (projectId, policy) => recentGrants.remember(projectId, policy));
  const asset = new CloudAsset(auth, endpoints, config.timeouts, config.scope, config.effectivePolicyReadsPerMinute, clock);

  // The one reader of the audit log: every view that lists from it reads this feed, which also hears at once
  // of the entries this instance writes.
  const auditFeed = new AuditFeed(new CloudLogging(auth, endpoints, config.timeouts), {
    projectId: identity.projectId,
    source: auditLogSource({ ...config.audit, platform: config.platform, serviceName: config.serviceName, projectId: identity.projectId }),
    pollIntervalMs: config.audit.pollSeconds * 1000,
    maxAgeMs: HISTORY_MAX_DAYS * 86_400_000,
  }, clock);
  const inbox = new RequestInbox(auditFeed, clock);
  const emulatorUrl = config.emulatorEndpoint ? new URL(config.emulatorEndpoint) : undefined;
  const audit = createAuditLog({
    destination: config.audit.destination,
    logName: config.audit.logName,
    projectId: identity.projectId,
    emulator: emulatorUrl ? { host: emulatorUrl.hostname, port: Number(emulatorUrl.port) } : undefined,
    auth,
  }, (entry) => auditFeed.written(entry), clock);

  const activeProjects = activeProjectsOf(asset, config.projectsRefreshSeconds, (e) =>
    audit.record({ event: 'catalog.refresh.failed', severity: 'WARNING', outcome: 'failure', message: `Refreshing the list of active projects failed; the previous list is still used: ${(e as Error).message}` }),
  );
  const groupMemberships = new GroupMemberships(new CloudIdentity(auth, endpoints, config.timeouts, config.customerId), config.groups, (group, reason) =>
    audit.record({
      event: 'catalog.group.skipped',
      severity: 'WARNING',
      outcome: 'failure',
      group,
      message: `Skipped group ${group} while resolving group memberships (${reason}); access through it is not shown to users.`,
    }),
  );
  const source =
    config.catalog === 'PolicyAnalyzer' ? new PolicyAnalyzerSource(asset) : new AssetInventorySource(asset, groupMemberships, activeProjects, config.cacheSeconds);
  const catalog = new Catalog(
    source,
    config.cacheSeconds,
    activeProjects,
    new IamRoles(auth, endpoints, config.timeouts),
    config.availableProjectsQuery ? projectsMatching(resourceManager, config.availableProjectsQuery, config.cacheSeconds) : undefined,
    clock,
  );

  // One writer for every use case, so that their edits of one project coalesce into one write.
  const writer = writes
    ? new PolicyWriter(resourceManager, writes.retry, undefined, writes.coalesce)
    : new PolicyWriter(resourceManager, { ...DEFAULT_RETRY, budgetMs: config.timeouts.conflictRetryMs });
  const justification = new JustificationPolicy(config.justification);
  const secrets = new SecretManager(auth, endpoints, config.timeouts);
  const policyStore = config.accessPolicy
    ? new AccessPolicyStore(policyText(config.accessPolicy.source, secrets), audit, config.accessPolicy.refreshSeconds * 1000, clock, {
        // Where GOOGLE_API_ENDPOINT may name the emulator, an ITSM endpoint may be plain http too; never on App Engine or Cloud Run.
        plainHttpEndpoints: config.platform === 'local',
      })
    : undefined;
  const itsm = new ItsmClient(secrets, clock);
  const tickets = new TicketValidator(itsm);
  await policyStore?.load();
  const policy: AccessRules | undefined = policyStore
    ? new AccessRules(
        policyStore,
        {
          projects: activeProjects,
          activeGrants: async (email): Promise<ActiveGrant[]> => (await grants.list(email)).grants,
          // Who may break the glass gates access: read now, on every edition.
          groupsOf: async (email) => (await groupMemberships.groupsOf(email, true)).emails,
          ticketVerdict: (endpoint, question) => tickets.check(endpoint, question),
        },
        { maxDurationMinutes: config.activationTimeoutMinutes, justification: config.justification },
        config.cacheSeconds,
        clock,
      )
    : undefined;
  const ticketEvents = policy ? new TicketEvents(policy, itsm, audit, clock) : undefined;
  const activationRules: ActivationRules = {
    justification,
    maxDurationMinutes: config.activationTimeoutMinutes,
    maxRolesPerRequest: config.maxRolesPerRequest,
    policy,
  };
  const { smtp, topic, timezone, chat } = config.notifications;
  const mailer = smtp ? mailerOf(smtp, secrets, config) : undefined;
  const notifications = new NotificationService(
    {
      mailer,
      // The topic lives in the service's own project, as in jit-access 1.x.
      pubsub: topic ? { client: new PubSub(auth, endpoints, config.timeouts), topic: `projects/${identity.projectId}/topics/${topic}` } : undefined,
      chat: chat ? chatOf(chat, secrets, policy, config.publicUrl) : undefined,
      watchers: policy ? { emailsFor: (target) => policy.notifyEmailsFor(target), publicUrl: config.publicUrl } : undefined,
    },
    audit,
    timezone,
  );
  const activation = new ActivationService(catalog, writer, audit, activationRules, notifications, clock, ticketEvents);
  const serviceAccount = identity.serviceAccount;
  const decisions = new RequestDecisions(writer, resourceManager, clock);
  const approval = new ApprovalService(
    {
      catalog,
      checks: new EntitlementChecks(catalog, activationRules),
      writer,
      resourceManager,
      notifications,
      audit,
      decisions,
      approvalDemand: policy ? (role) => approvalDemandOf(policy, role) : undefined,
      usersOf: (principals) => usersOf(groupMemberships, principals),
      autoApproval: policy ? (requester, role, request) => policy.autoApproval(requester, role, request) : undefined,
      startProblem: policy ? async (role, start, now) => startProblem((await policy.demandsFor(role.projectId, [role], start)).get(role.id)!, start, now) : undefined,
      inbox,
      ticketEvents,
      tokens: serviceAccount
        ? new ApprovalTokens(new IamCredentials(auth, endpoints, config.timeouts), serviceAccount, endpoints.serviceAccountJwksUrl(serviceAccount), clock)
        : undefined,
    },
    { reviewers: config.reviewers, requestTimeoutMinutes: config.activationRequestTimeoutMinutes },
    clock,
  );

  const scheduled = new ScheduledActivations(catalog, resourceManager, writer, audit, auditFeed, activationRules, notifications, { taskIntervalMinutes: config.workflows.intervalMinutes }, clock, ticketEvents);
  const grants = new GrantService(catalog, asset, recentGrants, resourceManager, writer, audit, { justification, maxDurationMinutes: config.activationTimeoutMinutes, policy }, clock, ticketEvents);
  const cleanup = new CleanupService(asset, resourceManager, writer, audit, config.cleanup, clock, undefined, ticketEvents);

  // The access policy's admins and auditors (as reloaded); without a policy, ADMIN_GROUPS and AUDITOR_GROUPS.
  const adminAccess = new AdminAccess(
    () => adminRosterOf(policyStore?.current().document ?? null, config.admin),
    async (email) => (await groupMemberships.groupsOf(email, true)).emails,
    async (email) => (await groupMemberships.groupsOf(email)).emails,
  );
  const elevations = new AdminElevations(asset, resourceManager, writer, audit, notifications, clock, ticketEvents);
  const history = new AdminHistory(auditFeed, clock);
  const charts = new AdminCharts(auditFeed, clock);
  const breakGlass = new BreakGlassService({
    catalog,
    checks: new EntitlementChecks(catalog, activationRules),
    writer,
    audit,
    notifications,
    policy,
    feed: auditFeed,
    feedMaxAgeMs: HISTORY_MAX_DAYS * 86_400_000,
    groupsOf: async (email, fresh) => (await groupMemberships.groupsOf(email, fresh)).emails,
    reasonMaxLength: config.justification.maxLength,
  }, clock);
  const standing = new StandingPrivilegeReport(asset, async (group) => (await groupMemberships.usersOf(group)).emails, clock);
  const alerts = new AdminAlerts(auditFeed, elevations, config.alerts.frequentActivations, clock);
  const alertDestinations = config.alerts;
  // PUBLIC_URL is required with alert destinations (config.ts): the task runs outside any user's request.
  const alertNotifications =
    alertDestinations.emails.length > 0 || alertDestinations.chatChannels.length > 0
      ? new AlertNotifications(
          alerts,
          auditFeed,
          { emails: alertDestinations.emails, chatChannels: alertDestinations.chatChannels, publicUrl: config.publicUrl!, timeZone: timezone },
          // Alerts go to their own channels only, not to CHAT_DEFAULT_CHANNEL.
          { mailer, chat: chat ? new ChatNotifier(chatChannelsOf(chat, secrets), undefined) : undefined },
          audit,
        )
      : undefined;

  // The passes of /tasks/workflows, run in this order every few minutes; a new workflow adds its pass here.
  const { intervalMinutes, grantEndReminderMinutes } = config.workflows;
  const workflows = new WorkflowTask(
    [
      new RequestEscalation(auditFeed, approval, decisions, notifications, audit, clock),
      scheduled,
      ...(grantEndReminderMinutes === null ? [] : [new GrantEndReminders(auditFeed, resourceManager, notifications, audit, { leadMinutes: grantEndReminderMinutes, intervalMinutes }, clock)]),
    ],
    audit,
  );

  const warmUp = new WarmUp();
  const health = new HealthCheck(config, [urlProbe('iap-keys', endpoints.iapJwksUrl, config.timeouts.connectMs)], undefined, () => policyStore?.status() ?? null);
  const iap = new IapVerifier(endpoints.iapJwksUrl, iapAudienceOf(config, identity.projectId, identity.projectNumber), clock);
  const app = createApp({
    config,
    catalog,
    activation,
    approval,
    grants,
    scheduled,
    cleanup,
    breakGlass,
    requestExpiry: new RequestExpiryNotices(auditFeed, notifications, approval, audit, clock, ticketEvents),
    adminAccess,
    elevations,
    history,
    inbox,
    standing,
    alerts,
    alertNotifications,
    workflows,
    charts,
    auditPollSeconds: config.audit.pollSeconds,
    clock,
    idTokens: new GoogleIdTokenVerifier(endpoints.googleIdTokenJwksUrl, clock),
    audit,
    iap,
    health,
    policy,
    version: VERSION,
    webRoot,
    warmUp,
  });
  return { app, warmUp, audit, catalog, config, accessPolicy: policyStore };
}

export async function startServer(config: Config, writes?: WriteStrategy, webRoot?: string, clock?: Clock): Promise<{ server: Server; url: string; service: Service }> {
  const service = await buildService(config, writes, webRoot, clock);
  const server: Server = await new Promise((resolve, reject) => {
    const s = service.app.listen(config.port, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, service };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
  for (const warning of config.warnings) console.log(JSON.stringify({ severity: 'WARNING', message: `Configuration: ${warning}` }));
  if (config.platform === 'local') process.env.METADATA_SERVER_DETECTION ??= 'none';
  const { server, url, service } = await startServer(config);
  // App Engine and Cloud Run send SIGTERM before stopping an instance: finish requests, then write out
  // the audit entries still in flight.
  process.once('SIGTERM', () => {
    server.close(() => void service.audit.flush().finally(() => process.exit(0)));
  });
  // An instance no request reached yet (a minimum instance, a TCP startup probe) warms up on its own.
  setTimeout(() => service.warmUp.start(), WARM_UP_WITHOUT_REQUEST_MS).unref();
  const mode = config.emulatorEndpoint ? `EMULATOR MODE: Google APIs at ${config.emulatorEndpoint}` : 'Google APIs';
  console.log(JSON.stringify({ severity: 'INFO', message: `JIT Access ${VERSION} listening on ${url} (${mode}, ${config.catalog} catalog, scope ${config.scope})` }));
  service.audit.record({
    event: 'runtime.startup',
    severity: config.emulatorEndpoint ? 'WARNING' : 'INFO',
    outcome: 'success',
    message: `Started version ${VERSION} with the ${config.catalog} catalog on ${config.scope}${config.emulatorEndpoint ? `, talking to the emulator at ${config.emulatorEndpoint}` : ''}`,
  });
}

if (require.main === module) {
  main().catch((e) => {
    // An invalid access policy is the operator's to fix: its problems, with lines and columns, say how.
    console.error(e instanceof AccessPolicyError ? `The access policy is not valid, so the service does not start:\n${e.message}` : e);
    process.exit(1);
  });
}
