// `jit`: the command line of JIT Access, a client of its HTTP API through Identity-Aware Proxy.
// `run` takes the arguments and returns the exit code, so tests call it as the shell would.
import packageJson from '../package.json';
import { ApiError, JitClient, type Credentials } from './client';
import { COMMANDS, EXIT, type Command, type Context } from './commands';
import { UsageError, commandNameOf, parseCommandLine, type OptionSpec } from './args';
import { applicationDefaultIdToken, emulatorSession, givenIdToken } from './credentials';

export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  sleep?(ms: number): Promise<void>;
}

const GLOBAL_OPTIONS: OptionSpec = {
  url: { type: 'string' },
  audience: { type: 'string' },
  emulator: { type: 'string' },
  user: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

const GLOBAL_HELP = `Options of every command:
  --url URL          the service's URL behind IAP (default: JIT_URL)
  --audience ID      IAP's OAuth client id, the ID token's audience (default: JIT_IAP_AUDIENCE)
  --emulator URL     use the emulator's IAP proxy at URL (what \`npm run demo\` prints under "Open")
  --user EMAIL       with --emulator: sign in as this user or service account of the emulator's world
  --json             print the API's answer as JSON (errors as JSON on stderr)
  -h, --help         this help

Credentials: JIT_ID_TOKEN if set, otherwise application default credentials (a service account key in
GOOGLE_APPLICATION_CREDENTIALS, the metadata server, or \`gcloud auth application-default login\`).`;

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `jit — just-in-time access to Google Cloud roles (JIT Access ${packageJson.version})

Usage: jit COMMAND [ARGUMENTS] [OPTIONS]

Commands:
${list}

\`jit COMMAND --help\` shows a command's arguments. Exit codes: 0 success, 1 error, 2 wrong usage;
\`jit wait\` also 3 denied, 4 expired, 5 timeout, 6 cancelled.

${GLOBAL_HELP}
See docs/cli.md.`;
}

function commandHelp(c: Command): string {
  return [`Usage: jit ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''} [OPTIONS]`, '', `${c.summary[0].toUpperCase()}${c.summary.slice(1)}.`, c.details ? `\n${c.details}` : '', '', GLOBAL_HELP]
    .filter((line, i) => line !== '' || i !== 3)
    .join('\n');
}

function credentialsOf(values: Record<string, unknown>, env: NodeJS.ProcessEnv, fetchImpl: typeof fetch): { baseUrl: string; credentials: Credentials } {
  const emulator = values.emulator as string | undefined;
  const user = values.user as string | undefined;
  if (emulator !== undefined) {
    if (!user) throw new UsageError('--emulator needs --user EMAIL: who to sign in as (a user or service account of the emulator\'s world)');
    const baseUrl = originOf(emulator, '--emulator');
    return { baseUrl, credentials: emulatorSession(baseUrl, user, fetchImpl) };
  }
  if (user !== undefined) throw new UsageError('--user works only with --emulator; in Google Cloud you are who your credentials say you are');
  const url = (values.url as string | undefined) ?? env.JIT_URL;
  if (!url) throw new UsageError('set JIT_URL (or --url) to the service\'s URL, e.g. https://jit.example.com — or use --emulator URL --user EMAIL');
  const baseUrl = originOf(url, env.JIT_URL === url ? 'JIT_URL' : '--url');
  if (env.JIT_ID_TOKEN) return { baseUrl, credentials: givenIdToken(env.JIT_ID_TOKEN) };
  const audience = (values.audience as string | undefined) ?? env.JIT_IAP_AUDIENCE;
  if (!audience) {
    throw new UsageError("set JIT_IAP_AUDIENCE (or --audience) to the OAuth client id of the service's IAP (Security › Identity-Aware Proxy › the service › Edit OAuth client), or JIT_ID_TOKEN to an ID token for it");
  }
  return { baseUrl, credentials: applicationDefaultIdToken(audience) };
}

function originOf(text: string, what: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${what} "${text}" is not a URL; write it as https://host or http://localhost:8080`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`${what} must be an http(s) URL, not ${url.protocol}`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const json = argv.includes('--json');
  const fail = (code: number, kind: string, message: string) => {
    io.stderr(json ? `${JSON.stringify({ error: { code: kind, message } })}\n` : `jit: ${message}\n`);
    return code;
  };
  const allOptions = Object.assign({}, GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)) as OptionSpec;
  const name = commandNameOf(argv, allOptions);
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (name === undefined) {
      if (argv.includes('--version')) return (io.stdout(`${packageJson.version}\n`), EXIT.ok);
      if (argv.includes('--help') || argv.includes('-h')) return (io.stdout(`${mainHelp()}\n`), EXIT.ok);
      throw new UsageError('name a command');
    }
    if (!command) throw new UsageError(`unknown command "${name}"`);
    const args = parseCommandLine(argv, { ...GLOBAL_OPTIONS, ...command.options });
    if (args.values.help) return (io.stdout(`${commandHelp(command)}\n`), EXIT.ok);
    const fetchImpl = io.fetch ?? fetch;
    let client: JitClient | undefined;
    const ctx: Context = {
      // Built on first use, so that a command's own usage mistakes are reported before missing settings.
      get client() {
        if (!client) {
          const { baseUrl, credentials } = credentialsOf(args.values, io.env, fetchImpl);
          client = new JitClient(baseUrl, credentials, fetchImpl);
        }
        return client;
      },
      json: args.values.json === true,
      print: (text) => io.stdout(`${text}\n`),
      note: (text) => io.stderr(`${text}\n`),
      sleep: io.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      now: () => Date.now(),
    };
    return await command.run(ctx, args);
  } catch (e) {
    if (e instanceof UsageError) {
      const hint = command ? `\`jit ${command.name} --help\` shows how to use it` : '`jit --help` lists the commands';
      return fail(EXIT.usage, 'USAGE', `${e.message}; ${hint}.`);
    }
    if (e instanceof ApiError) return fail(EXIT.error, e.code, e.message);
    return fail(EXIT.error, 'INTERNAL', `unexpected failure: ${(e as Error).stack ?? String(e)}`);
  }
}
