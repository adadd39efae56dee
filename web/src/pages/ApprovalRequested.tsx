// After asking for approval: who was asked, for what, and until when they can approve.
import type { ApprovalRequestCreatedResponse } from '../api';
import { ApprovalRequestDetails } from '../components/ApprovalRequestDetails';
import { Notice, NotificationFailures } from '../components/Notice';
import { PageHeading } from '../components/PageHeading';
import { formatRelative, formatTime } from '../format';
import { Link } from '../router';
import { useNow } from '../use-now';

export function ApprovalRequested({ result, onBack }: { result: ApprovalRequestCreatedResponse; onBack: () => void }) {
  const now = useNow();
  const { request } = result;
  return (
    <section>
      <PageHeading title="Approval requested" focusOnMount />
      <Notice kind="success" title={`We asked ${request.reviewers.join(', ')} to approve your request`}>
        <p>
          They can approve it until <strong>{formatTime(request.expiresAt)}</strong> ({formatRelative(request.expiresAt, now)}). As soon as one of them does, you have the role, and you get an email.
        </p>
      </Notice>
      <NotificationFailures failures={result.notificationFailures} consequence="The reviewers were asked all the same." />
      <ApprovalRequestDetails request={request} showExpiry />
      <div className="actions">
        <button type="button" className="button button-primary" onClick={onBack}>
          Back to roles
        </button>
        <Link className="button" href={`/approve/${result.token}`}>
          Follow this request
        </Link>
      </div>
    </section>
  );
}
