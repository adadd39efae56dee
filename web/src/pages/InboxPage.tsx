// The approver inbox: requests waiting for my decision, each opened and decided on its own page without the
// email; break-glass activations waiting for my review, each reviewed on its own page; and the requests I
// decided in the last 7 days.
import { useState } from 'react';
import { api, type BreakGlassReviewItem, type ReviewItem } from '../api';
import { LogFreshness } from '../components/LogFreshness';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RequestedDuration } from '../components/RequestedDuration';
import { RoleName } from '../components/RoleName';
import { formatDuration, formatTime } from '../format';
import { openRequest, requestStatusText } from '../request-status';
import { Link } from '../router';
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
      <p className="lead">Requests waiting for your decision, break-glass activations waiting for your review, and the requests you decided in the last 7 days.</p>
      {reviews.state === 'loading' && <Loading>Loading your inbox…</Loading>}
      {reviews.state === 'failed' && <ErrorNotice context="load" title="Your inbox could not be loaded" error={reviews.error} onRetry={reviews.reload} />}
      {failed && <ErrorNotice context="approval" title="The request could not be opened" error={failed} />}
      {reviews.state === 'ready' && (
        <>
          <LogFreshness readAt={reviews.data.readAt} />
          {reviews.data.waiting.length === 0 && reviews.data.breakGlass.length === 0 && <Notice kind="info" title="Nothing is waiting for your decision or review" />}
          {reviews.data.waiting.length > 0 && (
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
                      <RequestedDuration request={item.request} />
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
          {reviews.data.breakGlass.length > 0 && <BreakGlassTable items={reviews.data.breakGlass} />}
          {reviews.data.decided.length > 0 && <DecidedTable items={reviews.data.decided} />}
        </>
      )}
    </>
  );
}

/** Access already granted without approval: each is reviewed (acknowledged or flagged) on its own page. */
function BreakGlassTable({ items }: { items: BreakGlassReviewItem[] }) {
  return (
    <table className="table inbox-break-glass">
      <caption>Break-glass activations waiting for your review</caption>
      <thead>
        <tr>
          <th scope="col">Activated by</th>
          <th scope="col">Role</th>
          <th scope="col">Until</th>
          <th scope="col">Review by</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {items.map(({ activation, overdue }) => (
          <tr key={activation.activationId}>
            <td data-label="Activated by">
              {activation.user}
              <span className="muted request-time">{formatTime(activation.start)}</span>
            </td>
            <td data-label="Role">
              <RoleName entry={activation} /> on {activation.projectId}
              <span className="request-justification">{activation.reason}</span>
            </td>
            <td data-label="Until" className="nowrap">
              {formatTime(activation.end)}
            </td>
            <td data-label="Review by" className="nowrap">
              {formatTime(activation.reviewBy)} {overdue && <span className="badge badge-high">Overdue</span>}
            </td>
            <td className="row-actions">
              <Link className="button button-primary" href={`/break-glass/${activation.activationId}`}>
                Review
                <span className="visually-hidden">
                  {' '}
                  the break-glass activation of {activation.user} for {activation.role} on {activation.projectId}
                </span>
              </Link>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
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
              {item.request.extendsGrant && <span className="muted request-extension">Extension by {formatDuration(item.request.durationMinutes)}</span>}
            </td>
            <td data-label="Now">{requestStatusText(item)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
