// The arithmetic of the Admin area's charts, apart from drawing them so that it can be tested alone:
// axis ticks at round numbers, value-to-pixel scales, and per-day totals of stacked series.

/** Round steps people read at a glance: 1, 2 or 5 times a power of ten. */
export function niceStep(roughStep: number): number {
  if (!(roughStep > 0) || !Number.isFinite(roughStep)) return 1;
  const power = 10 ** Math.floor(Math.log10(roughStep));
  const fraction = roughStep / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/**
 * Ticks from 0 to at least `max`, at most `maxTicks` + 1 of them, at a round step; whole numbers only when
 * `whole` (counts cannot be fractions). An empty chart (max 0) still has an axis from 0 to 1.
 */
export function niceTicks(max: number, maxTicks = 5, whole = false): number[] {
  const top = max > 0 ? max : 1;
  let step = niceStep(top / maxTicks);
  if (whole) step = Math.max(1, Math.round(step));
  const count = Math.ceil(top / step - 1e-9);
  // Multiplying, not adding, keeps 0.1-steps free of floating-point drift (0.30000000000000004).
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

/** Maps values from 0..domainMax onto rangeStart..rangeEnd (rangeEnd may be smaller: SVG's y grows downwards). */
export function linearScale(domainMax: number, rangeStart: number, rangeEnd: number): (value: number) => number {
  const span = domainMax > 0 ? domainMax : 1;
  return (value) => rangeStart + (value / span) * (rangeEnd - rangeStart);
}

/** The sum of all series on each day; a missing value (a day without an approval) counts as nothing. */
export function dailyTotals(series: readonly { values: readonly (number | null)[] }[], days: number): number[] {
  return Array.from({ length: days }, (_, day) => series.reduce((sum, s) => sum + (s.values[day] ?? 0), 0));
}

/** Which day labels fit under the axis: every nth, so that at most `maxLabels` are written. */
export function labelledDays(days: number, maxLabels: number): Set<number> {
  const every = Math.max(1, Math.ceil(days / maxLabels));
  const shown = new Set<number>();
  for (let i = 0; i < days; i += every) shown.add(i);
  return shown;
}

/** How many decimals the axis needs to tell its ticks apart: 0 for 0, 5, 10; 2 for 0, 0.05, 0.1. */
export function tickDecimals(ticks: readonly number[]): number {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  return step >= 1 ? 0 : Math.min(10, Math.ceil(-Math.log10(step) - 1e-9));
}
