// The History page's period: whole days of the reader's calendar, from local midnight.
import { localDayStart } from '../../../web/src/format';

test('a day starts at local midnight; the last day included ends at the next midnight', () => {
  expect(localDayStart('2040-01-31')).toBe(new Date(2040, 0, 31).toISOString());
  expect(localDayStart('2040-01-31', true)).toBe(new Date(2040, 1, 1).toISOString());
});

test('no day, or not a day, is no bound', () => {
  expect(localDayStart(undefined)).toBeUndefined();
  expect(localDayStart('')).toBeUndefined();
  expect(localDayStart('31/01/2040')).toBeUndefined();
});
