// Command-line arguments: node:util's parseArgs with the options of the command at hand, and the
// duration syntax (`30m`, `2h`, `1h30m`, `90`), and instants (`+2h`, or an RFC 3339 timestamp).
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: exit code 2, with the command's usage. */
export class UsageError extends Error {}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseCommandLine(args: string[], options: OptionSpec): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[\w+\]: /, ''));
  }
}

/** The first argument that is not an option or an option's value: the command's name. */
export function commandNameOf(args: string[], options: OptionSpec): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return args[i + 1];
    if (!arg.startsWith('-') || arg === '-') return arg;
    if (arg.includes('=')) continue;
    const spec = arg.startsWith('--') ? options[arg.slice(2)] : Object.values(options).find((o) => o.short === arg.slice(1));
    if (spec?.type === 'string') i++;
  }
  return undefined;
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m?)?$/;

/** Minutes from `30m`, `2h`, `1h30m`, `1d` or a bare number of minutes. */
export function parseDuration(text: string, option: string): number {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === '' || (m[3] === undefined && m[1] === undefined && m[2] === undefined)) {
    throw new UsageError(`${option} "${text}" is not a duration; write it as 30m, 2h, 1h30m or a number of minutes.`);
  }
  const minutes = Number(m[1] ?? 0) * 1440 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  if (minutes <= 0) throw new UsageError(`${option} must be longer than zero.`);
  return minutes;
}

const SECONDS = /^(\d+)(s|m|h)?$/;
const SECONDS_PER_UNIT = { s: 1, m: 60, h: 3600 } as const;

/** Seconds from `90s`, `30m`, `2h` or a bare number of seconds (for waiting, not for grants). */
export function parseSeconds(text: string, option: string): number {
  const m = SECONDS.exec(text.trim());
  if (!m) throw new UsageError(`${option} "${text}" is not a duration; write it as 90s, 30m or 2h.`);
  const seconds = Number(m[1]) * SECONDS_PER_UNIT[(m[2] ?? 's') as keyof typeof SECONDS_PER_UNIT];
  if (seconds <= 0) throw new UsageError(`${option} must be longer than zero.`);
  return seconds;
}

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An instant from `+DURATION` (that long from `now`, e.g. `+2h`, `+1d`) or an RFC 3339 timestamp with a time
 * zone (`2040-01-01T09:00:00Z`, `…+01:00`), as the ISO string the API takes.
 */
export function parseInstant(text: string, option: string, now: number): string {
  const t = text.trim();
  const refused = new UsageError(`${option} "${text}" is not an instant; write +2h (from now) or a timestamp with a time zone such as 2040-01-01T09:00:00Z.`);
  if (t.startsWith('+')) {
    const minutes = DURATION.test(t.slice(1)) && t.length > 1 ? parseDuration(t.slice(1), option) : null;
    if (minutes === null) throw refused;
    return new Date(now + minutes * 60_000).toISOString();
  }
  const instant = new Date(t);
  if (!TIMESTAMP.test(t) || Number.isNaN(instant.getTime())) throw refused;
  return instant.toISOString();
}
