// The demo launcher's command line, and what to tell the user when it cannot start: which flag to
// change and a port that is free, never a stack trace.
import { createServer } from 'node:net';

export interface DemoOptions {
  /** The IAP proxy: the address users open. */
  port: number;
  emulatorPort: number;
  smtpPort: number;
  world: string;
}

/** Input the user can correct; printed as it is, without a stack. */
export class DemoUsageError extends Error {}

const PORT_FLAGS = {
  port: { key: 'port', what: 'the address you open' },
  'emulator-port': { key: 'emulatorPort', what: "the emulator's APIs and mailbox page" },
  'smtp-port': { key: 'smtpPort', what: "the emulator's SMTP mailbox" },
} as const;

type PortFlag = keyof typeof PORT_FLAGS;

export const USAGE = 'npm run demo -- [--port 8080] [--emulator-port 8085] [--smtp-port 2525] [--world FILE]';

export function parseDemoArgs(args: string[], defaultWorld: string): DemoOptions {
  const options: DemoOptions = { port: 8080, emulatorPort: 8085, smtpPort: 2525, world: defaultWorld };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split(/=(.*)/s, 2);
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !(name in PORT_FLAGS || name === 'world')) {
      throw new DemoUsageError(`Unknown option "${args[i]}". Usage: ${USAGE}`);
    }
    const value = inline ?? args[++i];
    if (value === undefined || value === '') throw new DemoUsageError(`${flag} needs a value. Usage: ${USAGE}`);
    if (name === 'world') options.world = value;
    else options[PORT_FLAGS[name as PortFlag].key] = portNumber(flag, value);
  }
  const taken = new Map<number, PortFlag>();
  for (const flag of Object.keys(PORT_FLAGS) as PortFlag[]) {
    const port = options[PORT_FLAGS[flag].key];
    const other = taken.get(port);
    if (other) throw new DemoUsageError(`--${other} and --${flag} are both ${port}: each needs a port of its own.`);
    taken.set(port, flag);
  }
  return options;
}

function portNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > 65535) throw new DemoUsageError(`${flag} must be a port number (1-65535), got "${value}".`);
  return n;
}

/** The first port from `from` on that nobody listens on (on 127.0.0.1, where the demo listens). */
export async function freePortFrom(from: number, avoid: number[] = []): Promise<number | undefined> {
  for (let port = from; port <= Math.min(65535, from + 100); port++) {
    if (!avoid.includes(port) && (await isFree(port))) return port;
  }
  return undefined;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * For a port the demo could not listen on, which flag to change and to what; undefined for any other
 * failure (those are shown as they are).
 */
export async function explainStartFailure(error: unknown, options: DemoOptions): Promise<string | undefined> {
  const { code, port } = (error ?? {}) as { code?: string; port?: number };
  if (code !== 'EADDRINUSE' && code !== 'EACCES') return undefined;
  const flag = (Object.keys(PORT_FLAGS) as PortFlag[]).find((f) => options[PORT_FLAGS[f].key] === port);
  if (!flag) return undefined;
  const why = code === 'EADDRINUSE' ? 'is in use by another program' : 'needs privileges this user does not have';
  const free = await freePortFrom(code === 'EACCES' ? Math.max(port! + 1, 1024) : port! + 1, Object.values(PORT_FLAGS).map((f) => options[f.key]));
  const suggestion = free === undefined ? `Choose a free port with --${flag}.` : `Choose another with --${flag}, for example: npm run demo -- --${flag} ${free}`;
  return `Port ${port} (${PORT_FLAGS[flag].what}) ${why}. ${suggestion}`;
}
