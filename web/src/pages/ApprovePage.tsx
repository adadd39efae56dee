// The page an approval email links to: the request in full, and Approve for a reviewer who may. The
// requester can open it too, to follow their request.
import { useState } from 'react';
import { api, type ApprovalRequestStatusResponse, type ApprovalResponse } from '../api';
import { ApprovalRequestDetails } from '../components/ApprovalRequestDetails';
import { ErrorNotice, Loading, Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { formatTime } from '../format';
import { Link } from '../router';
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
        <ErrorNotice title="The request could not be opened" error={status.error} onRetry={status.reload} />
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
  const pending = status.status === 'pending';
  const expired = pending && Date.parse(request.expiresAt) <= now;

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
      <p className="lead">
        {viewer.isBeneficiary
          ? 'You asked for this access. One of the reviewers you chose must approve it.'
          : `${request.beneficiary} asks for access and named you as a reviewer. Approve only if you know why they need it.`}
      </p>
      {status.status === 'approved' && (
        <Notice kind="success" title={`Approved${status.approvedBy ? ` by ${status.approvedBy}` : ''}`}>
          <p>
            {viewer.isBeneficiary ? 'You have' : `${request.beneficiary} has`} the role until {formatTime(request.end)}. There is nothing left to do.
          </p>
        </Notice>
      )}
      {expired && (
        <Notice kind="warning" title="This request has expired">
          <p>It can no longer be approved. {viewer.isBeneficiary ? 'Make a new request' : `${request.beneficiary} can make a new request`} if the access is still needed.</p>
        </Notice>
      )}
      {pending && !expired && viewer.isBeneficiary && (
        <Notice kind="info" title="Waiting for approval">
          <p>You cannot approve your own request. Once a reviewer approves it, you get the role and an email.</p>
        </Notice>
      )}
      <ApprovalRequestDetails request={request} showExpiry={pending} />
      {error && <ErrorNotice title="The request was not approved" error={error} />}
      {pending && !expired && viewer.canApprove && (
        <div className="actions">
          <button type="button" className="button button-primary" onClick={approve} disabled={busy}>
            {busy ? 'Approving…' : `Approve access for ${request.beneficiary}`}
          </button>
        </div>
      )}
    </section>
  );
}

function Approved({ approval }: { approval: ApprovalResponse }) {
  const { request, grant } = approval;
  return (
    <section>
      <PageHeading title="Access approved" focusOnMount />
      <Notice kind="success" title={`${request.beneficiary} has ${request.role} on ${request.projectId} until ${formatTime(grant.end)}`}>
        <p>
          {approval.alreadyApproved
            ? `${approval.approvedBy ?? 'Another reviewer'} had approved it already, so nothing changed.`
            : `We told ${request.beneficiary} by email. IAM takes a few minutes to apply the change everywhere.`}
        </p>
      </Notice>
      <NotificationFailures failures={approval.notificationFailures} consequence={`The access is granted all the same; tell ${request.beneficiary} yourself.`} />
      <ApprovalRequestDetails request={request} showExpiry={false} />
      <p>
        <Link href="/">Go to your own roles</Link>
      </p>
    </section>
  );
}
