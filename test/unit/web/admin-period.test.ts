// The period of the Admin Alerts and Charts pages, read from their address (?days=).
import { periodDays } from '../../../web/src/admin-period';

test('a period offered is kept', () => {
  expect(periodDays(new URLSearchParams('days=14'))).toBe(14);
  expect(periodDays(new URLSearchParams('days=30'))).toBe(30);
});

test('no period, or one not offered, is the last 7 days', () => {
  expect(periodDays(new URLSearchParams(''))).toBe(7);
  expect(periodDays(new URLSearchParams('days=3'))).toBe(7);
  expect(periodDays(new URLSearchParams('days=week'))).toBe(7);
});
