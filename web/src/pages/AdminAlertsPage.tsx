// Alerts: what deserves a look, newest first: a role activated unusually often, break-glass outside the
// change windows or not reviewed in time, and activation bindings written outside this service.
import type { AlertKind } from '../../../server/api/schemas';
import { api, type AlertView } from '../api';
import { Freshness } from '../components/Freshness';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { formatDuration, formatTime } from '../format';
import { navigate } from '../router';
import { useResource } from '../use-resource';

const PERIODS = [7, 14, 30];

const KINDS: Record<AlertKind, string> = {
  'frequent-activations': 'Frequent activations',
  'break-glass-outside-schedule': 'Break-glass outside the change windows',
  'break-glass-review-overdue': 'Break-glass not reviewed in time',
  'external-activation': 'Activation written outside this service',
};

export function AdminAlertsPage({ query }: { query: URLSearchParams }) {
  const days = PERIODS.includes(Number(query.get('days'))) ? Number(query.get('days')) : PERIODS[0];
  const alerts = useResource(() => api.adminAlerts(days), [days]);
  return (
    <>
      <PageHeading title="Alerts" />
      <p className="lead">Access that deserves a look, newest first. Activations written outside this service are listed for as long as they are in force.</p>
      <div className="field chart-period">
        <label htmlFor="alert-period">Period</label>
        <select id="alert-period" value={days} onChange={(event) => navigate(`/admin/alerts?days=${event.target.value}`)}>
          {PERIODS.map((d) => (
            <option key={d} value={d}>
              Last {d} days
            </option>
          ))}
        </select>
      </div>
      {alerts.state === 'loading' && <Loading>Loading the alerts…</Loading>}
      {alerts.state === 'failed' && <ErrorNotice context="load" title="The alerts could not be loaded" error={alerts.error} onRetry={alerts.reload} />}
      {alerts.state === 'ready' && (
        <>
          <Freshness text={alerts.data.freshness} onReload={alerts.reload} />
          <p className="muted">
            {alerts.data.frequentActivations
              ? `A user activating the same role ${alerts.data.frequentActivations.count} times within ${formatDuration(alerts.data.frequentActivations.periodMinutes)} raises an alert (ALERT_FREQUENT_ACTIVATIONS).`
              : 'Frequent activations raise no alert: ALERT_FREQUENT_ACTIVATIONS is off.'}
          </p>
          {alerts.data.warnings.length > 0 && (
            <Notice kind="warning" title="Some alerts may be missing">
              <ul>
                {alerts.data.warnings.map((w) => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            </Notice>
          )}
          {alerts.data.alerts.length === 0 ? <Notice kind="success" title={`No alerts in the last ${days} days`} /> : <AlertTable alerts={alerts.data.alerts} />}
        </>
      )}
    </>
  );
}

function AlertTable({ alerts }: { alerts: AlertView[] }) {
  return (
    <table className="table admin-table">
      <caption>Alerts ({alerts.length})</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Alert</th>
          <th scope="col">User</th>
          <th scope="col">Project</th>
          <th scope="col">Role</th>
          <th scope="col">What happened</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id}>
            <td data-label="Time" className="nowrap">
              {formatTime(a.time)}
            </td>
            <td data-label="Alert">
              <span className={`badge badge-${a.severity}`}>{a.severity === 'high' ? 'High' : 'Medium'}</span> {KINDS[a.kind]}
            </td>
            <td data-label="User">{a.user}</td>
            <td data-label="Project">{a.projectId}</td>
            <td data-label="Role">
              <code className="role-name">{a.role}</code>
            </td>
            <td data-label="What happened" className="history-message">
              {a.message}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
