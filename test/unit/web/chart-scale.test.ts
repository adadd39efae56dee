// The arithmetic of the Admin charts: round ticks, scales, totals of stacked series, day labels.
import { dailyTotals, labelledDays, linearScale, niceStep, niceTicks, tickDecimals } from '../../../web/src/chart-scale';

describe('niceStep', () => {
  test.each([
    [0.7, 1],
    [1, 1],
    [1.2, 2],
    [3, 5],
    [7, 10],
    [13, 20],
    [0.03, 0.05],
    [450, 500],
  ])('%p rounds up to %p', (rough, nice) => {
    expect(niceStep(rough)).toBeCloseTo(nice, 10);
  });

  test('nonsense (0, negative, infinite, NaN) gives 1', () => {
    expect([0, -3, Infinity, NaN].map(niceStep)).toEqual([1, 1, 1, 1]);
  });
});

describe('niceTicks', () => {
  test('start at 0 and reach at least the maximum at a round step', () => {
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(42)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(niceTicks(0.26)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(0.14)).toEqual([0, 0.05, 0.1, 0.15]);
  });

  test('counts tick in whole numbers; an empty chart has an axis from 0 to 1', () => {
    expect(niceTicks(2, 5, true)).toEqual([0, 1, 2]);
    expect(niceTicks(0, 5, true)).toEqual([0, 1]);
    expect(niceTicks(0)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  test('never more than maxTicks steps', () => {
    for (const max of [1, 3, 9, 11, 99, 101, 999, 12345]) expect(niceTicks(max, 5).length).toBeLessThanOrEqual(6);
  });
});

describe('linearScale', () => {
  test('maps 0..max onto the range, also an inverted one (SVG y grows downwards)', () => {
    const x = linearScale(10, 40, 140);
    expect([x(0), x(5), x(10)]).toEqual([40, 90, 140]);
    const y = linearScale(8, 200, 0);
    expect([y(0), y(2), y(8)]).toEqual([200, 150, 0]);
  });

  test('a domain of 0 does not divide by zero', () => {
    expect(linearScale(0, 100, 0)(0)).toBe(100);
  });
});

test('dailyTotals sums the series per day, counting missing values as 0', () => {
  expect(
    dailyTotals(
      [
        { values: [1, 0, 2] },
        { values: [null, 3, 1] },
      ],
      3,
    ),
  ).toEqual([1, 3, 3]);
});

test('labelledDays writes every nth day so that at most maxLabels fit', () => {
  expect([...labelledDays(7, 10)]).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect([...labelledDays(31, 8)]).toEqual([0, 4, 8, 12, 16, 20, 24, 28]);
});

test('tickDecimals: as many decimals as the step needs to tell ticks apart', () => {
  expect(tickDecimals(niceTicks(42))).toBe(0);
  expect(tickDecimals(niceTicks(0.9))).toBe(1);
  expect(tickDecimals(niceTicks(0.012))).toBe(3);
  expect(tickDecimals(niceTicks(0.14))).toBe(2);
  expect(tickDecimals([0])).toBe(0);
});
