// The whole stack for integration tests: the emulator, and the service configured against it over HTTP
// exactly as in the demo. Users call the API with IAP assertions minted by the emulator's IAP key.
import type { Server } from 'node:http';
import { loadConfig, type Config } from '../../server/config';
import { startServer, type Service } from '../../server/main';
import { systemClock, type Clock } from '../../server/clock';
import type { RunningEmulator } from '../../emulator/server';
import type { World } from '../../emulator/world';
import { serviceEnvironment } from '../../emulator/service-env';
import { demoWorld, startTestEmulator } from './emulator';
import { openApiResponses } from './openapi';

export interface Stack {
  emulator: RunningEmulator;
  service: Service;
  url: string;
  /** The emulator's IAP proxy in front of the service, when asked for with `iapProxy`. */
  iapUrl?: string;
  /** An API client that signs in as this user. */
  as(email: string): ApiClient;
  /**
   * With `clock: true`: moves the service's clock and the emulator's forward together, as time passing would
   * (every instance of the stack shares the service's clock). Without it: throws, so no test moves one alone.
   */
  advance(seconds: number): Promise<void>;
  /** The service's clock, shared by every instance of the stack; the system's without `clock: true`. */
  clock: Clock;
  close(): Promise<void>;
}

/** A clock that runs with the system's, ahead by what tests advanced it. */
class MovableClock {
  private offsetMs = 0;
  readonly now: Clock = () => new Date(Date.now() + this.offsetMs);

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
}

export interface ApiClient {
  get<T = any>(path: string, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  del<T = any>(path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
}

export function stackEnv(emulator: RunningEmulator, world: World, overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...serviceEnvironment(emulator, world),
    CATALOG_CACHE_SECONDS: '30',
    ...overrides,
  };
}

/**
 * `platform` sets what GAE_SERVICE / K_SERVICE would: the configuration refuses the emulator's endpoint when
 * they are set, so a test of the service as it runs on App Engine or Cloud Run sets the platform afterwards.
 * `env` may be computed from the running emulator, for settings that name its address (chat webhooks).
 */
export async function startStack(
  options: {
    world?: World;
    env?: Record<string, string> | ((emulator: RunningEmulator) => Record<string, string>);
    iapProxy?: boolean;
    platform?: Pick<Config, 'platform' | 'serviceName'>;
    /** A service clock that `stack.advance(seconds)` moves together with the emulator's. */
    clock?: boolean;
  } = {},
): Promise<Stack> {
  process.env.METADATA_SERVER_DETECTION = 'none';
  const world = options.world ?? demoWorld();
  const emulator = await startTestEmulator(world, options.iapProxy ? { iapPort: 0 } : {});
  let server: Server | undefined;
  try {
    const env = typeof options.env === 'function' ? options.env(emulator) : options.env;
    const movable = options.clock ? new MovableClock() : undefined;
    const clock = movable?.now ?? systemClock;
    const started = await startServer({ ...loadConfig(stackEnv(emulator, world, env)), ...options.platform }, undefined, undefined, clock);
    server = started.server;
    const url = started.url;
    if (options.iapProxy) emulator.setUpstream(url);
    return {
      emulator,
      service: started.service,
      url,
      iapUrl: emulator.iapUrl,
      as: (email) => apiClient(url, () => mintAssertion(emulator, { email })),
      clock,
      advance: async (seconds) => {
        if (!movable) throw new Error('stack.advance needs startStack({ clock: true })');
        const res = await fetch(`${emulator.url}/_emulator/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceSeconds: seconds }) });
        if (!res.ok) throw new Error(`advancing the emulator's clock failed: HTTP ${res.status} ${await res.text()}`);
        movable.advance(seconds);
      },
      close: async () => {
        await started.service.audit.flush();
        await new Promise<void>((resolve) => {
          server!.close(() => resolve());
          server!.closeAllConnections();
        });
        await emulator.close();
      },
    };
  } catch (e) {
    await emulator.close();
    throw e;
  }
}

/** A second instance of the service on the stack's emulator, as another App Engine or Cloud Run instance would be. */
export async function startSecondInstance(stack: Stack, world: World, env: Record<string, string> = {}): Promise<{ url: string; service: Service; as(email: string): ApiClient; close(): Promise<void> }> {
  const started = await startServer(loadConfig(stackEnv(stack.emulator, world, env)), undefined, undefined, stack.clock);
  return {
    url: started.url,
    service: started.service,
    as: (email) => apiClient(started.url, () => mintAssertion(stack.emulator, { email })),
    close: async () => {
      await started.service.audit.flush();
      await new Promise<void>((resolve) => {
        started.server.close(() => resolve());
        started.server.closeAllConnections();
      });
    },
  };
}

/** An IAP assertion from the emulator's key; options produce deliberately broken ones for attack tests. */
export async function mintAssertion(emulator: RunningEmulator, options: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${emulator.url}/_emulator/iap/assertion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(options),
  });
  if (!res.ok) throw new Error(`minting an IAP assertion failed: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { assertion: string };
  return body.assertion;
}

/** Every answer is checked against docs/openapi.json: one the document does not describe fails the test. */
export function apiClient(baseUrl: string, assertion: () => Promise<string | undefined>, csrf = true): ApiClient {
  const call = async (method: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const token = await assertion();
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { 'x-goog-iap-jwt-assertion': token } : {}),
        ...(csrf ? { 'x-jitaccess': '1' } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Non-JSON bodies (HTML, empty) stay as text for the assertion to show.
    }
    // Every answer any integration test receives must be one the published OpenAPI document describes.
    openApiResponses().check(method, path, res.status, parsed);
    return { status: res.status, body: parsed as any };
  };
  return {
    get: (path, headers) => call('GET', path, undefined, headers),
    post: (path, body, headers) => call('POST', path, body ?? {}, headers),
    del: (path, body, headers) => call('DELETE', path, body, headers),
  };
}

/** A pipeline's service account of the demo world. */
export const DEPLOYER = 'deployer@jit-host.iam.gserviceaccount.com';

/** The demo world, plus the pipeline's service account eligible like a person: self-approval on staging-app, peer approval on finance-ledger. */
export function worldWithPipeline(): World {
  const world = demoWorld();
  const staging = world.iam['projects/staging-app'].find((b) => b.role === 'roles/compute.admin')!;
  staging.members = [...staging.members, `serviceAccount:${DEPLOYER}`];
  const ledger = world.iam['projects/finance-ledger'].find((b) => b.role === 'roles/cloudsql.admin')!;
  ledger.members = [...ledger.members, `serviceAccount:${DEPLOYER}`];
  return world;
}

/**
 * Cancels the user's pending requests, as "My requests" does (their tokens re-established from the audit log):
 * a user has one pending request per role, so tests that request the same role again withdraw the last one.
 */
export async function withdrawPendingRequests(client: ApiClient): Promise<void> {
  const { body } = await client.get('/api/v1/me/requests');
  for (const pending of body.requests.filter((r: any) => r.status === 'pending')) {
    const reissued = await client.post('/api/v1/approval-request-tokens', { requestId: pending.request.id });
    if (reissued.status === 200) await client.post(`/api/v1/approval-requests/${reissued.body.token}/cancel`);
  }
}

/** The project's IAM policy as the emulator holds it now. */
export async function policyOf(emulator: RunningEmulator, projectId: string): Promise<{ bindings: any[]; etag: string }> {
  return emulator.state.policyOf(`projects/${projectId}`) as any;
}
