// The period an Admin page covers, kept in its address (?days=) so that reload, Back and a shared link show
// the same period.
import { useId } from 'react';
import { ADMIN_PERIODS } from '../admin-period';
import { navigate } from '../router';

/** Choosing another period opens `path` with it. */
export function PeriodSelect({ days, path }: { days: number; path: string }) {
  const id = useId();
  return (
    <div className="field chart-period">
      <label htmlFor={id}>Period</label>
      <select id={id} value={days} onChange={(event) => navigate(`${path}?days=${event.target.value}`)}>
        {ADMIN_PERIODS.map((d) => (
          <option key={d} value={d}>
            Last {d} days
          </option>
        ))}
      </select>
    </div>
  );
}
