// How times and durations read on screen: local time with its zone for instants, words for spans.

// The zone is always shown: reviewers and requesters are often in different ones, and emails use the service's.
const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
const dayAndClock = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });
const full = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });

/** Local time with its zone, and only as much date as needed: "2:06 PM CET" today, "Nov 22, 2:06 PM CET" this year. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  const today = new Date();
  if (date.toDateString() === today.toDateString()) return clock.format(date);
  if (date.getFullYear() === today.getFullYear()) return dayAndClock.format(date);
  return full.format(date);
}

/** 2880 → "2 days", 2160 → "1 day 12 hours", 90 → "1 hour 30 minutes". */
export function formatDelay(minutes: number): string {
  const days = Math.floor(minutes / 1440);
  const rest = minutes % 1440;
  if (days === 0) return formatDuration(rest);
  return `${days} day${days === 1 ? '' : 's'}${rest > 0 ? ` ${formatDuration(rest)}` : ''}`;
}

/** 30 → "30 minutes", 60 → "1 hour", 90 → "1 hour 30 minutes". */
export function formatDuration(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const parts = [];
  if (hours > 0) parts.push(`${hours} hour${hours === 1 ? '' : 's'}`);
  if (rest > 0 || hours === 0) parts.push(`${rest} minute${rest === 1 ? '' : 's'}`);
  return parts.join(' ');
}

/** A countdown: "1 h 04 min", "42 min 05 s", "9 s". */
export function formatRemaining(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h} h ${two(m)} min`;
  if (m > 0) return `${m} min ${two(s)} s`;
  return `${s} s`;
}

/** "in 5 minutes" / "5 minutes ago", to the minute. */
export function formatRelative(iso: string, now: number): string {
  const minutes = Math.round((new Date(iso).getTime() - now) / 60_000);
  if (minutes === 0) return 'now';
  return minutes > 0 ? `in ${formatDuration(minutes)}` : `${formatDuration(-minutes)} ago`;
}

/** Configured texts may or may not end with a full stop; on screen they always do. */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** A day as the date input gives it (`YYYY-MM-DD`), from its local midnight; `next` from the following one. */
export function localDayStart(day: string | undefined, next = false): string | undefined {
  const match = day ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(day) : null;
  if (!match) return undefined;
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + (next ? 1 : 0)).toISOString();
}
