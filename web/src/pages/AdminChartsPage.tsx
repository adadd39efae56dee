// Charts: elevations per day by project and by role, hours of privileged access held, and how long
// approvals took, over the last days. Each chart has its numbers as a table too.
import { periodDays } from '../admin-period';
import { api, type AdminChartsResponse } from '../api';
import { DailyChart, formatDay, type ChartSeries } from '../components/DailyChart';
import { Freshness } from '../components/Freshness';
import { Loaded } from '../components/Loaded';
import { PageHeading } from '../components/PageHeading';
import { useResource } from '../use-resource';
import { PeriodSelect } from './PeriodSelect';

const whole = (v: number) => String(Math.round(v));
/** Hours to a useful precision: 0.25, 3.5, 42. */
export const formatHours = (v: number) => (v === 0 ? '0' : v < 1 ? v.toFixed(2) : v < 10 ? v.toFixed(1) : v.toFixed(0));
const formatMinutes = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function AdminChartsPage({ query }: { query: URLSearchParams }) {
  const days = periodDays(query);
  // The period ends now: computed when the charts are loaded, not on every render.
  const charts = useResource(() => api.adminCharts({ from: new Date(Date.now() - days * 86_400_000).toISOString() }), [days]);
  return (
    <>
      <PageHeading title="Charts" />
      <p className="lead">How much privileged access was used, and how quickly it was approved. Days are UTC days.</p>
      <PeriodSelect days={days} path="/admin/charts" />
      <Loaded resource={charts} loading="Loading the charts…" failed="The charts could not be loaded">
        {(data) => <Charts data={data} onReload={charts.reload} />}
      </Loaded>
    </>
  );
}

function Charts({ data, onReload }: { data: AdminChartsResponse; onReload: () => void }) {
  const elevations = sum(data.elevationsByProject.flatMap((s) => s.values));
  const hours = sum(data.hoursByProject.flatMap((s) => s.values));
  const { approvals } = data;
  const median: ChartSeries = { key: 'Median minutes to approval', values: approvals.medianMinutesByDay };
  return (
    <>
      <Freshness text={data.freshness} onReload={onReload} />
      <dl className="chart-totals">
        <div>
          <dt>Elevations</dt>
          <dd>{elevations}</dd>
        </div>
        <div>
          <dt>Hours of privileged access held</dt>
          <dd>{formatHours(hours)}</dd>
        </div>
        <div>
          <dt>Median time to approval</dt>
          <dd>{approvals.medianMinutes === null ? 'No approvals' : `${formatMinutes(approvals.medianMinutes)} min (${approvals.count} ${approvals.count === 1 ? 'approval' : 'approvals'})`}</dd>
        </div>
      </dl>
      <DailyChart
        title="Elevations per day by project"
        summary={countSummary(data.days, data.elevationsByProject, 'project')}
        days={data.days}
        series={data.elevationsByProject}
        seriesName="Project"
        whole
        format={whole}
      />
      <DailyChart title="Elevations per day by role" summary={countSummary(data.days, data.elevationsByRole, 'role')} days={data.days} series={data.elevationsByRole} seriesName="Role" whole format={whole} />
      <DailyChart
        title="Hours of privileged access held per day"
        summary={`${formatHours(hours)} hours held in ${data.days.length} days, across ${data.hoursByProject.length} ${data.hoursByProject.length === 1 ? 'project' : 'projects'}.`}
        days={data.days}
        series={data.hoursByProject}
        seriesName="Project"
        format={formatHours}
      />
      <DailyChart
        title="Median time to approval per day, in minutes"
        summary={approvals.medianMinutes === null ? 'No request was approved in this period.' : `Median ${formatMinutes(approvals.medianMinutes)} minutes over ${approvals.count} approvals.`}
        days={data.days}
        series={[median]}
        seriesName="Median"
        format={formatMinutes}
      />
    </>
  );
}

/** "5 elevations in 8 days; the most on Dec 1 (3); 2 projects." */
function countSummary(days: string[], series: ChartSeries[], what: string): string {
  const perDay = days.map((_, i) => sum(series.map((s) => s.values[i] ?? 0)));
  const total = sum(perDay);
  if (total === 0) return `No elevations in these ${days.length} days.`;
  const busiest = perDay.indexOf(Math.max(...perDay));
  return `${total} ${total === 1 ? 'elevation' : 'elevations'} in ${days.length} days; the most on ${formatDay(days[busiest])} (${perDay[busiest]}); ${series.length} ${series.length === 1 ? what : `${what}s`}.`;
}
