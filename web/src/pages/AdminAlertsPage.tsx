// Alerts: what deserves a look, newest first: a role activated unusually often, break-glass outside the
// change windows or not reviewed in time, and activation bindings written outside this service.
import type { AlertKind } from '../../../server/api/schemas';
import { periodDays } from '../admin-period';
import { api } from '../api';
import { Freshness } from '../components/Freshness';
import { Loaded } from '../components/Loaded';
import { Notice, Warnings } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
import { formatDuration, formatTime } from '../format';
import { useResource } from '../use-resource';
import { PeriodSelect } from './PeriodSelect';

const KINDS: Record<AlertKind, string> = {
  'frequent-activations': 'Frequent activations',
  'break-glass-outside-schedule': 'Break-glass outside the change windows',
  'break-glass-review-overdue': 'Break-glass not reviewed in time',
  'external-activation': 'Activation written outside this service',
};

export function AdminAlertsPage({ query }: { query: URLSearchParams }) {
  const days = periodDays(query);
  const alerts = useResource(() => api.adminAlerts(days), [days]);
  return (
    <>
      <PageHeading title="Alerts" />
      <p className="lead">Access that deserves a look, newest first. Activations written outside this service are listed for as long as they are in force.</p>
      <PeriodSelect days={days} path="/admin/alerts" />
      <Loaded resource={alerts} loading="Loading the alerts…" failed="The alerts could not be loaded">
        {(data) => (
          <>
            <Freshness text={data.freshness} onReload={alerts.reload} />
            <p className="muted">
              {data.frequentActivations
                ? `A user activating the same role ${data.frequentActivations.count} times within ${formatDuration(data.frequentActivations.periodMinutes)} raises an alert (ALERT_FREQUENT_ACTIVATIONS).`
                : 'Frequent activations raise no alert: ALERT_FREQUENT_ACTIVATIONS is off.'}
            </p>
            <Warnings title="Some alerts may be missing" warnings={data.warnings} />
            <RecordTable
              caption={`Alerts (${data.alerts.length})`}
              className="admin-table"
              rows={data.alerts}
              rowKey={(a) => a.id}
              columns={[
                { header: 'Time', className: 'nowrap', cell: (a) => formatTime(a.time) },
                { header: 'Alert', cell: (a) => <><span className={`badge badge-${a.severity}`}>{a.severity === 'high' ? 'High' : 'Medium'}</span> {KINDS[a.kind]}</> },
                { header: 'User', cell: (a) => a.user },
                { header: 'Project', cell: (a) => a.projectId },
                { header: 'Role', cell: (a) => <code className="role-name">{a.role}</code> },
                { header: 'What happened', className: 'history-message', cell: (a) => a.message },
              ]}
              empty={<Notice kind="success" title={`No alerts in the last ${days} days`} />}
            />
          </>
        )}
      </Loaded>
    </>
  );
}
