// Starts the emulator in-process for a test, and builds the real Google client libraries against it.
import path from 'node:path';
import type { ClientRequest } from 'node:http';
import type { AgentConnectOpts } from 'agent-base';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { OAuth2Client } from 'google-auth-library';
import { cloudresourcemanager_v3 } from 'googleapis/build/src/apis/cloudresourcemanager/v3';
import { cloudasset_v1 } from 'googleapis/build/src/apis/cloudasset/v1';
import { iamcredentials_v1 } from 'googleapis/build/src/apis/iamcredentials/v1';
import { logging_v2 } from 'googleapis/build/src/apis/logging/v2';
import { pubsub_v1 } from 'googleapis/build/src/apis/pubsub/v1';
import { cloudidentity_v1 } from 'googleapis/build/src/apis/cloudidentity/v1';
import { secretmanager_v1 } from 'googleapis/build/src/apis/secretmanager/v1';
import { iam_v1 } from 'googleapis/build/src/apis/iam/v1';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../emulator/server';
import { loadWorld, parseWorld, type World } from '../../emulator/world';

export const DEMO_WORLD_FILE = path.join(__dirname, '..', '..', 'emulator', 'worlds', 'demo.yaml');

export function demoWorld(): World {
  return loadWorld(DEMO_WORLD_FILE);
}

/** Starts an emulator on free ports with the demo world, a YAML text, or a parsed world. */
export async function startTestEmulator(world: World | string = demoWorld(), options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  return startEmulator({ world: typeof world === 'string' ? parseWorld(world) : world, port: 0, smtpPort: 0, ...options });
}

/** An OAuth client with a fixed access token: the emulator maps tokens to principals. */
export function bearer(token = 'test-token'): OAuth2Client {
  // gaxios otherwise loads node-fetch with a dynamic import(), which Jest's CommonJS runtime cannot do.
  const auth = new OAuth2Client({ transporterOptions: { fetchImplementation: fetch } });
  auth.setCredentials({ access_token: token });
  return auth;
}

/** The googleapis REST clients, pointed at the emulator the way the service points them at Google. */
export function googleClients(emulator: RunningEmulator, token = 'test-token') {
  const options = { auth: bearer(token), rootUrl: `${emulator.url}/` };
  return {
    crm: new cloudresourcemanager_v3.Cloudresourcemanager(options),
    asset: new cloudasset_v1.Cloudasset(options),
    iamcredentials: new iamcredentials_v1.Iamcredentials(options),
    logging: new logging_v2.Logging(options),
    pubsub: new pubsub_v1.Pubsub(options),
    cloudidentity: new cloudidentity_v1.Cloudidentity(options),
    secretmanager: new secretmanager_v1.Secretmanager(options),
    iam: new iam_v1.Iam(options),
  };
}

/** Asserts that a promise rejects with a Google API error of this HTTP status; returns the error body. */
export async function expectGoogleError(promise: Promise<unknown>, status: number): Promise<{ code: number; message: string; status: string }> {
  try {
    await promise;
  } catch (e) {
    const err = e as { status?: number; response?: { data?: { error?: { code: number; message: string; status: string } } } };
    expect(err.status).toBe(status);
    const body = err.response?.data?.error;
    expect(body).toBeDefined();
    return body!;
  }
  throw new Error(`expected the call to fail with HTTP ${status}, but it succeeded`);
}

/** A JSON key file for a service account of the world, as `/_emulator/service-accounts/EMAIL/keys` issues it. */
export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id?: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
  universe_domain: string;
}

export async function issueServiceAccountKey(emulator: RunningEmulator, email: string): Promise<ServiceAccountKeyFile> {
  const res = await fetch(`${emulator.url}/_emulator/service-accounts/${encodeURIComponent(email)}/keys`, { method: 'POST' });
  if (!res.ok) throw new Error(`issuing a key for ${email} failed: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as ServiceAccountKeyFile;
}

/** A Google ID token for a user of the world, as after their sign-in to this OAuth client. */
export async function userIdToken(emulator: RunningEmulator, email: string, audience: string): Promise<string> {
  const res = await fetch(`${emulator.url}/_emulator/users/${encodeURIComponent(email)}/id-token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ audience }),
  });
  if (!res.ok) throw new Error(`an ID token for ${email} was refused: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id_token: string }).id_token;
}

/**
 * gaxios options that send google-auth-library's requests to https://oauth2.googleapis.com through the emulator's
 * front door, as `HTTPS_PROXY` and `NODE_EXTRA_CA_CERTS` do for a process: node-fetch 2 (Jest's CommonJS runtime
 * cannot load gaxios's own node-fetch 3) over a CONNECT tunnel that trusts the emulator's certificate authority.
 */
export async function frontDoorTransport(emulator: RunningEmulator) {
  const ca = await (await fetch(`${emulator.url}/_emulator/front-door/ca.pem`)).text();
  const nodeFetch = require('node-fetch') as typeof fetch;
  return { fetchImplementation: nodeFetch, agent: new TrustingProxyAgent(emulator.url, ca) };
}

/** HttpsProxyAgent drops its own TLS options; the tunnel's TLS must trust the emulator's authority (what NODE_EXTRA_CA_CERTS does). */
class TrustingProxyAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: string,
    private readonly ca: string,
  ) {
    super(proxy);
  }

  override connect(req: ClientRequest, opts: AgentConnectOpts) {
    return super.connect(req, { ...opts, ca: this.ca } as AgentConnectOpts);
  }
}
