// The CLI's Google Cloud path end to end: `jit --url … --audience …` as a separate process, as a pipeline runs
// it, with a service account key in GOOGLE_APPLICATION_CREDENTIALS. google-auth-library gets the ID token from
// https://oauth2.googleapis.com/token (the emulator's front door, through HTTPS_PROXY with its certificate
// authority in NODE_EXTRA_CA_CERTS), and the emulator's IAP proxy admits it as IAP programmatic access.
// Also JIT_ID_TOKEN, a token obtained elsewhere, through the CLI's main function.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformFileSync } from '@swc/core';
import { GoogleAuth } from 'google-auth-library';
import { run } from '../../cli/main';
import { EXIT } from '../../cli/commands';
import { frontDoorTransport, issueServiceAccountKey, userIdToken, type ServiceAccountKeyFile } from '../support/emulator';
import { DEPLOYER, policyOf, startStack, worldWithPipeline, type Stack } from '../support/stack';

const ROOT = path.join(__dirname, '..', '..');
/** What cli/jit.js does once the CLI is compiled (test/cli/launcher.test.ts covers the bin itself). */
const ENTRY = 'require(process.argv[1]).run(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env }).then((code) => { process.exitCode = code; })';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: Stack;
let dir: string;
let keyFile: string;
let caFile: string;
let key: ServiceAccountKeyFile;
let compiledMain: string;

/**
 * The CLI's sources compiled into the test's own directory (swc, in milliseconds), so that this file never races
 * another test that makes the bin compile dist/cli; its packages resolve from the checkout through NODE_PATH.
 */
function compileCli(into: string): string {
  mkdirSync(path.join(into, 'cli'));
  for (const file of readdirSync(path.join(ROOT, 'cli')).filter((f) => f.endsWith('.ts'))) {
    const { code } = transformFileSync(path.join(ROOT, 'cli', file), { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' }, swcrc: false });
    writeFileSync(path.join(into, 'cli', file.replace(/\.ts$/, '.js')), code);
  }
  copyFileSync(path.join(ROOT, 'package.json'), path.join(into, 'package.json'));
  return path.join(into, 'cli', 'main.js');
}

beforeAll(async () => {
  stack = await startStack({ world: worldWithPipeline(), iapProxy: true });
  dir = mkdtempSync(path.join(os.tmpdir(), 'jit-id-token-'));
  compiledMain = compileCli(dir);
  key = await issueServiceAccountKey(stack.emulator, DEPLOYER);
  keyFile = path.join(dir, 'deployer.json');
  writeFileSync(keyFile, JSON.stringify(key, null, 2));
  caFile = path.join(dir, 'emulator-ca.pem');
  writeFileSync(caFile, await (await fetch(`${stack.emulator.url}/_emulator/front-door/ca.pem`)).text());
}, 60_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `jit ARGS…` as a pipeline runs it: its own process, its environment, nothing emulator-specific but the proxy and the CA. */
function jitProcess(args: string[], credentials = keyFile): Promise<Outcome> {
  const env = {
    PATH: process.env.PATH,
    NODE_PATH: path.join(ROOT, 'node_modules'),
    GOOGLE_APPLICATION_CREDENTIALS: credentials,
    HTTPS_PROXY: stack.emulator.url,
    NO_PROXY: '127.0.0.1,localhost',
    NODE_EXTRA_CA_CERTS: caFile,
  };
  // Asynchronous: the emulator and the service answer from this process's event loop.
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', ENTRY, compiledMain, '--url', stack.iapUrl!, ...args], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr });
    });
  });
}

async function jitJson<T = any>(args: string[]): Promise<T> {
  const out = await jitProcess([...args, '--json']);
  if (out.code !== EXIT.ok) throw new Error(`jit ${args.join(' ')} exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as T;
}

const activationsOf = async (projectId: string) =>
  (await policyOf(stack.emulator, projectId)).bindings.filter((b) => b.condition?.title === 'JIT access activation' && b.members.includes(`serviceAccount:${DEPLOYER}`));

describe('a service account key in GOOGLE_APPLICATION_CREDENTIALS', () => {
  test('projects, roles, activate and end as the service account; the audit says a service account acted', async () => {
    const audience = ['--audience', stack.emulator.iapClientId];
    expect((await jitJson([...audience, 'whoami'])).user.email).toBe(DEPLOYER);
    expect((await jitJson([...audience, 'projects'])).projects.map((p: any) => p.id)).toEqual(expect.arrayContaining(['staging-app', 'finance-ledger']));
    const roles = await jitProcess([...audience, 'roles', 'staging-app']);
    expect(roles.code).toBe(EXIT.ok);
    expect(roles.stdout).toMatch(/roles\/compute\.admin\s+self-approval\s+eligible/);

    const activated = await jitJson([...audience, 'activate', 'staging-app', 'compute.admin', '-j', 'release 2.0.0', '-d', '15m']);
    expect(activated.grants).toEqual([expect.objectContaining({ role: 'roles/compute.admin' })]);
    expect(await activationsOf('staging-app')).toHaveLength(1);
    await stack.service.audit.flush();
    const entry = stack.emulator.state.logEntries.find((e: any) => e.labels?.event === 'activation.succeeded' && e.labels?.user === DEPLOYER) as any;
    expect(entry.labels.principal_type).toBe('serviceAccount');
    // Every call obtained its token from the token endpoint through the front door, none signed in at the proxy.
    expect(stack.emulator.state.calls.get('oauth2.token')).toBeGreaterThanOrEqual(4);

    expect((await jitJson([...audience, 'end', 'staging-app', 'compute.admin'])).ended.role).toBe('roles/compute.admin');
    expect(await activationsOf('staging-app')).toEqual([]);
  }, 60_000);

  test('a wrong audience: IAP refuses the token, jit says so and what to check, exit 1', async () => {
    const out = await jitProcess(['--audience', 'https://jit.example.com', 'projects']);
    expect(out.code).toBe(EXIT.error);
    expect(out.stderr).toContain("Identity-Aware Proxy refused the request (HTTP 401: Invalid IAP credentials: JWT audience doesn't match this application");
    expect(out.stderr).toContain('Check that --audience (JIT_IAP_AUDIENCE) is the OAuth client id IAP uses');
  }, 30_000);

  test('a key Google does not know: the token endpoint refuses it, jit passes on its words, exit 1', async () => {
    const forged = { ...key, private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
    const forgedFile = path.join(dir, 'forged.json');
    writeFileSync(forgedFile, JSON.stringify(forged));
    const out = await jitProcess(['--audience', stack.emulator.iapClientId, 'projects', '--json'], forgedFile);
    expect(out.code).toBe(EXIT.error);
    const { error } = JSON.parse(out.stderr);
    expect(error.code).toBe('NO_ID_TOKEN');
    expect(error.message).toContain('invalid_grant: Invalid JWT Signature.');
  }, 30_000);
});

describe('an ID token in JIT_ID_TOKEN', () => {
  async function idTokenFor(audience: string): Promise<string> {
    const auth = new GoogleAuth({ credentials: key, clientOptions: { transporterOptions: await frontDoorTransport(stack.emulator) } });
    return (await (await auth.getIdTokenClient(audience)).getRequestHeaders()).get('authorization')!.slice('Bearer '.length);
  }

  async function jitWithToken(token: string, ...args: string[]): Promise<Outcome> {
    let stdout = '';
    let stderr = '';
    const code = await run(['--url', stack.iapUrl!, ...args], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: { JIT_ID_TOKEN: token } });
    return { code, stdout, stderr };
  }

  test('is sent as is, without --audience: the service sees the service account', async () => {
    const out = await jitWithToken(await idTokenFor(stack.emulator.iapClientId), 'roles', 'staging-app', '--json');
    expect(out.code).toBe(EXIT.ok);
    expect(JSON.parse(out.stdout).roles.map((r: any) => r.role)).toEqual(['roles/compute.admin']);
  });

  test("a person's token (as from gcloud auth print-identity-token): the service sees that person", async () => {
    const out = await jitWithToken(await userIdToken(stack.emulator, 'alice@example.com', stack.emulator.iapClientId), 'whoami', '--json');
    expect(out.code).toBe(EXIT.ok);
    expect(JSON.parse(out.stdout).user.email).toBe('alice@example.com');
  });

  test('a token for another audience is refused, and jit says what the token may be wrong about', async () => {
    const out = await jitWithToken(await idTokenFor('https://jit.example.com'), 'projects');
    expect(out.code).toBe(EXIT.error);
    expect(out.stderr).toContain('Invalid IAP credentials: JWT audience');
    expect(out.stderr).toContain('The ID token in JIT_ID_TOKEN was refused');
  });
});
