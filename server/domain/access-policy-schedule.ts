// Weekly time windows of an access policy rule, e.g. `Mon-Fri 08:00-18:00`, read in an IANA time zone.
// Local wall-clock time decides, so a window keeps its local hours across daylight-saving changes.

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** One window: the days it starts on and its local start and end in minutes after midnight. */
export interface ScheduleWindow {
  readonly days: ReadonlySet<number>;
  /** Minutes after midnight, 0–1439. */
  readonly start: number;
  /** Minutes after midnight, 1–1440; below `start` means the window runs past midnight into the next day. */
  readonly end: number;
  /** The window as written. */
  readonly text: string;
}

const WINDOW = /^\s*([A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?(?:\s*,\s*[A-Za-z]{3}(?:\s*-\s*[A-Za-z]{3})?)*)\s+([0-9]{2}):([0-9]{2})\s*-\s*([0-9]{2}):([0-9]{2})\s*$/;

/** Parses `Mon-Fri 08:00-18:00`, `Sat,Sun 10:00-14:00`, `Fri-Mon 22:00-06:00`; throws with what is wrong. */
export function parseWindow(text: string): ScheduleWindow {
  const m = WINDOW.exec(text);
  if (!m) throw new Error(`"${text}" is not a window such as "Mon-Fri 08:00-18:00" (days, then HH:MM-HH:MM)`);
  const days = new Set<number>();
  for (const part of m[1].split(',')) {
    const [from, to = from] = part.split('-').map((d) => dayIndex(d.trim()));
    // A range may wrap around the week: Fri-Mon is Fri, Sat, Sun, Mon.
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  const start = minutesOf(m[2], m[3], false);
  const end = minutesOf(m[4], m[5], true);
  if (start === end) throw new Error(`"${text}": the window starts and ends at the same time`);
  return { days, start, end, text: text.trim().replace(/\s+/g, ' ') };
}

function dayIndex(name: string): number {
  const i = WEEKDAYS.findIndex((d) => d.toLowerCase() === name.toLowerCase());
  if (i < 0) throw new Error(`"${name}" is not a day (use ${WEEKDAYS.join(', ')})`);
  return i;
}

function minutesOf(hours: string, minutes: string, isEnd: boolean): number {
  const h = Number(hours);
  const min = Number(minutes);
  if (min > 59 || h > 24 || (h === 24 && (min !== 0 || !isEnd))) {
    throw new Error(`${hours}:${minutes} is not a time of day (00:00 to 23:59; 24:00 only as an end)`);
  }
  return h * 60 + min;
}

/** Whether `zone` is an IANA time zone the runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The local weekday (0 = Monday) and minutes after midnight of `instant` in `zone`. */
export function localTime(instant: Date, zone: string): { day: number; minutes: number } {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formats.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return { day: dayIndex(parts.weekday), minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

/** Whether `instant` falls inside any of the windows, read in `zone`. */
export function isInsideWindows(windows: readonly ScheduleWindow[], zone: string, instant: Date): boolean {
  const { day, minutes } = localTime(instant, zone);
  const previous = (day + 6) % 7;
  return windows.some((w) => {
    if (w.start < w.end) return w.days.has(day) && minutes >= w.start && minutes < w.end;
    // Past midnight: the evening part belongs to the start day, the morning part to the day after.
    return (w.days.has(day) && minutes >= w.start) || (w.days.has(previous) && minutes < w.end);
  });
}
