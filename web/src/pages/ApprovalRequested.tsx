// After asking for approval: who was asked, for what, and until when they can approve. A page of its own
// (/requested), its content kept in the history entry, so that reload and Back keep it.
import type { ApprovalRequestCreatedResponse } from '../api';
import { ApprovalRequestDetails } from '../components/ApprovalRequestDetails';
import { Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { formatRelative, formatTime } from '../format';
import { Link, pageState, projectHref } from '../router';
import { useNow } from '../use-now';
import { ResultGone } from './ResultGone';

export const REQUEST_STATE = 'approvalRequest';

export function ApprovalRequestedPage() {
  const result = pageState<ApprovalRequestCreatedResponse>(REQUEST_STATE);
  return result ? <ApprovalRequested result={result} /> : <ResultGone what="an approval request" />;
}

function ApprovalRequested({ result }: { result: ApprovalRequestCreatedResponse }) {
  const now = useNow();
  const { request, grant, scheduled } = result;
  if (scheduled) {
    return (
      <section>
        <PageHeading title="Approved by the access policy" />
        <Notice kind="success" title={`The access policy's ${result.approvedBy ?? 'rule'} approved your request itself`}>
          <p>
            Your access is scheduled from <strong>{formatTime(scheduled.start)}</strong> ({formatRelative(scheduled.start, now)}) until {formatTime(scheduled.end)}, if you are still eligible then. You can cancel it on My access. {request.reviewers.join(', ')} were told.
          </p>
        </Notice>
        <NotificationFailures failures={result.notificationFailures} consequence="It is scheduled all the same." />
        <ApprovalRequestDetails request={request} showExpiry={false} />
        <div className="actions">
          <Link className="button button-primary" href="/my-access">
            My access
          </Link>
        </div>
      </section>
    );
  }
  if (grant) {
    return (
      <section>
        <PageHeading title="Approved by the access policy" />
        <Notice kind="success" title={`The access policy's ${result.approvedBy ?? 'rule'} approved your request itself`}>
          <p>
            You have the role until <strong>{formatTime(grant.end)}</strong> ({formatRelative(grant.end, now)}). {request.reviewers.join(', ')} were told.
          </p>
        </Notice>
        <NotificationFailures failures={result.notificationFailures} consequence="You have the role all the same." />
        <ApprovalRequestDetails request={request} showExpiry={false} />
        <div className="actions">
          <Link className="button button-primary" href={projectHref(request.projectId)}>
            Back to roles
          </Link>
        </div>
      </section>
    );
  }
  return (
    <section>
      <PageHeading title="Approval requested" />
      <Notice kind="success" title={`We asked ${request.reviewers.join(', ')} to approve your request`}>
        <p>
          They can approve it until <strong>{formatTime(request.expiresAt)}</strong> ({formatRelative(request.expiresAt, now)}).{' '}
          {request.startsLater
            ? `Approved before ${formatTime(request.start)}, your access starts then (if you are still eligible); approved later, it starts at the approval. You get an email.`
            : 'As soon as one of them does, you have the role, and you get an email.'}
        </p>
      </Notice>
      <NotificationFailures failures={result.notificationFailures} consequence="The reviewers were asked all the same." />
      <ApprovalRequestDetails request={request} showExpiry />
      <div className="actions">
        <Link className="button button-primary" href={projectHref(request.projectId)}>
          Back to roles
        </Link>
        <Link className="button" href={`/approve/${result.token}`}>
          Follow this request
        </Link>
      </div>
    </section>
  );
}
