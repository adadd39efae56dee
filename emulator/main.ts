// `npm run emulator -- --port N --world FILE [--smtp-port S] [--iap-port P --upstream URL] [--audience A] [--iap-client-id ID] [--state FILE]`
import { parseArgs } from 'node:util';
import path from 'node:path';
import { loadWorld, WorldError } from './world';
import { startEmulator } from './server';

export const DEFAULT_WORLD = path.join(__dirname, '..', '..', 'emulator', 'worlds', 'demo.yaml');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8085' },
      world: { type: 'string', default: DEFAULT_WORLD },
      'smtp-port': { type: 'string', default: '2525' },
      'iap-port': { type: 'string' },
      upstream: { type: 'string' },
      audience: { type: 'string' },
      'iap-client-id': { type: 'string' },
      state: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
    },
    strict: true,
  });
  const port = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new WorldError(`--${name} must be a port number (0-65535), got "${v}"`);
    return n;
  };
  if (values['iap-port'] !== undefined && !values.upstream) throw new WorldError('--iap-port needs --upstream URL (where the service listens)');
  const world = loadWorld(values.world!);
  const emulator = await startEmulator({
    world,
    host: values.host,
    port: port('port', values.port),
    smtpPort: port('smtp-port', values['smtp-port']),
    iapPort: port('iap-port', values['iap-port']),
    upstream: values.upstream,
    iapAudience: values.audience,
    iapClientId: values['iap-client-id'],
    stateFile: values.state,
  });
  console.log(`Emulator of the Google Cloud APIs on ${emulator.url}/ (world ${values.world})`);
  console.log(`  state, calls, faults: ${emulator.url}/_emulator/info`);
  console.log(`  mailbox:              ${emulator.url}/_emulator/mail (SMTP on port ${emulator.smtpPort})`);
  if (emulator.iapUrl) console.log(`  IAP proxy:            ${emulator.iapUrl}/ → ${values.upstream}`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  console.error(e instanceof WorldError ? `emulator: ${e.message}` : e);
  process.exit(1);
});
