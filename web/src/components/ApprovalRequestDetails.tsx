// An approval request in full, as both the requester and the reviewers see it.
import type { ApprovalRequestView } from '../api';
import { formatDuration, formatRelative, formatTime } from '../format';
import { useNow } from '../use-now';

/** `showExpiry`: only while the request can still be approved does its deadline matter. */
export function ApprovalRequestDetails({ request, showExpiry }: { request: ApprovalRequestView; showExpiry: boolean }) {
  const now = useNow();
  return (
    <dl className="details">
      <dt>Requested by</dt>
      <dd>{request.beneficiary}</dd>
      <dt>Project</dt>
      <dd>{request.projectId}</dd>
      <dt>Role</dt>
      <dd>
        <code className="role-name">{request.role}</code>
      </dd>
      <dt>Resource condition</dt>
      <dd>{request.resourceCondition ? <code>{request.resourceCondition}</code> : 'None: the whole project'}</dd>
      <dt>Justification</dt>
      <dd>{request.justification}</dd>
      <dt>Access</dt>
      <dd>
        {request.extendsGrant
          ? `An extension of the grant held from ${formatTime(request.extendsGrant.start)} to ${formatTime(request.extendsGrant.end)} by ${formatDuration(request.durationMinutes)}: approved, it ends at ${formatTime(request.end)}`
          : request.startsLater
          ? `${formatDuration(request.durationMinutes)}, from ${formatTime(request.start)} if approved before then, else from the approval`
          : request.windowFromApproval
          ? `${formatDuration(request.durationMinutes)}, starting when the request is approved`
          : `${formatDuration(request.durationMinutes)}, from ${formatTime(request.start)} to ${formatTime(request.end)}`}
      </dd>
      {request.requiredApprovals > 1 && (
        <>
          <dt>Approvals needed</dt>
          <dd>{request.requiredApprovals} from different reviewers</dd>
        </>
      )}
      <dt>Reviewers</dt>
      <dd>{request.reviewers.join(', ')}</dd>
      {showExpiry && (
        <>
          <dt>Can be approved until</dt>
          <dd>
            {formatTime(request.expiresAt)} ({formatRelative(request.expiresAt, now)})
          </dd>
        </>
      )}
    </dl>
  );
}
