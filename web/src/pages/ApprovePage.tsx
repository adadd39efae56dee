// The page an approval email links to: the request in full, its approvals so far, and Approve or Deny (with a
// reason) for a reviewer who may. The requester opens it too, to follow their request or cancel it.
import { useId, useState, type FormEvent } from 'react';
import { api, type ApprovalRequestStatusResponse, type ApprovalResponse } from '../api';
import { ApprovalRequestDetails } from '../components/ApprovalRequestDetails';
import { ErrorNotice, Loading, Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { formatRelative, formatTime } from '../format';
import { Link, projectHref } from '../router';
import { requestsChanged } from '../request-status';
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
  // An approval that granted, or found the request granted before, has its own page; anything else shows the request as it now stands.
  if (approval && approval.status === 'approved') return <Approved approval={approval} />;
  return (
    <Review
      status={status.data}
      token={token}
      recorded={approval}
      onApproved={(result) => {
        setApproval(result);
        if (result.status !== 'approved') status.reload();
      }}
      onDecided={status.reload}
    />
  );
}

interface ReviewProps {
  status: ApprovalRequestStatusResponse;
  token: string;
  /** This reviewer's approval, recorded while more are needed. */
  recorded: ApprovalResponse | null;
  onApproved: (approval: ApprovalResponse) => void;
  onDecided: () => void;
}

type State = ApprovalRequestStatusResponse['status'];

function Review({ status, token, recorded, onApproved, onDecided }: ReviewProps) {
  const now = useNow();
  const reasonId = useId();
  const [busy, setBusy] = useState(false);
  const [denying, setDenying] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<{ title: string; error: Error } | null>(null);
  const { request, viewer } = status;
  // The server says so once the token expired; the page also notices while it stays open.
  const expired = status.status === 'expired' || (status.status === 'pending' && Date.parse(request.expiresAt) <= now);
  const state: State = expired ? 'expired' : status.status;
  const progress = `${status.approvals.length} of ${status.requiredApprovals} approvals`;

  async function act(title: string, action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError({ title, error: e as Error });
    }
    setBusy(false);
  }
  const approve = () =>
    act('The request was not approved', async () => {
      onApproved(await api.approve(token));
      requestsChanged();
    });
  const cancel = () => act('The request was not cancelled', async () => {
    await api.cancel(token);
    requestsChanged();
    onDecided();
  });
  function deny(event: FormEvent) {
    event.preventDefault();
    void act('The request was not denied', async () => {
      await api.deny(token, reason.trim());
      requestsChanged();
      onDecided();
    });
  }

  return (
    <section>
      <PageHeading title={`${viewer.isBeneficiary ? 'Your ' : ''}${request.extendsGrant ? 'extension request' : 'approval request'}`.replace(/^./, (c) => c.toUpperCase())} />
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
      {state === 'denied' && (
        <Notice kind="warning" title={`Denied by ${status.deniedBy}`}>
          <p>Reason: {status.reason}</p>
          <p>{viewer.isBeneficiary ? 'Nothing was granted. If you still need the access, talk to the reviewer or make a new request.' : 'Nothing was granted, and no reviewer can approve it any more.'}</p>
        </Notice>
      )}
      {state === 'cancelled' && (
        <Notice kind="info" title="Cancelled">
          <p>{viewer.isBeneficiary ? 'You withdrew this request.' : `${request.beneficiary} withdrew this request.`} Nothing was granted, and there is nothing left to review.</p>
        </Notice>
      )}
      {state === 'pending' && recorded && (
        // From the approval's own answer: the page's status may still be loading again.
        <Notice kind="success" title="Your approval was recorded">
          <p>
            {recorded.approvals.length} of {recorded.requiredApprovals} approvals: the access is granted once {recorded.requiredApprovals - recorded.approvals.length} more reviewer
            {recorded.requiredApprovals - recorded.approvals.length === 1 ? '' : 's'} approve.
          </p>
        </Notice>
      )}
      {state === 'pending' && viewer.isBeneficiary && (
        <Notice kind="info" title={status.requiredApprovals > 1 ? `Waiting for approval: ${progress}` : 'Waiting for approval'}>
          <p>You cannot approve your own request. Once {status.requiredApprovals > 1 ? 'enough reviewers approve' : 'a reviewer approves'} it, you get the role for {request.durationMinutes} minutes{' '}
            {request.startsLater ? `from ${formatTime(request.start)} (or from the approval, if later)` : 'from that moment'}, and an email.
          </p>
        </Notice>
      )}
      {state === 'pending' && !viewer.isBeneficiary && !recorded && status.requiredApprovals > 1 && <p className="approval-progress">{progress} so far{status.approvals.length > 0 ? ` (${status.approvals.map((a) => a.approver).join(', ')})` : ''}.</p>}
      <ApprovalRequestDetails request={request} showExpiry={state === 'pending'} />
      {error && <ErrorNotice context="approval" title={error.title} error={error.error} />}
      {state === 'pending' && (viewer.canApprove || viewer.canDeny || viewer.canCancel) && !denying && (
        <div className="actions">
          {viewer.canApprove && (
            <button type="button" className="button button-primary" onClick={approve} disabled={busy}>
              {busy ? 'Approving…' : `Approve access for ${request.beneficiary}`}
            </button>
          )}
          {viewer.canDeny && (
            <button type="button" className="button" onClick={() => setDenying(true)} disabled={busy}>
              Deny…
            </button>
          )}
          {viewer.canCancel && (
            <button type="button" className="button button-danger" onClick={cancel} disabled={busy}>
              {busy ? 'Cancelling…' : 'Cancel this request'}
            </button>
          )}
        </div>
      )}
      {state === 'pending' && viewer.canDeny && denying && (
        <form onSubmit={deny} className="deny-form">
          <div className="field">
            <label htmlFor={reasonId}>Why do you deny it?</label>
            <input id={reasonId} type="text" value={reason} required maxLength={500} autoComplete="off" disabled={busy} onChange={(event) => setReason(event.target.value)} />
            <p className="field-help">{request.beneficiary} is told this reason, for example “Not during the release freeze”.</p>
          </div>
          <div className="actions">
            <button type="submit" className="button button-danger" disabled={busy || reason.trim() === ''}>
              {busy ? 'Denying…' : 'Deny the request'}
            </button>
            <button type="button" className="button" onClick={() => setDenying(false)} disabled={busy}>
              Back
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

/** The page's opening line, true for where the request stands now. */
function leadText(state: State, isBeneficiary: boolean, beneficiary: string): string {
  if (isBeneficiary) {
    if (state === 'approved') return 'You asked for this access, and it was approved.';
    if (state === 'expired') return 'You asked for this access, and it was not approved in time.';
    if (state === 'denied') return 'You asked for this access, and a reviewer denied it.';
    if (state === 'cancelled') return 'You asked for this access, and then cancelled the request.';
    return 'You asked for this access. The reviewers you chose must approve it.';
  }
  if (state === 'approved') return `${beneficiary} asked for this access and named you as a reviewer. It has been approved.`;
  if (state === 'expired') return `${beneficiary} asked for this access and named you as a reviewer. Nobody approved it in time.`;
  if (state === 'denied') return `${beneficiary} asked for this access and named you as a reviewer. It was denied.`;
  if (state === 'cancelled') return `${beneficiary} asked for this access and named you as a reviewer, then cancelled the request.`;
  return `${beneficiary} asks for access and named you as a reviewer. Approve only if you know why they need it; otherwise deny it with a reason.`;
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
          <p>Your approval changed nothing and nobody was notified again.{grant ? ` ${grantedText(request.beneficiary, grant.end, now)}` : ''}</p>
        </Notice>
        <ApprovalRequestDetails request={request} showExpiry={false} />
        <p>
          <Link href="/">Go to your own roles</Link>
        </p>
      </section>
    );
  }
  if (approval.scheduled) {
    const { start, end } = approval.scheduled;
    return (
      <section>
        <PageHeading title="Access approved" focusOnMount />
        <Notice kind="success" title={`${request.beneficiary} gets ${request.role} on ${request.projectId} from ${formatTime(start)} until ${formatTime(end)}`}>
          <p>The access is scheduled: it starts then if {request.beneficiary} is still eligible. We told {request.beneficiary} by email.</p>
        </Notice>
        <NotificationFailures failures={approval.notificationFailures} consequence={`The access is scheduled all the same; tell ${request.beneficiary} yourself.`} />
        <ApprovalRequestDetails request={request} showExpiry={false} />
        <p>
          <Link href="/">Go to your own roles</Link>
        </p>
      </section>
    );
  }
  if (!grant) return null;
  return (
    <section>
      <PageHeading title={request.extendsGrant ? 'Extension approved' : 'Access approved'} focusOnMount />
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
