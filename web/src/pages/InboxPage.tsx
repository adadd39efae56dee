// The approver inbox: requests waiting for my decision, each opened and decided on its own page without the
// email; break-glass activations waiting for my review, each reviewed on its own page; and the requests I
// decided in the last 7 days.
import { useState } from 'react';
import { api, type BreakGlassReviewItem, type ReviewItem } from '../api';
import { LogFreshness } from '../components/LogFreshness';
import { Loaded } from '../components/Loaded';
import { ErrorNotice, Notice } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { RecordTable } from '../components/RecordTable';
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
      {failed && <ErrorNotice context="approval" title="The request could not be opened" error={failed} />}
      <Loaded resource={reviews} loading="Loading your inbox…" failed="Your inbox could not be loaded">
        {({ readAt, waiting, breakGlass, decided }) => (
          <>
            <LogFreshness readAt={readAt} />
            {waiting.length === 0 && breakGlass.length === 0 && <Notice kind="info" title="Nothing is waiting for your decision or review" />}
            <RecordTable
              caption="Waiting for your decision"
              className="inbox"
              rows={waiting}
              rowKey={(item) => item.request.id}
              columns={[
                {
                  header: 'Requested by',
                  cell: (item) => (
                    <>
                      {item.request.beneficiary}
                      <span className="muted request-time">{formatTime(item.createdAt)}</span>
                      {item.escalatedToMe && <span className="muted request-time">Escalated to you {formatTime(item.escalatedToMe.at)}</span>}
                    </>
                  ),
                },
                { header: 'Role', cell: (item) => <><RoleName entry={item.request} /> on {item.request.projectId}<span className="request-justification">{item.request.justification}</span></> },
                { header: 'For', className: 'nowrap', cell: (item) => <RequestedDuration request={item.request} /> },
                { header: 'Approvals', className: 'nowrap', cell: (item) => `${item.approvals.length} of ${item.requiredApprovals}` },
                { header: 'Expires', className: 'nowrap', cell: (item) => formatTime(item.request.expiresAt) },
              ]}
              actions={(item) => (
                <button type="button" className="button button-primary" disabled={opening !== null} onClick={() => void open(item.request.id)}>
                  {opening === item.request.id ? 'Opening…' : 'Review'}
                  <span className="visually-hidden">
                    {' '}
                    the request of {item.request.beneficiary} for {item.request.role} on {item.request.projectId}
                  </span>
                </button>
              )}
            />
            <BreakGlassTable items={breakGlass} />
            <DecidedTable items={decided} />
          </>
        )}
      </Loaded>
    </>
  );
}

/** Access already granted without approval: each is reviewed (acknowledged or flagged) on its own page. */
function BreakGlassTable({ items }: { items: BreakGlassReviewItem[] }) {
  return (
    <RecordTable
      caption="Break-glass activations waiting for your review"
      className="inbox-break-glass"
      rows={items}
      rowKey={({ activation }) => activation.activationId}
      columns={[
        { header: 'Activated by', cell: ({ activation }) => <>{activation.user}<span className="muted request-time">{formatTime(activation.start)}</span></> },
        { header: 'Role', cell: ({ activation }) => <><RoleName entry={activation} /> on {activation.projectId}<span className="request-justification">{activation.reason}</span></> },
        { header: 'Until', className: 'nowrap', cell: ({ activation }) => formatTime(activation.end) },
        { header: 'Review by', className: 'nowrap', cell: ({ activation, overdue }) => <>{formatTime(activation.reviewBy)} {overdue && <span className="badge badge-high">Overdue</span>}</> },
      ]}
      actions={({ activation }) => (
        <Link className="button button-primary" href={`/break-glass/${activation.activationId}`}>
          Review
          <span className="visually-hidden">
            {' '}
            the break-glass activation of {activation.user} for {activation.role} on {activation.projectId}
          </span>
        </Link>
      )}
    />
  );
}

function DecidedTable({ items }: { items: ReviewItem[] }) {
  return (
    <RecordTable
      caption="Decided by you in the last 7 days"
      className="inbox-decided"
      rows={items}
      rowKey={(item) => item.request.id}
      columns={[
        { header: 'Your decision', className: 'nowrap', cell: (item) => `${item.myDecision!.decision === 'approved' ? 'Approved' : 'Denied'} ${formatTime(item.myDecision!.at)}` },
        { header: 'Requested by', cell: (item) => item.request.beneficiary },
        {
          header: 'Role',
          cell: (item) => (
            <>
              <RoleName entry={item.request} /> on {item.request.projectId}
              {item.request.extendsGrant && <span className="muted request-extension">Extension by {formatDuration(item.request.durationMinutes)}</span>}
            </>
          ),
        },
        { header: 'Now', cell: requestStatusText },
      ]}
    />
  );
}
