// History: what people did with access over a period, from the audit log, filterable and exportable as CSV.
// The period is chosen in whole days of the reader's own calendar; the server takes exact instants.
import { useState } from 'react';
import { api, queryOf } from '../api';
import { Freshness } from '../components/Freshness';
import { Loaded } from '../components/Loaded';
import { ErrorNotice, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
import { formatTime, localDayStart } from '../format';
import { navigate } from '../router';
import { useResource } from '../use-resource';
import { FilterForm, type FilterField } from './FilterForm';

export function AdminHistoryPage({ query }: { query: URLSearchParams }) {
  const values = Object.fromEntries(['from', 'to', 'user', 'projectId', 'role', 'event'].map((k) => [k, query.get(k) ?? undefined]));
  const filter = { ...values, from: localDayStart(values.from), to: localDayStart(values.to, true) };
  const history = useResource(() => api.adminHistory(filter), [queryOf(filter)]);
  const [download, setDownload] = useState<{ state: 'busy' } | { state: 'failed'; error: Error } | null>(null);

  async function downloadCsv() {
    setDownload({ state: 'busy' });
    try {
      const { blob, filename } = await api.adminHistoryCsv(filter);
      // The API wants its XSRF header, so a plain link cannot fetch the file: the page fetches and hands it over.
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = filename;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setDownload(null);
    } catch (e) {
      setDownload({ state: 'failed', error: e as Error });
    }
  }

  const fields: FilterField[] = [
    { name: 'from', label: 'From', type: 'date', help: 'Up to 30 days back; empty: 7 days before To.' },
    { name: 'to', label: 'To (included)', type: 'date', help: 'Empty: now.' },
    { name: 'user', label: 'User' },
    { name: 'projectId', label: 'Project' },
    { name: 'role', label: 'Role contains' },
    { name: 'event', label: 'Event', options: history.state === 'ready' ? history.data.events : values.event ? [values.event] : [] },
  ];
  return (
    <>
      <PageHeading title="History" />
      <p className="lead">Activations, requests, approvals, denials, cancellations, ends, extensions and revocations, newest first.</p>
      <FilterForm key={`${queryOf(values)} ${history.state === 'ready'}`} filters={fields} values={values} label="Filter history" onApply={(v) => navigate(`/admin/history${queryOf(v)}`)}>
        <button type="button" className="button" onClick={downloadCsv} disabled={download?.state === 'busy'}>
          {download?.state === 'busy' ? 'Preparing CSV…' : 'Download CSV'}
        </button>
      </FilterForm>
      {download?.state === 'failed' && <ErrorNotice context="load" title="The CSV could not be downloaded" error={download.error} />}
      <Loaded resource={history} loading="Loading the history…" failed="The history could not be loaded">
        {(data) => (
          <>
            <Freshness text={data.freshness} onReload={history.reload} />
            <p>
              From {formatTime(data.from)} to {formatTime(data.to)}: {data.rows.length} {data.rows.length === 1 ? 'event' : 'events'}.
            </p>
            <RecordTable
              caption="History"
              className="admin-table"
              rows={data.rows}
              rowKey={(r, i) => `${r.time} ${i}`}
              columns={[
                { header: 'Time', className: 'nowrap', cell: (r) => formatTime(r.time) },
                { header: 'Event', cell: (r) => <><code>{r.event}</code>{r.outcome !== 'success' && <span className="muted"> ({r.outcome})</span>}</> },
                { header: 'By', cell: (r) => r.actor ?? '–' },
                { header: 'For', cell: (r) => r.beneficiary ?? '–' },
                { header: 'Project', cell: (r) => r.projectId ?? '–' },
                { header: 'Roles', cell: (r) => r.roles.map((role) => <code key={role} className="role-name">{role}</code>) },
                { header: 'Details', className: 'history-message', cell: (r) => r.message },
              ]}
              empty={<Notice kind="info" title="Nothing happened in this period that matches the filters" />}
            />
          </>
        )}
      </Loaded>
    </>
  );
}
