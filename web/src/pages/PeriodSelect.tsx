// The period an Admin page covers (the last 7, 14 or 30 days), kept in its address (?days=) so that reload,
// Back and a shared link show the same period.
import { useId } from 'react';
import { navigate } from '../router';

const PERIODS = [7, 14, 30];

/** The days `?days=` names, if one of the periods offered; else the first. */
export function periodDays(query: URLSearchParams): number {
  const days = Number(query.get('days'));
  return PERIODS.includes(days) ? days : PERIODS[0];
}

/** Choosing another period opens `path` with it. */
export function PeriodSelect({ days, path }: { days: number; path: string }) {
  const id = useId();
  return (
    <div className="field chart-period">
      <label htmlFor={id}>Period</label>
      <select id={id} value={days} onChange={(event) => navigate(`${path}?days=${event.target.value}`)}>
        {PERIODS.map((d) => (
          <option key={d} value={d}>
            Last {d} days
          </option>
        ))}
      </select>
    </div>
  );
}
