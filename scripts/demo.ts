// `npm run demo -- [--port 8080] [--emulator-port 8085] [--world FILE]`: the emulator, the service
// configured against it (started exactly as `npm start` starts it), the IAP proxy users open, and the
// scheduled tasks run as Cloud Scheduler would run them.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type RunningEmulator } from '../emulator/server';
import { loadWorld, WorldError } from '../emulator/world';
import { chatEnvironment, serviceEnvironment } from '../emulator/service-env';
import { DemoUsageError, explainStartFailure, parseDemoArgs, type DemoOptions } from './demo-options';
import { scheduleTasks } from './demo-scheduler';

/** How often the demo runs the workflow task: every minute, so scheduled starts and escalations show soon. */
const WORKFLOW_MINUTES = 1;
const CLEANUP_MINUTES = 60;

const ROOT = path.join(__dirname, '..', '..');

const WHO_CAN_DO_WHAT: Record<string, string> = {
  'alice@example.com': 'self-activates roles on staging-app and prod-app; asks a peer for compute.admin on prod-app',
  'bob@example.com': 'on-call: reviews alice\'s prod-app requests; storage.objectAdmin on one bucket (resource condition)',
  'carol@example.com': 'on-call: second reviewer for prod-app',
  'dave@example.com': 'data engineer: self-activates bigquery.dataViewer; asks erin for bigquery.admin',
  'erin@example.com': 'data engineer: reviews dave\'s bigquery.admin requests',
  'frank@example.com': 'finance: asks grace for cloudsql.admin on finance-ledger',
  'grace@example.com': 'finance: asks frank for the same',
  'mallory@example.com': 'has nothing eligible',
  'admin@example.com': 'administrator: owns every project outright, so has nothing to activate',
};

/** Starts `node dist/server/main.js` and resolves with the URL it reports once listening. */
async function startService(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'server', 'main.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(buffered);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.pipe(process.stdout);
        resolve({ child, url: m[1] });
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the service exited with code ${code} before listening:\n${buffered}`)));
  });
}

async function main(): Promise<void> {
  const options = parseDemoArgs(process.argv.slice(2), path.join(ROOT, 'emulator', 'worlds', 'demo.yaml'));
  const world = loadWorld(options.world);
  const emulator = await startEmulatorExplained(options, world);
  // One host for every address the user opens: IAP's sign-in cookie belongs to a host, so a mailed link
  // on localhost would not be signed in where 127.0.0.1 is.
  const publicUrl = emulator.iapUrl!;
  // The scheduler's account, as a deployment's Cloud Scheduler jobs would use (docs/deploy.md).
  const invoker = world.serviceAccounts.find((a) => a !== world.serviceAccounts[0]) ?? world.serviceAccounts[0];
  const service = await startService({
    ...process.env,
    ...serviceEnvironment(emulator, world),
    ...chatEnvironment(emulator, world),
    METADATA_SERVER_DETECTION: 'none',
    PUBLIC_URL: publicUrl,
    JUSTIFICATION_HINT: process.env.JUSTIFICATION_HINT ?? 'A ticket number such as INC-1234, then why',
    JUSTIFICATION_PATTERN: process.env.JUSTIFICATION_PATTERN ?? '[A-Z]+-[0-9]+.*',
    ACCESS_POLICY: process.env.ACCESS_POLICY ?? examplePolicyFor(emulator.url),
    CLEANUP_INVOKER_SERVICE_ACCOUNT: invoker,
    WORKFLOW_TASK_INTERVAL_MINUTES: String(WORKFLOW_MINUTES),
  });
  emulator.setUpstream(service.url);
  const stopTasks = scheduleTasks(
    { emulatorUrl: emulator.url, serviceUrl: service.url, publicUrl, invoker },
    { workflows: WORKFLOW_MINUTES, cleanup: CLEANUP_MINUTES },
    (line) => console.error(line),
  );

  const users = world.users.map((u) => `    ${u.padEnd(22)}${WHO_CAN_DO_WHAT[u] ?? ''}`).join('\n');
  console.log(`
JIT Access demo is running.

  Open:      ${publicUrl}/   (sign in as any user of the demo world)
  Mailbox:   ${emulator.url}/_emulator/mail   (approval emails; links are clickable)
  Chat:      ${emulator.url}/_emulator/chat   (Google Chat and Slack posts of the demo's channels)
  ITSM:      ${emulator.url}/_emulator/itsm   (the change tickets the policy checks, the questions asked, the events posted)
  Emulator:  ${emulator.url}/_emulator/info   (state, calls, faults)
  Tasks:     /tasks/workflows every ${WORKFLOW_MINUTES} minute, /tasks/cleanup every ${CLEANUP_MINUTES}, as Cloud Scheduler would (as ${invoker})

  Users:
${users}

Ctrl-C stops everything.`);

  const stop = async () => {
    stopTasks();
    service.child.kill('SIGTERM');
    await emulator.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  const [code] = await once(service.child, 'exit');
  console.error(`The service stopped (exit code ${code}); stopping the demo.`);
  await emulator.close();
  process.exit(1);
}

/** Where the example policy expects the emulator's fake ITSM: the emulator's default address. */
const EXAMPLE_EMULATOR_URL = 'http://127.0.0.1:8085';

/**
 * examples/access-policy.yaml, whose ticket validation names the fake ITSM at the emulator's default port;
 * with --emulator-port, a copy that names the emulator's actual address.
 */
function examplePolicyFor(emulatorUrl: string): string {
  const example = path.join(ROOT, 'examples', 'access-policy.yaml');
  if (emulatorUrl === EXAMPLE_EMULATOR_URL) return example;
  const copy = path.join(mkdtempSync(path.join(tmpdir(), 'jit-demo-')), 'access-policy.yaml');
  writeFileSync(copy, readFileSync(example, 'utf8').split(`${EXAMPLE_EMULATOR_URL}/`).join(`${emulatorUrl}/`));
  return copy;
}

/** The emulator and its IAP proxy on the chosen ports; a port that is taken is explained, not thrown. */
async function startEmulatorExplained(options: DemoOptions, world: ReturnType<typeof loadWorld>): Promise<RunningEmulator> {
  try {
    return await startEmulator({ world, port: options.emulatorPort, smtpPort: options.smtpPort, iapPort: options.port });
  } catch (e) {
    const explained = await explainStartFailure(e, options);
    throw explained ? new DemoUsageError(explained) : e;
  }
}

main().catch((e) => {
  console.error(e instanceof WorldError || e instanceof DemoUsageError ? `demo: ${e.message}` : e);
  process.exit(1);
});
