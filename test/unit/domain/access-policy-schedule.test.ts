import { isInsideWindows, localTime, parseWindow } from '../../../server/domain/access-policy-schedule';

const inside = (windows: string[], zone: string, iso: string) => isInsideWindows(windows.map(parseWindow), zone, new Date(iso));

describe('schedule windows', () => {
  it('parses day ranges, lists and wrapping ranges', () => {
    expect([...parseWindow('Mon-Fri 08:00-18:00').days]).toEqual([0, 1, 2, 3, 4]);
    expect([...parseWindow('Sat,Sun 10:00-14:00').days]).toEqual([5, 6]);
    expect([...parseWindow('Fri-Mon 22:00-06:00').days]).toEqual([4, 5, 6, 0]);
    expect(parseWindow('mon 00:00-24:00')).toMatchObject({ start: 0, end: 1440 });
  });

  it.each([
    ['Mon-Fri', 'is not a window'],
    ['Mon-Fri 8:00-18:00', 'is not a window'],
    ['Mon 18:00-18:00', 'starts and ends at the same time'],
    ['Mon 24:00-02:00', 'not a time of day'],
    ['Mon 08:60-09:00', 'not a time of day'],
    ['Xyz 08:00-09:00', '"Xyz" is not a day'],
  ])('refuses %s', (text, message) => {
    expect(() => parseWindow(text)).toThrow(message);
  });

  it('reads the window in the zone, start inclusive, end exclusive', () => {
    const w = ['Mon-Fri 08:00-18:00'];
    // 2026-01-05 is a Monday; Berlin is UTC+1 in winter.
    expect(inside(w, 'Europe/Berlin', '2026-01-05T06:59:59Z')).toBe(false);
    expect(inside(w, 'Europe/Berlin', '2026-01-05T07:00:00Z')).toBe(true);
    expect(inside(w, 'Europe/Berlin', '2026-01-05T16:59:00Z')).toBe(true);
    expect(inside(w, 'Europe/Berlin', '2026-01-05T17:00:00Z')).toBe(false);
    expect(inside(w, 'UTC', '2026-01-05T07:00:00Z')).toBe(false);
    // Saturday in Berlin.
    expect(inside(w, 'Europe/Berlin', '2026-01-10T10:00:00Z')).toBe(false);
  });

  it('keeps local hours across daylight-saving time', () => {
    const w = ['Mon-Fri 08:00-18:00'];
    // Summer: Berlin is UTC+2, so 08:00 local is 06:00Z.
    expect(inside(w, 'Europe/Berlin', '2026-07-06T06:00:00Z')).toBe(true);
    expect(inside(w, 'Europe/Berlin', '2026-07-06T05:59:00Z')).toBe(false);
    expect(inside(w, 'Europe/Berlin', '2026-07-06T16:00:00Z')).toBe(false);
    // 2026-03-29 (Sunday) Berlin springs forward at 01:00Z; Monday 2026-03-30 08:00 local is 06:00Z.
    expect(inside(w, 'Europe/Berlin', '2026-03-30T06:00:00Z')).toBe(true);
    // New York changes on 2026-03-08, three weeks earlier than Berlin: in between, the offset differs.
    expect(inside(['Mon-Fri 09:00-17:00'], 'America/New_York', '2026-03-09T13:00:00Z')).toBe(true);
    expect(inside(['Mon-Fri 09:00-17:00'], 'America/New_York', '2026-03-06T13:00:00Z')).toBe(false);
  });

  it('handles the hour that repeats when clocks fall back', () => {
    // 2026-10-25 Berlin: 02:00-03:00 local happens twice (00:00Z-01:00Z at +2, 01:00Z-02:00Z at +1).
    const w = ['Sun 02:00-03:00'];
    expect(inside(w, 'Europe/Berlin', '2026-10-25T00:30:00Z')).toBe(true);
    expect(inside(w, 'Europe/Berlin', '2026-10-25T01:30:00Z')).toBe(true);
    expect(inside(w, 'Europe/Berlin', '2026-10-25T02:30:00Z')).toBe(false);
  });

  it('runs a window past midnight into the next day', () => {
    const w = ['Fri 22:00-06:00'];
    expect(inside(w, 'UTC', '2026-01-09T23:00:00Z')).toBe(true); // Friday night
    expect(inside(w, 'UTC', '2026-01-10T05:59:00Z')).toBe(true); // Saturday morning
    expect(inside(w, 'UTC', '2026-01-10T06:00:00Z')).toBe(false);
    expect(inside(w, 'UTC', '2026-01-09T05:00:00Z')).toBe(false); // Friday morning belongs to Thursday
  });

  it('reads the local day across the date line', () => {
    // Monday 00:30 UTC is still Sunday in Los Angeles and already Monday afternoon in Auckland.
    expect(localTime(new Date('2026-01-05T00:30:00Z'), 'America/Los_Angeles')).toEqual({ day: 6, minutes: 16 * 60 + 30 });
    expect(localTime(new Date('2026-01-05T00:30:00Z'), 'Pacific/Auckland')).toEqual({ day: 0, minutes: 13 * 60 + 30 });
  });
});
