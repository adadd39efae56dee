// Times in emails are shown in NOTIFICATION_TIMEZONE in RFC 1123 form, as jit-access 1.x writes them:
// `Fri, 2 Jan 1970 10:00:00 +1000`, and `GMT` when the offset is zero.
const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(timeZone: string): Intl.DateTimeFormat {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    formats.set(timeZone, format);
  }
  return format;
}

/** `GMT+10:00` → `+1000`; `GMT`, `GMT+00:00` → `GMT`. */
function offsetOf(zoneName: string): string {
  const m = /^GMT([+-])(\d{2}):?(\d{2})?$/.exec(zoneName);
  if (!m || (m[2] === '00' && (m[3] ?? '00') === '00')) return 'GMT';
  return `${m[1]}${m[2]}${m[3] ?? '00'}`;
}

/** A fixed offset as the configuration writes it (see notificationTimeZone): `+10:00`, `-03:30`. */
const FIXED_OFFSET = /^([+-])(\d{2}):(\d{2})$/;

/** `timeZone` is an IANA zone, or a fixed offset `±HH:MM` (which Intl does not know in Node 20). */
export function formatMailTime(instant: Date, timeZone: string): string {
  const fixed = FIXED_OFFSET.exec(timeZone);
  if (fixed) {
    const sign = fixed[1] === '-' ? -1 : 1;
    const shifted = new Date(instant.getTime() + sign * (Number(fixed[2]) * 60 + Number(fixed[3])) * 60_000);
    const utc = formatMailTime(shifted, 'UTC');
    return utc.replace(/ GMT$/, ` ${offsetOf(`GMT${fixed[1]}${fixed[2]}:${fixed[3]}`)}`);
  }
  const parts = Object.fromEntries(formatFor(timeZone).formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts.weekday}, ${parts.day} ${parts.month} ${parts.year} ${parts.hour}:${parts.minute}:${parts.second} ${offsetOf(parts.timeZoneName)}`;
}
