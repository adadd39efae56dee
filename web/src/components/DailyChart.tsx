// A bar chart of values per day, one bar per day, stacked by series (projects, roles), drawn as plain SVG.
// The SVG is one image to assistive technology (role="img", with a title and a summary in words); the same
// numbers are one click away as a real table, for screen readers, for copying and for anyone who would
// rather read. Colours come from CSS classes, so the chart follows the light and dark palettes and the
// Content-Security-Policy (no inline styles).
import { useId, useState } from 'react';
import { dailyTotals, labelledDays, linearScale, niceTicks, tickDecimals } from '../chart-scale';

export interface ChartSeries {
  key: string;
  values: (number | null)[];
}

interface DailyChartProps {
  title: string;
  /** The chart in one or two sentences: what a sighted reader takes from it at a glance. */
  summary: string;
  /** UTC days, `YYYY-MM-DD`. */
  days: string[];
  series: ChartSeries[];
  /** The header of the series' columns in the table, e.g. "Project". */
  seriesName: string;
  /** Counts tick in whole numbers. */
  whole?: boolean;
  format: (value: number) => string;
}

const WIDTH = 640;
const HEIGHT = 220;
const MARGIN = { top: 12, right: 8, bottom: 28, left: 48 };
const SERIES_CLASSES = 6;

const dayLabel = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
export const formatDay = (day: string) => dayLabel.format(new Date(`${day}T00:00:00Z`));

export function DailyChart({ title, summary, days, series, seriesName, whole = false, format }: DailyChartProps) {
  const id = useId();
  const [showTable, setShowTable] = useState(false);
  const totals = dailyTotals(series, days.length);
  const ticks = niceTicks(Math.max(0, ...totals), 5, whole);
  // Ticks are round numbers: written with the decimals their step needs, not the values' format.
  const decimals = tickDecimals(ticks);
  const y = linearScale(ticks.at(-1)!, HEIGHT - MARGIN.bottom, MARGIN.top);
  const band = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, days.length);
  const barWidth = Math.max(2, band * 0.7);
  const labelled = labelledDays(days.length, 8);
  // With several series (or none), each day also has a total.
  const stacked = series.length !== 1;

  return (
    <figure className="chart" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      <svg className="chart-svg" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`}>
        <title id={`${id}-title`}>{title}</title>
        <desc id={`${id}-desc`}>{summary}</desc>
        {ticks.map((tick) => (
          <g key={tick} className="chart-grid">
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} />
            <text x={MARGIN.left - 6} y={y(tick)} dy="0.32em" textAnchor="end">
              {tick.toFixed(decimals)}
            </text>
          </g>
        ))}
        {days.map((day, i) => {
          const x = MARGIN.left + i * band + (band - barWidth) / 2;
          let base = 0;
          return (
            <g key={day}>
              {series.map((s, k) => {
                const value = s.values[i];
                if (!value) return null;
                const top = base + value;
                const rect = <rect key={s.key} className={`chart-series-${k % SERIES_CLASSES}`} x={x} width={barWidth} y={y(top)} height={y(base) - y(top)}>
                  <title>{`${formatDay(day)}${stacked ? `, ${s.key}` : ''}: ${format(value)}`}</title>
                </rect>;
                base = top;
                return rect;
              })}
              {labelled.has(i) && (
                <text className="chart-axis-label" x={x + barWidth / 2} y={HEIGHT - MARGIN.bottom + 16} textAnchor="middle">
                  {formatDay(day)}
                </text>
              )}
            </g>
          );
        })}
        <line className="chart-axis" x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(0)} y2={y(0)} />
      </svg>
      {series.length > 1 && (
        <ul className="chart-legend" aria-hidden="true">
          {series.map((s, k) => (
            <li key={s.key}>
              <span className={`chart-swatch chart-series-${k % SERIES_CLASSES}`} />
              {s.key}
            </li>
          ))}
        </ul>
      )}
      <p>
        <button
          type="button"
          className="button"
          aria-expanded={showTable}
          aria-controls={`${id}-table`}
          aria-label={`${showTable ? 'Hide the table' : 'Show as a table'}: ${title}`}
          onClick={() => setShowTable((shown) => !shown)}
        >
          {showTable ? 'Hide the table' : 'Show as a table'}
        </button>
      </p>
      <div id={`${id}-table`} hidden={!showTable}>
        {showTable && (
          <table className="table chart-table">
            <caption>{title}</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                {series.map((s) => (
                  <th key={s.key} scope="col">
                    {stacked ? `${seriesName}: ${s.key}` : s.key}
                  </th>
                ))}
                {stacked && <th scope="col">Total</th>}
              </tr>
            </thead>
            <tbody>
              {days.map((day, i) => (
                <tr key={day}>
                  <th scope="row">
                    <time dateTime={day}>{formatDay(day)}</time>
                  </th>
                  {series.map((s) => (
                    <td key={s.key} className="numeric">
                      {s.values[i] === null ? '–' : format(s.values[i]!)}
                    </td>
                  ))}
                  {stacked && <td className="numeric">{format(totals[i])}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </figure>
  );
}
