// My approval requests of the last 7 days and where each stands; a pending one can be opened or withdrawn.
import { useState } from 'react';
import { api, type LoggedRequestView } from '../api';
import { LogFreshness } from '../components/LogFreshness';
import { Loaded } from '../components/Loaded';
import { DoneNotice, ErrorNotice, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
import { RequestedDuration } from '../components/RequestedDuration';
import { RoleName } from '../components/RoleName';
import { formatTime } from '../format';
import { Link } from '../router';
import { openRequest, requestStatusText, requestsChanged } from '../request-status';
import { useResource } from '../use-resource';

export function MyRequestsPage() {
  const requests = useResource(() => api.myRequests(), []);
  const [busy, setBusy] = useState<{ id: string; action: 'open' | 'cancel' } | null>(null);
  const [failed, setFailed] = useState<{ title: string; error: Error } | null>(null);
  // Numbered, so that the same message twice is still news to focus.
  const [done, setDone] = useState<{ message: string; count: number } | null>(null);

  async function act(item: LoggedRequestView, kind: 'open' | 'cancel', title: string, action: () => Promise<void>) {
    setBusy({ id: item.request.id, action: kind });
    setFailed(null);
    try {
      await action();
    } catch (e) {
      setFailed({ title, error: e as Error });
    }
    setBusy(null);
  }
  const open = (item: LoggedRequestView) => act(item, 'open', 'The request could not be opened', () => openRequest(item.request.id));
  const cancel = (item: LoggedRequestView) =>
    act(item, 'cancel', 'The request was not cancelled', async () => {
      const { token } = await api.requestToken(item.request.id);
      await api.cancel(token);
      requestsChanged();
      const what = item.request.extendsGrant ? 'to extend your grant of' : 'for';
      setDone((previous) => ({ message: `Your request ${what} ${item.request.role} on ${item.request.projectId} was cancelled; its reviewers are told.`, count: (previous?.count ?? 0) + 1 }));
      requests.reload();
    });

  return (
    <>
      <PageHeading title="My requests" />
      <p className="lead">Your approval requests of the last 7 days, and where each stands.</p>
      {done && (
        <DoneNotice news={done}>
          <Notice kind="success">
            <p>{done.message}</p>
          </Notice>
        </DoneNotice>
      )}
      {failed && <ErrorNotice context="approval" title={failed.title} error={failed.error} />}
      <Loaded resource={requests} loading="Loading your requests…" failed="Your requests could not be loaded">
        {(data) => (
          <>
            <LogFreshness readAt={data.readAt} />
            <RecordTable
              caption="Your requests"
              className="my-requests"
              rows={data.requests}
              rowKey={(item) => item.request.id}
              rowAttributes={(item) => ({ id: item.request.id, className: `request-${item.status}` })}
              columns={[
                { header: 'Requested', className: 'nowrap', cell: (item) => formatTime(item.createdAt) },
                { header: 'Role', cell: (item) => <><RoleName entry={item.request} /> on {item.request.projectId}<span className="muted request-reviewers">Reviewers: {item.request.reviewers.join(', ')}</span></> },
                { header: 'For', className: 'nowrap', cell: (item) => <RequestedDuration request={item.request} /> },
                { header: 'Status', cell: requestStatusText },
              ]}
              actions={(item) =>
                item.status === 'pending' && (
                  <>
                    <button type="button" className="button" disabled={busy !== null} onClick={() => void open(item)}>
                      Open<span className="visually-hidden"> your request for {item.request.role} on {item.request.projectId}</span>
                    </button>
                    <button type="button" className="button button-danger" disabled={busy !== null} onClick={() => void cancel(item)}>
                      {busy?.id === item.request.id && busy.action === 'cancel' ? 'Cancelling…' : 'Cancel request'}
                      <span className="visually-hidden"> for {item.request.role} on {item.request.projectId}</span>
                    </button>
                  </>
                )
              }
              empty={
                <Notice kind="info" title="You made no approval request in the last 7 days">
                  <p>
                    <Link href="/">Request access</Link> to a peer-approval role when you need it.
                  </p>
                </Notice>
              }
            />
          </>
        )}
      </Loaded>
    </>
  );
}
