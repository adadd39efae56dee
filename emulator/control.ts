// /_emulator/*: what the emulator knows and lets tests steer (state, call counters, faults, clock, reset).
import { z } from 'zod';
import type { EmulatorEnv } from './env';
import { strictBody, type Route } from './http';
import { MAX_ASSET_LAG_SECONDS, noFaults } from './state';
import { quotaLimitsSchema } from './quota-limits';
import { GOOGLE_TOKEN_URL } from './apis/oauth2';
import { FRONT_DOOR_HOSTS } from './front-door';

const faultsSchema = z
  .object({
    latencyMs: z.record(z.string(), z.number().int().min(0).max(600_000)).optional(),
    errors: z
      .record(z.string(), z.object({ rate: z.number().min(0).max(1).default(1), status: z.number().int().min(400).max(599), count: z.number().int().min(0).optional() }).strict())
      .optional(),
    etagConflicts: z.number().int().min(0).optional(),
    etagConflictStatus: z.union([z.literal(409), z.literal(412)]).optional(),
    smtpRejections: z.number().int().min(-1).optional(),
    assetLagSeconds: z.number().int().min(0).max(MAX_ASSET_LAG_SECONDS).optional(),
  })
  .strict();

const quotasSchema = z
  .object({
    limits: quotaLimitsSchema.optional(),
    resetUse: z.boolean().optional(),
  })
  .strict();

const clockSchema = z.object({ offsetSeconds: z.number().optional(), advanceSeconds: z.number().optional() }).strict();

export function controlRoutes(env: EmulatorEnv): Route[] {
  const { state } = env;
  const route = (method: Route['method'], path: string, handler: Route['handler']): Route => ({
    method,
    pattern: new RegExp(`^/_emulator/${path}$`),
    api: '_emulator',
    name: `_emulator.${path}`,
    public: true,
    handler,
  });
  return [
    route('GET', 'info', () => ({
      apiRootUrl: `${env.baseUrl}/`,
      smtp: { host: '127.0.0.1', port: env.smtpPort },
      iap: {
        url: env.iapUrl ?? null,
        audience: env.iapAudience,
        oauthClientId: env.iapClientId,
        issuer: 'https://cloud.google.com/iap',
        publicKeyUrl: `${env.baseUrl}/iap/verify/public_key`,
        jwksUrl: `${env.baseUrl}/iap/verify/public_key-jwk`,
      },
      serviceAccountJwksUrl: `${env.baseUrl}/service_accounts/v1/metadata/jwk/{email}`,
      oauth2: {
        tokenUrl: GOOGLE_TOKEN_URL,
        directTokenUrl: `${env.baseUrl}/token`,
        serviceAccountKeyUrl: `${env.baseUrl}/_emulator/service-accounts/{email}/keys`,
        frontDoor: { proxy: env.baseUrl, hosts: FRONT_DOOR_HOSTS, caCertificateUrl: `${env.baseUrl}/_emulator/front-door/ca.pem` },
      },
      serviceAccount: state.serviceAccounts[0],
      organization: `organizations/${state.organization.id}`,
      users: [...state.users],
      mailbox: `${env.baseUrl}/_emulator/mail`,
      now: state.now().toISOString(),
    })),
    route('GET', 'state', () => ({
      organization: state.organization,
      folders: [...state.folders.values()],
      projects: state.allProjects(),
      users: [...state.users],
      groups: [...state.groups.values()],
      serviceAccounts: state.serviceAccounts,
      policies: Object.fromEntries(state.policies),
      topics: [...state.topics],
      messages: state.messages,
      logEntries: state.logEntries,
      requestReasons: state.requestReasons,
    })),
    route('GET', 'calls', () => ({ calls: Object.fromEntries([...state.calls].sort(([a], [b]) => a.localeCompare(b))) })),
    route('DELETE', 'calls', () => {
      state.calls.clear();
      return {};
    }),
    route('GET', 'faults', () => state.faults),
    route('POST', 'faults', (req) => {
      const body = strictBody(req, faultsSchema);
      Object.assign(state.faults, {
        ...body,
        latencyMs: { ...state.faults.latencyMs, ...body.latencyMs },
        errors: { ...state.faults.errors, ...body.errors },
      });
      return state.faults;
    }),
    route('DELETE', 'faults', () => {
      state.faults = noFaults();
      return state.faults;
    }),
    route('GET', 'quotas', () => ({ now: state.now().toISOString(), quotas: state.quotas.report(state.now()) })),
    ...(['POST', 'PUT'] as const).map((method) =>
      route(method, 'quotas', (req) => {
        const body = strictBody(req, quotasSchema);
        if (body.limits) state.quotas.setLimits(body.limits);
        if (body.resetUse) state.quotas.clearUse();
        return { now: state.now().toISOString(), quotas: state.quotas.report(state.now()) };
      }),
    ),
    route('DELETE', 'quotas', () => {
      state.quotas.clearUse();
      return { now: state.now().toISOString(), quotas: state.quotas.report(state.now()) };
    }),
    route('POST', 'clock', (req) => {
      const body = strictBody(req, clockSchema);
      if (body.offsetSeconds !== undefined) state.clockOffsetMs = body.offsetSeconds * 1000;
      if (body.advanceSeconds !== undefined) state.clockOffsetMs += body.advanceSeconds * 1000;
      return { now: state.now().toISOString() };
    }),
    route('POST', 'reset', () => {
      state.reset();
      return {};
    }),
  ];
}
