// The page an approval email links to: the request in full, and Approve for a reviewer who may. The
// requester can open it too, to follow their request.
import { useState } from 'react';
import { api, type ApprovalRequestStatusResponse, type ApprovalResponse } from '../api';
import { ApprovalRequestDetails } from '../components/ApprovalRequestDetails';
import { ErrorNotice, Loading, Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { formatRelative, formatTime } from '../format';
import { Link, projectHref } from '../router';
import { useNow } from '../use-now';
import { useResource } from '../use-resource';

export function ApprovePage({ token }: { token: string }) {
  const status = useResource(() => api.approvalRequest(token), [token]);
  const [approval, setApproval] = useState<ApprovalResponse | null>(null);

  if (status.state === 'loading') {
    return (
      <>
        <PageHeading title="Approval request" />
        <Loading>Loading the approval request…</Loading>
      </>
    );
  }
  if (status.state === 'failed') {
    return (
      <>
        <PageHeading title="Approval request" />
        <ErrorNotice context="approval" title="The request could not be opened" error={status.error} onRetry={status.reload} />
      </>
    );
  }
  if (approval) return <Approved approval={approval} />;
  return <Review status={status.data} token={token} onApproved={setApproval} />;
}

interface ReviewProps {
  status: ApprovalRequestStatusResponse;
  token: string;
  onApproved: (approval: ApprovalResponse) => void;
}

function Review({ status, token, onApproved }: ReviewProps) {
  const now = useNow();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const { request, viewer } = status;
  // The server says so once the token expired; the page also notices while it stays open.
  const expired = status.status === 'expired' || (status.status === 'pending' && Date.parse(request.expiresAt) <= now);
  const state = expired ? 'expired' : status.status;

  async function approve() {
    setBusy(true);
    setError(null);
    try {
      onApproved(await api.approve(token));
    } catch (e) {
      setError(e as Error);
      setBusy(false);
    }
  }

  return (
    <section>
      <PageHeading title={viewer.isBeneficiary ? 'Your approval request' : 'Approval request'} />
      <p className="lead">{leadText(state, viewer.isBeneficiary, request.beneficiary)}</p>
      {state === 'approved' && (
        <Notice kind="success" title={`Approved${status.approvedBy ? ` by ${status.approvedBy}` : ''}`}>
          <p>{grantedText(viewer.isBeneficiary ? 'You' : request.beneficiary, request.end, now)} There is nothing left to do.</p>
        </Notice>
      )}
      {state === 'expired' && (
        <Notice kind="warning" title="This request has expired">
          <p>
            It expired at {formatTime(request.expiresAt)} ({formatRelative(request.expiresAt, now)}) before anyone approved it, and can no longer be approved.{' '}
            {viewer.isBeneficiary ? 'If you still need the access, request it again.' : `${request.beneficiary} can make a new request if the access is still needed.`}
          </p>
          {viewer.isBeneficiary && (
            <p>
              <Link className="button button-primary" href={projectHref(request.projectId)}>
                Request again
              </Link>
            </p>
          )}
        </Notice>
      )}
      {state === 'pending' && viewer.isBeneficiary && (
        <Notice kind="info" title="Waiting for approval">
          <p>You cannot approve your own request. Once a reviewer approves it, you get the role and an email.</p>
        </Notice>
      )}
      <ApprovalRequestDetails request={request} showExpiry={state === 'pending'} />
      {error && <ErrorNotice context="approval" title="The request was not approved" error={error} />}
      {state === 'pending' && viewer.canApprove && (
        <div className="actions">
          <button type="button" className="button button-primary" onClick={approve} disabled={busy}>
            {busy ? 'Approving…' : `Approve access for ${request.beneficiary}`}
          </button>
        </div>
      )}
    </section>
  );
}

/** The page's opening line, true for where the request stands now. */
function leadText(state: 'pending' | 'approved' | 'expired', isBeneficiary: boolean, beneficiary: string): string {
  if (isBeneficiary) {
    if (state === 'approved') return 'You asked for this access, and a reviewer approved it.';
    if (state === 'expired') return 'You asked for this access, and no reviewer approved it in time.';
    return 'You asked for this access. One of the reviewers you chose must approve it.';
  }
  if (state === 'approved') return `${beneficiary} asked for this access and named you as a reviewer. It has been approved.`;
  if (state === 'expired') return `${beneficiary} asked for this access and named you as a reviewer. Nobody approved it in time.`;
  return `${beneficiary} asks for access and named you as a reviewer. Approve only if you know why they need it.`;
}

/** "alice@example.com has the role until 3:05 PM UTC.", or that it has ended. */
function grantedText(who: string, end: string, now: number): string {
  if (Date.parse(end) <= now) return `${who} had the role until ${formatTime(end)}; it has ended.`;
  return `${who} ${who === 'You' ? 'have' : 'has'} the role until ${formatTime(end)}.`;
}

function Approved({ approval }: { approval: ApprovalResponse }) {
  const now = useNow();
  const { request, grant } = approval;
  // A second reviewer's click changes nothing: say so, rather than celebrate.
  if (approval.alreadyApproved) {
    return (
      <section>
        <PageHeading title="Already approved" focusOnMount />
        <Notice kind="info" title={`${approval.approvedBy ?? 'Another reviewer'} had approved this request already`}>
          <p>Your approval changed nothing and nobody was notified again. {grantedText(request.beneficiary, grant.end, now)}</p>
        </Notice>
        <ApprovalRequestDetails request={request} showExpiry={false} />
        <p>
          <Link href="/">Go to your own roles</Link>
        </p>
      </section>
    );
  }
  return (
    <section>
      <PageHeading title="Access approved" focusOnMount />
      <Notice kind="success" title={`${request.beneficiary} has ${request.role} on ${request.projectId} until ${formatTime(grant.end)}`}>
        <p>We told {request.beneficiary} by email. IAM takes a few minutes to apply the change everywhere.</p>
      </Notice>
      <NotificationFailures failures={approval.notificationFailures} consequence={`The access is granted all the same; tell ${request.beneficiary} yourself.`} />
      <ApprovalRequestDetails request={request} showExpiry={false} />
      <p>
        <Link href="/">Go to your own roles</Link>
      </p>
    </section>
  );
}
