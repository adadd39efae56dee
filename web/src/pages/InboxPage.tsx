// The approver inbox: requests waiting for my decision, each opened and decided on its own page without the
// email, and the requests I decided in the last 7 days.
import { useState } from 'react';
import { api, type ReviewItem } from '../api';
import { LogFreshness } from '../components/LogFreshness';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RoleName } from '../components/RoleName';
import { formatDuration, formatTime } from '../format';
import { openRequest, requestStatusText } from '../request-status';
import { useResource } from '../use-resource';

export function InboxPage() {
  const reviews = useResource(() => api.myReviews(), []);
  const [opening, setOpening] = useState<string | null>(null);
  const [failed, setFailed] = useState<Error | null>(null);

  async function open(requestId: string) {
    setOpening(requestId);
    setFailed(null);
    try {
      await openRequest(requestId);
    } catch (e) {
      setFailed(e as Error);
      setOpening(null);
      reviews.reload();
    }
  }

  return (
    <>
      <PageHeading title="Inbox" />
      <p className="lead">Requests waiting for your decision, and the ones you decided in the last 7 days.</p>
      {reviews.state === 'loading' && <Loading>Loading your inbox…</Loading>}
      {reviews.state === 'failed' && <ErrorNotice context="load" title="Your inbox could not be loaded" error={reviews.error} onRetry={reviews.reload} />}
      {failed && <ErrorNotice context="approval" title="The request could not be opened" error={failed} />}
      {reviews.state === 'ready' && (
        <>
          <LogFreshness readAt={reviews.data.readAt} />
          {reviews.data.waiting.length === 0 ? (
            <Notice kind="info" title="Nothing is waiting for your decision" />
          ) : (
            <table className="table inbox">
              <caption>Waiting for your decision</caption>
              <thead>
                <tr>
                  <th scope="col">Requested by</th>
                  <th scope="col">Role</th>
                  <th scope="col">For</th>
                  <th scope="col">Approvals</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {reviews.data.waiting.map((item) => (
                  <tr key={item.request.id}>
                    <td data-label="Requested by">
                      {item.request.beneficiary}
                      <span className="muted request-time">{formatTime(item.createdAt)}</span>
                    </td>
                    <td data-label="Role">
                      <RoleName entry={item.request} /> on {item.request.projectId}
                      <span className="request-justification">{item.request.justification}</span>
                    </td>
                    <td data-label="For" className="nowrap">
                      {formatDuration(item.request.durationMinutes)}
                    </td>
                    <td data-label="Approvals" className="nowrap">
                      {item.approvals.length} of {item.requiredApprovals}
                    </td>
                    <td data-label="Expires" className="nowrap">
                      {formatTime(item.request.expiresAt)}
                    </td>
                    <td className="row-actions">
                      <button type="button" className="button button-primary" disabled={opening !== null} onClick={() => void open(item.request.id)}>
                        {opening === item.request.id ? 'Opening…' : 'Review'}
                        <span className="visually-hidden">
                          {' '}
                          the request of {item.request.beneficiary} for {item.request.role} on {item.request.projectId}
                        </span>
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {reviews.data.decided.length > 0 && <DecidedTable items={reviews.data.decided} />}
        </>
      )}
    </>
  );
}

function DecidedTable({ items }: { items: ReviewItem[] }) {
  return (
    <table className="table inbox-decided">
      <caption>Decided by you in the last 7 days</caption>
      <thead>
        <tr>
          <th scope="col">Your decision</th>
          <th scope="col">Requested by</th>
          <th scope="col">Role</th>
          <th scope="col">Now</th>
        </tr>
      </thead>
      <tbody>
        {items.map((item) => (
          <tr key={item.request.id}>
            <td data-label="Your decision" className="nowrap">
              {item.myDecision!.decision === 'approved' ? 'Approved' : 'Denied'} {formatTime(item.myDecision!.at)}
            </td>
            <td data-label="Requested by">{item.request.beneficiary}</td>
            <td data-label="Role">
              <RoleName entry={item.request} /> on {item.request.projectId}
            </td>
            <td data-label="Now">{requestStatusText(item)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
