// `npm run demo -- [--port 8080] [--emulator-port 8085] [--world FILE]`: the emulator, the service
// configured against it (started exactly as `npm start` starts it), and the IAP proxy users open.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulator } from '../emulator/server';
import { loadWorld, WorldError } from '../emulator/world';
import { serviceEnvironment } from '../emulator/service-env';

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
};

function portOption(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new WorldError(`--${name} must be a port number (1-65535), got "${value}"`);
  return n;
}

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
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8080' },
      'emulator-port': { type: 'string', default: '8085' },
      'smtp-port': { type: 'string', default: '2525' },
      world: { type: 'string', default: path.join(ROOT, 'emulator', 'worlds', 'demo.yaml') },
    },
    strict: true,
  });
  const world = loadWorld(values.world!);
  const port = portOption('port', values.port!);
  const emulator = await startEmulator({
    world,
    port: portOption('emulator-port', values['emulator-port']!),
    smtpPort: portOption('smtp-port', values['smtp-port']!),
    iapPort: port,
  });
  const publicUrl = `http://localhost:${port}`;
  const service = await startService({
    ...process.env,
    ...serviceEnvironment(emulator, world),
    METADATA_SERVER_DETECTION: 'none',
    PUBLIC_URL: publicUrl,
    JUSTIFICATION_HINT: process.env.JUSTIFICATION_HINT ?? 'A ticket number such as INC-1234, then why',
    JUSTIFICATION_PATTERN: process.env.JUSTIFICATION_PATTERN ?? '[A-Z]+-[0-9]+.*',
  });
  emulator.setUpstream(service.url);

  const users = world.users.map((u) => `    ${u.padEnd(22)}${WHO_CAN_DO_WHAT[u] ?? ''}`).join('\n');
  console.log(`
JIT Access demo is running.

  Open:      ${publicUrl}/        (sign in as any user of the demo world)
  Mailbox:   ${emulator.url}/_emulator/mail   (approval emails; links are clickable)
  Emulator:  ${emulator.url}/_emulator/info   (state, calls, faults)
  Service:   ${service.url}/health/ready      (behind the IAP proxy above)

  Users:
${users}

Ctrl-C stops everything.`);

  const stop = async () => {
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

main().catch((e) => {
  console.error(e instanceof WorldError ? `demo: ${e.message}` : e);
  process.exit(1);
});
